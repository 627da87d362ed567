/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_context_cancel: the waiter receives from go_ctx_done
 * before reading the result. The cancel closes the done channel, and a
 * close happens before a receive that returns because of it. The worker
 * cancels once the waiter has asked for the done channel (it waits for a
 * relaxed atomic flag, which synchronizes nothing): the close of a done
 * channel made by another goroutine is no race either.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: seen = 42, err = 1
 */
#include <gosan.h>
#include <stdio.h>

static go_ctx *ctx;
static long result;
static long seen;
static int waiting; /* relaxed only: orders in time, not for the detector */
static go_wg wg;

static void worker(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&waiting, __ATOMIC_RELAXED))
        go_yield(); /* the work takes a while */
    result = 42;
    go_ctx_cancel(ctx);
    go_wg_done(&wg);
}

static void waiter(void *arg)
{
    (void)arg;
    go_chan *done = go_ctx_done(ctx);
    __atomic_store_n(&waiting, 1, __ATOMIC_RELAXED);
    go_chan_recv(done, NULL);
    seen = result;
    go_wg_done(&wg);
}

int main(void)
{
    ctx = go_ctx_with_cancel(go_ctx_background());
    go_wg_add(&wg, 2);
    go(waiter, NULL);
    go(worker, NULL);
    go_wg_wait(&wg);
    printf("seen = %ld, err = %d\n", seen, go_ctx_err(ctx));
    go_ctx_release(ctx);
    return 0;
}
