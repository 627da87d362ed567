/* SPDX-License-Identifier: MIT */
/*
 * This file interposes pthread read-write locks, as go_rwmutex: a write
 * unlock happens before later locks, a read unlock before later write
 * locks. pthread_rwlock_unlock does not say which kind it releases: the
 * detector's owner record does (a write holder is the owner).
 */
#define _GNU_SOURCE
#include "interpose_impl.h"

static int locked(struct det_thread *t, pthread_rwlock_t *l, bool write,
                  uintptr_t pc, int err)
{
    if (t && err == 0) {
        int saved = errno;
        det_mutex_locked(t, (uintptr_t)l, write, pc);
        errno = saved;
    }
    return err;
}

IP_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_rwlock_rdlock)(l);
    int err = REAL(pthread_rwlock_tryrdlock)(l);
    if (err == EBUSY) {
        ip_block_call(t, "pthread_rwlock_rdlock", RT_WAIT_RWMUTEX_RLOCK, l);
        err = REAL(pthread_rwlock_rdlock)(l);
        ip_unblock(t);
    }
    return locked(t, l, false, pc, err);
}

IP_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    return locked(t, l, false, pc, REAL(pthread_rwlock_tryrdlock)(l));
}

IP_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *a)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    return locked(t, l, false, pc, REAL(pthread_rwlock_timedrdlock)(l, a));
}

IP_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_rwlock_wrlock)(l);
    int err = REAL(pthread_rwlock_trywrlock)(l);
    if (err == EBUSY) {
        ip_block_call(t, "pthread_rwlock_wrlock", RT_WAIT_RWMUTEX_LOCK, l);
        err = REAL(pthread_rwlock_wrlock)(l);
        ip_unblock(t);
    }
    return locked(t, l, true, pc, err);
}

IP_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    return locked(t, l, true, pc, REAL(pthread_rwlock_trywrlock)(l));
}

IP_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *a)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    return locked(t, l, true, pc, REAL(pthread_rwlock_timedwrlock)(l, a));
}

IP_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (t) {
        int saved = errno;
        struct det_sync *s = det_sync_get((uintptr_t)l, 0, false);
        bool write = s && atomic_load(&s->owner) == t;
        det_mutex_unlocking(t, (uintptr_t)l, write, pc);
        errno = saved;
    }
    return REAL(pthread_rwlock_unlock)(l);
}

IP_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    if (ip_enter(IP_PC()))
        det_sync_free((uintptr_t)l, 0);
    return REAL(pthread_rwlock_destroy)(l);
}
