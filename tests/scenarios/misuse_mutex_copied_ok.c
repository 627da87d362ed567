/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_mutex_copied: deposit() takes a pointer to the
 * account, so it locks the account's own mutex and waits for the auditor.
 * (The deposit is ordered after the audit by the channel handshake.)
 *
 * EXPECT-EXIT: 0
 * EXPECT: balance = 110
 * EXPECT-NOT: copied
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

struct account {
    go_mutex mu;
    int balance;
};

static struct account acct = { .balance = 100 };
static go_chan *auditing, *audited;

static void auditor(void *arg)
{
    (void)arg;
    go_mutex_lock(&acct.mu);
    go_chan_send(auditing, NULL);
    go_mutex_unlock(&acct.mu);
    go_chan_close(audited);
}

static __attribute__((noinline)) int deposit(struct account *a, int n)
{
    go_mutex_lock(&a->mu);
    a->balance += n;
    int b = a->balance;
    go_mutex_unlock(&a->mu);
    return b;
}

int main(void)
{
    auditing = go_chan_make(0, 0);
    audited = go_chan_make(0, 0);
    go(auditor, NULL);
    go_chan_recv(auditing, NULL);
    int b = deposit(&acct, 10);
    go_chan_recv(audited, NULL);
    printf("balance = %d\n", b);
    return 0;
}
