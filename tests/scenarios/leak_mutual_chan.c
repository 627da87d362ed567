/* SPDX-License-Identifier: MIT */
/*
 * The seeds' mutual channel dependency: ping waits for a message from pong
 * before it sends one, and pong waits for one from ping before it sends:
 * each receives first, so both wait forever (main goes on). goleak_verify
 * returns 2 and reports both, each with the channel it waits on.
 *
 * EXPECT-EXIT: 66
 * EXPECT: leaked = 2
 * EXPECT: goleak: found 2 unexpected goroutines
 * EXPECT-COUNT: 2 WARNING: GOROUTINE LEAK
 * EXPECT: goroutine 2 [chan receive]:
 * EXPECT-COUNT: 2 [chan receive]:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 2 created by goroutine 1 at:
 * EXPECT-COUNT: 2 SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

struct pair {
    go_chan *to_ping; /* int */
    go_chan *to_pong; /* int */
};

static void ping(void *arg)
{
    struct pair *p = arg;
    int v;
    go_chan_recv(p->to_ping, &v); /* @LINE ping waits for pong */
    v++;
    go_chan_send(p->to_pong, &v);
}

static void pong(void *arg)
{
    struct pair *p = arg;
    int v;
    go_chan_recv(p->to_pong, &v); /* @LINE pong waits for ping */
    v++;
    go_chan_send(p->to_ping, &v);
}

int main(void)
{
    static struct pair p;
    p.to_ping = go_chan_make(sizeof(int), 0);
    p.to_pong = go_chan_make(sizeof(int), 0);
    go(ping, &p); /* @LINE */
    go(pong, &p); /* @LINE */
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
