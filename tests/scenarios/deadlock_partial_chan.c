/* SPDX-License-Identifier: MIT */
/*
 * A partial deadlock on a channel (the seeds' leaking generator): first()
 * starts a generator goroutine, takes its first value and returns; the
 * channel was only ever known to first() and the generator, so the
 * generator's second send can never complete. main keeps running for five
 * seconds: the detector finds the generator blocked on a channel that
 * nothing able to run can reach, and reports it while main still runs
 * (not only at exit), as Go 1.26's leak detection would.
 *
 * EXPECT-EXIT: 66
 * EXPECT: first = 0
 * EXPECT: main kept running: 50 ticks
 * EXPECT-COUNT: 1 WARNING: DEADLOCK (partial: goroutines blocked forever on unreachable channels)
 * EXPECT-NOT: found at exit
 * EXPECT: 1 goroutine can never be woken
 * EXPECT: goroutine 2 [chan send]:
 * EXPECT: (element size 4, len 0, cap 0, open) made by goroutine 1 at:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: deadlock
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static void generate(void *arg)
{
    go_chan *out = arg;
    for (int i = 0;; i++)
        go_chan_send(out, &i); /* @LINE the second send waits forever */
}

static __attribute__((noinline)) int first(void)
{
    go_chan *nums = go_chan_make(sizeof(int), 0); /* @LINE */
    go(generate, nums); /* @LINE */
    int v;
    go_chan_recv(nums, &v);
    return v; /* nums is forgotten here */
}

int main(void)
{
    printf("first = %d\n", first());
    fflush(stdout);
    int ticks = 0;
    for (int i = 0; i < 50; i++) {
        go_sleep(100 * MS); /* main's own work */
        ticks++;
    }
    printf("main kept running: %d ticks\n", ticks);
    return 0;
}
