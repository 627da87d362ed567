/* SPDX-License-Identifier: MIT */
/*
 * The twin of deadlock_partial_chain: relay waits on kick, which a global
 * holds, so relay can still be woken; listener waits on a channel that
 * only relay's stack holds. A goroutine blocked on a reachable channel is
 * live, so its stack is a root too, and listener must not be reported.
 * main kicks after five seconds; both finish.
 *
 * EXPECT-EXIT: 0
 * EXPECT: listener got 5
 * EXPECT-NOT: DEADLOCK
 * EXPECT-NOT: SUMMARY: gosan
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

go_chan *kick; /* int; extern linkage: any call may use it */
static go_wg done;

static void listener(void *arg)
{
    go_chan *in = arg;
    int v;
    go_chan_recv(in, &v);
    printf("listener got %d\n", v);
    go_wg_done(&done);
}

static void relay(void *arg)
{
    (void)arg;
    go_chan *out = go_chan_make(sizeof(int), 0); /* only on relay's stack */
    go(listener, out);
    int v;
    go_chan_recv(kick, &v);
    go_chan_send(out, &v);
    go_wg_done(&done);
}

int main(void)
{
    kick = go_chan_make(sizeof(int), 0);
    go_wg_add(&done, 2);
    go(relay, NULL);
    go_sleep(5000 * MS); /* about time: longer than the scan needs */
    int v = 5;
    go_chan_send(kick, &v);
    go_wg_wait(&done);
    return 0;
}
