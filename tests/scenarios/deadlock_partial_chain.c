/* SPDX-License-Identifier: MIT */
/*
 * A partial deadlock that takes two goroutines: relay waits on a channel
 * nobody can reach (start() dropped it), and listener waits on a channel
 * that only relay's stack holds. relay can never run again, so its stack
 * reaches nothing, and listener is stuck too: both are reported (while
 * main keeps running), in one report.
 *
 * EXPECT-EXIT: 66
 * EXPECT: main kept running: 50 ticks
 * EXPECT-COUNT: 1 WARNING: DEADLOCK (partial: goroutines blocked forever on unreachable channels)
 * EXPECT: 2 goroutines can never be woken
 * EXPECT: goroutine 2 [chan receive]:
 * EXPECT-COUNT: 2 [chan receive]:
 * EXPECT: created by goroutine 2 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: deadlock
 * EXPECT-NOT: found at exit
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>
#include <stdlib.h>

#define MS (1000 * 1000LL)

static void listener(void *arg)
{
    go_chan *in = arg;
    int v;
    go_chan_recv(in, &v); /* @LINE listener waits for relay */
}

static void relay(void *arg)
{
    go_chan *kick = arg;
    go_chan *out = go_chan_make(sizeof(int), 0);
    go(listener, out); /* @LINE */
    int v;
    go_chan_recv(kick, &v); /* @LINE relay waits for a kick that never comes */
    go_chan_send(out, &v);
}

static __attribute__((noinline)) void start(void)
{
    go_chan *kick = go_chan_make(sizeof(int), 0);
    go(relay, kick);
    /* kick is forgotten here */
}

int main(void)
{
    start();
    int ticks = 0;
    for (int i = 0; i < 50; i++) {
        go_sleep(100 * MS);
        ticks++;
    }
    printf("main kept running: %d ticks\n", ticks);
    return 0;
}
