/* SPDX-License-Identifier: MIT */
/*
 * Publish once, read by many: the loader writes the config and closes
 * `ready`; four readers receive from `ready` before reading (ordered after
 * the write), but a late reader reads without receiving: its read races
 * with the loader's write, however many ordered reads came in between.
 * (The late reader waits for the others through a relaxed atomic counter,
 * which synchronizes nothing, only to come last.)
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Read at
 * EXPECT: Previous write at
 * EXPECT: created at:
 * EXPECT: Location is global 'config'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

#define READERS 4

static long config;
static go_chan *ready;
static long seen[READERS + 1];
static int done_reading; /* relaxed only: orders in time, not for the
                            detector */
static go_wg wg;

static void loader(void *arg)
{
    (void)arg;
    config = 42; /* @LINE the loader's write */
    go_chan_close(ready);
    go_wg_done(&wg);
}

static void reader(void *arg)
{
    long *out = arg;
    go_chan_recv(ready, NULL);
    *out = config;
    __atomic_fetch_add(&done_reading, 1, __ATOMIC_RELAXED);
    go_wg_done(&wg);
}

static void late_reader(void *arg)
{
    long *out = arg;
    while (__atomic_load_n(&done_reading, __ATOMIC_RELAXED) < READERS)
        go_yield(); /* comes last */
    *out = config; /* @LINE the late reader's read */
    go_wg_done(&wg);
}

int main(void)
{
    ready = go_chan_make(0, 0);
    go_wg_add(&wg, READERS + 2);
    go(loader, NULL);
    for (int i = 0; i < READERS; i++)
        go(reader, &seen[i]);
    go(late_reader, &seen[READERS]);
    go_wg_wait(&wg);
    printf("seen = %ld %ld\n", seen[0], seen[READERS]);
    go_chan_free(ready);
    return 0;
}
