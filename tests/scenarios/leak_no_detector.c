/* SPDX-License-Identifier: MIT */
/*
 * goleak_verify works without the detector preloaded (it is part of
 * libgosan): the leaked goroutine is reported with its stack, the channel
 * it waits on and where it was created (one frame: the go statement), and
 * the count is returned.
 *
 * NO-DETECTOR
 * EXPECT-EXIT: 66
 * EXPECT: leaked = 1
 * EXPECT: goleak: found 1 unexpected goroutine
 * EXPECT-COUNT: 1 WARNING: GOROUTINE LEAK
 * EXPECT: goroutine 2 [chan receive]:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT: SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

static void consumer(void *arg)
{
    go_chan *in = arg;
    int v;
    go_chan_recv(in, &v); /* @LINE blocked here forever */
}

int main(void)
{
    go_chan *in = go_chan_make(sizeof(int), 0);
    go(consumer, in); /* @LINE started here */
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
