/* SPDX-License-Identifier: MIT */
/*
 * A lock-order cycle through three mutexes, taken in pairs by three
 * goroutines one after the other: A -> B, then B -> C, then C -> A. No two
 * goroutines' orders conflict directly, but all three together can
 * deadlock. Reported once, as a cycle of three edges, each with its stacks.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: lock-order inversion (potential deadlock)
 * EXPECT: => M3 (
 * EXPECT: Mutex M2 acquired here while holding mutex M1
 * EXPECT: Mutex M3 acquired here while holding mutex M2
 * EXPECT: Mutex M1 acquired here while holding mutex M3
 * EXPECT-COUNT: 1 SUMMARY: gosan: lock-order-inversion
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex a, b, c;
static go_wg step;

struct pair {
    go_mutex *first, *second;
};

static void lock_pair(void *arg)
{
    struct pair *p = arg;
    go_mutex_lock(p->first); /* @LINE */
    go_mutex_lock(p->second); /* @LINE */
    go_mutex_unlock(p->second);
    go_mutex_unlock(p->first);
    go_wg_done(&step);
}

int main(void)
{
    static struct pair pairs[] = { { &a, &b }, { &b, &c }, { &c, &a } };
    for (int i = 0; i < 3; i++) {
        go_wg_add(&step, 1);
        go(lock_pair, &pairs[i]);
        go_wg_wait(&step);
    }
    printf("three pairs locked\n");
    return 0;
}
