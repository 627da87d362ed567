/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_unbuffered_chan: on an unbuffered channel the send
 * happens before the receive completes (the receiver may read the
 * request) and the receive happens before the send completes (the sender
 * may read the reply the receiver wrote before receiving), whichever of
 * the two arrives first.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: request = 7, reply = 99
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
    got_reply = reply;
    go_wg_done(&wg);
}

static void receiver(void *arg)
{
    (void)arg;
    int token;
    reply = 99;
    go_chan_recv(ch, &token);
    got_request = request;
    go_wg_done(&wg);
}

int main(void)
{
    ch = go_chan_make(sizeof(int), 0);
    go_wg_add(&wg, 2);
    go(sender, NULL);
    go(receiver, NULL);
    go_wg_wait(&wg);
    printf("request = %ld, reply = %ld\n", got_request, got_reply);
    go_chan_free(ch);
    return 0;
}
