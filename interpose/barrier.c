/* SPDX-License-Identifier: MIT */
/*
 * This file interposes barriers and POSIX semaphores. A barrier orders
 * everything before it in every thread before everything after it in
 * every thread: each waiter releases on arrival and acquires on leaving.
 * A sem_post happens before the sem_wait (or trywait, timedwait) that
 * takes its count.
 */
#define _GNU_SOURCE
#include "interpose_impl.h"

IP_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (!t)
        return REAL(pthread_barrier_wait)(b);
    int saved = errno;
    det_release_addr(t, (uintptr_t)b);
    ip_block_call(t, "pthread_barrier_wait", RT_WAIT_FOREVER, b);
    errno = saved;
    int err = REAL(pthread_barrier_wait)(b);
    saved = errno;
    ip_unblock(t);
    if (err == 0 || err == PTHREAD_BARRIER_SERIAL_THREAD)
        det_acquire_addr(t, (uintptr_t)b);
    errno = saved;
    return err;
}

static int sem_taken(struct det_thread *t, sem_t *s, int r)
{
    if (t && r == 0) {
        int saved = errno;
        det_acquire_addr(t, (uintptr_t)s);
        errno = saved;
    }
    return r;
}

IP_EXPORT int sem_wait(sem_t *s)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (!t)
        return REAL(sem_wait)(s);
    int r = REAL(sem_trywait)(s);
    if (r != 0 && errno == EAGAIN) {
        ip_block_call(t, "sem_wait", RT_WAIT_SEMAPHORE, s);
        r = REAL(sem_wait)(s);
        int saved = errno;
        ip_unblock(t);
        errno = saved;
    }
    return sem_taken(t, s, r);
}

IP_EXPORT int sem_trywait(sem_t *s)
{
    struct det_thread *t = ip_enter(IP_PC());
    return sem_taken(t, s, REAL(sem_trywait)(s));
}

IP_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    struct det_thread *t = ip_enter(IP_PC());
    return sem_taken(t, s, REAL(sem_timedwait)(s, abstime));
}

IP_EXPORT int sem_post(sem_t *s)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (t) {
        int saved = errno;
        det_release_addr(t, (uintptr_t)s);
        errno = saved;
    }
    return REAL(sem_post)(s);
}
