/* SPDX-License-Identifier: MIT */
/*
 * This file implements go_errgroup, x/sync/errgroup: goroutines working on
 * subtasks of a common task. The first function to return non-zero
 * records its value and cancels the group's context; go_errgroup_wait
 * waits for all of them, cancels the context and returns that first
 * value. set_limit bounds how many run at once: go_errgroup_go blocks
 * while the limit is reached (a buffered channel of tokens, as in Go).
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <gosan/errgroup.h>

#include "sync_impl.h"

struct go_errgroup {
    go_ctx *ctx;          /* derived context, canceled on first error */
    go_wg wg;
    go_chan *sem;         /* tokens when a limit is set, else NULL */
    go_once err_once;
    int err;              /* first non-zero result */
};

struct task {
    go_errgroup *g;
    int (*fn)(go_ctx *ctx, void *arg);
    void *arg;
    int result;
};

go_errgroup *go_errgroup_new(go_ctx *parent, go_ctx **ctx_out)
{
    go_errgroup *g = rt__object_alloc(sizeof *g);
    if (!g)
        rt__throw_user("panic: go_errgroup_new: out of memory");
    g->ctx = go_ctx_with_cancel(parent ? parent : go_ctx_background());
    if (ctx_out)
        *ctx_out = g->ctx;
    return g;
}

static void record_error(void *arg)
{
    struct task *t = arg;
    t->g->err = t->result;
    go_ctx_cancel(t->g->ctx);
}

/* task_done is Go's deferred g.done(): it runs even if the task calls
 * go_exit. */
static void task_done(void *arg)
{
    struct task *t = arg;
    go_errgroup *g = t->g;
    rt__object_free(t);
    if (g->sem)
        go_chan_recv(g->sem, NULL);
    go_wg_done(&g->wg);
}

static void run_task(void *arg)
{
    struct task *t = arg;
    go_errgroup *g = t->g;
    struct rt_defer done;
    rt__defer_push(&done, task_done, t);
    t->result = t->fn(g->ctx, t->arg);
    if (t->result != 0)
        go_once_do(&g->err_once, record_error, t);
    rt__defer_pop(&done);
    task_done(t);
}

void go_errgroup_go(go_errgroup *g, int (*fn)(go_ctx *ctx, void *arg),
                    void *arg)
{
    if (g->sem)
        go_chan_send(g->sem, NULL);
    struct task *t = rt__object_alloc(sizeof *t);
    if (!t)
        rt__throw_user("panic: go_errgroup_go: out of memory");
    t->g = g;
    t->fn = fn;
    t->arg = arg;
    t->result = 0;
    go_wg_add(&g->wg, 1);
    go_spawn(run_task, t);
}

void go_errgroup_set_limit(go_errgroup *g, int n)
{
    if (g->sem && go_chan_len(g->sem) != 0)
        rt__throw_user("panic: errgroup: modify limit while %zu goroutines "
                       "in the group are still active", go_chan_len(g->sem));
    if (g->sem)
        go_chan_free(g->sem);
    g->sem = n < 0 ? NULL : go_chan_make(0, (size_t)n);
}

int go_errgroup_wait(go_errgroup *g)
{
    go_wg_wait(&g->wg);
    go_ctx_cancel(g->ctx);
    return g->err;
}

void go_errgroup_free(go_errgroup *g)
{
    if (!g)
        return;
    if (g->sem)
        go_chan_free(g->sem);
    go_ctx_release(g->ctx);
    rt__object_free(g);
}
