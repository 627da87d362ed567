/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_sem, x/sync/semaphore.Weighted: a weighted
 * semaphore with FIFO fairness (a large request at the front is not
 * overtaken by small ones behind it) and context-aware Acquire.
 *
 * Waiters are queued under the inner mutex with a channel of their own,
 * closed by notify_waiters when their request is granted; Acquire selects
 * between that channel and the context's done channel. Waiter records and
 * their channels live on the waiting goroutine's stack.
 *
 * Memory model: Release releases on the semaphore; a successful Acquire or
 * TryAcquire acquires on it.
 */
#define _GNU_SOURCE
#include <string.h>

#include <gosan/select.h>

#include "sync_impl.h"

struct sem_waiter {
    int64_t n;
    go_chan ready;            /* closed when the request is granted */
    struct sem_waiter *next, *prev;
};

void go_sem_init(go_sem *s, int64_t n)
{
    memset(s, 0, sizeof *s);
    s->size = n;
}

static struct sem_waiter *head_of(go_sem *s)
{
    return s->head;
}

static void unlink_waiter(go_sem *s, struct sem_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail = w->prev;
    w->next = w->prev = NULL;
}

/* notify_waiters grants requests in FIFO order while they fit; a request
 * that does not fit blocks everything behind it. s->mu held. */
static void notify_waiters(go_sem *s)
{
    struct sem_waiter *w;
    while ((w = head_of(s))) {
        if (s->size - s->cur < w->n)
            break;
        s->cur += w->n;
        unlink_waiter(s, w);
        go_chan_close(&w->ready);
    }
}


int go_sem_acquire(go_sem *s, go_ctx *ctx, int64_t n)
{
    go_chan *done = ctx ? go_ctx_done(ctx) : NULL;
    rt__mutex_lock(&s->mu, RT_WAIT_SEMAPHORE, s);
    /* Done before we got the lock: fail even if the count is there. */
    if (done && go_chan_try_recv(done, NULL) == -1) {
        rt__mutex_unlock(&s->mu);
        return go_ctx_err(ctx);
    }
    if (s->size - s->cur >= n && s->head == NULL) {
        s->cur += n;
        rt__mutex_unlock(&s->mu);
        if (rt_unlikely(RT_HOOKS_ON()))
            RT_HOOK(acquire, rt__getg_fast(), s);
        return 0;
    }
    if (n > s->size) {
        /* Doomed: do not make the others wait behind it. */
        rt__mutex_unlock(&s->mu);
        go_chan_recv(done, NULL);
        return go_ctx_err(ctx);
    }
    struct sem_waiter w = { .n = n };
    rt__chan_init(&w.ready, 0, RT_PC());
    struct sem_waiter *tail = s->tail;
    w.prev = tail;
    if (tail)
        tail->next = &w;
    else
        s->head = &w;
    s->tail = &w;
    rt__mutex_unlock(&s->mu);

    go_select_case cases[2] = {
        GO_RECV_CASE(&w.ready, NULL),
        GO_RECV_CASE(done, NULL),
    };
    int chosen = go_select(cases, done ? 2 : 1, false);
    int result = 0;
    if (chosen == 1) {
        rt__mutex_lock(&s->mu, RT_WAIT_SEMAPHORE, s);
        if (go_chan_try_recv(&w.ready, NULL) == -1) {
            /* Granted after we were canceled: give the tokens back. */
            s->cur -= n;
            notify_waiters(s);
        } else {
            bool front = s->head == &w;
            unlink_waiter(s, &w);
            if (front && s->size > s->cur)
                notify_waiters(s);
        }
        rt__mutex_unlock(&s->mu);
        result = go_ctx_err(ctx);
    } else if (done && go_chan_try_recv(done, NULL) == -1) {
        /* Granted, but the context is done too: prefer the error. */
        go_sem_release(s, n);
        result = go_ctx_err(ctx);
    } else if (rt_unlikely(RT_HOOKS_ON())) {
        RT_HOOK(acquire, rt__getg_fast(), s);
    }
    rt__chan_destroy(&w.ready);
    return result;
}

bool go_sem_try_acquire(go_sem *s, int64_t n)
{
    rt__mutex_lock(&s->mu, RT_WAIT_SEMAPHORE, s);
    bool ok = s->size - s->cur >= n && s->head == NULL;
    if (ok)
        s->cur += n;
    rt__mutex_unlock(&s->mu);
    if (ok && rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(acquire, rt__getg_fast(), s);
    return ok;
}

void go_sem_release(go_sem *s, int64_t n)
{
    if (rt_unlikely(RT_HOOKS_ON()))
        RT_HOOK(release, rt__getg_fast(), s);
    rt__mutex_lock(&s->mu, RT_WAIT_SEMAPHORE, s);
    s->cur -= n;
    if (s->cur < 0) {
        s->cur += n;
        rt__mutex_unlock(&s->mu);
        rt__misuse(rt__getg_fast(), RT_MISUSE_SEMAPHORE_RELEASE, s, RT_PC());
        return;
    }
    notify_waiters(s);
    rt__mutex_unlock(&s->mu);
}
