/* SPDX-License-Identifier: MIT */
/*
 * This file resolves the real pthread functions behind the interposer,
 * once: dlsym(RTLD_NEXT) for most; the condition variable functions by
 * version (GLIBC_2.3.2) with dlvsym, because an unversioned lookup may
 * return glibc's old (2.2.5) condvar ABI. A missing function is fatal at
 * start-up with one clear line. It also holds the blocking bookkeeping
 * shared by the wrappers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <time.h>

#include "interpose_impl.h"

struct ip_real ip_real;

static void *must(void *p, const char *name)
{
    if (!p) {
        char line[256];
        int n = snprintf(line, sizeof line, "gosan: cannot find the real %s: "
                         "%s\n", name, dlerror());
        if (write(2, line, (size_t)n) < 0) {
        }
        _exit(2);
    }
    return p;
}

#define RESOLVE(fn) ip_real.fn = must(dlsym(RTLD_NEXT, #fn), #fn)
#define RESOLVE_V(fn, version) \
    ip_real.fn = must(dlvsym(RTLD_NEXT, #fn, version), #fn "@" version)

static void resolve(void)
{
    det_tls_internal++;
    RESOLVE(pthread_create);
    RESOLVE(pthread_join);
    RESOLVE(pthread_tryjoin_np);
    RESOLVE(pthread_timedjoin_np);
    RESOLVE(pthread_detach);
    RESOLVE(pthread_exit);
    RESOLVE(pthread_mutex_init);
    RESOLVE(pthread_mutex_destroy);
    RESOLVE(pthread_mutex_lock);
    RESOLVE(pthread_mutex_trylock);
    RESOLVE(pthread_mutex_timedlock);
    RESOLVE(pthread_mutex_unlock);
    RESOLVE(pthread_spin_lock);
    RESOLVE(pthread_spin_trylock);
    RESOLVE(pthread_spin_unlock);
    RESOLVE(pthread_spin_destroy);
    RESOLVE(pthread_rwlock_destroy);
    RESOLVE(pthread_rwlock_rdlock);
    RESOLVE(pthread_rwlock_tryrdlock);
    RESOLVE(pthread_rwlock_timedrdlock);
    RESOLVE(pthread_rwlock_wrlock);
    RESOLVE(pthread_rwlock_trywrlock);
    RESOLVE(pthread_rwlock_timedwrlock);
    RESOLVE(pthread_rwlock_unlock);
#if defined(__x86_64__)
    RESOLVE_V(pthread_cond_wait, "GLIBC_2.3.2");
    RESOLVE_V(pthread_cond_timedwait, "GLIBC_2.3.2");
    RESOLVE_V(pthread_cond_signal, "GLIBC_2.3.2");
    RESOLVE_V(pthread_cond_broadcast, "GLIBC_2.3.2");
    RESOLVE_V(pthread_cond_destroy, "GLIBC_2.3.2");
#else
    RESOLVE(pthread_cond_wait);
    RESOLVE(pthread_cond_timedwait);
    RESOLVE(pthread_cond_signal);
    RESOLVE(pthread_cond_broadcast);
    RESOLVE(pthread_cond_destroy);
#endif
    RESOLVE(pthread_once);
    RESOLVE(pthread_barrier_wait);
    RESOLVE(sem_wait);
    RESOLVE(sem_trywait);
    RESOLVE(sem_timedwait);
    RESOLVE(sem_post);
    RESOLVE(fork);
    det_tls_internal--;
}

/* ip_real_init resolves everything. Two threads racing here both resolve
 * the same pointers: harmless, and no lock is needed before the real
 * pthread functions are known. */
void ip_real_init(void)
{
    static _Atomic int done;
    if (atomic_load(&done))
        return;
    resolve();
    atomic_store(&done, 1);
}

void ip_block_call(struct det_thread *t, const char *call,
                   enum rt_wait_reason reason, const void *obj)
{
    t->blocked_call = call;
    ip_block(t, reason, obj);
}

void ip_block(struct det_thread *t, enum rt_wait_reason reason,
              const void *obj)
{
    /* Where it blocks, for the hang report: a real unwind (blocking costs
     * far more), which also covers uninstrumented code. */
    det_enter(t);
    t->blocked_stack = det_stack_here(2);
    det_leave(t);
    /* Below this frame its stack is dead while it waits (reach.c). */
    t->blocked_sp = (uintptr_t)__builtin_frame_address(0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t->blocked_since = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    det_thread_park(t);
    det_blocked(t, reason, obj);
}

void ip_unblock(struct det_thread *t)
{
    atomic_store_explicit(&t->blocked_reason, RT_WAIT_NONE,
                          memory_order_relaxed);
    det_thread_resume(t);
}

__attribute__((constructor(101))) static void ip_constructor(void)
{
    ip_real_init();
}
