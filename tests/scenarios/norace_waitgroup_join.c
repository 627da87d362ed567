/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_waitgroup_join: main reads the results after
 * go_wg_wait, and every Done happens before Wait returns.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: total = 100
 */
#include <gosan.h>
#include <stdio.h>

#define WORKERS 4

static long results[WORKERS];
static go_wg wg;

static void worker(void *arg)
{
    long i = (long)(intptr_t)arg;
    results[i] = (i + 1) * 10;
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, WORKERS);
    for (long i = 0; i < WORKERS; i++)
        go(worker, (void *)(intptr_t)i);
    go_wg_wait(&wg);
    long total = 0;
    for (int i = 0; i < WORKERS; i++)
        total += results[i];
    printf("total = %ld\n", total);
    return 0;
}
