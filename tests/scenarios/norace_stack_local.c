/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_stack_local: the request goroutine waits for the
 * helper (Done happens before Wait returns) before reading its local.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: answer = 42
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
    *j->out = 42;
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
    __atomic_store_n(&asked, 1, __ATOMIC_RELAXED);
    go_wg_wait(&done);
    *answer = local;
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
