/* SPDX-License-Identifier: MIT */
/*
 * The previous access of a race is deep in a trace: fill writes two
 * arrays in one loop (6000 accesses, over several trace parts), and main
 * reads one element without waiting for it. The report must name the
 * loop's store to a[] as the previous write. In the trace that store is a
 * one-word event whose pc is stored as a (negative) delta from the store
 * to b[] of the iteration before (detector/trace.h): this is the test of
 * that encoding and of its reset at each part's start.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Read at
 * EXPECT: Previous write at
 * EXPECT: fill()
 * EXPECT: Location is global 'a'
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <gosan.h>
#include <stdio.h>

#define N 3000

long a[N], b[N]; /* not static: every store stays */
static go_wg wg;

static void fill(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        a[i] = i;     /* @LINE the previous write */
        b[i] = 2 * i;
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 1);
    go(fill, NULL);
    go_sleep(50 * 1000 * 1000); /* time, not synchronization */
    long v = a[2500]; /* @LINE the racing read */
    go_wg_wait(&wg);
    printf("a[2500] = %ld\n", v);
    return 0;
}
