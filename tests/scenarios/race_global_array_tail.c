/* SPDX-License-Identifier: MIT */
/*
 * A race on the last element of a large zero-initialized global array (it
 * lives in .bss, past the part of the executable's mapping that is backed
 * by the file): the histogram's overflow bucket is bumped by two
 * goroutines without the lock. The report must still say which global it
 * is, as it does for the first element.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'histogram' of size 32768
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
        histogram[BUCKETS - 1]++; /* @LINE overflow bucket, no lock */
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
