/* SPDX-License-Identifier: MIT */
/*
 * Not a partial deadlock: a goroutine waits on the Done channel of a
 * context whose deadline (five seconds away) is pending. Nobody else holds
 * the context, but its timer will close the channel: pending timers are
 * roots of the scan, which must stay silent. The goroutine then sees
 * GO_DEADLINE_EXCEEDED and the program ends cleanly.
 *
 * EXPECT-EXIT: 0
 * EXPECT: deadline exceeded: yes
 * EXPECT-NOT: DEADLOCK
 * EXPECT-NOT: SUMMARY: gosan
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static go_wg done;

static void wait_for_deadline(void *arg)
{
    go_ctx *ctx = arg;
    go_chan_recv(go_ctx_done(ctx), NULL);
    printf("deadline exceeded: %s\n",
           go_ctx_err(ctx) == GO_DEADLINE_EXCEEDED ? "yes" : "no");
    go_ctx_release(ctx);
    go_wg_done(&done);
}

static __attribute__((noinline)) void start(void)
{
    go_ctx *ctx = go_ctx_with_timeout(go_ctx_background(), 5000 * MS);
    go_wg_add(&done, 1);
    go(wait_for_deadline, ctx);
}

int main(void)
{
    start();
    go_wg_wait(&done);
    return 0;
}
