/* SPDX-License-Identifier: MIT */
/*
 * This file implements what the detector does when a lock is taken or
 * released, for go_mutex/go_rwmutex (through the runtime's hooks) and for
 * pthread mutexes, rwlocks and spin locks (through the interposer):
 *
 *  - happens-before: the n-th unlock happens before the (n+1)-th lock. An
 *    exclusive unlock release-stores into the lock's clock; a shared unlock
 *    (RUnlock) merges into its read clock; an exclusive lock acquires both,
 *    a shared lock the exclusive clock only (readers do not order each
 *    other);
 *  - the owner of an exclusive lock and where it was acquired, for
 *    wait-for cycles and reports;
 *  - the lock-order graph and the thread's held locks (lockorder.c).
 */
#define _GNU_SOURCE
#include "detector_impl.h"

void det_mutex_locked(struct det_thread *t, uintptr_t m, bool write,
                      uintptr_t pc)
{
    struct det_sync *s = det_sync_get(m, 0, true);
    det_spin_lock(&s->lock);
    det_clock_join(&t->clock, &s->clock);
    if (write)
        det_clock_join(&t->clock, &s->read_clock);
    det_spin_unlock(&s->lock);
    uint32_t stack = det_here(t, pc);
    s->ever_locked = true;
    if (write) {
        s->owner_stack = stack;
        atomic_store(&s->owner, t);
    }
    det_lock_acquired(t, m, write, stack);
}

void det_mutex_unlocking(struct det_thread *t, uintptr_t m, bool write,
                         uintptr_t pc)
{
    (void)pc;
    struct det_sync *s = det_sync_get(m, 0, true);
    det_lock_released(t, m);
    if (write)
        atomic_store(&s->owner, NULL);
    det_spin_lock(&s->lock);
    if (write) {
        det_clock_copy(&s->clock, &t->clock);
        det_clock_reset(&s->read_clock);
    } else {
        det_clock_join(&s->read_clock, &t->clock);
    }
    det_spin_unlock(&s->lock);
    det_release_epoch(t);
}
