/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_late_reader: the late reader, too, receives from
 * `ready` (the close happens before that receive) before reading.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: seen = 42 42
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
    config = 42;
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
    go_chan_recv(ready, NULL);
    *out = config;
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
