/* SPDX-License-Identifier: MIT */
/*
 * This file implements the worker pool: a fixed number of goroutines take
 * jobs from one channel and put their results on another. The producer
 * closes the jobs channel when it has queued everything, which ends each
 * worker's `range`; a WaitGroup counts the workers, and one extra goroutine
 * waits on it to close the results channel, which in turn ends the
 * consumer's `range`. Nobody has to know how many results to expect.
 *
 * The Go program it mirrors:
 *
 *     func worker(id int, jobs <-chan int, results chan<- result) {
 *         for j := range jobs {
 *             results <- result{job: j, value: j * j, worker: id}
 *         }
 *     }
 *
 *     jobs := make(chan int, 16)
 *     results := make(chan result, 16)
 *     var wg sync.WaitGroup
 *     for w := 0; w < numWorkers; w++ {
 *         wg.Add(1)
 *         go func(id int) { defer wg.Done(); worker(id, jobs, results) }(w)
 *     }
 *     go func() { wg.Wait(); close(results) }()
 *     go func() {
 *         for j := 1; j <= numJobs; j++ { jobs <- j }
 *         close(jobs)
 *     }()
 *     for r := range results { ... }
 *
 * The program checks that every job was done exactly once with the right
 * value and that no goroutine outlives the pool.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gosan.h>

enum { NUM_WORKERS = 4, NUM_JOBS = 200 };

struct result {
    int job;    /* the job's number, 1..NUM_JOBS */
    long value; /* job * job */
    int worker; /* which worker did it */
};

/* The pool's shared state; it lives in main's frame, which outlives all
 * the goroutines that use it. */
struct pool {
    go_chan *jobs;    /* int; closed by producer() */
    go_chan *results; /* struct result; closed by closer() */
    go_wg wg;         /* counts running workers */
};

struct worker_arg {
    struct pool *pool;
    int id;
};

/* worker drains the jobs channel until it is closed and drained. */
static void worker(void *arg)
{
    struct worker_arg *w = arg;
    int job;
    while (go_chan_recv(w->pool->jobs, &job)) {
        struct result r = {job, (long)job * job, w->id};
        go_chan_send(w->pool->results, &r);
    }
    go_wg_done(&w->pool->wg);
}

/* producer queues every job, then closes jobs: that ends the workers'
 * loops once they have drained it. */
static void producer(void *arg)
{
    struct pool *p = arg;
    for (int j = 1; j <= NUM_JOBS; j++)
        go_chan_send(p->jobs, &j);
    go_chan_close(p->jobs);
}

/* closer closes results once the last worker is done: only then can no
 * more sends happen. */
static void closer(void *arg)
{
    struct pool *p = arg;
    go_wg_wait(&p->wg);
    go_chan_close(p->results);
}

/* settle waits, like goleak's retries, until only main is left: a
 * goroutine that signalled completion may still be on its way out. */
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
    fprintf(stderr, "worker_pool: FAIL: %s: got %ld, want %ld\n", msg, got,
            want);
    return 1;
}

int main(void)
{
    struct pool p = {.jobs = go_chan_make(sizeof(int), 16),
                     .results = go_chan_make(sizeof(struct result), 16)};
    struct worker_arg args[NUM_WORKERS];
    int seen[NUM_JOBS + 1] = {0};
    int per_worker[NUM_WORKERS] = {0};

    /* Start the workers, then the goroutine that closes results. */
    for (int i = 0; i < NUM_WORKERS; i++) {
        args[i] = (struct worker_arg){&p, i};
        go_wg_add(&p.wg, 1);
        go(worker, &args[i]);
    }
    go(closer, &p);

    /* Queue the jobs from a goroutine of its own so that main can consume
     * results meanwhile: neither buffer has to fit every job. */
    go(producer, &p);

    /* Collect: `for r := range results`. */
    struct result r;
    long total = 0;
    int count = 0;
    while (go_chan_recv(p.results, &r)) {
        if (r.job < 1 || r.job > NUM_JOBS || r.worker < 0 ||
            r.worker >= NUM_WORKERS)
            return fail("result out of range", r.job, NUM_JOBS);
        if (r.value != (long)r.job * r.job)
            return fail("wrong value", r.value, (long)r.job * r.job);
        seen[r.job]++;
        per_worker[r.worker]++;
        total += r.value;
        count++;
    }

    /* Every job exactly once; the sum of squares 1..n is n(n+1)(2n+1)/6. */
    if (count != NUM_JOBS)
        return fail("results received", count, NUM_JOBS);
    for (int j = 1; j <= NUM_JOBS; j++)
        if (seen[j] != 1)
            return fail("times a job was done", seen[j], 1);
    long want = (long)NUM_JOBS * (NUM_JOBS + 1) * (2 * NUM_JOBS + 1) / 6;
    if (total != want)
        return fail("sum of results", total, want);

    int left = settle(2LL * 1000 * 1000 * 1000);
    if (left != 1)
        return fail("goroutines left after the pool", left, 1);
    go_chan_free(p.jobs);
    go_chan_free(p.results);

    printf("worker_pool: %d jobs by %d workers (", NUM_JOBS, NUM_WORKERS);
    for (int i = 0; i < NUM_WORKERS; i++)
        printf("%s%d", i ? " " : "", per_worker[i]);
    printf("), sum of squares %ld: ok\n", total);
    return 0;
}
