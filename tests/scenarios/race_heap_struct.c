/* SPDX-License-Identifier: MIT */
/*
 * A race on heap memory: an account allocated with malloc by
 * new_account() is shared by a depositor and an auditor; the depositor
 * updates the balance while the auditor reads it, with no lock. The
 * report says which heap block it is and where it was allocated.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is heap block of size 24 at
 * EXPECT: allocated by main
 * EXPECT: new_account
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
        a->balance += 100; /* @LINE the deposit */
        go_mutex_unlock(&a->mu);
    }
    go_wg_done(&wg);
}

static void auditor(void *arg)
{
    struct account *a = arg;
    audited = a->balance; /* @LINE the audit reads without the lock */
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
