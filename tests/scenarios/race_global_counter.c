/* SPDX-License-Identifier: MIT */
/*
 * Two goroutines increment a global counter without synchronization: a
 * data race on a global, between two goroutines created by main.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: by goroutine
 * EXPECT: Goroutine
 * EXPECT: created at:
 * EXPECT: Location is global 'counter'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

static int counter;
static go_wg wg;

static void increment(void *arg)
{
    (void)arg;
    counter++; /* @LINE both goroutines read and write here */
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 2);
    go(increment, NULL);
    go(increment, NULL);
    go_wg_wait(&wg);
    printf("counter = %d\n", counter);
    return 0;
}
