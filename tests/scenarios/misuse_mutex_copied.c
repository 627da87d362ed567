/* SPDX-License-Identifier: MIT */
/*
 * A go_mutex copied while in use: deposit() takes its account by value
 * (Go's value-receiver mistake), so it copies the account's mutex while
 * the auditor holds it; the copy is locked, and deposit's Lock of the copy
 * can never succeed. API.md: none of the sync types may be copied while
 * in use, "the detector says so": a sync-object-copied report at the use
 * of the copy (then gosan aborts, as for the other misuse).
 *
 * Without that report the program would end in Go's "all goroutines are
 * asleep" (main waits on the copy, the auditor for main).
 *
 * TIMEOUT: 20
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 SUMMARY: gosan: sync-object-copied
 * EXPECT-NOT: not reached
 * EXPECT-NOT: all goroutines are asleep
 */
#include <gosan.h>
#include <stdio.h>

struct account {
    go_mutex mu;
    int balance;
};

static struct account acct = { .balance = 100 };
static go_chan *auditing, *deposited;

static void auditor(void *arg)
{
    (void)arg;
    go_mutex_lock(&acct.mu);
    go_chan_send(auditing, NULL);  /* main may deposit now */
    go_chan_recv(deposited, NULL); /* and the audit ends after it */
    go_mutex_unlock(&acct.mu);
}

/* deposit takes the account by value: it copies the mutex. */
static __attribute__((noinline)) int deposit(struct account a, int n)
{
    go_mutex_lock(&a.mu); /* @LINE the copy is used here */
    a.balance += n;
    go_mutex_unlock(&a.mu);
    return a.balance;
}

int main(void)
{
    auditing = go_chan_make(0, 0);
    deposited = go_chan_make(0, 0);
    go(auditor, NULL);
    go_chan_recv(auditing, NULL);
    deposit(acct, 10); /* copied while the auditor holds it */
    go_chan_send(deposited, NULL);
    printf("not reached\n");
    return 0;
}
