/* SPDX-License-Identifier: MIT */
/*
 * The seeds' "blocked write" leak: fetch() starts a goroutine to compute a
 * result and waits for it with a timeout; the timeout wins and fetch
 * returns, and the goroutine that later sends the result on the unbuffered
 * channel waits for a receiver forever. (The computation only finishes
 * after the timeout fired: it waits for main's go-ahead.)
 *
 * EXPECT-EXIT: 66
 * EXPECT: fetch: timed out
 * EXPECT: leaked = 1
 * EXPECT-COUNT: 1 WARNING: GOROUTINE LEAK
 * EXPECT: goroutine 2 [chan send]:
 * EXPECT: (element size 4, len 0, cap 0, open) made by goroutine 1 at:
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

struct compute_args {
    go_chan *go_ahead; /* closed when the computation may finish */
    go_chan *result;   /* int */
};

static void compute(void *arg)
{
    struct compute_args *a = arg;
    go_chan_recv(a->go_ahead, NULL);
    int v = 42;
    go_chan_send(a->result, &v); /* @LINE nobody receives any more */
}

static int fetch(go_chan *go_ahead)
{
    static struct compute_args a;
    a.go_ahead = go_ahead;
    a.result = go_chan_make(sizeof(int), 0); /* @LINE unbuffered */
    go(compute, &a);
    int v = -1;
    go_chan *timeout = go_after(1 * MS);
    go_select_case cases[] = {
        GO_RECV_CASE(a.result, &v),
        GO_RECV_CASE(timeout, NULL),
    };
    if (go_select(cases, 2, false) == 1)
        printf("fetch: timed out\n");
    go_chan_free(timeout);
    return v;
}

int main(void)
{
    go_chan *go_ahead = go_chan_make(0, 0);
    fetch(go_ahead);
    go_chan_close(go_ahead);
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
