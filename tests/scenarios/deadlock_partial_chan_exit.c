/* SPDX-License-Identifier: MIT */
/*
 * The leaking generator of deadlock_partial_chan, in a program that ends
 * soon after: the goroutine is reported at exit, when nothing can reach
 * its channel any more (main has returned). main waits a little before it
 * returns because the exit scan only looks at goroutines blocked for at
 * least 100 ms (a goroutine blocked for less may be on its way).
 *
 * EXPECT-EXIT: 66
 * EXPECT: first = 0
 * EXPECT-COUNT: 1 WARNING: DEADLOCK (partial, found at exit: goroutines blocked forever on unreachable channels)
 * EXPECT: 1 goroutine can never be woken
 * EXPECT: goroutine 2 [chan send]:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: deadlock
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
    return v;
}

int main(void)
{
    printf("first = %d\n", first());
    go_sleep(300 * MS); /* about time: the exit scan's 100 ms threshold */
    return 0;
}
