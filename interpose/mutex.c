/* SPDX-License-Identifier: MIT */
/*
 * This file interposes pthread mutexes and spin locks: the happens-before
 * of lock and unlock (detector/mutex.c), the lock-order graph, wait-for
 * cycles among blocked threads, and misuse:
 *
 *  - unlock of a mutex that is not locked, or that another thread holds
 *    (the latter is an error for error-checking and robust mutexes, and
 *    undefined for the others);
 *  - lock of a non-recursive mutex by the thread that holds it (a
 *    self-deadlock, or EDEADLK for an error-checking mutex);
 *  - destroy of a locked mutex.
 *
 * A recursive mutex is one lock for the detector: the first lock takes
 * it, the last unlock gives it back (glibc's count says which is which).
 * Lock calls try the lock first and only count as blocked when it is
 * taken, so that an uncontended lock costs no wait-for walk.
 */
#define _GNU_SOURCE
#include <string.h>

#include "interpose_impl.h"

/* glibc's mutex kind and recursion count (the layout of pthread_mutex_t
 * is part of glibc's ABI). */
#define KIND_MASK 3
#define KIND_NORMAL 0
#define KIND_RECURSIVE 1
#define KIND_ERRORCHECK 2

static int kind_of(pthread_mutex_t *m)
{
    return m->__data.__kind & KIND_MASK;
}

/* What can go wrong with a pthread mutex. Each is reported once per mutex
 * (a bit of det_sync.misuse_reported above the runtime's misuse kinds,
 * which never apply to a pthread mutex). */
enum pthread_misuse {
    SELF_DEADLOCK = 24,
    DOUBLE_LOCK_ERRORCHECK,
    UNLOCK_OF_UNLOCKED,
    UNLOCK_BY_NON_OWNER,
    DESTROY_LOCKED,
};

static const struct {
    enum rep_kind kind;
    const char *what;
} pthread_misuses[] = {
    [SELF_DEADLOCK - SELF_DEADLOCK] = {
        REP_MUTEX_MISUSE, "deadlock: a thread locks a mutex it already holds" },
    [DOUBLE_LOCK_ERRORCHECK - SELF_DEADLOCK] = {
        REP_MUTEX_MISUSE, "double lock of an error-checking mutex" },
    [UNLOCK_OF_UNLOCKED - SELF_DEADLOCK] = {
        REP_UNLOCK_OF_UNLOCKED_MUTEX, "unlock of an unlocked mutex" },
    [UNLOCK_BY_NON_OWNER - SELF_DEADLOCK] = {
        REP_MUTEX_MISUSE, "unlock of a mutex held by another thread" },
    [DESTROY_LOCKED - SELF_DEADLOCK] = {
        REP_MUTEX_MISUSE, "destroy of a locked mutex" },
};

static void report_mutex_misuse(struct det_thread *t, const void *m,
                                enum pthread_misuse misuse, uintptr_t pc)
{
    _Static_assert((int)RT_MISUSE_COUNT <= (int)SELF_DEADLOCK &&
                       DESTROY_LOCKED < 32,
                   "pthread misuse bits overlap");
    enum rep_kind kind = pthread_misuses[misuse - SELF_DEADLOCK].kind;
    const char *what = pthread_misuses[misuse - SELF_DEADLOCK].what;
    struct det_sync *s = det_sync_get((uintptr_t)m, 0, true);
    uint32_t bit = 1u << misuse;
    if (s->misuse_reported & bit)
        return;
    s->misuse_reported |= bit;
    det_enter(t);
    struct rep_report r;
    char headline[160];
    snprintf(headline, sizeof headline, "WARNING: %s", what);
    rep_report_init(&r, kind, headline);
    r.filter = &det_stack_filter;
    char who[64];
    det_thread_name(who, sizeof who, t->goid, t->thread_id);
    uintptr_t pcs[REP_MAX_FRAMES];
    int n = det_stack_of_thread(t, pc, pcs, REP_MAX_FRAMES);
    if (n <= 1)
        n = rep_backtrace(pcs, REP_MAX_FRAMES, 2);
    rep_report_stack(&r, pcs, n, "Mutex %p, by %s:", m, who);
    struct det_thread *owner = atomic_load(&s->owner);
    if (owner && s->owner_stack) {
        char owns[64];
        det_thread_name(owns, sizeof owns, owner->goid, owner->thread_id);
        const uintptr_t *op;
        int k = det_depot_get(s->owner_stack, &op);
        rep_report_stack(&r, op, k, "Mutex %p is held by %s, who locked it "
                         "at:", m, owns);
    }
    rep_emit(&r);
    rep_report_free(&r);
    det_leave(t);
}

/* self_locking: t locks a non-recursive mutex it already holds. */
static void check_self_lock(struct det_thread *t, pthread_mutex_t *m,
                            uintptr_t pc)
{
    if (kind_of(m) == KIND_RECURSIVE)
        return;
    struct det_sync *s = det_sync_get((uintptr_t)m, 0, false);
    if (s && atomic_load(&s->owner) == t)
        report_mutex_misuse(t, m,
                            kind_of(m) == KIND_ERRORCHECK
                                ? DOUBLE_LOCK_ERRORCHECK
                                : SELF_DEADLOCK,
                            pc);
}

/* first_hold: after a successful lock, is this the outermost level? */
static bool first_hold(pthread_mutex_t *m)
{
    return kind_of(m) != KIND_RECURSIVE || m->__data.__count <= 1;
}

IP_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_mutex_lock)(m);
    check_self_lock(t, m, pc);
    int err = REAL(pthread_mutex_trylock)(m);
    if (err == EBUSY) {
        ip_block_call(t, "pthread_mutex_lock", RT_WAIT_MUTEX, m);
        err = REAL(pthread_mutex_lock)(m);
        int saved = errno;
        ip_unblock(t);
        errno = saved;
    }
    if (err == 0 && first_hold(m)) {
        int saved = errno;
        det_mutex_locked(t, (uintptr_t)m, true, pc);
        errno = saved;
    }
    return err;
}

IP_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    int err = REAL(pthread_mutex_trylock)(m);
    if (t && err == 0 && first_hold(m)) {
        int saved = errno;
        det_mutex_locked(t, (uintptr_t)m, true, pc);
        errno = saved;
    }
    return err;
}

IP_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_mutex_timedlock)(m, abs);
    int err = REAL(pthread_mutex_timedlock)(m, abs);
    if (err == 0 && first_hold(m)) {
        int saved = errno;
        det_mutex_locked(t, (uintptr_t)m, true, pc);
        errno = saved;
    }
    return err;
}

IP_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (!t)
        return REAL(pthread_mutex_unlock)(m);
    int saved = errno;
    struct det_sync *s = det_sync_get((uintptr_t)m, 0, false);
    struct det_thread *owner = s ? atomic_load(&s->owner) : NULL;
    bool last = kind_of(m) != KIND_RECURSIVE || m->__data.__count <= 1;
    if (!owner && m->__data.__lock == 0)
        report_mutex_misuse(t, m, UNLOCK_OF_UNLOCKED, pc);
    else if (owner && owner != t)
        report_mutex_misuse(t, m, UNLOCK_BY_NON_OWNER, pc);
    if (last)
        det_mutex_unlocking(t, (uintptr_t)m, true, pc);
    errno = saved;
    return REAL(pthread_mutex_unlock)(m);
}

IP_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (t) {
        int saved = errno;
        struct det_sync *s = det_sync_get((uintptr_t)m, 0, false);
        if ((s && atomic_load(&s->owner)) || m->__data.__lock != 0)
            report_mutex_misuse(t, m, DESTROY_LOCKED, pc);
        else
            det_sync_free((uintptr_t)m, 0);
        errno = saved;
    }
    return REAL(pthread_mutex_destroy)(m);
}

/* ---- spin locks ------------------------------------------------------------- */

IP_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    int err = REAL(pthread_spin_lock)(l);
    if (t && err == 0)
        det_mutex_locked(t, (uintptr_t)l, true, pc);
    return err;
}

IP_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    int err = REAL(pthread_spin_trylock)(l);
    if (t && err == 0)
        det_mutex_locked(t, (uintptr_t)l, true, pc);
    return err;
}

IP_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    uintptr_t pc = IP_PC();
    struct det_thread *t = ip_enter(pc);
    if (t)
        det_mutex_unlocking(t, (uintptr_t)l, true, pc);
    return REAL(pthread_spin_unlock)(l);
}

IP_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
    if (ip_enter(IP_PC()))
        det_sync_free((uintptr_t)l, 0);
    return REAL(pthread_spin_destroy)(l);
}
