/* SPDX-License-Identifier: MIT */
/*
 * A go_cond copied after first use (Go's copyChecker: "sync.Cond is
 * copied"): a queue struct holding a Cond is passed by value to a helper
 * that signals the copy. Reported (sync-object-copied) at the use of the
 * copy, then gosan aborts.
 *
 * EXPECT-SIGNAL: 6
 * EXPECT-COUNT: 1 panic: sync.Cond is copied
 * EXPECT-COUNT: 1 SUMMARY: gosan: sync-object-copied
 * EXPECT-NOT: not reached
 */
#include <gosan.h>
#include <stdio.h>

struct queue {
    go_mutex mu;
    go_cond nonempty;
    int n;
};

static struct queue q;

static __attribute__((noinline)) void wake(struct queue copy)
{
    go_cond_signal(&copy.nonempty); /* @LINE signals the copy */
}

int main(void)
{
    go_cond_init(&q.nonempty, &q.mu);
    go_cond_broadcast(&q.nonempty); /* first use: the Cond is in use */
    wake(q);
    printf("not reached\n");
    return 0;
}
