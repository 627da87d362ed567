/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_once, Go's sync.Once: fn runs exactly once, and
 * every go_once_do returns only after it has returned. The fast path is one
 * atomic load; concurrent first callers serialize on the inner mutex.
 *
 * Memory model: fn's return releases on the Once; every Do acquires before
 * returning, so fn's effects happen before any Do returns.
 */
#define _GNU_SOURCE
#include "sync_impl.h"

static void mark_done(void *arg)
{
    go_once *o = arg;
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(release, rt__getg_fast(), o);
    __atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
}

static void unlock_once(void *arg)
{
    rt__mutex_unlock(&((go_once *)arg)->m);
}

/* do_slow mirrors Go's doSlow, defers included: if fn calls go_exit, the
 * Once still counts as done and its mutex is released. */
static RT_NOINLINE void do_slow(go_once *o, go_fn fn, void *arg)
{
    struct rt_defer unlock_d, done_d;
    rt__mutex_lock(&o->m, RT_WAIT_MUTEX, o);
    rt__defer_push(&unlock_d, unlock_once, o);
    if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE) == 0) {
        rt__defer_push(&done_d, mark_done, o);
        fn(arg);
        rt__defer_pop(&done_d);
        mark_done(o);
    }
    rt__defer_pop(&unlock_d);
    unlock_once(o);
}

void go_once_do(go_once *o, go_fn fn, void *arg)
{
    if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE) == 0)
        do_slow(o, fn, arg);
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(acquire, rt__getg_fast(), o);
}
