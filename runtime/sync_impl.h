/* SPDX-License-Identifier: MIT */
/*
 * sync_impl.h is shared by sema.c and the sync primitives built on it
 * (mutex.c, rwmutex.c, waitgroup.c, once.c, cond.c, semaphore.c).
 */
#ifndef GOSAN_SYNC_IMPL_H
#define GOSAN_SYNC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <gosan/sync.h>

#include "runtime_impl.h"

/* rt__semacquire waits until *addr > 0 and decrements it (Go's
 * semacquire1). lifo: queue first (a waiter that already waited). reason
 * and obj describe the wait for reports (obj: the user's object). */
void rt__semacquire(uint32_t *addr, bool lifo, uint8_t reason,
                    const void *obj);
/* rt__semrelease increments *addr and wakes one waiter. handoff: give the
 * count directly to the waiter and yield to it (starving mutex). */
void rt__semrelease(uint32_t *addr, bool handoff);

/* A view of a go_cond's notify list (Go's notifyList): tickets are
 * handed out by add, and notify_one wakes the oldest ticket. */
struct rt_notify_list {
    uint32_t *wait;       /* next ticket */
    uint32_t *notify;     /* next ticket to notify */
    struct rt_lock *lock; /* protects head and tail */
    void **head, **tail;  /* waiters, ticket order */
};

uint32_t rt__notify_list_add(struct rt_notify_list *l);
void rt__notify_list_wait(struct rt_notify_list *l, uint32_t ticket,
                          const void *obj);
void rt__notify_list_notify_one(struct rt_notify_list *l);
void rt__notify_list_notify_all(struct rt_notify_list *l);

/* Mutex without hooks, for the internals of other primitives (RWMutex's
 * writer lock, Once, the weighted semaphore). */
void rt__mutex_lock(go_mutex *m, uint8_t reason, const void *obj);
void rt__mutex_unlock(go_mutex *m);

#define RT_PC() ((uintptr_t)__builtin_return_address(0))

#endif
