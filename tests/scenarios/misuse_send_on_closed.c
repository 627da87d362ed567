/* SPDX-License-Identifier: MIT */
/*
 * Send on a closed channel: shutdown() closes the results channel, and a
 * late producer sends on it afterwards. Go panics "send on closed
 * channel" with the sender's stack; gosan says the same, adds where the
 * channel was closed (and made), and aborts (halt_on_error=1, the
 * default).
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 panic: send on closed channel
 * EXPECT: Channel closed by goroutine 2 at:
 * EXPECT: Channel made at:
 * EXPECT: (running) created at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: send-on-closed-channel
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *results; /* int, buffered */
static go_wg wg;

static void shutdown(void *arg)
{
    (void)arg;
    go_chan_close(results); /* @LINE closed here */
    go_wg_done(&wg);
}

static void late_producer(void *arg)
{
    (void)arg;
    int v = 42;
    go_chan_send(results, &v); /* @LINE send after the close */
    printf("not reached\n");
    go_wg_done(&wg);
}

int main(void)
{
    results = go_chan_make(sizeof(int), 4); /* @LINE made here */
    go_wg_add(&wg, 1);
    go(shutdown, NULL);
    go_wg_wait(&wg);
    go_wg_add(&wg, 1);
    go(late_producer, NULL); /* @LINE */
    go_wg_wait(&wg);
    return 0;
}
