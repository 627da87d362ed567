/* SPDX-License-Identifier: MIT */
/*
 * This file implements gosan_bench, the C port on gosan's public API of the
 * Go anchor benchmark (shared/anchors/go/bench.go). Every workload keeps
 * bench.go's name, default op count, warm-up rule (one run at ops/10 before
 * the timed run, except spawn_parked_100k), definition of an op and output
 * line:
 *
 *   <name> ns_per_op=<f> ops=<n> elapsed_ms=<f> [extras] peak_rss_kb=<n>
 *
 * and the program takes the same flags: -child NAME runs one workload in
 * this process (run_one below); by default each workload runs in a child
 * process of its own (driver.c), so that no stack pool, heap or peak RSS
 * carries over from one workload to the next; -only, -scale, -list,
 * -inproc, -nowarmup and the idle gate flags behave as in bench.go.
 * bench/compare.sh runs both programs side by side.
 *
 * Differences from Go that a C port cannot avoid, each also noted where it
 * happens:
 *  - There is no garbage collector. Go calls runtime.GC() before each timed
 *    run; we call nothing. Objects Go leaves to the GC are freed here: the
 *    contexts of the context workloads inside the timed region (Go's GC does
 *    that work on Go's clock too), channels after the timed region (one to
 *    three per run, outside any loop, where Go's GC would not run either).
 *  - A goroutine takes one void * argument instead of a closure, so the
 *    captured variables live in small structs on the spawning stack.
 *  - Freeing a channel requires that nobody touches it any more, and a
 *    goroutine that closes a channel may still be inside go_chan_close
 *    when the receiver sees the close. Such closers call go_wg_done on a
 *    "closers" WaitGroup after the close (one extra atomic per run) and
 *    the main goroutine waits for it after the clock has stopped.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gosan.h>

#include "bench.h"

/* result of one timed run. */
struct result {
    int64_t elapsed;  /* ns */
    int64_t ops;      /* unit that ns_per_op divides by */
    double ns_per_op; /* set explicitly when custom (timer_after) */
    bool custom;
    char extra[320];  /* extra "k=v" fields */
};

/* bench_sink defeats dead-code elimination: every workload adds its
 * checksum to it, like bench.go's sink. It has external linkage, so the
 * compiler must assume somebody reads it. */
int64_t bench_sink;

/* initial_procs is GOMAXPROCS at start (the GOMAXPROCS env var, else the
 * runtime's default); restored after workloads that change it. */
static int initial_procs;

/* die is Go's panic for a workload whose result is wrong. */
static void die(const char *msg)
{
    fprintf(stderr, "panic: %s\n", msg);
    fflush(stdout);
    exit(1);
}

static void set_result(struct result *r, int64_t start, int64_t ops)
{
    r->elapsed = bench_now_ns() - start;
    r->ops = ops;
}

/* ---- /proc helpers ------------------------------------------------------ */

static int64_t rss_kb(void) { return bench_proc_status_kb("VmRSS"); }
static int64_t peak_rss_kb(void) { return bench_proc_status_kb("VmHWM"); }

/* ---- workloads ---------------------------------------------------------- */

/* spawn_join: spawn n goroutines that only call wg.Done(); wait for all.
 * op = one goroutine (spawn + run + exit). */
static void spawn_join_fn(void *arg)
{
    go_wg_done(arg);
}

static void spawn_join(int64_t n, struct result *r)
{
    go_wg wg = GO_WG_INIT;
    go_wg_add(&wg, (int)n);
    int64_t start = bench_now_ns();
    for (int64_t i = 0; i < n; i++)
        go_spawn(spawn_join_fn, &wg);
    go_wg_wait(&wg);
    set_result(r, start, n);
}

/* spawn_parked_100k: n goroutines block on one shared channel; RSS is read
 * once all have started (and are parked or about to park); then the
 * channel is closed and all are joined. op = one goroutine
 * (spawn+park+wake+exit). */
struct parked {
    go_chan *ch; /* chan struct{} */
    go_wg started, done;
};

static void parked_fn(void *arg)
{
    struct parked *p = arg;
    go_wg_done(&p->started);
    go_chan_recv(p->ch, NULL);
    go_wg_done(&p->done);
}

static void spawn_parked(int64_t n, struct result *r)
{
    /* Stands for Go's runtime.GC(); debug.FreeOSMemory(). */
    malloc_trim(0);
    int64_t base = rss_kb();
    struct parked p = { .ch = go_chan_make(0, 0) };
    go_wg_add(&p.started, (int)n);
    go_wg_add(&p.done, (int)n);
    int64_t start = bench_now_ns();
    for (int64_t i = 0; i < n; i++)
        go_spawn(parked_fn, &p);
    go_wg_wait(&p.started);
    int64_t spawn_el = bench_now_ns() - start;
    /* give the (at most GOMAXPROCS-1) stragglers a chance to reach the park. */
    for (int i = 0; i < 8; i++)
        go_yield();
    int64_t parked = rss_kb();
    go_chan_close(p.ch);
    go_wg_wait(&p.done);
    set_result(r, start, n);
    go_chan_free(p.ch); /* every receiver is past go_chan_recv */
    double bpg = (double)(parked - base) * 1024 / (double)n;
    snprintf(r->extra, sizeof r->extra,
             "bytes_per_goroutine=%.0f rss_base_kb=%" PRId64
             " rss_parked_kb=%" PRId64 " spawn_to_parked_ns_per_op=%.1f",
             bpg, base, parked, (double)spawn_el / (double)n);
}

/* pingpong_unbuffered: two goroutines bounce a value over two unbuffered
 * channels. op = one round trip (2 channel handoffs). */
struct pingpong {
    go_chan *ping, *pong; /* chan int64 */
    int64_t n;
    go_wg wg;
};

static void ping_fn(void *arg)
{
    struct pingpong *pp = arg;
    int64_t v;
    for (int64_t i = 0; i < pp->n; i++) {
        go_chan_send(pp->ping, &i);
        go_chan_recv(pp->pong, &v);
    }
    go_chan_close(pp->ping);
    go_wg_done(&pp->wg);
}

static void pong_fn(void *arg)
{
    struct pingpong *pp = arg;
    int64_t v;
    while (go_chan_recv(pp->ping, &v))
        go_chan_send(pp->pong, &v);
    go_wg_done(&pp->wg);
}

static void pingpong(int64_t n, int procs, struct result *r)
{
    go_maxprocs(procs);
    struct pingpong pp = {
        .ping = go_chan_make(sizeof(int64_t), 0),
        .pong = go_chan_make(sizeof(int64_t), 0),
        .n = n,
    };
    go_wg_add(&pp.wg, 2);
    int64_t start = bench_now_ns();
    go_spawn(ping_fn, &pp);
    go_spawn(pong_fn, &pp);
    go_wg_wait(&pp.wg);
    set_result(r, start, n);
    go_chan_free(pp.ping);
    go_chan_free(pp.pong);
    snprintf(r->extra, sizeof r->extra, "gomaxprocs=%d", procs);
}

static void pingpong_gmp1(int64_t n, struct result *r) { pingpong(n, 1, r); }
static void pingpong_gmp2(int64_t n, struct result *r) { pingpong(n, 2, r); }

/* chan_buffered_spsc: one producer, one consumer, cap 1024, ints.
 * op = item. */
struct spsc {
    go_chan *ch;
    int64_t n;
    go_wg closers; /* not in Go: lets main free ch (see the file comment) */
};

static void spsc_producer(void *arg)
{
    struct spsc *s = arg;
    for (int64_t i = 0; i < s->n; i++)
        go_chan_send(s->ch, &i);
    go_chan_close(s->ch);
    go_wg_done(&s->closers);
}

static void chan_spsc(int64_t n, struct result *r)
{
    struct spsc s = { .ch = go_chan_make(sizeof(int64_t), 1024), .n = n };
    go_wg_add(&s.closers, 1);
    int64_t start = bench_now_ns();
    go_spawn(spsc_producer, &s);
    int64_t sum = 0, v;
    while (go_chan_recv(s.ch, &v))
        sum += v;
    set_result(r, start, n);
    go_wg_wait(&s.closers);
    go_chan_free(s.ch);
    bench_sink += sum;
}

/* chan_mpmc: 4 producers, 4 consumers, cap 128. op = item. */
enum { MPMC_P = 4, MPMC_C = 4 };

struct mpmc {
    go_chan *ch;
    int64_t per;
    go_wg pw, cw;
    int64_t sums[MPMC_C * 8]; /* padded */
};

struct mpmc_consumer {
    struct mpmc *m;
    int idx;
};

static void mpmc_producer(void *arg)
{
    struct mpmc *m = arg;
    for (int64_t i = 0; i < m->per; i++)
        go_chan_send(m->ch, &i);
    go_wg_done(&m->pw);
}

static void mpmc_consumer(void *arg)
{
    struct mpmc_consumer *c = arg;
    int64_t s = 0, v;
    while (go_chan_recv(c->m->ch, &v))
        s += v;
    c->m->sums[c->idx * 8] = s;
    go_wg_done(&c->m->cw);
}

static void chan_mpmc(int64_t n, struct result *r)
{
    struct mpmc m = { .ch = go_chan_make(sizeof(int64_t), 128),
                      .per = n / MPMC_P };
    struct mpmc_consumer cons[MPMC_C];
    n = m.per * MPMC_P;
    go_wg_add(&m.pw, MPMC_P);
    go_wg_add(&m.cw, MPMC_C);
    int64_t start = bench_now_ns();
    for (int p = 0; p < MPMC_P; p++)
        go_spawn(mpmc_producer, &m);
    for (int c = 0; c < MPMC_C; c++) {
        cons[c] = (struct mpmc_consumer){ &m, c };
        go_spawn(mpmc_consumer, &cons[c]);
    }
    go_wg_wait(&m.pw);
    go_chan_close(m.ch);
    go_wg_wait(&m.cw);
    set_result(r, start, n);
    go_chan_free(m.ch);
    for (int i = 0; i < MPMC_C * 8; i++)
        bench_sink += m.sums[i];
}

/* select_2: two producers feed two buffered channels (cap 1024 each); one
 * consumer selects over both. op = item received. */
struct sel2_producer {
    go_chan *ch;
    int64_t per;
    go_wg *closers; /* not in Go: lets main free the channels */
};

static void sel2_producer(void *arg)
{
    struct sel2_producer *p = arg;
    for (int64_t i = 0; i < p->per; i++)
        go_chan_send(p->ch, &i);
    go_chan_close(p->ch);
    go_wg_done(p->closers);
}

static void select2(int64_t n, struct result *r)
{
    int64_t per = n / 2;
    n = per * 2;
    go_chan *a = go_chan_make(sizeof(int64_t), 1024);
    go_chan *b = go_chan_make(sizeof(int64_t), 1024);
    go_wg closers = GO_WG_INIT;
    go_wg_add(&closers, 2);
    struct sel2_producer pa = { a, per, &closers }, pb = { b, per, &closers };
    int64_t start = bench_now_ns();
    go_spawn(sel2_producer, &pa);
    go_spawn(sel2_producer, &pb);
    int64_t sum = 0, cnt = 0, v;
    go_chan *ra = a, *rb = b; /* NULL is the nil channel: never fires */
    while (ra || rb) {
        go_select_case cases[2] = { GO_RECV_CASE(ra, &v), GO_RECV_CASE(rb, &v) };
        int i = go_select(cases, 2, false);
        if (!cases[i].ok) {
            if (i == 0)
                ra = NULL;
            else
                rb = NULL;
            continue;
        }
        sum += v;
        cnt++;
    }
    set_result(r, start, n);
    if (cnt != n)
        die("select_2: lost items");
    go_wg_wait(&closers);
    go_chan_free(a);
    go_chan_free(b);
    bench_sink += sum;
}

/* mutex_contended: 8 goroutines each do n/8 Lock; counter++; Unlock.
 * op = one Lock/Unlock pair. */
enum { MUTEX_G = 8, RW_G = 8 };

struct mutex_shared {
    go_mutex mu;
    int64_t counter;
    int64_t per;
    go_wg wg;
};

static void mutex_worker(void *arg)
{
    struct mutex_shared *m = arg;
    for (int64_t i = 0; i < m->per; i++) {
        go_mutex_lock(&m->mu);
        m->counter++;
        go_mutex_unlock(&m->mu);
    }
    go_wg_done(&m->wg);
}

static void mutex_contended(int64_t n, struct result *r)
{
    struct mutex_shared m = { .per = n / MUTEX_G };
    n = m.per * MUTEX_G;
    go_wg_add(&m.wg, MUTEX_G);
    int64_t start = bench_now_ns();
    for (int g = 0; g < MUTEX_G; g++)
        go_spawn(mutex_worker, &m);
    go_wg_wait(&m.wg);
    set_result(r, start, n);
    if (m.counter != n)
        die("mutex_contended: bad count");
    bench_sink += m.counter;
}

/* mutex_uncontended: one goroutine Lock; counter++; Unlock. op = pair. */
static void mutex_uncontended(int64_t n, struct result *r)
{
    go_mutex mu = GO_MUTEX_INIT;
    int64_t counter = 0;
    int64_t start = bench_now_ns();
    for (int64_t i = 0; i < n; i++) {
        go_mutex_lock(&mu);
        counter++;
        go_mutex_unlock(&mu);
    }
    set_result(r, start, n);
    bench_sink += counter;
}

/* rwmutex_read: 8 goroutines each do n/8 RLock; read; RUnlock. op = pair. */
struct rw_shared {
    go_rwmutex mu;
    int64_t shared;
    int64_t per;
    go_wg wg;
    int64_t sums[RW_G * 8]; /* padded */
};

struct rw_reader {
    struct rw_shared *rw;
    int idx;
};

static void rw_reader(void *arg)
{
    struct rw_reader *a = arg;
    struct rw_shared *rw = a->rw;
    int64_t s = 0;
    for (int64_t i = 0; i < rw->per; i++) {
        go_rwmutex_rlock(&rw->mu);
        s += rw->shared;
        go_rwmutex_runlock(&rw->mu);
    }
    rw->sums[a->idx * 8] = s;
    go_wg_done(&rw->wg);
}

static void rwmutex_read(int64_t n, struct result *r)
{
    struct rw_shared rw = { .shared = 1, .per = n / RW_G };
    struct rw_reader readers[RW_G];
    n = rw.per * RW_G;
    go_wg_add(&rw.wg, RW_G);
    int64_t start = bench_now_ns();
    for (int g = 0; g < RW_G; g++) {
        readers[g] = (struct rw_reader){ &rw, g };
        go_spawn(rw_reader, &readers[g]);
    }
    go_wg_wait(&rw.wg);
    set_result(r, start, n);
    for (int i = 0; i < RW_G * 8; i++)
        bench_sink += rw.sums[i];
}

/* wg_fanout: `rounds` rounds; each round spawns 100 workers that each
 * write one result slot, WaitGroup.Wait, then sums the slots (fan-in).
 * op = one worker. */
enum { FAN_W = 100 };

struct fan_worker {
    int64_t *res;
    const int64_t *round;
    go_wg *wg;
    int w;
};

static void fan_worker(void *arg)
{
    struct fan_worker *a = arg;
    a->res[a->w] = (int64_t)a->w * *a->round;
    go_wg_done(a->wg);
}

static void wg_fanout(int64_t rounds, struct result *r)
{
    int64_t res[FAN_W] = { 0 };
    struct fan_worker args[FAN_W];
    int64_t total = 0;
    int64_t start = bench_now_ns();
    for (int64_t round = 0; round < rounds; round++) {
        go_wg wg = GO_WG_INIT; /* a fresh WaitGroup per round, as in Go */
        go_wg_add(&wg, FAN_W);
        for (int w = 0; w < FAN_W; w++) {
            args[w] = (struct fan_worker){ res, &round, &wg, w };
            go_spawn(fan_worker, &args[w]);
        }
        go_wg_wait(&wg);
        for (int w = 0; w < FAN_W; w++)
            total += res[w];
    }
    set_result(r, start, rounds * FAN_W);
    bench_sink += total;
}

/* build_tree builds a depth-3 fan-out-10 tree of WithCancel contexts under
 * root: 10 + 100 + 1000 = 1110 derived contexts, stored in out in creation
 * order (every context after its parent). */
enum { TREE_N = 1110 };

static go_ctx *with_cancel(go_ctx *parent)
{
    go_ctx *c = go_ctx_with_cancel(parent);
    if (!c)
        die("go_ctx_with_cancel: out of memory");
    return c;
}

static void build_tree(go_ctx *root, go_ctx **out)
{
    int k = 0;
    for (int i = 0; i < 10; i++) {
        go_ctx *c1 = out[k++] = with_cancel(root);
        for (int j = 0; j < 10; j++) {
            go_ctx *c2 = out[k++] = with_cancel(c1);
            for (int l = 0; l < 10; l++)
                out[k++] = with_cancel(c2);
        }
    }
}

/* release_tree releases the tree and its root, children before parents:
 * reverse creation order. This is Go's garbage collector's share of the
 * work, and it runs inside the timed region: Go's GC frees the contexts on
 * Go's clock too, so leaving it out would flatter us. */
static void release_tree(go_ctx *root, go_ctx **ctxs)
{
    for (int i = TREE_N - 1; i >= 0; i--)
        go_ctx_release(ctxs[i]);
    go_ctx_release(root);
}

/* context_cancel_tree: per iteration build the 1110-context tree, cancel
 * the root, then receive from every Done channel (main goroutine).
 * op = one context (build + cancel + Done observed). */
static void context_cancel_tree(int64_t iters, struct result *r)
{
    go_ctx **ctxs = malloc(TREE_N * sizeof *ctxs);
    if (!ctxs)
        die("out of memory");
    int64_t start = bench_now_ns();
    for (int64_t it = 0; it < iters; it++) {
        go_ctx *root = with_cancel(go_ctx_background());
        build_tree(root, ctxs);
        go_ctx_cancel(root);
        for (int i = 0; i < TREE_N; i++)
            go_chan_recv(go_ctx_done(ctxs[i]), NULL);
        release_tree(root, ctxs);
    }
    set_result(r, start, iters * TREE_N);
    free(ctxs);
}

/* context_cancel_tree_watchers (extra): as above, but one goroutine per
 * context blocks on its Done channel; after all watchers have started the
 * root is cancelled and all watchers are joined. op = one context + its
 * watcher. */
struct watcher {
    go_ctx *ctx;
    go_wg *started, *done;
};

static void watcher_fn(void *arg)
{
    struct watcher *w = arg;
    go_wg_done(w->started);
    go_chan_recv(go_ctx_done(w->ctx), NULL);
    go_wg_done(w->done);
}

static void context_cancel_tree_watchers(int64_t iters, struct result *r)
{
    go_ctx **ctxs = malloc(TREE_N * sizeof *ctxs);
    struct watcher *ws = malloc(TREE_N * sizeof *ws);
    if (!ctxs || !ws)
        die("out of memory");
    int64_t start = bench_now_ns();
    for (int64_t it = 0; it < iters; it++) {
        go_ctx *root = with_cancel(go_ctx_background());
        build_tree(root, ctxs);
        go_wg started = GO_WG_INIT, done = GO_WG_INIT;
        go_wg_add(&started, TREE_N);
        go_wg_add(&done, TREE_N);
        for (int i = 0; i < TREE_N; i++) {
            ws[i] = (struct watcher){ ctxs[i], &started, &done };
            go_spawn(watcher_fn, &ws[i]);
        }
        go_wg_wait(&started);
        go_ctx_cancel(root);
        go_wg_wait(&done);
        release_tree(root, ctxs); /* every watcher is past its receive */
    }
    set_result(r, start, iters * TREE_N);
    free(ws);
    free(ctxs);
}

/* timer_after: `rounds` rounds; each round 10,000 goroutines each wait on
 * time.After(1ms); round wall time = first spawn .. last goroutine done
 * (includes spawning the 10,000 goroutines; spawn_ms_per_round shows that
 * part). ns_per_op = (mean round wall - 1ms) / 10,000 (overhead per
 * timer). The go_chan_free after the receive is the C price of Go's GC. */
enum { TIMER_G = 10000 };

static void timer_fn(void *arg)
{
    go_chan *c = go_after(1000000);
    int64_t fired;
    go_chan_recv(c, &fired);
    go_chan_free(c);
    go_wg_done(arg);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void timer_after(int64_t rounds, struct result *r)
{
    int64_t *walls = malloc((size_t)rounds * sizeof *walls);
    if (!walls)
        die("out of memory");
    int64_t spawn = 0;
    go_wg wg = GO_WG_INIT;
    int64_t start = bench_now_ns();
    for (int64_t round = 0; round < rounds; round++) {
        int64_t t0 = bench_now_ns();
        go_wg_add(&wg, TIMER_G);
        for (int i = 0; i < TIMER_G; i++)
            go_spawn(timer_fn, &wg);
        spawn += bench_now_ns() - t0;
        go_wg_wait(&wg);
        walls[round] = bench_now_ns() - t0;
    }
    set_result(r, start, rounds * TIMER_G);
    qsort(walls, (size_t)rounds, sizeof *walls, cmp_i64);
    double mean = (double)r->elapsed / (double)rounds;
    r->ns_per_op = (mean - 1e6) / TIMER_G;
    r->custom = true;
    snprintf(r->extra, sizeof r->extra,
             "wall_ms_per_round=%.3f wall_ms_min=%.3f wall_ms_median=%.3f "
             "spawn_ms_per_round=%.3f rounds=%" PRId64,
             mean / 1e6, (double)walls[0] / 1e6,
             (double)walls[rounds / 2] / 1e6,
             (double)spawn / 1e6 / (double)rounds, rounds);
    free(walls);
}

/* worker_pool: one feeder sends n jobs on jobs (cap 1024); 4 workers
 * compute a small hash per job and send it on results (cap 1024); main
 * collects all n results. op = one job. */
enum { POOL_W = 4 };

struct pool {
    go_chan *jobs, *results; /* chan int64 */
    int64_t n;
    go_wg wg;
    go_wg closers; /* not in Go: lets main free the channels */
};

static void pool_feeder(void *arg)
{
    struct pool *p = arg;
    for (int64_t i = 0; i < p->n; i++)
        go_chan_send(p->jobs, &i);
    go_chan_close(p->jobs);
    go_wg_done(&p->closers);
}

static void pool_worker(void *arg)
{
    struct pool *p = arg;
    int64_t j;
    while (go_chan_recv(p->jobs, &j)) {
        uint64_t x = (uint64_t)j + 0x9e3779b97f4a7c15ull;
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 27;
        int64_t out = (int64_t)x;
        go_chan_send(p->results, &out);
    }
    go_wg_done(&p->wg);
}

static void pool_closer(void *arg)
{
    struct pool *p = arg;
    go_wg_wait(&p->wg);
    go_chan_close(p->results);
    go_wg_done(&p->closers);
}

static void worker_pool(int64_t n, struct result *r)
{
    struct pool p = {
        .jobs = go_chan_make(sizeof(int64_t), 1024),
        .results = go_chan_make(sizeof(int64_t), 1024),
        .n = n,
    };
    go_wg_add(&p.wg, POOL_W);
    go_wg_add(&p.closers, 2);
    int64_t start = bench_now_ns();
    go_spawn(pool_feeder, &p);
    for (int w = 0; w < POOL_W; w++)
        go_spawn(pool_worker, &p);
    go_spawn(pool_closer, &p);
    int64_t sum = 0, cnt = 0, v;
    while (go_chan_recv(p.results, &v)) {
        sum += v;
        cnt++;
    }
    set_result(r, start, n);
    if (cnt != n)
        die("worker_pool: lost results");
    go_wg_wait(&p.closers);
    go_chan_free(p.jobs);
    go_chan_free(p.results);
    bench_sink += sum;
}

static const struct workload workloads[] = {
    { "spawn_join", 1000000, false, true, spawn_join },
    { "spawn_parked_100k", 100000, true, false, spawn_parked },
    { "pingpong_unbuffered_gmp1", 2000000, false, true, pingpong_gmp1 },
    { "pingpong_unbuffered_gmp2", 2000000, false, true, pingpong_gmp2 },
    { "chan_buffered_spsc", 10000000, false, true, chan_spsc },
    { "chan_mpmc", 16000000, false, true, chan_mpmc },
    { "select_2", 10000000, false, true, select2 },
    { "mutex_contended", 20000000, false, true, mutex_contended },
    { "mutex_uncontended", 40000000, false, true, mutex_uncontended },
    { "rwmutex_read", 30000000, false, true, rwmutex_read },
    { "wg_fanout", 20000, false, true, wg_fanout },
    { "context_cancel_tree", 1000, false, true, context_cancel_tree },
    { "context_cancel_tree_watchers", 500, false, true,
      context_cancel_tree_watchers },
    { "timer_after", 25, false, true, timer_after },
    { "worker_pool", 4000000, false, true, worker_pool },
};
enum { NWORKLOADS = sizeof workloads / sizeof workloads[0] };

static const struct workload *find_workload(const char *name)
{
    for (int i = 0; i < NWORKLOADS; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return &workloads[i];
    return NULL;
}

/* ---- driver ------------------------------------------------------------- */

/* run_one runs w (warm-up first unless disabled) in this process and
 * prints its result line. */
static void run_one(const struct workload *w, double scale, bool warm)
{
    int64_t n = w->ops;
    if (!w->fixed) {
        n = (int64_t)((double)n * scale);
        if (n < 1)
            n = 1;
    }
    struct result r = { 0 };
    if (warm && w->warmup) {
        int64_t wn = n / 10;
        if (wn < 1)
            wn = 1;
        w->run(wn, &r);
        go_maxprocs(initial_procs);
        memset(&r, 0, sizeof r);
    }
    /* Go calls runtime.GC() here; there is nothing to collect in C. */
    w->run(n, &r);
    double ns = r.custom ? r.ns_per_op : (double)r.elapsed / (double)r.ops;
    printf("%s ns_per_op=%.2f ops=%" PRId64 " elapsed_ms=%.1f", w->name, ns,
           r.ops, (double)r.elapsed / 1e6);
    if (r.extra[0])
        printf(" %s", r.extra);
    printf(" peak_rss_kb=%" PRId64 "\n", peak_rss_kb());
    fflush(stdout);
    go_maxprocs(initial_procs);
}


int main(int argc, char **argv)
{
    struct options o;
    bench_parse_args(argc, argv, &o);

    if (o.list) {
        for (int i = 0; i < NWORKLOADS; i++)
            printf("%s ops=%" PRId64 " fixed=%s\n", workloads[i].name,
                   workloads[i].ops, workloads[i].fixed ? "true" : "false");
        return 0;
    }
    if (o.child) {
        const struct workload *w = find_workload(o.child);
        if (!w) {
            fprintf(stderr, "unknown workload \"%s\"\n", o.child);
            return 2;
        }
        initial_procs = go_maxprocs(0); /* also starts the runtime */
        run_one(w, o.scale, !o.nowarm);
        return 0;
    }

    const struct workload *sel[NWORKLOADS];
    int nsel = bench_select(o.only, workloads, NWORKLOADS, sel);
    const char *env_procs = getenv("GOMAXPROCS");
    /* The driver does not start the runtime, so it shows the GOMAXPROCS
     * setting rather than the resolved value (the runtime's default is
     * NumCPU, or less under a cgroup CPU quota). */
    printf("# gosan race=false GOMAXPROCS=%s NumCPU=%d scale=%s "
           "isolation=%s\n",
           env_procs ? env_procs : "default", bench_num_cpu(),
           o.scale_str, o.inproc ? "inproc" : "process-per-workload");
    fflush(stdout);
    if (o.inproc)
        initial_procs = go_maxprocs(0);
    bool failed = false;
    for (int i = 0; i < nsel; i++) {
        if (o.inproc)
            run_one(sel[i], o.scale, !o.nowarm);
        else if (!bench_run_driven(sel[i], &o))
            failed = true;
    }
    return failed ? 1 : 0;
}
