/* SPDX-License-Identifier: MIT */
/*
 * The twin of deadlock_mutex_cycle: both transfers take a before b (one
 * global lock order), so neither can wait for the other forever.
 *
 * EXPECT-EXIT: 0
 * EXPECT: balances: 100 100
 * EXPECT-NOT: DEADLOCK
 * EXPECT-NOT: lock-order
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex a, b;
static go_wg done;
static int balance_a = 100, balance_b = 100;

static void transfer_ab(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        go_mutex_lock(&a);
        go_mutex_lock(&b);
        balance_a -= 10;
        balance_b += 10;
        go_mutex_unlock(&b);
        go_mutex_unlock(&a);
    }
    go_wg_done(&done);
}

static void transfer_ba(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        go_mutex_lock(&a); /* a first here too */
        go_mutex_lock(&b);
        balance_b -= 10;
        balance_a += 10;
        go_mutex_unlock(&b);
        go_mutex_unlock(&a);
    }
    go_wg_done(&done);
}

int main(void)
{
    go_wg_add(&done, 2);
    go(transfer_ab, NULL);
    go(transfer_ba, NULL);
    go_wg_wait(&done);
    printf("balances: %d %d\n", balance_a, balance_b);
    return 0;
}
