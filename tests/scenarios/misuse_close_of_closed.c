/* SPDX-License-Identifier: MIT */
/*
 * Close of a closed channel: a worker closes the done channel when it
 * finishes, and main, not knowing, closes it again. Go panics "close of
 * closed channel"; gosan adds the first close's stack, and aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 panic: close of closed channel
 * EXPECT: by main goroutine:
 * EXPECT: Channel first closed by goroutine 2 at:
 * EXPECT: Channel made at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: close-of-closed-channel
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static void worker(void *arg)
{
    go_chan *done = arg;
    go_chan_close(done); /* @LINE first close */
}

int main(void)
{
    go_chan *done = go_chan_make(0, 0); /* @LINE */
    go(worker, done);
    go_chan_recv(done, NULL);
    go_chan_close(done); /* @LINE second close */
    printf("not reached\n");
    return 0;
}
