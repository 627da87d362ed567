/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_rwmutex, Go's sync.RWMutex, with Go's writer
 * preference: once a writer waits, new readers wait too, so a stream of
 * readers cannot starve it.
 *
 * reader_count counts readers, minus RWMUTEX_MAX_READERS while a writer is
 * pending or active (so a negative count tells RLock to wait).
 * reader_wait counts the readers a pending writer still waits for. Writers
 * exclude each other with the inner mutex w, whose own hooks are not
 * emitted: for a detector the whole RWMutex is one lock, taken for reading
 * or for writing.
 */
#define _GNU_SOURCE
#include "sync_impl.h"

#define RWMUTEX_MAX_READERS (1 << 30)

void go_rwmutex_rlock(go_rwmutex *rw)
{
    struct rt_g *g = NULL;
    if (rt_unlikely(RT_HOOKS_ON())) {
        g = rt__getg_fast();
        RT_HOOK(lock_pre, g, rw, RT_LOCK_RW_READ, RT_PC());
    }
    if (__atomic_add_fetch(&rw->reader_count, 1, __ATOMIC_ACQUIRE) < 0) {
        /* A writer is pending: wait for it. */
        rt__semacquire(&rw->reader_sema, false, RT_WAIT_RWMUTEX_RLOCK, rw);
    }
    if (rt_unlikely(g != NULL))
        RT_HOOK(lock_post, g, rw, RT_LOCK_RW_READ, RT_PC(), true);
}

void go_rwmutex_runlock(go_rwmutex *rw)
{
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(unlock, rt__getg_fast(), rw, RT_LOCK_RW_READ, RT_PC());
    int32_t r = __atomic_sub_fetch(&rw->reader_count, 1, __ATOMIC_RELEASE);
    if (rt_likely(r >= 0))
        return;
    if (r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS) {
        __atomic_add_fetch(&rw->reader_count, 1, __ATOMIC_RELAXED);
        rt__misuse(rt__getg_fast(), RT_MISUSE_RUNLOCK_OF_UNLOCKED, rw, RT_PC());
        return;
    }
    /* A writer is pending; the last reader lets it in. */
    if (__atomic_sub_fetch(&rw->reader_wait, 1, __ATOMIC_ACQ_REL) == 0)
        rt__semrelease(&rw->writer_sema, false);
}

void go_rwmutex_lock(go_rwmutex *rw)
{
    struct rt_g *g = NULL;
    if (rt_unlikely(RT_HOOKS_ON())) {
        g = rt__getg_fast();
        RT_HOOK(lock_pre, g, rw, RT_LOCK_RW_WRITE, RT_PC());
    }
    /* First, beat the other writers. */
    rt__mutex_lock(&rw->w, RT_WAIT_RWMUTEX_LOCK, rw);
    /* Announce the writer to readers, then wait for the active ones. */
    int32_t r = __atomic_add_fetch(&rw->reader_count, -RWMUTEX_MAX_READERS,
                                   __ATOMIC_ACQ_REL) +
                RWMUTEX_MAX_READERS;
    if (r != 0 &&
        __atomic_add_fetch(&rw->reader_wait, r, __ATOMIC_ACQ_REL) != 0)
        rt__semacquire(&rw->writer_sema, false, RT_WAIT_RWMUTEX_LOCK, rw);
    if (rt_unlikely(g != NULL))
        RT_HOOK(lock_post, g, rw, RT_LOCK_RW_WRITE, RT_PC(), true);
}

void go_rwmutex_unlock(go_rwmutex *rw)
{
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(unlock, rt__getg_fast(), rw, RT_LOCK_RW_WRITE, RT_PC());
    /* Announce that no writer is active. */
    int32_t r = __atomic_add_fetch(&rw->reader_count, RWMUTEX_MAX_READERS,
                                   __ATOMIC_RELEASE);
    if (r >= RWMUTEX_MAX_READERS) {
        __atomic_add_fetch(&rw->reader_count, -RWMUTEX_MAX_READERS,
                           __ATOMIC_RELAXED);
        rt__misuse(rt__getg_fast(), RT_MISUSE_RWUNLOCK_OF_UNLOCKED, rw, RT_PC());
        return;
    }
    /* Let in the readers that queued behind us, then the next writer. */
    for (int32_t i = 0; i < r; i++)
        rt__semrelease(&rw->reader_sema, false);
    rt__mutex_unlock(&rw->w);
}
