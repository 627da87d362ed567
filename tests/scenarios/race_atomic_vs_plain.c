/* SPDX-License-Identifier: MIT */
/*
 * An atomic and a plain access to the same variable: the workers count
 * with atomic adds, but the monitor reads the counter with a plain load.
 * Atomics do not race with atomics, but a plain access races with an
 * atomic one that it is not ordered with.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: tomic write at
 * EXPECT: created at:
 * EXPECT: Location is global 'events'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

#define WORKERS 2
#define ROUNDS 1000

static long events;
static long last_seen;
static go_wg wg;

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        __atomic_fetch_add(&events, 1, __ATOMIC_RELAXED); /* @LINE atomic add */
        if (i % 100 == 0)
            go_yield();
    }
    go_wg_done(&wg);
}

static void monitor(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        last_seen = events; /* @LINE plain read */
        go_yield();
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, WORKERS + 1);
    for (int i = 0; i < WORKERS; i++)
        go(worker, NULL);
    go(monitor, NULL);
    go_wg_wait(&wg);
    printf("events = %ld (monitor saw %ld)\n", events, last_seen);
    return 0;
}
