/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_mutex_counter: all 8 goroutines increment under the
 * mutex; each Unlock happens before the next Lock, so the increments are
 * ordered whatever the handoff order.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: hits = 8000
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
        hits++;
        go_mutex_unlock(&mu);
    }
    go_wg_done(&wg);
}

static void sloppy(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_mutex_lock(&mu);
        hits++;
        go_mutex_unlock(&mu);
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
