/* SPDX-License-Identifier: MIT */
/*
 * The racy twin of norace_context_timeout: main reads what the watcher
 * wrote right after its own receive from go_ctx_done, without waiting for
 * the watcher. Both receives happen after the deadline's cancel, but
 * nothing orders the watcher's write (after its receive) before main's
 * read (after its receive).
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'expired'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
    expired = 1; /* @LINE the watcher's write */
    go_wg_done(&wg);
}

int main(void)
{
    ctx = go_ctx_with_timeout(go_ctx_background(), 100 * 1000 * 1000);
    go_chan *done = go_ctx_done(ctx);
    go_wg_add(&wg, 1);
    go(watcher, NULL);
    go_chan_recv(done, NULL);
    long seen = expired; /* @LINE main's read */
    go_wg_wait(&wg);
    printf("expired = %ld, err = %d\n", seen, go_ctx_err(ctx));
    go_ctx_release(ctx);
    return 0;
}
