/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_wg, Go's sync.WaitGroup: a 64-bit state with
 * the counter in the high half and the number of waiters in the low half,
 * updated with one atomic add, and a semaphore the waiters sleep on.
 *
 * Memory model: every Done (a negative Add) releases on the WaitGroup, and
 * Wait acquires when it returns, so everything before a Done happens
 * before Wait returns.
 *
 * Misuse, reported like Go's panics: the counter going negative; a Wait
 * that wakes up to find the WaitGroup in use again (reused before the
 * previous Wait returned); and Add racing with Wait.
 */
#define _GNU_SOURCE
#include "sync_impl.h"

void go_wg_add(go_wg *wg, int delta)
{
    uintptr_t pc = RT_PC();
    if (rt_unlikely(RT_HOOKS_ON()) && delta < 0)
        RT_HOOK(release, rt__getg_fast(), wg);
    uint64_t state = __atomic_add_fetch(&wg->state,
                                        (uint64_t)(int64_t)delta << 32,
                                        __ATOMIC_ACQ_REL);
    int32_t v = (int32_t)(state >> 32);
    uint32_t w = (uint32_t)state;
    if (rt_unlikely(v < 0)) {
        /* Undo, so that a program that goes on (halt_on_error=0) keeps a
         * consistent counter. */
        __atomic_sub_fetch(&wg->state, (uint64_t)(int64_t)delta << 32,
                           __ATOMIC_RELAXED);
        rt__misuse(rt__getg_fast(), RT_MISUSE_NEGATIVE_WAITGROUP, wg, pc);
        return;
    }
    if (rt_unlikely(w != 0 && delta > 0 && v == delta)) {
        rt__misuse(rt__getg_fast(), RT_MISUSE_WAITGROUP_CONCURRENT_ADD, wg, pc);
        return;
    }
    if (v > 0 || w == 0)
        return;
    /* We brought the counter to zero with waiters: nobody else may touch
     * the state now (Adds must not race with Wait, and Wait does not count
     * itself in when it sees zero). Wake them all. */
    if (__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) != state) {
        rt__misuse(rt__getg_fast(), RT_MISUSE_WAITGROUP_CONCURRENT_ADD, wg, pc);
        return;
    }
    __atomic_store_n(&wg->state, 0, __ATOMIC_RELEASE);
    for (; w != 0; w--)
        rt__semrelease(&wg->sema, false);
}

void go_wg_done(go_wg *wg)
{
    go_wg_add(wg, -1);
}

void go_wg_wait(go_wg *wg)
{
    uintptr_t pc = RT_PC();
    for (;;) {
        uint64_t state = __atomic_load_n(&wg->state, __ATOMIC_ACQUIRE);
        if ((int32_t)(state >> 32) == 0)
            break;
        if (__atomic_compare_exchange_n(&wg->state, &state, state + 1, false,
                                        __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            rt__semacquire(&wg->sema, false, RT_WAIT_WAITGROUP, wg);
            if (__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) != 0) {
                rt__misuse(rt__getg_fast(), RT_MISUSE_WAITGROUP_REUSE, wg, pc);
                return;
            }
            break;
        }
    }
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(acquire, rt__getg_fast(), wg);
}
