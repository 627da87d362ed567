/* SPDX-License-Identifier: MIT */
/*
 * This file implements package time's goroutine-facing API on the timer
 * heap: go_sleep (time.Sleep), go_after (time.After) and tickers
 * (time.NewTicker). Sleeping parks the goroutine; the timer readies it.
 * go_after and tickers own a channel of int64_t with capacity 1 and send
 * the fire time without blocking, dropping the value when the buffer is
 * full, exactly like Go's sendTime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <gosan/time.h>

#include "runtime_impl.h"

struct go_ticker {
    go_chan *c;
    struct rt_timer timer;
};

/* ---- sleep ------------------------------------------------------------- */

static void sleep_fire(struct rt_timer *t, int64_t now)
{
    (void)now;
    rt__ready(t->arg, true);
}

/* start_sleep_timer is the park_fn of go_sleep: the timer starts only once
 * the goroutine is parked, so it cannot fire on a running goroutine. */
static bool start_sleep_timer(struct rt_g *g, void *arg)
{
    int64_t *when = arg;
    rt__timer_start(&g->sleep_timer, *when, 0);
    return true;
}

void go_sleep(int64_t ns)
{
    struct rt_g *g = rt__getg_fast();
    if (ns <= 0) {
        rt__preempt_check(g);
        return;
    }
    if (g->flags & (RT_GF_EXTERNAL | RT_GF_G0)) {
        /* A foreign thread has no scheduler to give back: sleep it. */
        struct timespec ts = { .tv_sec = ns / 1000000000,
                               .tv_nsec = ns % 1000000000 };
        while (nanosleep(&ts, &ts) && errno == EINTR) {
        }
        return;
    }
    /* The timer lives in the goroutine; its running count is never reset
     * because a previous firing may still be finishing on another M. */
    g->sleep_timer.fn = sleep_fire;
    g->sleep_timer.arg = g;
    g->sleep_timer.period = 0;
    int64_t when = rt__nanotime() + ns;
    if (when < 0)
        when = INT64_MAX; /* overflow: sleep "forever" */
    rt__park(start_sleep_timer, &when, RT_WAIT_SLEEP, NULL);
}

/* ---- time.After and tickers ------------------------------------------- */

static void send_time(struct rt_timer *t, int64_t now)
{
    /* Non-blocking: a full buffer means the receiver is behind; drop. */
    rt__chan_send(t->arg, &now, false, 0);
}

go_chan *go_after(int64_t ns)
{
    rt__getg_fast();
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    go_chan *c = rt__chan_make(sizeof(int64_t), 1, pc);
    struct rt_timer *t = malloc(sizeof *t);
    if (!t)
        RT_THROW("go_after: out of memory");
    rt__timer_init(t, send_time, c);
    c->timer = t;
    int64_t when = rt__nanotime() + (ns > 0 ? ns : 0);
    rt__timer_start(t, when, 0);
    return c;
}

go_ticker *go_ticker_new(int64_t period_ns)
{
    rt__getg_fast();
    if (period_ns <= 0) {
        rt__throw_user("panic: non-positive interval for go_ticker_new "
                       "(%lld ns)", (long long)period_ns);
    }
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    go_ticker *tk = rt__object_alloc(sizeof *tk);
    if (!tk)
        RT_THROW("go_ticker_new: out of memory");
    tk->c = rt__chan_make(sizeof(int64_t), 1, pc);
    rt__timer_init(&tk->timer, send_time, tk->c);
    rt__timer_start(&tk->timer, rt__nanotime() + period_ns, period_ns);
    return tk;
}

go_chan *go_ticker_chan(go_ticker *t)
{
    return t->c;
}

void go_ticker_stop(go_ticker *t)
{
    if (!t)
        return;
    rt__timer_stop(&t->timer);
    /* Go's Stop leaves a goroutine that waits for a tick waiting forever
     * (not a misuse): then the channel cannot be freed, it stays with it. */
    rt__lock(&t->c->lock);
    bool waited_on = t->c->recvq.first != NULL;
    rt__unlock(&t->c->lock);
    if (!waited_on)
        go_chan_free(t->c);
    rt__object_free(t);
}
