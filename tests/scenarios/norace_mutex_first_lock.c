/* SPDX-License-Identifier: MIT */
/*
 * Goroutines race to be the first to lock each of many fresh mutexes. The
 * detector's copied-mutex check looks at a mutex's first Lock: one that
 * finds the mutex already locked although no Lock was seen is a copy. Two
 * first Locks at once must not take each other for a copy (a false
 * "Mutex is copied while locked" once came from exactly this).
 *
 * EXPECT-NOT: copied
 * EXPECT-NOT: WARNING
 * EXPECT: total = 16000
 */
#include <gosan.h>
#include <stdio.h>

#define MUTEXES 4000
#define WORKERS 4

static go_mutex mu[MUTEXES];
static long count[MUTEXES];
static go_wg wg;

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < MUTEXES; i++) {
        go_mutex_lock(&mu[i]);
        count[i]++;
        go_mutex_unlock(&mu[i]);
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, WORKERS);
    for (int w = 0; w < WORKERS; w++)
        go(worker, NULL);
    go_wg_wait(&wg);
    long total = 0;
    for (int i = 0; i < MUTEXES; i++)
        total += count[i];
    printf("total = %ld\n", total);
    return 0;
}
