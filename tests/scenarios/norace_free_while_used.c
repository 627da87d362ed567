/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_free_while_used: the evictor waits for the readers
 * (their Done happens before its Wait returns) before freeing the entry.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: seen = 5
 */
#include <gosan.h>
#include <stdio.h>
#include <stdlib.h>

struct entry {
    long key;
    long value;
};

static go_wg readers, all;
static long seen;
static int has_read; /* relaxed only: orders in time, not for the detector */

static void reader(void *arg)
{
    struct entry *e = arg;
    seen = e->value;
    __atomic_store_n(&has_read, 1, __ATOMIC_RELAXED);
    go_wg_done(&readers);
    go_wg_done(&all);
}

static void evictor(void *arg)
{
    while (!__atomic_load_n(&has_read, __ATOMIC_RELAXED))
        go_yield(); /* evicts a little later */
    go_wg_wait(&readers);
    free(arg);
    go_wg_done(&all);
}

int main(void)
{
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->value = 5;
    go_wg_add(&readers, 1);
    go_wg_add(&all, 2);
    go(reader, e);
    go(evictor, e);
    go_wg_wait(&all);
    printf("seen = %ld\n", seen);
    return 0;
}
