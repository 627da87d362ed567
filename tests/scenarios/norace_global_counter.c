/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_global_counter: the same increments under a mutex.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: counter = 2
 */
#include <gosan.h>
#include <stdio.h>

static int counter;
static go_mutex mu;
static go_wg wg;

static void increment(void *arg)
{
    (void)arg;
    go_mutex_lock(&mu);
    counter++;
    go_mutex_unlock(&mu);
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
