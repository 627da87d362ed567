/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_many_parked: the writer's Done on `written` comes
 * after its write and main waits for it before reading x, so the write
 * happens before the read; 400 parked fillers change nothing.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: x = 1
 */
#include <gosan.h>
#include <stdio.h>

#define FILLERS 400

static long x;
static int wrote;
static go_chan *gate;
static go_wg started, finished, written;

static void writer(void *arg)
{
    (void)arg;
    x = 1;
    go_wg_done(&written);
    __atomic_store_n(&wrote, 1, __ATOMIC_RELAXED);
    go_chan_recv(gate, NULL);
    go_wg_done(&finished);
}

static void filler(void *arg)
{
    (void)arg;
    go_wg_done(&started);
    go_chan_recv(gate, NULL);
    go_wg_done(&finished);
}

int main(void)
{
    gate = go_chan_make(0, 0);
    go_wg_add(&finished, FILLERS + 1);
    go_wg_add(&written, 1);
    go(writer, NULL);
    while (!__atomic_load_n(&wrote, __ATOMIC_RELAXED))
        go_yield();
    go_wg_add(&started, FILLERS);
    for (int i = 0; i < FILLERS; i++)
        go(filler, NULL);
    go_wg_wait(&started);
    go_wg_wait(&written);
    long seen = x;
    go_chan_close(gate);
    go_wg_wait(&finished);
    printf("x = %ld\n", seen);
    go_chan_free(gate);
    return 0;
}
