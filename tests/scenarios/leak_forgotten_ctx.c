/* SPDX-License-Identifier: MIT */
/*
 * The seeds' "forgotten context" leak: a worker loops on a select over its
 * job channel and its context's Done channel. main hands it one job, takes
 * the result, and never cancels the context: the worker waits in its
 * select forever, and goleak_verify says so.
 *
 * EXPECT-EXIT: 66
 * EXPECT: leaked = 1
 * EXPECT: goleak: found 1 unexpected goroutine
 * EXPECT-COUNT: 1 WARNING: GOROUTINE LEAK
 * EXPECT: goroutine 2 [select]:
 * EXPECT: Blocked in select on
 * EXPECT: goroutine 2 created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

struct worker_args {
    go_ctx *ctx;
    go_chan *jobs;    /* int */
    go_chan *results; /* int */
};

static void worker(void *arg)
{
    struct worker_args *w = arg;
    for (;;) {
        int job;
        go_select_case cases[] = {
            GO_RECV_CASE(w->jobs, &job),
            GO_RECV_CASE(go_ctx_done(w->ctx), NULL),
        };
        int i = go_select(cases, 2, false); /* @LINE the worker waits here */
        if (i == 1)
            return;
        job *= 2;
        go_chan_send(w->results, &job);
    }
}

int main(void)
{
    static struct worker_args w;
    w.ctx = go_ctx_with_cancel(go_ctx_background());
    w.jobs = go_chan_make(sizeof(int), 0);
    w.results = go_chan_make(sizeof(int), 0);
    go(worker, &w); /* @LINE where the worker was started */

    int job = 21, result;
    go_chan_send(w.jobs, &job);
    go_chan_recv(w.results, &result);
    printf("result = %d\n", result);

    /* Forgotten: go_ctx_cancel(w.ctx). */
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
