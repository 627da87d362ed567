/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_atomic_publish: the flag is stored with
 * memory_order_release and loaded with memory_order_acquire, so the
 * consumer that sees it also sees the payload written before it.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: seen = 42
 */
#include <gosan.h>
#include <stdatomic.h>
#include <stdio.h>

static long payload;
static atomic_int ready;
static long seen;
static go_wg wg;

static void producer(void *arg)
{
    (void)arg;
    payload = 42;
    atomic_store_explicit(&ready, 1, memory_order_release);
    go_wg_done(&wg);
}

static void consumer(void *arg)
{
    (void)arg;
    while (atomic_load_explicit(&ready, memory_order_acquire) == 0)
        go_yield();
    seen = payload;
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 2);
    go(consumer, NULL);
    go(producer, NULL);
    go_wg_wait(&wg);
    printf("seen = %ld\n", seen);
    return 0;
}
