/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_heap_struct: the auditor reads the balance under the
 * account's lock.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: balance = 1000
 */
#include <gosan.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
    long id;
    long balance;
    go_mutex mu;
};

static go_wg wg;
static long audited;

static __attribute__((noinline)) struct account *new_account(long id)
{
    struct account *a = malloc(sizeof *a);
    if (!a)
        abort();
    a->id = id;
    a->balance = 0;
    a->mu = (go_mutex)GO_MUTEX_INIT;
    return a;
}

static void depositor(void *arg)
{
    struct account *a = arg;
    for (int i = 0; i < 10; i++) {
        go_mutex_lock(&a->mu);
        a->balance += 100;
        go_mutex_unlock(&a->mu);
    }
    go_wg_done(&wg);
}

static void auditor(void *arg)
{
    struct account *a = arg;
    go_mutex_lock(&a->mu);
    audited = a->balance;
    go_mutex_unlock(&a->mu);
    go_wg_done(&wg);
}

int main(void)
{
    struct account *a = new_account(1);
    go_wg_add(&wg, 2);
    go(depositor, a);
    go(auditor, a);
    go_wg_wait(&wg);
    printf("balance = %ld (audit saw %ld)\n", a->balance, audited);
    free(a);
    return 0;
}
