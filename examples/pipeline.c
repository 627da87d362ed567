/* SPDX-License-Identifier: MIT */
/*
 * This file implements a pipeline with explicit cancellation, from the Go
 * blog's "Pipelines and cancellation": generator -> square -> running sum,
 * each stage a goroutine owning (and closing) its output channel. Every
 * send is a select against the context's Done channel, so when the
 * consumer stops early and cancels, each stage blocked on a send returns,
 * closes its output, and the close ripples down the pipeline: nothing
 * stays blocked and no goroutine leaks.
 *
 * The Go program it mirrors:
 *
 *     func gen(ctx context.Context, n int) <-chan int {  // n == 0: forever
 *         out := make(chan int)
 *         go func() {
 *             defer close(out)
 *             for i := 1; n == 0 || i <= n; i++ {
 *                 select {
 *                 case out <- i:
 *                 case <-ctx.Done(): return
 *                 }
 *             }
 *         }()
 *         return out
 *     }
 *     // sq and sum have the same shape: for v := range in { select {...} }
 *
 *     ctx, cancel := context.WithCancel(context.Background())
 *     sums := sum(ctx, sq(ctx, gen(ctx, 0)))
 *     for i := 0; i < 10; i++ { fmt.Println(<-sums) }
 *     cancel()  // the upstream stages exit instead of leaking
 *
 * The program runs the pipeline twice: to completion on a finite input,
 * then on an endless input that the consumer abandons after a few values.
 * Both times it checks the values and that only main is left afterwards.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gosan.h>

enum { FINITE_N = 100, EARLY_STOP = 10 };

/* stage is one pipeline stage's argument; it lives in main's frame. */
struct stage {
    go_ctx *ctx;  /* cancels the whole pipeline */
    go_chan *in;  /* long; NULL for the generator */
    go_chan *out; /* long; made by the caller, closed by the stage */
    long n;       /* generator only: how many values, 0 = forever */
};

/* send_or_done is `select { case out <- v: case <-ctx.Done(): }`; it
 * returns false when the context won. */
static bool send_or_done(go_ctx *ctx, go_chan *out, long v)
{
    go_select_case cases[2] = {GO_SEND_CASE(out, &v),
                               GO_RECV_CASE(go_ctx_done(ctx), NULL)};
    return go_select(cases, 2, false) == 0;
}

static void gen(void *arg)
{
    struct stage *s = arg;
    for (long i = 1; s->n == 0 || i <= s->n; i++)
        if (!send_or_done(s->ctx, s->out, i))
            break;
    go_chan_close(s->out); /* defer close(out) */
}

static void sq(void *arg)
{
    struct stage *s = arg;
    long v;
    while (go_chan_recv(s->in, &v))
        if (!send_or_done(s->ctx, s->out, v * v))
            break;
    go_chan_close(s->out);
}

/* sum emits the running sum after each input. */
static void sum(void *arg)
{
    struct stage *s = arg;
    long v, total = 0;
    while (go_chan_recv(s->in, &v)) {
        total += v;
        if (!send_or_done(s->ctx, s->out, total))
            break;
    }
    go_chan_close(s->out);
}

/* settle waits, like goleak's retries, until only main is left. */
static int settle(int64_t timeout_ns)
{
    int64_t deadline = go_now() + timeout_ns;
    int n;
    while ((n = go_num_goroutine()) > 1 && go_now() < deadline)
        go_sleep(1000 * 1000);
    return n;
}

static long sum_of_squares(long k)
{
    return k * (k + 1) * (2 * k + 1) / 6;
}

/* run builds gen(n) | sq | sum, reads up to `take` running sums (all of
 * them when take is 0), cancels, and checks values and goroutines. */
static int run(long n, long take)
{
    go_ctx *ctx = go_ctx_with_cancel(go_ctx_background());
    struct stage st[3];
    go_chan *in = NULL;
    go_fn fns[3] = {gen, sq, sum};

    for (int i = 0; i < 3; i++) {
        st[i] = (struct stage){ctx, in, go_chan_make(sizeof(long), 0), n};
        go(fns[i], &st[i]);
        in = st[i].out;
    }

    /* Consume; the k-th running sum is 1^2 + ... + k^2. */
    long got = 0, v, last = 0;
    while ((take == 0 || got < take) && go_chan_recv(in, &v)) {
        got++;
        last = v;
        if (v != sum_of_squares(got)) {
            fprintf(stderr, "pipeline: FAIL: sum #%ld is %ld, want %ld\n", got,
                    v, sum_of_squares(got));
            return 1;
        }
    }
    long want = take ? take : n;
    if (got != want) {
        fprintf(stderr, "pipeline: FAIL: %ld sums, want %ld\n", got, want);
        return 1;
    }

    /* Leave early: without this cancel the stages would block forever. */
    go_ctx_cancel(ctx);
    int left = settle(2LL * 1000 * 1000 * 1000);
    if (left != 1) {
        fprintf(stderr, "pipeline: FAIL: %d goroutines left, want 1\n", left);
        return 1;
    }
    for (int i = 0; i < 3; i++)
        go_chan_free(st[i].out);
    go_ctx_release(ctx);
    printf("pipeline: %s: %ld sums, last %ld, no leak: ok\n",
           take ? "early exit" : "to completion", got, last);
    return 0;
}

int main(void)
{
    if (run(FINITE_N, 0) != 0)
        return 1;
    return run(0, EARLY_STOP);
}
