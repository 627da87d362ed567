/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_mutex, Go's sync.Mutex, on the runtime
 * semaphore. A goroutine that waits parks; it never blocks its thread.
 *
 * state: bit 0 locked, bit 1 woken (a waiter is awake, do not wake
 * another), bit 2 starving, bits 3.. the number of waiters.
 *
 * Two modes (Go's fairness design). Normal: waiters queue FIFO but a woken
 * waiter competes with newly arriving goroutines, which usually win (they
 * are already running); that is fast. A waiter that fails to get the lock
 * for over 1 ms switches the mutex to starvation mode: Unlock then hands
 * ownership directly to the waiter at the front, and newcomers queue at the
 * tail without trying. The mutex goes back to normal when the waiter that
 * gets it is the last one or waited less than 1 ms.
 *
 * Hooks: lock_pre before trying, lock_post(ok) once owned (a failed
 * trylock reports ok=false), unlock before the state is released. The
 * hook-free rt__mutex_lock/unlock serve other primitives' internals.
 */
#define _GNU_SOURCE
#include "sync_impl.h"

#define MUTEX_LOCKED 1
#define MUTEX_WOKEN 2
#define MUTEX_STARVING 4
#define MUTEX_WAITER_SHIFT 3
#define STARVATION_THRESHOLD_NS 1000000
#define ACTIVE_SPIN 4
#define ACTIVE_SPIN_CNT 30

static inline int32_t load_state(go_mutex *m)
{
    return __atomic_load_n(&m->state, __ATOMIC_RELAXED);
}

static inline bool cas_state(go_mutex *m, int32_t old, int32_t new)
{
    return __atomic_compare_exchange_n(&m->state, &old, new, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* can_spin: spinning only pays with other Ps running and nothing queued
 * here that could run instead (Go's sync_runtime_canSpin). */
static bool can_spin(int iter)
{
    if (iter >= ACTIVE_SPIN)
        return false;
    int32_t procs = atomic_load_explicit(&rt__sched.gomaxprocs,
                                         memory_order_relaxed);
    if (procs <= 1 ||
        procs <= atomic_load_explicit(&rt__sched.npidle,
                                      memory_order_relaxed) +
                     atomic_load_explicit(&rt__sched.nmspinning,
                                          memory_order_relaxed) + 1)
        return false;
    struct rt_m *m = rt__getm();
    return m && m->p && rt__runq_empty(m->p);
}

static void do_spin(void)
{
    for (int i = 0; i < ACTIVE_SPIN_CNT; i++)
        rt__cpu_relax();
}

static RT_NOINLINE void lock_slow(go_mutex *m, uint8_t reason,
                                  const void *obj)
{
    /* A contended lock is a preemption point: a goroutine looping over
     * lock/unlock must let the others run when sysmon asks. */
    rt__preempt_check(rt__getg_fast());
    int64_t wait_start = 0;
    bool starving = false, awoke = false;
    int iter = 0;
    int32_t old = load_state(m);
    for (;;) {
        /* Spin while it is locked (not starving): it may be freed soon. */
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED &&
            can_spin(iter)) {
            /* Tell Unlock not to wake others: we are awake already. */
            if (!awoke && !(old & MUTEX_WOKEN) &&
                (old >> MUTEX_WAITER_SHIFT) != 0 &&
                cas_state(m, old, old | MUTEX_WOKEN))
                awoke = true;
            do_spin();
            iter++;
            old = load_state(m);
            continue;
        }
        int32_t new = old;
        /* Newcomers do not take a starving mutex: they queue. */
        if (!(old & MUTEX_STARVING))
            new |= MUTEX_LOCKED;
        if (old & (MUTEX_LOCKED | MUTEX_STARVING))
            new += 1 << MUTEX_WAITER_SHIFT;
        /* Switch to starvation mode, unless it is unlocked: Unlock expects
         * a starving mutex to have waiters. */
        if (starving && (old & MUTEX_LOCKED))
            new |= MUTEX_STARVING;
        if (awoke) {
            if (!(new & MUTEX_WOKEN))
                RT_THROW("sync: inconsistent mutex state");
            new &= ~MUTEX_WOKEN;
        }
        if (!cas_state(m, old, new)) {
            old = load_state(m);
            continue;
        }
        if (!(old & (MUTEX_LOCKED | MUTEX_STARVING)))
            return; /* locked it with the CAS */
        /* Waited before: go back to the front of the queue. */
        bool lifo = wait_start != 0;
        if (!wait_start)
            wait_start = rt__nanotime();
        rt__semacquire(&m->sema, lifo, reason, obj);
        starving = starving ||
                   rt__nanotime() - wait_start > STARVATION_THRESHOLD_NS;
        old = load_state(m);
        if (old & MUTEX_STARVING) {
            /* Ownership was handed to us, but the state still counts us as
             * a waiter and does not say locked: fix both at once. */
            if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) ||
                (old >> MUTEX_WAITER_SHIFT) == 0)
                RT_THROW("sync: inconsistent mutex state");
            int32_t delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
            /* Leave starvation mode when we waited little or are last:
             * two goroutines could otherwise stay in lock-step handoff. */
            if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
                delta -= MUTEX_STARVING;
            __atomic_fetch_add(&m->state, delta, __ATOMIC_ACQ_REL);
            return;
        }
        awoke = true;
        iter = 0;
    }
}

static inline void lock(go_mutex *m, uint8_t reason, const void *obj)
{
    int32_t expected = 0;
    if (rt_likely(__atomic_compare_exchange_n(&m->state, &expected,
                                              MUTEX_LOCKED, true,
                                              __ATOMIC_ACQUIRE,
                                              __ATOMIC_RELAXED)))
        return;
    lock_slow(m, reason, obj);
}

static RT_NOINLINE void unlock_slow(go_mutex *m, int32_t new)
{
    if (new & MUTEX_STARVING) {
        /* Hand ownership to the first waiter and let it run now. The
         * locked bit stays clear; the waiter sets it. Newcomers see
         * starving and queue. */
        rt__semrelease(&m->sema, true);
        return;
    }
    int32_t old = new;
    for (;;) {
        /* Nobody to wake, or somebody is awake or took the lock already. */
        if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
            (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)))
            return;
        new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
        if (cas_state(m, old, new)) {
            rt__semrelease(&m->sema, false);
            return;
        }
        old = load_state(m);
    }
}

/* unlock returns false if m was not locked (the state is left as it was). */
static inline bool unlock(go_mutex *m)
{
    int32_t new = __atomic_sub_fetch(&m->state, MUTEX_LOCKED,
                                     __ATOMIC_RELEASE);
    if (rt_likely(new == 0))
        return true;
    if (rt_unlikely(!((new + MUTEX_LOCKED) & MUTEX_LOCKED))) {
        __atomic_fetch_add(&m->state, MUTEX_LOCKED, __ATOMIC_RELAXED);
        return false;
    }
    unlock_slow(m, new);
    return true;
}

void rt__mutex_lock(go_mutex *m, uint8_t reason, const void *obj)
{
    lock(m, reason, obj);
}

void rt__mutex_unlock(go_mutex *m)
{
    if (!unlock(m))
        RT_THROW("internal mutex %p unlocked while unlocked", (void *)m);
}

bool rt_mutex_is_locked(const go_mutex *m)
{
    return __atomic_load_n(&m->state, __ATOMIC_ACQUIRE) & MUTEX_LOCKED;
}

void go_mutex_lock(go_mutex *m)
{
    if (rt_unlikely(RT_HOOKS_ON())) {
        struct rt_g *g = rt__getg_fast();
        RT_HOOK(lock_pre, g, m, RT_LOCK_MUTEX, RT_PC());
        lock(m, RT_WAIT_MUTEX, m);
        RT_HOOK(lock_post, g, m, RT_LOCK_MUTEX, RT_PC(), true);
        return;
    }
    lock(m, RT_WAIT_MUTEX, m);
}

bool go_mutex_trylock(go_mutex *m)
{
    int32_t old = load_state(m);
    bool ok = !(old & (MUTEX_LOCKED | MUTEX_STARVING)) &&
              __atomic_compare_exchange_n(&m->state, &old,
                                          old | MUTEX_LOCKED, false,
                                          __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(lock_post, rt__getg_fast(), m, RT_LOCK_MUTEX, RT_PC(), ok);
    return ok;
}

void go_mutex_unlock(go_mutex *m)
{
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(unlock, rt__getg_fast(), m, RT_LOCK_MUTEX, RT_PC());
    if (rt_unlikely(!unlock(m)))
        rt__misuse(rt__getg_fast(), RT_MISUSE_UNLOCK_OF_UNLOCKED, m, RT_PC());
}
