/* SPDX-License-Identifier: MIT */
/*
 * This file implements fan-out and fan-in, from the Go blog's "Pipelines
 * and cancellation". Fan-out: several goroutines read from the same
 * channel until it is closed, spreading the work between them. Fan-in: a
 * merge stage starts one forwarding goroutine per input channel, all
 * sending into a single output channel, and closes the output once a
 * WaitGroup says every forwarder is done.
 *
 * The Go program it mirrors:
 *
 *     func gen(n int) <-chan int {
 *         out := make(chan int)
 *         go func() { for i := 1; i <= n; i++ { out <- i }; close(out) }()
 *         return out
 *     }
 *     func sq(in <-chan int) <-chan int {
 *         out := make(chan int)
 *         go func() { for n := range in { out <- n * n }; close(out) }()
 *         return out
 *     }
 *     func merge(cs ...<-chan int) <-chan int {
 *         var wg sync.WaitGroup
 *         out := make(chan int)
 *         output := func(c <-chan int) {
 *             for n := range c { out <- n }
 *             wg.Done()
 *         }
 *         wg.Add(len(cs))
 *         for _, c := range cs { go output(c) }
 *         go func() { wg.Wait(); close(out) }()
 *         return out
 *     }
 *
 *     in := gen(n)
 *     for n := range merge(sq(in), sq(in), sq(in), sq(in)) { ... }
 *
 * The program checks that every square arrives exactly once and that no
 * goroutine is left behind.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gosan.h>

enum { N = 500, NUM_WORKERS = 4 };

/* stage is the argument of a goroutine reading `in` and writing `out`;
 * gen has no input, and a merge forwarder shares its merger's wg. */
struct stage {
    go_chan *in;  /* long; NULL for gen */
    go_chan *out; /* long; the stage closes it, except a forwarder */
    go_wg *wg;    /* merge's WaitGroup, for forwarders only */
};

static void gen(void *arg)
{
    struct stage *s = arg;
    for (long i = 1; i <= N; i++)
        go_chan_send(s->out, &i);
    go_chan_close(s->out);
}

/* sq is one fan-out worker: several of them share the same `in`. */
static void sq(void *arg)
{
    struct stage *s = arg;
    long n;
    while (go_chan_recv(s->in, &n)) {
        long v = n * n;
        go_chan_send(s->out, &v);
    }
    go_chan_close(s->out);
}

/* output is merge's forwarder: it copies one input to the shared output. */
static void output(void *arg)
{
    struct stage *s = arg;
    long n;
    while (go_chan_recv(s->in, &n))
        go_chan_send(s->out, &n);
    go_wg_done(s->wg);
}

/* merger is the goroutine that closes merge's output after the last
 * forwarder is done: closing earlier would make a forwarder send on a
 * closed channel. */
struct merger {
    go_wg wg;     /* counts forwarders */
    go_chan *out; /* the merged channel */
    struct stage fwd[NUM_WORKERS];
};

static void close_when_done(void *arg)
{
    struct merger *m = arg;
    go_wg_wait(&m->wg);
    go_chan_close(m->out);
}

/* merge fans in cs[0..n) and returns the merged channel. */
static go_chan *merge(struct merger *m, go_chan **cs, int n)
{
    m->out = go_chan_make(sizeof(long), 0);
    go_wg_add(&m->wg, n);
    for (int i = 0; i < n; i++) {
        m->fwd[i] = (struct stage){cs[i], m->out, &m->wg};
        go(output, &m->fwd[i]);
    }
    go(close_when_done, m);
    return m->out;
}

static int settle(int64_t timeout_ns)
{
    int64_t deadline = go_now() + timeout_ns;
    int n;
    while ((n = go_num_goroutine()) > 1 && go_now() < deadline)
        go_sleep(1000 * 1000);
    return n;
}

static int fail(const char *msg, long got, long want)
{
    fprintf(stderr, "fan_out_fan_in: FAIL: %s: got %ld, want %ld\n", msg, got,
            want);
    return 1;
}

int main(void)
{
    static char seen[N + 1];
    struct stage source = {NULL, go_chan_make(sizeof(long), 0), NULL};
    struct stage workers[NUM_WORKERS];
    go_chan *sq_out[NUM_WORKERS];
    struct merger m = {0};

    /* One source, fanned out to NUM_WORKERS squarers... */
    go(gen, &source);
    for (int i = 0; i < NUM_WORKERS; i++) {
        sq_out[i] = go_chan_make(sizeof(long), 0);
        workers[i] = (struct stage){source.out, sq_out[i], NULL};
        go(sq, &workers[i]);
    }
    /* ...fanned back in by merge. */
    go_chan *merged = merge(&m, sq_out, NUM_WORKERS);

    long v, sum = 0, count = 0;
    while (go_chan_recv(merged, &v)) {
        long root = 1;
        while (root * root < v)
            root++;
        if (root > N || root * root != v)
            return fail("not a square of 1..N", v, N);
        if (seen[root]++)
            return fail("square received twice", v, 0);
        sum += v;
        count++;
    }
    if (count != N)
        return fail("values received", count, N);
    long want = (long)N * (N + 1) * (2 * N + 1) / 6;
    if (sum != want)
        return fail("sum of squares", sum, want);

    int left = settle(2LL * 1000 * 1000 * 1000);
    if (left != 1)
        return fail("goroutines left", left, 1);
    go_chan_free(source.out);
    for (int i = 0; i < NUM_WORKERS; i++)
        go_chan_free(sq_out[i]);
    go_chan_free(merged);
    printf("fan_out_fan_in: %ld squares through %d workers, sum %ld: ok\n",
           count, NUM_WORKERS, sum);
    return 0;
}
