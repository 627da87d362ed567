/* SPDX-License-Identifier: MIT */
/*
 * This file implements bounded concurrent fetching with an errgroup
 * (golang.org/x/sync/errgroup): each URL is fetched by a function run in
 * the group, SetLimit bounds how many run at once (Go blocks until a slot
 * is free), and the first function to fail cancels the group's context.
 * The other fetches observe ctx.Done() and give up early; fetches started
 * after the failure see the canceled context at once. Wait returns the
 * first error, not the cancellations it caused.
 *
 * The Go program it mirrors:
 *
 *     g, ctx := errgroup.WithContext(context.Background())
 *     g.SetLimit(3)
 *     for _, u := range urls {
 *         g.Go(func() error {
 *             if err := ctx.Err(); err != nil { return err }
 *             select {
 *             case <-time.After(u.latency):   // the "download"
 *                 return u.err
 *             case <-ctx.Done():
 *                 return ctx.Err()
 *             }
 *         })
 *     }
 *     err := g.Wait()
 *
 * Round one fetches everything successfully; round two has one failing
 * URL among slow ones. The program checks Wait's result, each fetch's
 * outcome, that concurrency never exceeded the limit, and the run times
 * that follow from it.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <gosan.h>

#define MS (1000LL * 1000)

enum { NUM_URLS = 10, LIMIT = 3, ERR_CANCELED = -1 };
enum outcome { NOT_RUN, FETCHED, FAILED, CANCELED };

struct fetch {
    int64_t latency;      /* how long the fake download takes */
    int status;           /* 0: success, else the error it returns */
    enum outcome outcome; /* written by the fetch, read after Wait */
};

static atomic_int active;     /* fetches running right now */
static atomic_int max_active; /* the most ever seen at once */

static void enter(void)
{
    int now = atomic_fetch_add(&active, 1) + 1;
    int max = atomic_load(&max_active);
    while (now > max && !atomic_compare_exchange_weak(&max_active, &max, now))
        ;
}

static int fetch(go_ctx *ctx, void *arg)
{
    struct fetch *f = arg;
    if (go_ctx_err(ctx) != GO_CTX_OK) {
        f->outcome = CANCELED;
        return ERR_CANCELED;
    }
    enter();
    go_chan *timer = go_after(f->latency);
    go_select_case cases[2] = {GO_RECV_CASE(timer, NULL),
                               GO_RECV_CASE(go_ctx_done(ctx), NULL)};
    int chosen = go_select(cases, 2, false);
    go_chan_free(timer); /* stops the timer if it has not fired */
    atomic_fetch_sub(&active, 1);
    if (chosen == 1) {
        f->outcome = CANCELED;
        return ERR_CANCELED;
    }
    f->outcome = f->status == 0 ? FETCHED : FAILED;
    return f->status;
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("errgroup_fetch: FAIL: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* run fetches urls[] in a limited group, checks Wait's result and each
 * outcome against want_err and want[], and returns the run time, or -1
 * after reporting a failure. */
static int64_t run(const char *round, struct fetch *urls, const int *want,
                   int want_err)
{
    go_ctx *ctx;
    int64_t t0 = go_now();
    go_errgroup *g = go_errgroup_new(go_ctx_background(), &ctx);
    go_errgroup_set_limit(g, LIMIT);
    atomic_store(&max_active, 0);
    for (int i = 0; i < NUM_URLS; i++)
        go_errgroup_go(g, fetch, &urls[i]); /* blocks while LIMIT run */
    int err = go_errgroup_wait(g);
    int64_t elapsed = go_now() - t0;
    int ctx_err = go_ctx_err(ctx); /* Wait cancels it in any case */
    go_errgroup_free(g);

    if (err != want_err)
        return -fail("%s: wait returned %d, want %d", round, err, want_err);
    if (ctx_err != GO_CANCELED)
        return -fail("%s: ctx err %d after wait", round, ctx_err);
    for (int i = 0; i < NUM_URLS; i++)
        if (urls[i].outcome != (enum outcome)want[i])
            return -fail("%s: url %d outcome %d, want %d", round, i,
                         urls[i].outcome, want[i]);
    int max = atomic_load(&max_active);
    if (max > LIMIT || max < 1)
        return -fail("%s: %d ran at once, limit %d", round, max, LIMIT);
    printf("errgroup_fetch: %s: wait = %d, max %d at once, %.1f ms\n", round,
           err, max, (double)elapsed / MS);
    return elapsed;
}

int main(void)
{
    struct fetch urls[NUM_URLS];
    int want[NUM_URLS];
    int64_t elapsed;

    /* Round one: all succeed. With LIMIT slots and 5 ms each, 10 fetches
     * need at least ceil(10 / 3) = 4 consecutive latencies. */
    for (int i = 0; i < NUM_URLS; i++) {
        urls[i] = (struct fetch){5 * MS, 0, NOT_RUN};
        want[i] = FETCHED;
    }
    if ((elapsed = run("all ok", urls, want, 0)) < 0)
        return 1;
    int64_t min = (NUM_URLS + LIMIT - 1) / LIMIT * 5 * MS;
    if (elapsed < min)
        return fail("%lld ns < %lld ns: limit not enforced", (long long)elapsed,
                    (long long)min);

    /* Round two: urls 0 and 1 are fast, url 2 fails with 404 after 40 ms,
     * the rest would take 2 s. 3 and 4 start when 0 and 1 finish and are
     * canceled by the failure; 5..9 start after it and see ctx done. */
    for (int i = 0; i < NUM_URLS; i++) {
        urls[i] = (struct fetch){2000 * MS, 0, NOT_RUN};
        want[i] = CANCELED;
    }
    urls[0].latency = urls[1].latency = 2 * MS;
    want[0] = want[1] = FETCHED;
    urls[2] = (struct fetch){40 * MS, 404, NOT_RUN};
    want[2] = FAILED;
    if ((elapsed = run("one fails", urls, want, 404)) < 0)
        return 1;
    if (elapsed >= 1000 * MS)
        return fail("%.1f ms: the slow fetches were not canceled",
                    (double)elapsed / MS);
    printf("errgroup_fetch: ok\n");
    return 0;
}
