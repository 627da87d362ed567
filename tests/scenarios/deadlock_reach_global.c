/* SPDX-License-Identifier: MIT */
/*
 * Not a partial deadlock: a goroutine waits (for five seconds) on a channel
 * that a global variable holds, so main, or anyone, can still send on it.
 * The reachability scan must find the channel through the program's
 * globals and stay silent. main sends after five seconds and the program
 * ends cleanly.
 *
 * EXPECT-EXIT: 0
 * EXPECT: got 7
 * EXPECT-NOT: DEADLOCK
 * EXPECT-NOT: SUMMARY: gosan
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

go_chan *requests; /* int; extern linkage: any call may use it */
static go_wg done;

static void server(void *arg)
{
    (void)arg;
    int v;
    go_chan_recv(requests, &v);
    printf("got %d\n", v);
    go_wg_done(&done);
}

static __attribute__((noinline)) void start(void)
{
    requests = go_chan_make(sizeof(int), 0);
    go_wg_add(&done, 1);
    go(server, NULL);
}

int main(void)
{
    start();
    go_sleep(5000 * MS); /* about time: longer than the scan needs */
    int v = 7;
    go_chan_send(requests, &v);
    go_wg_wait(&done);
    return 0;
}
