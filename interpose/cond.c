/* SPDX-License-Identifier: MIT */
/*
 * This file interposes condition variables. A wait releases its mutex and
 * takes it again: both are lock events. A signal or broadcast happens
 * before the wait it wakes returns (as for go_cond), on top of the edges
 * the mutex gives.
 */
#define _GNU_SOURCE
#include "interpose_impl.h"

static void before_wait(struct det_thread *t, pthread_cond_t *c,
                        pthread_mutex_t *m, uintptr_t pc)
{
    int saved = errno;
    det_mutex_unlocking(t, (uintptr_t)m, true, pc);
    ip_block_call(t, "pthread_cond_wait", RT_WAIT_COND, c);
    errno = saved;
}

static void after_wait(struct det_thread *t, pthread_cond_t *c,
                       pthread_mutex_t *m, uintptr_t pc)
{
    int saved = errno;
    ip_unblock(t);
    det_acquire_addr(t, (uintptr_t)c);
    det_mutex_locked(t, (uintptr_t)m, true, pc);
    errno = saved;
}

IP_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_cond_wait)(c, m);
    before_wait(t, c, m, pc);
    int err = REAL(pthread_cond_wait)(c, m);
    after_wait(t, c, m, pc);
    return err;
}

IP_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *abstime)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_cond_timedwait)(c, m, abstime);
    int saved = errno;
    det_mutex_unlocking(t, (uintptr_t)m, true, pc);
    errno = saved;
    /* A timed wait ends by itself: it is not "blocked for good". */
    int err = REAL(pthread_cond_timedwait)(c, m, abstime);
    saved = errno;
    if (err == 0)
        det_acquire_addr(t, (uintptr_t)c);
    det_mutex_locked(t, (uintptr_t)m, true, pc);
    errno = saved;
    return err;
}

IP_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (t) {
        int saved = errno;
        det_release_addr(t, (uintptr_t)c);
        errno = saved;
    }
    return REAL(pthread_cond_signal)(c);
}

IP_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (t) {
        int saved = errno;
        det_release_addr(t, (uintptr_t)c);
        errno = saved;
    }
    return REAL(pthread_cond_broadcast)(c);
}

IP_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    if (ip_enter(IP_PC()))
        det_sync_free((uintptr_t)c, 0);
    return REAL(pthread_cond_destroy)(c);
}
