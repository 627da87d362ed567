/* SPDX-License-Identifier: MIT */
/*
 * goleak's options, and goleak_verify's return value (the count):
 *
 *   - background() was running before goleak_ignore_current(): ignored;
 *   - idle_loop() is parked with idle_loop as its top function:
 *     goleak_ignore_top_function("idle_loop") ignores it;
 *   - pool_worker() is parked in wait_for_job(): ignoring the top function
 *     "pool_worker" does not ignore it (its top is wait_for_job), but
 *     goleak_ignore_any_function("pool_worker") does;
 *   - leaky() is ignored by nothing and is reported every time.
 *
 * Counts: 2 (pool_worker, leaky), then 1 (leaky) once "any" is added, then
 * 4 after goleak_reset_ignores() (everyone but main), then 0 once all of
 * them were let go. Each leaked goroutine is reported once, the first time
 * it is found.
 *
 * EXPECT-EXIT: 66
 * EXPECT: ignoring top idle_loop and top pool_worker: leaked = 2
 * EXPECT: also ignoring any pool_worker: leaked = 1
 * EXPECT: after reset: leaked = 4
 * EXPECT: after letting them go: leaked = 0
 * EXPECT: goleak: found 2 unexpected goroutines
 * EXPECT: goleak: found 1 unexpected goroutine
 * EXPECT: goleak: found 4 unexpected goroutines
 * EXPECT-COUNT: 4 WARNING: GOROUTINE LEAK
 * EXPECT-COUNT: 4 SUMMARY: gosan: goroutine-leak
 * EXPECT: in wait_for_job
 * EXPECT: in leaky
 * EXPECT: in idle_loop
 * EXPECT: in background
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *quit; /* closed to let everybody go */

static __attribute__((noinline)) void background(void *arg)
{
    (void)arg;
    go_chan_recv(quit, NULL); /* @LINE reported after the reset */
}

static __attribute__((noinline)) void idle_loop(void *arg)
{
    (void)arg;
    go_chan_recv(quit, NULL); /* @LINE reported after the reset */
}

static __attribute__((noinline)) void wait_for_job(void)
{
    go_chan_recv(quit, NULL); /* @LINE reported the first time */
}

static __attribute__((noinline)) void pool_worker(void *arg)
{
    (void)arg;
    wait_for_job();
}

static __attribute__((noinline)) void leaky(void *arg)
{
    (void)arg;
    go_chan_recv(quit, NULL); /* @LINE reported the first time */
}

int main(void)
{
    quit = go_chan_make(0, 0);
    go(background, NULL);
    goleak_ignore_current(); /* main and background */
    go(idle_loop, NULL);
    go(pool_worker, NULL);
    go(leaky, NULL);

    goleak_ignore_top_function("idle_loop");
    goleak_ignore_top_function("pool_worker");
    printf("ignoring top idle_loop and top pool_worker: leaked = %d\n",
           goleak_verify());
    goleak_ignore_any_function("pool_worker");
    printf("also ignoring any pool_worker: leaked = %d\n", goleak_verify());
    goleak_reset_ignores();
    printf("after reset: leaked = %d\n", goleak_verify());

    go_chan_close(quit);
    printf("after letting them go: leaked = %d\n", goleak_verify());
    return 0;
}
