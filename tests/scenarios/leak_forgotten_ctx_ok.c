/* SPDX-License-Identifier: MIT */
/*
 * The twin of leak_forgotten_ctx: main cancels the context when it is done
 * with the worker, the worker's select returns the Done case and the worker
 * exits. goleak_verify waits for it and finds nothing.
 *
 * EXPECT-EXIT: 0
 * EXPECT: result = 42
 * EXPECT: leaked = 0
 * EXPECT-NOT: GOROUTINE LEAK
 * EXPECT-NOT: SUMMARY: gosan
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
        int i = go_select(cases, 2, false);
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
    go(worker, &w);

    int job = 21, result;
    go_chan_send(w.jobs, &job);
    go_chan_recv(w.results, &result);
    printf("result = %d\n", result);

    go_ctx_cancel(w.ctx); /* defer cancel() */
    printf("leaked = %d\n", goleak_verify());
    go_ctx_release(w.ctx);
    return 0;
}
