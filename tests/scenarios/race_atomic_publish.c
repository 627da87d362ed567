/* SPDX-License-Identifier: MIT */
/*
 * Publishing data through a C11 atomic flag with memory_order_relaxed: a
 * relaxed store and a relaxed load synchronize nothing, so the consumer's
 * read of the data races with the producer's write even though it only
 * reads once it has seen the flag.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'payload'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
    payload = 42; /* @LINE the write */
    atomic_store_explicit(&ready, 1, memory_order_relaxed);
    go_wg_done(&wg);
}

static void consumer(void *arg)
{
    (void)arg;
    while (atomic_load_explicit(&ready, memory_order_relaxed) == 0)
        go_yield();
    seen = payload; /* @LINE the read */
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
