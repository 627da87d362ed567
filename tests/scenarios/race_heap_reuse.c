/* SPDX-License-Identifier: MIT */
/*
 * The racy twin of norace_heap_reuse: A does not free its block, and B,
 * instead of allocating a block of its own, writes into A's block (whose
 * address it saw through a relaxed atomic, which synchronizes nothing).
 * Now the same memory is used by two goroutines with no happens-before:
 * B's writes race with A's. GOMAXPROCS=1 as in the twin.
 *
 * ENV: GOMAXPROCS=1
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is heap block of size 128 at
 * EXPECT: allocated by goroutine
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <gosan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS 16

static long *_Atomic a_block; /* A's block address, relaxed: no edge */
static go_wg wg;
static long sums[2];

static void a(void *arg)
{
    (void)arg;
    long *p = malloc(WORDS * sizeof *p);
    for (int i = 0; i < WORDS; i++)
        p[i] = i; /* @LINE A fills its block */
    for (int i = 0; i < WORDS; i++)
        sums[0] += p[i];
    __atomic_store_n(&a_block, p, __ATOMIC_RELAXED);
    go_wg_done(&wg);
}

static void b(void *arg)
{
    (void)arg;
    long *old;
    while (!(old = __atomic_load_n(&a_block, __ATOMIC_RELAXED)))
        go_yield();
    long *q = old;
    for (int i = 0; i < WORDS; i++)
        q[i] = 2 * i; /* @LINE B writes into A's block */
    memset(q, 0, WORDS * sizeof *q);
    for (int i = 0; i < WORDS; i++)
        sums[1] += q[i];
    printf("B got A's block again: %s\n", q == old ? "yes" : "no");
    free(q);
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 2);
    go(b, NULL);
    go(a, NULL);
    go_wg_wait(&wg);
    printf("sums = %ld %ld\n", sums[0], sums[1]);
    return 0;
}
