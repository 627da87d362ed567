/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_buffered_chan_cap: with capacity 2, main's two sends
 * fill the channel, so the follower's send (send 2) completes only after
 * the finisher's receive 0, and the k-th receive happens before the
 * (k+C)-th send completes: the finisher's write happens before the
 * follower's read.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: seen = 42, len = 2
 */
#include <gosan.h>
#include <stdio.h>

#define CAP 2

static go_chan *slots;
static long data;
static long seen;
static go_wg wg;

static void finisher(void *arg)
{
    (void)arg;
    data = 42;
    go_chan_recv(slots, NULL); /* receive 0 */
    go_wg_done(&wg);
}

static void follower(void *arg)
{
    (void)arg;
    go_chan_send(slots, NULL); /* send 2 */
    seen = data;
    go_wg_done(&wg);
}

int main(void)
{
    slots = go_chan_make(0, CAP);
    go_chan_send(slots, NULL); /* send 0 */
    go_chan_send(slots, NULL); /* send 1 */
    go_wg_add(&wg, 2);
    go(follower, NULL);
    go(finisher, NULL);
    go_wg_wait(&wg);
    printf("seen = %ld, len = %zu\n", seen, go_chan_len(slots));
    go_chan_free(slots);
    return 0;
}
