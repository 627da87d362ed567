/* SPDX-License-Identifier: MIT */
/*
 * A lock-order inversion that never deadlocks in this run: deposit() takes
 * accounts then audit (A -> B), and later, strictly after (a WaitGroup
 * orders them), report() takes audit then accounts (B -> A). Run
 * concurrently they can deadlock; TSan calls it a potential deadlock, and
 * gosan reports the cycle once, with both edges' acquisition stacks (where
 * each second lock was taken while the first was held, and where the first
 * had been taken).
 *
 * EXPECT-EXIT: 66
 * EXPECT: total = 10
 * EXPECT-COUNT: 1 WARNING: lock-order inversion (potential deadlock)
 * EXPECT: Cycle in lock order graph: M1
 * EXPECT: Mutex M2 acquired here while holding mutex M1 in goroutine
 * EXPECT: Mutex M1 acquired here while holding mutex M2 in goroutine
 * EXPECT: Mutex M1 previously acquired by the same goroutine here:
 * EXPECT: Mutex M2 previously acquired by the same goroutine here:
 * EXPECT-COUNT: 1 SUMMARY: gosan: lock-order-inversion
 * EXPECT-NOT: DEADLOCK
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex accounts, audit;
static int total, audited;
static go_wg first_done, second_done;

static void deposit(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        go_mutex_lock(&accounts); /* @LINE A */
        total++;
        go_mutex_lock(&audit); /* @LINE then B */
        audited++;
        go_mutex_unlock(&audit);
        go_mutex_unlock(&accounts);
    }
    go_wg_done(&first_done);
}

static void report(void *arg)
{
    (void)arg;
    go_mutex_lock(&audit); /* @LINE B */
    go_mutex_lock(&accounts); /* @LINE then A */
    printf("total = %d\n", total);
    go_mutex_unlock(&accounts);
    go_mutex_unlock(&audit);
    go_wg_done(&second_done);
}

int main(void)
{
    go_wg_add(&first_done, 1);
    go_wg_add(&second_done, 1);
    go(deposit, NULL);
    go_wg_wait(&first_done);
    go(report, NULL);
    go_wg_wait(&second_done);
    return 0;
}
