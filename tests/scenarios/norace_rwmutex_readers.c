/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_rwmutex_readers: the readers share the RWMutex for
 * reading at the same time (reads do not race with reads), and the
 * refresher takes it for writing: RUnlock happens before Lock, and Unlock
 * happens before the next RLock.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: version = 100
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
        *n += routes.version;
        go_rwmutex_runlock(&rw);
        go_yield();
    }
    go_wg_done(&wg);
}

static void refresher(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_rwmutex_lock(&rw);
        routes.version++;
        go_rwmutex_unlock(&rw);
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
