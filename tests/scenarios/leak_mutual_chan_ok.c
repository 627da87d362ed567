/* SPDX-License-Identifier: MIT */
/*
 * The twin of leak_mutual_chan: ping sends first, then waits for the
 * answer; pong answers. Both exit.
 *
 * EXPECT-EXIT: 0
 * EXPECT: ping got 2
 * EXPECT: leaked = 0
 * EXPECT-NOT: GOROUTINE LEAK
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

struct pair {
    go_chan *to_ping; /* int */
    go_chan *to_pong; /* int */
    go_wg done;
};

static void ping(void *arg)
{
    struct pair *p = arg;
    int v = 1;
    go_chan_send(p->to_pong, &v);
    go_chan_recv(p->to_ping, &v);
    printf("ping got %d\n", v);
    go_wg_done(&p->done);
}

static void pong(void *arg)
{
    struct pair *p = arg;
    int v;
    go_chan_recv(p->to_pong, &v);
    v++;
    go_chan_send(p->to_ping, &v);
    go_wg_done(&p->done);
}

int main(void)
{
    static struct pair p;
    p.to_ping = go_chan_make(sizeof(int), 0);
    p.to_pong = go_chan_make(sizeof(int), 0);
    go_wg_add(&p.done, 2);
    go(ping, &p);
    go(pong, &p);
    go_wg_wait(&p.done);
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
