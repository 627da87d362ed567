/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_semaphore: the auditor acquires the semaphore too.
 * Release happens before the Acquire that gets the weight next, whether
 * that Acquire found the weight free or queued and was granted it by the
 * Release (main holds it during the setup, so they all queue at first).
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: ledger = 800
 */
#include <gosan.h>
#include <stdio.h>

#define WORKERS 4
#define ROUNDS 200

static go_sem sem;
static long ledger, last_audit;
static int arrived; /* relaxed only: orders in time, not for the detector */
static go_wg wg;

static void worker(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&arrived, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < ROUNDS; i++) {
        go_sem_acquire(&sem, NULL, 1);
        ledger += 1;
        go_yield(); /* let the others queue up behind us */
        go_sem_release(&sem, 1);
    }
    go_wg_done(&wg);
}

static void auditor(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_sem_acquire(&sem, NULL, 1);
        last_audit = ledger;
        go_sem_release(&sem, 1);
        go_yield();
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_sem_init(&sem, 1);
    go_sem_acquire(&sem, NULL, 1); /* main holds it during the setup */
    go_wg_add(&wg, WORKERS + 1);
    for (int i = 0; i < WORKERS; i++)
        go(worker, NULL);
    go(auditor, NULL);
    while (__atomic_load_n(&arrived, __ATOMIC_RELAXED) < WORKERS)
        go_yield(); /* the setup takes a while */
    go_sem_release(&sem, 1);
    go_wg_wait(&wg);
    printf("ledger = %ld (last audit saw %ld)\n", ledger, last_audit);
    return 0;
}
