/* SPDX-License-Identifier: MIT */
/*
 * A partial deadlock on mutexes: transfer_ab holds account a and waits for
 * b, transfer_ba holds b and waits for a (each takes its first lock, then
 * both meet at a WaitGroup, then each asks for its second lock). The two
 * are blocked forever while main keeps running: Go's runtime would say
 * nothing (main is not asleep), gosan reports the wait-for cycle as soon
 * as it closes, with where each goroutine took the lock it holds, where it
 * is blocked, and where it was created.
 *
 * EXPECT-EXIT: 66
 * EXPECT: main kept running: 50 ticks
 * EXPECT-COUNT: 1 WARNING: DEADLOCK (goroutines wait for each other's locks)
 * EXPECT: goroutine 2 waits for mutex
 * EXPECT-COUNT: 2 waits for mutex
 * EXPECT: held by goroutine 2
 * EXPECT-COUNT: 2 , held by goroutine
 * EXPECT: acquired by goroutine 2 at:
 * EXPECT-COUNT: 2 acquired by goroutine
 * EXPECT-COUNT: 2 Blocked on sync.Mutex.Lock
 * EXPECT: created by goroutine 1 at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: deadlock
 * EXPECT-NOT: all goroutines are asleep
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static go_mutex a, b;
static go_wg holding; /* both hold their first lock */
static int balance_a = 100, balance_b = 100;

static void transfer_ab(void *arg)
{
    (void)arg;
    go_mutex_lock(&a); /* @LINE transfer_ab holds a */
    go_wg_done(&holding);
    go_wg_wait(&holding);
    go_mutex_lock(&b); /* @LINE and waits for b */
    balance_a -= 10;
    balance_b += 10;
    go_mutex_unlock(&b);
    go_mutex_unlock(&a);
}

static void transfer_ba(void *arg)
{
    (void)arg;
    go_mutex_lock(&b); /* @LINE transfer_ba holds b */
    go_wg_done(&holding);
    go_wg_wait(&holding);
    go_mutex_lock(&a); /* @LINE and waits for a */
    balance_b -= 10;
    balance_a += 10;
    go_mutex_unlock(&a);
    go_mutex_unlock(&b);
}

int main(void)
{
    go_wg_add(&holding, 2);
    go(transfer_ab, NULL); /* @LINE */
    go(transfer_ba, NULL); /* @LINE */
    /* main is not involved: it goes on with its own work for a second. */
    int ticks = 0;
    for (int i = 0; i < 50; i++) {
        go_sleep(20 * MS);
        ticks++;
    }
    printf("main kept running: %d ticks\n", ticks);
    return 0;
}
