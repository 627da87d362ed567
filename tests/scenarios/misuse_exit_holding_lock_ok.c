/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_exit_holding_lock: a goroutine locks and hands the
 * critical section over to another goroutine, which unlocks (Go allows a
 * mutex to be unlocked by another goroutine than the one that locked it);
 * the locker exits only after the unlock. Nobody exits holding a lock.
 *
 * EXPECT-EXIT: 0
 * EXPECT: leaked = 0
 * EXPECT: value = 7
 * EXPECT-NOT: exits holding
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_mutex mu;
static int value;
static go_chan *handoff, *unlocked;
static go_wg wg;

static void locker(void *arg)
{
    (void)arg;
    go_mutex_lock(&mu);
    go_chan_send(handoff, NULL);  /* the finisher owns the section now */
    go_chan_recv(unlocked, NULL); /* exit only once it unlocked */
    go_wg_done(&wg);
}

static void finisher(void *arg)
{
    (void)arg;
    go_chan_recv(handoff, NULL);
    value = 7;
    go_mutex_unlock(&mu);
    go_chan_send(unlocked, NULL);
    go_wg_done(&wg);
}

int main(void)
{
    handoff = go_chan_make(0, 0);
    unlocked = go_chan_make(0, 0);
    go_wg_add(&wg, 2);
    go(locker, NULL);
    go(finisher, NULL);
    go_wg_wait(&wg);
    /* Done is not the goroutines' end: wait until they are gone. */
    printf("leaked = %d\n", goleak_verify());
    go_mutex_lock(&mu);
    printf("value = %d\n", value);
    go_mutex_unlock(&mu);
    return 0;
}
