/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_global_struct: the reporter reads stats.misses under
 * the stats lock.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: hits = 66, misses = 34
 */
#include <gosan.h>
#include <stdio.h>

static struct {
    long hits;
    long misses;
    go_mutex mu;
} stats;
static long reported;
static go_wg wg;

static void handler(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        go_mutex_lock(&stats.mu);
        if (i % 3)
            stats.hits++;
        else
            stats.misses++;
        go_mutex_unlock(&stats.mu);
    }
    go_wg_done(&wg);
}

static void reporter(void *arg)
{
    (void)arg;
    go_mutex_lock(&stats.mu);
    reported = stats.misses;
    go_mutex_unlock(&stats.mu);
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 2);
    go(handler, NULL);
    go(reporter, NULL);
    go_wg_wait(&wg);
    printf("hits = %ld, misses = %ld (reported %ld)\n", stats.hits,
           stats.misses, reported);
    return 0;
}
