/* SPDX-License-Identifier: MIT */
/*
 * Freed memory handed out again: goroutine A allocates a block, fills it
 * and frees it; goroutine B, which has no happens-before relation with A
 * at all (it only spins on a relaxed atomic flag, which synchronizes
 * nothing), then allocates a block of the same size, usually at the same
 * address, and fills it. That is not a race: the allocator orders a free
 * before the malloc that reuses the memory, and the new block has no
 * history. GOMAXPROCS=1 keeps A and B on one thread so that the
 * allocator's per-thread cache does hand A's block to B.
 *
 * ENV: GOMAXPROCS=1
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: B got A's block again: yes
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
        p[i] = i;
    for (int i = 0; i < WORDS; i++)
        sums[0] += p[i];
    free(p);
    __atomic_store_n(&a_block, p, __ATOMIC_RELAXED);
    go_wg_done(&wg);
}

static void b(void *arg)
{
    (void)arg;
    long *old;
    while (!(old = __atomic_load_n(&a_block, __ATOMIC_RELAXED)))
        go_yield();
    long *q = malloc(WORDS * sizeof *q);
    for (int i = 0; i < WORDS; i++)
        q[i] = 2 * i;
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
