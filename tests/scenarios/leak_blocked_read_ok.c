/* SPDX-License-Identifier: MIT */
/*
 * The twin of leak_blocked_read: main closes the channel, the consumer's
 * receive returns and it exits.
 *
 * EXPECT-EXIT: 0
 * EXPECT: leaked = 0
 * EXPECT-NOT: GOROUTINE LEAK
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static void consumer(void *arg)
{
    go_chan *in = arg;
    int v;
    if (go_chan_recv(in, &v))
        printf("got %d\n", v);
}

int main(void)
{
    go_chan *in = go_chan_make(sizeof(int), 0);
    go(consumer, in);
    go_chan_close(in);
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
