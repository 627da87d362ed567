/* SPDX-License-Identifier: MIT */
/*
 * free() is a write of the whole block (as in TSan): freeing memory that
 * another goroutine reads, with nothing ordering the read before the
 * free, is a data race (and a use-after-free waiting to happen). The
 * reader reads an entry of the cache; the evictor frees the entry
 * without waiting for the readers (it waits for a relaxed atomic flag,
 * which synchronizes nothing, only to free after the read).
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous read at
 * EXPECT: created at:
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
    seen = e->value; /* @LINE the reader's read */
    __atomic_store_n(&has_read, 1, __ATOMIC_RELAXED);
    go_wg_done(&readers);
    go_wg_done(&all);
}

static void evictor(void *arg)
{
    while (!__atomic_load_n(&has_read, __ATOMIC_RELAXED))
        go_yield(); /* evicts a little later */
    free(arg); /* @LINE the evictor frees the entry */
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
