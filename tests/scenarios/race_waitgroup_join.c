/* SPDX-License-Identifier: MIT */
/*
 * WaitGroup join: workers write their results, main adds them up. But
 * main reads the results before go_wg_wait: nothing orders the workers'
 * writes before its reads (Done happens before Wait returns, not before
 * anything earlier).
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'results'
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <gosan.h>
#include <stdio.h>

#define WORKERS 4

static long results[WORKERS];
static go_wg wg;

static void worker(void *arg)
{
    long i = (long)(intptr_t)arg;
    results[i] = (i + 1) * 10; /* @LINE a worker writes its result */
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, WORKERS);
    for (long i = 0; i < WORKERS; i++)
        go(worker, (void *)(intptr_t)i);
    long total = 0;
    for (int i = 0; i < WORKERS; i++)
        total += results[i]; /* @LINE main reads it */
    go_wg_wait(&wg);
    printf("total = %ld\n", total);
    return 0;
}
