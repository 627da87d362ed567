/* SPDX-License-Identifier: MIT */
/*
 * The twin of leak_ignore_options: every goroutine still parked is covered
 * by an ignore option (current, top function, any function), so
 * goleak_verify returns 0 and reports nothing, although four goroutines
 * are parked for good.
 *
 * EXPECT-EXIT: 0
 * EXPECT: leaked = 0
 * EXPECT: still parked: 4
 * EXPECT-NOT: GOROUTINE LEAK
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *quit; /* never closed */
static go_wg started;

static __attribute__((noinline)) void background(void *arg)
{
    (void)arg;
    go_chan_recv(quit, NULL);
}

static __attribute__((noinline)) void idle_loop(void *arg)
{
    (void)arg;
    go_wg_done(&started);
    go_chan_recv(quit, NULL);
}

static __attribute__((noinline)) void wait_for_job(void)
{
    go_chan_recv(quit, NULL);
}

static __attribute__((noinline)) void pool_worker(void *arg)
{
    (void)arg;
    go_wg_done(&started);
    wait_for_job();
}

static __attribute__((noinline)) void metrics_flusher(void *arg)
{
    (void)arg;
    go_wg_done(&started);
    go_chan_recv(quit, NULL);
}

int main(void)
{
    quit = go_chan_make(0, 0);
    go(background, NULL);
    goleak_ignore_current();
    go_wg_add(&started, 3);
    go(idle_loop, NULL);
    go(pool_worker, NULL);
    go(metrics_flusher, NULL);
    go_wg_wait(&started);

    goleak_ignore_top_function("idle_loop");
    goleak_ignore_any_function("pool_worker");
    goleak_ignore_top_function("metrics_flusher");
    printf("leaked = %d\n", goleak_verify());
    printf("still parked: %d\n", go_num_goroutine() - 1);
    return 0;
}
