/* SPDX-License-Identifier: MIT */
/*
 * This file implements the generator pattern: a function returns a
 * channel and starts a goroutine that yields values on it, here the
 * Fibonacci numbers, for as long as someone wants them. The generator
 * never knows how many values the consumer will take, so each send is a
 * select against the context's Done channel; when the consumer stops
 * early it cancels, the generator returns and closes its channel. Without
 * the select the generator would stay blocked on its send forever: the
 * classic goroutine leak.
 *
 * The Go program it mirrors:
 *
 *     func fib(ctx context.Context) <-chan uint64 {
 *         ch := make(chan uint64)
 *         go func() {
 *             defer close(ch)
 *             a, b := uint64(0), uint64(1)
 *             for {
 *                 select {
 *                 case ch <- a:
 *                     a, b = b, a+b
 *                 case <-ctx.Done():
 *                     return
 *                 }
 *             }
 *         }()
 *         return ch
 *     }
 *
 *     ctx, cancel := context.WithCancel(context.Background())
 *     for v := range fib(ctx) { if v > limit { break } ... }
 *     cancel()
 *
 * The program runs several consumers that stop after different numbers of
 * values, checks the values, that each generator saw the cancellation, and
 * that only main is left at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gosan.h>

/* fib_gen is a running generator; the consumer owns it. */
struct fib_gen {
    go_ctx *ctx;  /* canceled by the consumer to stop the generator */
    go_chan *ch;  /* uint64_t values; closed by the generator on exit */
    long yielded; /* values sent; written by the generator, read by the
                     consumer only after ch is closed */
    int exit_err; /* go_ctx_err seen when the generator returned */
};

static void fib_loop(void *arg)
{
    struct fib_gen *g = arg;
    uint64_t a = 0, b = 1;
    for (;;) {
        go_select_case cases[2] = {GO_SEND_CASE(g->ch, &a),
                                   GO_RECV_CASE(go_ctx_done(g->ctx), NULL)};
        if (go_select(cases, 2, false) == 1)
            break;
        uint64_t next = a + b;
        a = b;
        b = next;
        g->yielded++;
    }
    g->exit_err = go_ctx_err(g->ctx);
    /* defer close(ch): the close publishes yielded and exit_err. */
    go_chan_close(g->ch);
}

/* fib_start is fib(ctx): it starts the generator and returns it. */
static void fib_start(struct fib_gen *g, go_ctx *parent)
{
    *g = (struct fib_gen){.ctx = go_ctx_with_cancel(parent),
                          .ch = go_chan_make(sizeof(uint64_t), 0)};
    go(fib_loop, g);
}

static int settle(int64_t timeout_ns)
{
    int64_t deadline = go_now() + timeout_ns;
    int n;
    while ((n = go_num_goroutine()) > 1 && go_now() < deadline)
        go_sleep(1000 * 1000);
    return n;
}

/* consume takes `take` values from a fresh generator, then cancels it. */
static int consume(long take)
{
    struct fib_gen g;
    uint64_t v = 0, a = 0, b = 1;
    fib_start(&g, go_ctx_background());

    for (long i = 0; i < take; i++) {
        if (!go_chan_recv(g.ch, &v)) {
            fprintf(stderr, "generator: FAIL: closed after %ld values\n", i);
            return 1;
        }
        if (v != a) {
            fprintf(stderr, "generator: FAIL: fib(%ld) = %llu, want %llu\n", i,
                    (unsigned long long)v, (unsigned long long)a);
            return 1;
        }
        uint64_t next = a + b;
        a = b;
        b = next;
    }

    /* Stop early. The generator may still win a race or two between its
     * send and ctx.Done(); draining until the close both takes those
     * values and waits for the generator to finish. */
    go_ctx_cancel(g.ctx);
    long extra = 0;
    while (go_chan_recv(g.ch, NULL))
        extra++;
    if (g.exit_err != GO_CANCELED || g.yielded != take + extra) {
        fprintf(stderr, "generator: FAIL: exit err %d, yielded %ld of %ld\n",
                g.exit_err, g.yielded, take + extra);
        return 1;
    }
    go_chan_free(g.ch);
    go_ctx_release(g.ctx);
    printf("generator: took %ld values (last %llu), %ld after cancel\n", take,
           (unsigned long long)v, extra);
    return 0;
}

int main(void)
{
    static const long takes[] = {0, 1, 2, 10, 50, 93}; /* fib(93) fits */

    for (size_t i = 0; i < sizeof takes / sizeof takes[0]; i++)
        if (consume(takes[i]) != 0)
            return 1;

    /* Every generator has returned: only main is left. */
    int left = settle(2LL * 1000 * 1000 * 1000);
    if (left != 1) {
        fprintf(stderr, "generator: FAIL: %d goroutines left, want 1\n", left);
        return 1;
    }
    printf("generator: no goroutine leaked: ok\n");
    return 0;
}
