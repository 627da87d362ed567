/* SPDX-License-Identifier: MIT */
/*
 * Mutex handoff between 8 goroutines incrementing one counter: seven take
 * the mutex (Unlock happens before the next Lock), but the eighth
 * increments outside the lock.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'hits'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

#define GOROUTINES 8
#define ROUNDS 1000

static go_mutex mu;
static long hits;
static go_wg wg;

static void careful(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_mutex_lock(&mu);
        hits++; /* @LINE under the lock */
        go_mutex_unlock(&mu);
    }
    go_wg_done(&wg);
}

static void sloppy(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        hits++; /* @LINE outside the lock */
        go_yield();
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, GOROUTINES);
    for (int i = 0; i < GOROUTINES - 1; i++)
        go(careful, NULL);
    go(sloppy, NULL);
    go_wg_wait(&wg);
    printf("hits = %ld\n", hits);
    return 0;
}
