/* SPDX-License-Identifier: MIT */
/*
 * The main goroutine writes a setting after starting the goroutine that
 * reads it. The reader reads only once main has written (it waits for a
 * relaxed atomic flag, which synchronizes nothing), so main's write is
 * the earlier access of the two: the report must still call its author
 * the main goroutine (goroutine 1, as in Go).
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous write at
 * EXPECT: by main goroutine:
 * EXPECT-NOT: main thread
 * EXPECT: created at:
 * EXPECT: Location is global 'level'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

static long level;
static long used;
static int written; /* relaxed only: orders in time, not for the detector */
static go_wg wg;

static void reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&written, __ATOMIC_RELAXED))
        go_yield();
    used = level; /* @LINE the reader's read */
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 1);
    go(reader, NULL);
    level = 3; /* @LINE main's write, after the go statement */
    __atomic_store_n(&written, 1, __ATOMIC_RELAXED);
    go_wg_wait(&wg);
    printf("used = %ld\n", used);
    return 0;
}
