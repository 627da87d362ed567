/* SPDX-License-Identifier: MIT */
/*
 * Cond.Wait without holding its lock: the consumer checks the queue under
 * the lock, unlocks, and then waits. (Go dies in Wait's own Unlock with
 * "sync: unlock of unlocked mutex"; gosan names the real mistake.) The
 * report has the waiter's stack; then gosan aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 sync: Cond.Wait called without holding its lock
 * EXPECT: by goroutine 2:
 * EXPECT-COUNT: 1 SUMMARY: gosan: cond-wait-without-lock
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex mu;
static go_cond nonempty;
static int queued;
static go_wg wg;

static void consumer(void *arg)
{
    (void)arg;
    go_mutex_lock(&mu);
    int empty = queued == 0;
    go_mutex_unlock(&mu);
    if (empty)
        go_cond_wait(&nonempty); /* @LINE waits without the lock */
    printf("not reached\n");
    go_wg_done(&wg);
}

int main(void)
{
    go_cond_init(&nonempty, &mu);
    go_wg_add(&wg, 1);
    go(consumer, NULL);
    go_wg_wait(&wg);
    return 0;
}
