/* SPDX-License-Identifier: MIT */
/*
 * The twin of lockorder_go_mutex: report() takes the locks in the same
 * order as deposit() (accounts, then audit); the lock-order graph has no
 * cycle.
 *
 * EXPECT-EXIT: 0
 * EXPECT: total = 10
 * EXPECT-NOT: lock-order
 * EXPECT-NOT: SUMMARY: gosan
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
        go_mutex_lock(&accounts);
        total++;
        go_mutex_lock(&audit);
        audited++;
        go_mutex_unlock(&audit);
        go_mutex_unlock(&accounts);
    }
    go_wg_done(&first_done);
}

static void report(void *arg)
{
    (void)arg;
    go_wg_wait(&first_done);
    go_mutex_lock(&accounts);
    go_mutex_lock(&audit);
    printf("total = %d\n", total);
    go_mutex_unlock(&audit);
    go_mutex_unlock(&accounts);
    go_wg_done(&second_done);
}

int main(void)
{
    go_wg_add(&first_done, 1);
    go_wg_add(&second_done, 1);
    go(report, NULL);
    go(deposit, NULL);
    go_wg_wait(&second_done);
    return 0;
}
