/* SPDX-License-Identifier: MIT */
/*
 * The racy program's synchronized twin: the goroutines increment the
 * global under a mutex, so nothing is reported and it exits 0.
 */
#include <gosan.h>
#include <stdio.h>

static int counter;
static go_wg wg;
static go_mutex mu;

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
