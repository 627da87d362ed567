/* SPDX-License-Identifier: MIT */
/*
 * The seeds' "blocked read" leak: a goroutine receives from a channel that
 * nobody will ever send on (main forgot to). goleak_verify reports it
 * parked in chan receive, with the channel and where it was made.
 *
 * EXPECT-EXIT: 66
 * EXPECT: leaked = 1
 * EXPECT: goleak: found 1 unexpected goroutine
 * EXPECT-COUNT: 1 WARNING: GOROUTINE LEAK
 * EXPECT: goroutine 2 [chan receive]:
 * EXPECT: (element size 4, len 0, cap 0, open) made by goroutine 1 at:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

static void consumer(void *arg)
{
    go_chan *in = arg;
    int v;
    if (go_chan_recv(in, &v)) /* @LINE blocked here forever */
        printf("got %d\n", v);
}

int main(void)
{
    go_chan *in = go_chan_make(sizeof(int), 0); /* @LINE made here */
    go(consumer, in); /* @LINE started here */
    /* Forgotten: go_chan_send(in, &v) or go_chan_close(in). */
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
