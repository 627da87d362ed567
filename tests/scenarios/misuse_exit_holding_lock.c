/* SPDX-License-Identifier: MIT */
/*
 * A goroutine that exits holding a mutex: update() returns early on an
 * error and forgets to unlock. Go allows another goroutine to unlock, so
 * this is a warning (no abort): the mutex and where it was locked, and
 * where the goroutine was created. The program goes on and exits with the
 * report exit status.
 *
 * EXPECT-EXIT: 66
 * EXPECT: update: bad value
 * EXPECT: leaked = 0
 * EXPECT: main goes on
 * EXPECT-COUNT: 1 WARNING: goroutine exits holding a lock
 * EXPECT: goroutine 2 exits holding mutex
 * EXPECT: Goroutine 2 (running) created at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: exit-holding-lock
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex mu;
static int value;
static go_wg wg;

static void update(void *arg)
{
    int v = *(int *)arg;
    go_mutex_lock(&mu); /* @LINE locked here, never unlocked */
    if (v < 0) {
        printf("update: bad value\n");
        go_wg_done(&wg);
        return; /* forgot go_mutex_unlock(&mu) */
    }
    value = v;
    go_mutex_unlock(&mu);
    go_wg_done(&wg);
}

int main(void)
{
    static int bad = -1;
    go_wg_add(&wg, 1);
    go(update, &bad); /* @LINE */
    go_wg_wait(&wg);
    /* Done is not the goroutine's end: wait until it is gone. */
    printf("leaked = %d\n", goleak_verify());
    printf("main goes on\n");
    return 0;
}
