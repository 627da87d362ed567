/* SPDX-License-Identifier: MIT */
/*
 * A queue guarded by a mutex and a condition variable: the producer
 * pushes under the mutex and signals; the consumer should wait on the
 * condition under the mutex. This consumer "optimizes" by peeking at the
 * queue length without the lock (spinning with go_yield) and taking the
 * lock only once it sees an item: the peek races with the producer's
 * update of the length.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'q'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

#define ITEMS 100
#define QCAP 16

static struct queue {
    int items[QCAP];
    int head, len;
} q;
static go_mutex mu;
static go_cond nonempty;
static go_cond nonfull;
static long sum;
static go_wg wg;

static void producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        go_mutex_lock(&mu);
        while (q.len == QCAP)
            go_cond_wait(&nonfull);
        q.items[(q.head + q.len) % QCAP] = i;
        q.len++; /* @LINE the producer updates the length under the lock */
        go_cond_signal(&nonempty);
        go_mutex_unlock(&mu);
    }
    go_wg_done(&wg);
}

static void consumer(void *arg)
{
    (void)arg;
    for (int got = 0; got < ITEMS; got++) {
        while (q.len == 0) /* @LINE the consumer peeks without the lock */
            go_yield();
        go_mutex_lock(&mu);
        sum += q.items[q.head];
        q.head = (q.head + 1) % QCAP;
        q.len--;
        go_cond_signal(&nonfull);
        go_mutex_unlock(&mu);
    }
    go_wg_done(&wg);
}

int main(void)
{
    go_cond_init(&nonempty, &mu);
    go_cond_init(&nonfull, &mu);
    go_wg_add(&wg, 2);
    go(consumer, NULL);
    go(producer, NULL);
    go_wg_wait(&wg);
    printf("sum = %ld\n", sum);
    return 0;
}
