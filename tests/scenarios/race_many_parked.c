/* SPDX-License-Identifier: MIT */
/*
 * A race between two live goroutines while many others are parked: the
 * writer writes x and blocks on a gate; then 200 fillers start and block
 * on the same gate (most of the detector's 256 clock slots are held by
 * parked goroutines); then main, after a WaitGroup that only
 * orders it after the fillers' starts, reads x. Nothing orders the
 * writer's write before main's read: it is a race however many
 * goroutines are parked.
 *
 * (The writer's progress is observed through a relaxed atomic flag, which
 * synchronizes nothing, only to make the write come first in time.)
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'x'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 * EXPECT-NOT: clock slots
 *
 * Beyond 256 goroutines holding slots at once, parked goroutines lend
 * theirs and a race of a robbed goroutine's earlier accesses can be missed
 * (detector/README.md); gosan then says so once, naming "clock slots".
 */
#include <gosan.h>
#include <stdio.h>

#define FILLERS 200

static long x;
static int wrote;
static go_chan *gate;
static go_wg started, finished;

static void writer(void *arg)
{
    (void)arg;
    x = 1; /* @LINE the writer's write */
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
    go(writer, NULL);
    while (!__atomic_load_n(&wrote, __ATOMIC_RELAXED))
        go_yield();
    go_wg_add(&started, FILLERS);
    for (int i = 0; i < FILLERS; i++)
        go(filler, NULL);
    go_wg_wait(&started);
    long seen = x; /* @LINE main's read */
    go_chan_close(gate);
    go_wg_wait(&finished);
    printf("x = %ld\n", seen);
    go_chan_free(gate);
    return 0;
}
