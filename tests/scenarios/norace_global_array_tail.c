/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_global_array_tail: the overflow bucket is bumped under
 * the lock too.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: overflow = 2
 */
#include <gosan.h>
#include <stdio.h>

#define BUCKETS 4096

static long histogram[BUCKETS];
static go_mutex mu;
static go_wg wg;

static void record(void *arg)
{
    long value = (long)(intptr_t)arg;
    if (value < BUCKETS - 1) {
        go_mutex_lock(&mu);
        histogram[value]++;
        go_mutex_unlock(&mu);
    } else {
        go_mutex_lock(&mu);
        histogram[BUCKETS - 1]++;
        go_mutex_unlock(&mu);
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 3);
    go(record, (void *)(intptr_t)7);
    go(record, (void *)(intptr_t)100000);
    go(record, (void *)(intptr_t)200000);
    go_wg_wait(&wg);
    printf("overflow = %ld\n", histogram[BUCKETS - 1]);
    return 0;
}
