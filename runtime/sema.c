/* SPDX-License-Identifier: MIT */
/*
 * This file implements the runtime semaphore that Mutex, RWMutex and
 * WaitGroup sleep on (Go's runtime/sema.go), and the notify list behind
 * Cond (Go's notifyList).
 *
 * A semaphore is any uint32_t in the program; waiting goroutines are kept
 * off to the side, in a hash table keyed by the semaphore's address, so
 * the user-visible types stay small and zero values are ready to use.
 * "Every sleep is paired with exactly one wakeup, even if the wakeup comes
 * first": semrelease increments the count, and semacquire only sleeps after
 * failing to take a count under the bucket lock.
 *
 * Each bucket holds a list of "heads", one per address with waiters; a head
 * carries its address's FIFO in wait_next/wait_tail. A waiter record lives
 * on the waiting goroutine's stack.
 *
 * Invariants:
 *  - bucket->nwait counts goroutines that announced they may sleep on an
 *    address of the bucket; semrelease takes the bucket lock only if it is
 *    non-zero (the fast path of an uncontended release).
 *  - A waiter is in its bucket's lists exactly while its goroutine is, or
 *    is about to be, parked on it.
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "runtime_impl.h"
#include "sync_impl.h"

#define SEMTABLE_SIZE 251

struct sema_waiter {
    struct rt_g *g;
    uint32_t *addr;
    struct sema_waiter *next_head; /* next address's head in the bucket */
    struct sema_waiter *wait_next; /* next waiter on the same address */
    struct sema_waiter *wait_tail; /* heads only: last waiter */
    uint32_t ticket;               /* 1: the releaser handed us a count */
};

struct sema_bucket {
    struct rt_lock lock;
    _Atomic uint32_t nwait;
    struct sema_waiter *heads;
} __attribute__((aligned(RT_CACHE_LINE)));

static struct sema_bucket semtable[SEMTABLE_SIZE];

static struct sema_bucket *bucket_for(const void *addr)
{
    return &semtable[((uintptr_t)addr >> 3) % SEMTABLE_SIZE];
}

/* cansemacquire takes one count if there is one. */
static bool cansemacquire(uint32_t *addr)
{
    uint32_t v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
    while (v != 0) {
        if (__atomic_compare_exchange_n(addr, &v, v - 1, true,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return true;
    }
    return false;
}

/* queue adds w for addr; lifo puts it first (a mutex waiter that was
 * already woken once goes back to the front). Bucket lock held. */
static void queue(struct sema_bucket *b, struct sema_waiter *w, bool lifo)
{
    struct sema_waiter **pp = &b->heads;
    while (*pp && (*pp)->addr != w->addr)
        pp = &(*pp)->next_head;
    struct sema_waiter *head = *pp;
    w->wait_next = NULL;
    w->wait_tail = NULL;
    if (!head) {
        w->next_head = NULL;
        w->wait_tail = w;
        *pp = w;
        return;
    }
    if (lifo) {
        /* w replaces head as the head of this address's queue. */
        w->next_head = head->next_head;
        w->wait_next = head;
        w->wait_tail = head->wait_tail;
        head->next_head = NULL;
        head->wait_tail = NULL;
        *pp = w;
        return;
    }
    head->wait_tail->wait_next = w;
    head->wait_tail = w;
}

/* dequeue pops the first waiter for addr, or NULL. Bucket lock held. */
static struct sema_waiter *dequeue(struct sema_bucket *b, uint32_t *addr)
{
    struct sema_waiter **pp = &b->heads;
    while (*pp && (*pp)->addr != addr)
        pp = &(*pp)->next_head;
    struct sema_waiter *head = *pp;
    if (!head)
        return NULL;
    struct sema_waiter *next = head->wait_next;
    if (next) {
        next->next_head = head->next_head;
        next->wait_tail = head->wait_tail;
        *pp = next;
    } else {
        *pp = head->next_head;
    }
    head->next_head = head->wait_next = head->wait_tail = NULL;
    return head;
}

void rt__semacquire(uint32_t *addr, bool lifo, uint8_t reason,
                    const void *obj)
{
    if (cansemacquire(addr))
        return;
    struct rt_g *g = rt__getg_fast();
    struct sema_bucket *b = bucket_for(addr);
    struct sema_waiter w = { .g = g, .addr = addr };
    for (;;) {
        rt__lock(&b->lock);
        /* Announce ourselves so that semrelease takes the slow path. */
        atomic_fetch_add(&b->nwait, 1);
        if (cansemacquire(addr)) {
            atomic_fetch_sub(&b->nwait, 1);
            rt__unlock(&b->lock);
            return;
        }
        w.ticket = 0;
        queue(b, &w, lifo);
        rt__park(rt__park_unlock_fn, &b->lock, reason, obj);
        if (w.ticket != 0 || cansemacquire(addr))
            return;
    }
}

void rt__semrelease(uint32_t *addr, bool handoff)
{
    struct sema_bucket *b = bucket_for(addr);
    __atomic_fetch_add(addr, 1, __ATOMIC_RELEASE);
    /* Easy case: nobody waits. Read after the increment: a waiter that
     * increments nwait after this load will see our count. */
    if (atomic_load(&b->nwait) == 0)
        return;
    rt__lock(&b->lock);
    if (atomic_load(&b->nwait) == 0) {
        rt__unlock(&b->lock);
        return;
    }
    struct sema_waiter *w = dequeue(b, addr);
    if (w)
        atomic_fetch_sub(&b->nwait, 1);
    rt__unlock(&b->lock);
    if (!w)
        return;
    if (handoff && cansemacquire(addr))
        w->ticket = 1;
    struct rt_g *g = w->g;
    bool handed = w->ticket == 1;
    rt__ready_wake(g);
    /* Direct handoff: let the waiter run now, in our time slice (it is in
     * runnext), instead of letting a newcomer barge in. */
    if (handed) {
        struct rt_g *self = rt__getg_fast();
        if (!(self->flags & (RT_GF_G0 | RT_GF_EXTERNAL)))
            rt__gosched(true);
    }
}

/* ---- notify lists (sync.Cond) -------------------------------------------- */

struct notify_waiter {
    struct rt_g *g;
    uint32_t ticket;
    struct notify_waiter *next;
};

static bool less(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

uint32_t rt__notify_list_add(struct rt_notify_list *l)
{
    return __atomic_fetch_add(l->wait, 1, __ATOMIC_ACQ_REL);
}

void rt__notify_list_wait(struct rt_notify_list *l, uint32_t ticket,
                          const void *obj)
{
    rt__lock(l->lock);
    if (less(ticket, __atomic_load_n(l->notify, __ATOMIC_ACQUIRE))) {
        rt__unlock(l->lock);
        return;
    }
    struct notify_waiter w = { .g = rt__getg_fast(), .ticket = ticket };
    struct notify_waiter *tail = *l->tail;
    if (tail)
        tail->next = &w;
    else
        *l->head = &w;
    *l->tail = &w;
    /* w lives on this stack until the notifier unlinks it and readies us. */
    rt__park(rt__park_unlock_fn, l->lock, RT_WAIT_COND, obj);
}

void rt__notify_list_notify_all(struct rt_notify_list *l)
{
    if (__atomic_load_n(l->wait, __ATOMIC_ACQUIRE) ==
        __atomic_load_n(l->notify, __ATOMIC_ACQUIRE))
        return;
    rt__lock(l->lock);
    struct notify_waiter *w = *(struct notify_waiter **)l->head;
    *l->head = NULL;
    *l->tail = NULL;
    __atomic_store_n(l->notify, __atomic_load_n(l->wait, __ATOMIC_ACQUIRE),
                     __ATOMIC_RELEASE);
    rt__unlock(l->lock);
    while (w) {
        struct notify_waiter *next = w->next;
        w->next = NULL;
        rt__ready(w->g, false);
        w = next;
    }
}

void rt__notify_list_notify_one(struct rt_notify_list *l)
{
    if (__atomic_load_n(l->wait, __ATOMIC_ACQUIRE) ==
        __atomic_load_n(l->notify, __ATOMIC_ACQUIRE))
        return;
    rt__lock(l->lock);
    uint32_t t = __atomic_load_n(l->notify, __ATOMIC_RELAXED);
    if (t == __atomic_load_n(l->wait, __ATOMIC_ACQUIRE)) {
        rt__unlock(l->lock);
        return;
    }
    __atomic_store_n(l->notify, t + 1, __ATOMIC_RELEASE);
    /* The waiter with ticket t may not have queued yet: then it will see
     * notify > t in notify_list_wait and not sleep. */
    struct notify_waiter *prev = NULL;
    for (struct notify_waiter *w = *(struct notify_waiter **)l->head; w;
         prev = w, w = w->next) {
        if (w->ticket != t)
            continue;
        struct notify_waiter *next = w->next;
        if (prev)
            prev->next = next;
        else
            *l->head = next;
        if (!next)
            *l->tail = prev;
        rt__unlock(l->lock);
        w->next = NULL;
        rt__ready(w->g, false);
        return;
    }
    rt__unlock(l->lock);
}
