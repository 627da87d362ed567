/* SPDX-License-Identifier: MIT */
/*
 * Context cancellation as a signal: a worker stores its result and then
 * cancels the context; a waiter should receive from go_ctx_done (the
 * cancel, which closes that channel, happens before the receive that sees
 * the close) and only then read the result. This waiter reads the result
 * without waiting for the context to be done. (The worker works until the
 * waiter is there: it waits for a relaxed atomic flag, which synchronizes
 * nothing.)
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'result'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
    result = 42; /* @LINE the worker's write */
    go_ctx_cancel(ctx);
    go_wg_done(&wg);
}

static void waiter(void *arg)
{
    (void)arg;
    __atomic_store_n(&waiting, 1, __ATOMIC_RELAXED);
    seen = result; /* @LINE the waiter's read */
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
