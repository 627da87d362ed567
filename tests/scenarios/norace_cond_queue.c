/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_cond_queue: the consumer looks at the queue only with
 * the mutex held, waiting on the condition while it is empty (the
 * producer's signal and unlock happen before the consumer's wakeup and
 * relock).
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: sum = 5050
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
        q.len++;
        go_cond_signal(&nonempty);
        go_mutex_unlock(&mu);
    }
    go_wg_done(&wg);
}

static void consumer(void *arg)
{
    (void)arg;
    for (int got = 0; got < ITEMS; got++) {
        go_mutex_lock(&mu);
        while (q.len == 0)
            go_cond_wait(&nonempty);
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
