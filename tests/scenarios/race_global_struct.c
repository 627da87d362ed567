/* SPDX-License-Identifier: MIT */
/*
 * A race on a field of a global struct: the request handler counts
 * misses in stats.misses under the stats lock, but the reporter reads
 * stats.misses without it. The location is the global, named even though
 * the racy field is at an offset inside it.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'stats' of size 24
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
            stats.misses++; /* @LINE the handler's update */
        go_mutex_unlock(&stats.mu);
    }
    go_wg_done(&wg);
}

static void reporter(void *arg)
{
    (void)arg;
    reported = stats.misses; /* @LINE the reporter's read */
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
