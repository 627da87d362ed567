/* SPDX-License-Identifier: MIT */
/*
 * Context deadlines: two goroutines wait for a context with a timeout.
 * The watcher receives from go_ctx_done and records that the deadline
 * passed; main waits for the watcher (WaitGroup) before reading that. The
 * deadline's cancel runs on the runtime's timer, which closes the done
 * channel that main's go_ctx_done made: that close must not be reported
 * as racing with the channel's creation.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: expired = 1, err = 2
 */
#include <gosan.h>
#include <stdio.h>

static go_ctx *ctx;
static long expired;
static go_wg wg;

static void watcher(void *arg)
{
    (void)arg;
    go_chan_recv(go_ctx_done(ctx), NULL);
    expired = 1;
    go_wg_done(&wg);
}

int main(void)
{
    ctx = go_ctx_with_timeout(go_ctx_background(), 100 * 1000 * 1000);
    go_chan *done = go_ctx_done(ctx);
    go_wg_add(&wg, 1);
    go(watcher, NULL);
    go_chan_recv(done, NULL);
    go_wg_wait(&wg);
    printf("expired = %ld, err = %d\n", expired, go_ctx_err(ctx));
    go_ctx_release(ctx);
    return 0;
}
