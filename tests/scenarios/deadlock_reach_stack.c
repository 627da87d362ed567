/* SPDX-License-Identifier: MIT */
/*
 * Not a partial deadlock: the channel a waiter is blocked on is held only
 * by the stack of another goroutine, owner, which is alive (sleeping, not
 * blocked on a channel) and sends after five seconds. The scan must take
 * live goroutines' stacks as roots and stay silent.
 *
 * EXPECT-EXIT: 0
 * EXPECT: waiter got 9
 * EXPECT-NOT: DEADLOCK
 * EXPECT-NOT: SUMMARY: gosan
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static go_wg done;

static void waiter(void *arg)
{
    go_chan *in = arg;
    int v;
    go_chan_recv(in, &v);
    printf("waiter got %d\n", v);
    go_wg_done(&done);
}

static void owner(void *arg)
{
    (void)arg;
    go_chan *c = go_chan_make(sizeof(int), 0); /* only on owner's stack */
    go(waiter, c);
    go_sleep(5000 * MS); /* about time: longer than the scan needs */
    int v = 9;
    go_chan_send(c, &v);
    go_wg_done(&done);
}

int main(void)
{
    go_wg_add(&done, 2);
    go(owner, NULL);
    go_wg_wait(&done);
    return 0;
}
