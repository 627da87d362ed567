/* SPDX-License-Identifier: MIT */
/*
 * This file interposes pthread_once: the init routine's return happens
 * before every pthread_once on the same control returns. The routine takes
 * no argument, so the call being run is passed to the wrapper that runs it
 * through thread-local storage (a stack of them: an init routine may call
 * pthread_once on another control).
 */
#define _GNU_SOURCE
#include "interpose_impl.h"

struct once_call {
    pthread_once_t *once;
    void (*init)(void);
    struct once_call *outer;
};

static __thread struct once_call *current
    __attribute__((tls_model("initial-exec")));

static void run_init(void)
{
    struct once_call *call = current;
    call->init();
    struct det_thread *t = det_tls_cur;
    if (t)
        det_release(t, det_sync_get((uintptr_t)call->once, IP_KEY_ONCE, true));
}

IP_EXPORT int pthread_once(pthread_once_t *once, void (*init)(void))
{
    struct det_thread *t = ip_enter(IP_PC());
    if (!t)
        return REAL(pthread_once)(once, init);
    struct once_call call = { once, init, current };
    current = &call;
    int err = REAL(pthread_once)(once, run_init);
    current = call.outer;
    if (err == 0) {
        int saved = errno;
        struct det_sync *s = det_sync_get((uintptr_t)once, IP_KEY_ONCE, false);
        if (s)
            det_acquire(t, s);
        errno = saved;
    }
    return err;
}
