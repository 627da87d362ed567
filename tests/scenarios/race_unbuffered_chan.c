/* SPDX-License-Identifier: MIT */
/*
 * Go's memory model for an unbuffered channel gives edges both ways: the
 * send happens before the receive completes, and the receive happens
 * before the send completes. norace_unbuffered_chan relies on both: the
 * sender's request is read by the receiver after its receive, and the
 * receiver's reply, written before its receive, is read by the sender
 * after its send. Here the channel has a buffer of one: a buffered send
 * completes without waiting for the receive, so the second edge is gone
 * and the sender's read of the reply races with the receiver's write.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'reply'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *ch;
static long request; /* sender -> receiver: send happens before receive */
static long reply;   /* receiver -> sender: receive happens before send
                        completes (unbuffered only) */
static long got_request, got_reply;
static go_wg wg;

static void sender(void *arg)
{
    (void)arg;
    int token = 1;
    request = 7;
    go_chan_send(ch, &token);
    got_reply = reply; /* @LINE the sender reads the reply */
    go_wg_done(&wg);
}

static void receiver(void *arg)
{
    (void)arg;
    int token;
    reply = 99; /* @LINE the receiver writes the reply */
    go_chan_recv(ch, &token);
    got_request = request;
    go_wg_done(&wg);
}

int main(void)
{
    ch = go_chan_make(sizeof(int), 1);
    go_wg_add(&wg, 2);
    go(sender, NULL);
    go(receiver, NULL);
    go_wg_wait(&wg);
    printf("request = %ld, reply = %ld\n", got_request, got_reply);
    go_chan_free(ch);
    return 0;
}
