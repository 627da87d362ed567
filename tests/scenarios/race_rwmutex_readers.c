/* SPDX-License-Identifier: MIT */
/*
 * RWMutex: readers under RLock may read the shared data at the same time
 * (RUnlock does not happen before another RLock). One "reader", the
 * refresher, also writes the data, but holds only RLock: its write races
 * with the other readers' reads.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'routes'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

#define READERS 3
#define ROUNDS 100

static go_rwmutex rw;
static struct {
    long version;
    long next_hop[4];
} routes;
static long lookups[READERS];
static go_wg wg;

static void reader(void *arg)
{
    long *n = arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_rwmutex_rlock(&rw);
        *n += routes.version; /* @LINE the readers read under RLock */
        go_rwmutex_runlock(&rw);
        go_yield();
    }
    go_wg_done(&wg);
}

static void refresher(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_rwmutex_rlock(&rw);
        routes.version++; /* @LINE the refresher writes under RLock */
        go_rwmutex_runlock(&rw);
        go_yield();
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, READERS + 1);
    for (int i = 0; i < READERS; i++)
        go(reader, &lookups[i]);
    go(refresher, NULL);
    go_wg_wait(&wg);
    printf("version = %ld\n", routes.version);
    return 0;
}
