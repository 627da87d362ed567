/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_cond, Go's sync.Cond, on a notify list: Wait
 * takes a ticket, unlocks L, sleeps until its ticket is notified and
 * relocks L; Signal notifies the oldest ticket, Broadcast all of them. A
 * Signal that comes between the ticket and the sleep is not lost.
 *
 * Memory model: Signal and Broadcast release on the Cond, and a woken
 * Wait acquires, in addition to the edges through L.
 *
 * Misuse: Wait without L locked (Go dies unlocking L), and a Cond copied
 * after first use (Go's copyChecker: the Cond remembers its own address).
 */
#define _GNU_SOURCE
#include <string.h>

#include "sync_impl.h"

_Static_assert(sizeof(struct rt_lock) == sizeof(uint32_t),
               "go_cond.lock holds a struct rt_lock");

static struct rt_notify_list notify_list(go_cond *c)
{
    return (struct rt_notify_list){
        .wait = &c->wait, .notify = &c->notify,
        .lock = (struct rt_lock *)&c->lock, .head = &c->head,
        .tail = &c->tail,
    };
}

/* check_copy reports a Cond used at another address than the first time. */
static bool check_copy(go_cond *c, uintptr_t pc)
{
    uintptr_t self = (uintptr_t)&c->checker;
    uintptr_t seen = __atomic_load_n(&c->checker, __ATOMIC_RELAXED);
    if (seen == self)
        return true;
    uintptr_t expected = 0;
    if (seen == 0 && __atomic_compare_exchange_n(&c->checker, &expected,
                                                 self, false,
                                                 __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED))
        return true;
    if (__atomic_load_n(&c->checker, __ATOMIC_RELAXED) == self)
        return true;
    rt__misuse(rt__getg_fast(), RT_MISUSE_COND_COPIED, c, pc);
    return false;
}

void go_cond_init(go_cond *c, go_mutex *l)
{
    memset(c, 0, sizeof *c);
    c->l = l;
}

void go_cond_wait(go_cond *c)
{
    uintptr_t pc = RT_PC();
    if (!c->l)
        rt__throw_user("panic: go_cond_wait: go_cond_init was not called "
                       "(no lock)");
    if (!check_copy(c, pc))
        return;
    /* A locked mutex has the locked bit, or the starving bit while it is
     * being handed to a waiter; neither means "not locked by anybody". */
    if (!(__atomic_load_n(&c->l->state, __ATOMIC_RELAXED) & 1)) {
        rt__misuse(rt__getg_fast(), RT_MISUSE_COND_WAIT_UNLOCKED, c, pc);
        return;
    }
    struct rt_notify_list l = notify_list(c);
    uint32_t ticket = rt__notify_list_add(&l);
    go_mutex_unlock(c->l);
    rt__notify_list_wait(&l, ticket, c);
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(acquire, rt__getg_fast(), c);
    go_mutex_lock(c->l);
}

void go_cond_signal(go_cond *c)
{
    if (!check_copy(c, RT_PC()))
        return;
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(release, rt__getg_fast(), c);
    struct rt_notify_list l = notify_list(c);
    rt__notify_list_notify_one(&l);
}

void go_cond_broadcast(go_cond *c)
{
    if (!check_copy(c, RT_PC()))
        return;
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(release, rt__getg_fast(), c);
    struct rt_notify_list l = notify_list(c);
    rt__notify_list_notify_all(&l);
}
