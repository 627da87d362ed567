/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_atomic_vs_plain: the monitor reads the counter with an
 * atomic load too. Atomic accesses never race with each other, even
 * relaxed ones that synchronize nothing.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: events = 2000
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
        __atomic_fetch_add(&events, 1, __ATOMIC_RELAXED);
        if (i % 100 == 0)
            go_yield();
    }
    go_wg_done(&wg);
}

static void monitor(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        last_seen = __atomic_load_n(&events, __ATOMIC_RELAXED);
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
