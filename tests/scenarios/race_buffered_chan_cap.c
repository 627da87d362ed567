/* SPDX-License-Identifier: MIT */
/*
 * Go's rule for a buffered channel of capacity C: the k-th receive
 * happens before the (k+C)-th send completes. Main fills a channel of two
 * tokens; the finisher writes the data and then receives token 0; the
 * follower sends token 2, which with capacity 2 completes only after
 * receive 0, and then reads the data (norace_buffered_chan_cap). Here the
 * capacity is 3: send 2 does not wait for any receive, receive 0 pairs
 * with send 3 that never happens, and the follower's read races with the
 * finisher's write.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'data'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

#define CAP 3

static go_chan *slots;
static long data;
static long seen;
static go_wg wg;

static void finisher(void *arg)
{
    (void)arg;
    data = 42; /* @LINE written before receive 0 */
    go_chan_recv(slots, NULL); /* receive 0 */
    go_wg_done(&wg);
}

static void follower(void *arg)
{
    (void)arg;
    go_chan_send(slots, NULL); /* send 2 */
    seen = data; /* @LINE read after send 2 */
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
