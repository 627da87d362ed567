/* SPDX-License-Identifier: MIT */
/*
 * A race on stack memory: a request goroutine passes the address of its
 * local variable to a helper goroutine that fills it in, and reads the
 * local before waiting for the helper. The helper's write comes second
 * (it waits for a relaxed atomic flag, which synchronizes nothing, set
 * after the read): the report must still say whose stack the memory is
 * on, that of the request goroutine, not of the goroutine whose access
 * found the race.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is the stack of goroutine
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>

struct job {
    long *out;
    go_wg *done;
};

static go_wg all;
static long answers[2];
static int asked; /* relaxed only: orders in time, not for the detector */

static void helper(void *arg)
{
    struct job *j = arg;
    while (!__atomic_load_n(&asked, __ATOMIC_RELAXED))
        go_yield();
    *j->out = 42; /* @LINE the helper writes the local */
    go_wg_done(j->done);
}

static void request(void *arg)
{
    long *answer = arg;
    long local = 0;
    go_wg done = GO_WG_INIT;
    struct job j = { &local, &done };
    go_wg_add(&done, 1);
    go(helper, &j);
    *answer = local; /* @LINE the request reads it */
    __atomic_store_n(&asked, 1, __ATOMIC_RELAXED);
    go_wg_wait(&done);
    go_wg_done(&all);
}

int main(void)
{
    go_wg_add(&all, 1);
    go(request, &answers[0]);
    go_wg_wait(&all);
    printf("answer = %ld\n", answers[0]);
    return 0;
}
