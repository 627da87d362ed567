/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_close_of_closed: both sides may want to close, so
 * they close through a go_once (Go's sync.Once idiom): one close only.
 *
 * EXPECT-EXIT: 0
 * EXPECT: closed once
 * EXPECT-NOT: panic
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_once close_once;

static void close_it(void *arg)
{
    go_chan_close(arg);
}

static void worker(void *arg)
{
    go_chan *done = arg;
    go_once_do(&close_once, close_it, done);
}

int main(void)
{
    go_chan *done = go_chan_make(0, 0);
    go(worker, done);
    go_chan_recv(done, NULL);
    go_once_do(&close_once, close_it, done);
    printf("closed once\n");
    return 0;
}
