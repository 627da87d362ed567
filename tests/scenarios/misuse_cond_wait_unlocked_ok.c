/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_cond_wait_unlocked: the consumer waits with the lock
 * held, in a loop on its condition; the producer signals under the lock.
 *
 * EXPECT-EXIT: 0
 * EXPECT: consumed 1
 * EXPECT-NOT: without holding its lock
 * EXPECT-NOT: SUMMARY: gosan
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
    while (queued == 0)
        go_cond_wait(&nonempty);
    queued--;
    go_mutex_unlock(&mu);
    printf("consumed 1\n");
    go_wg_done(&wg);
}

int main(void)
{
    go_cond_init(&nonempty, &mu);
    go_wg_add(&wg, 1);
    go(consumer, NULL);
    go_mutex_lock(&mu);
    queued++;
    go_cond_signal(&nonempty);
    go_mutex_unlock(&mu);
    go_wg_wait(&wg);
    return 0;
}
