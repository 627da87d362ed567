/* SPDX-License-Identifier: MIT */
/*
 * The twin of leak_blocked_write, with Go's fix: the result channel has
 * room for the one result, so the late send completes and the goroutine
 * exits although nobody receives.
 *
 * EXPECT-EXIT: 0
 * EXPECT: fetch: timed out
 * EXPECT: leaked = 0
 * EXPECT-NOT: GOROUTINE LEAK
 * EXPECT-NOT: SUMMARY: gosan
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
    go_chan_send(a->result, &v);
}

static int fetch(go_chan *go_ahead)
{
    static struct compute_args a;
    a.go_ahead = go_ahead;
    a.result = go_chan_make(sizeof(int), 1); /* room for the result */
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
