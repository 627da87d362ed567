/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_chan_mutex: every goroutine takes the token (a send on
 * a channel of capacity 1) before incrementing and gives it back (a
 * receive) after: the k-th receive happens before the (k+1)-th send
 * completes, so the increments are ordered.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: counter = 800
 */
#include <gosan.h>
#include <stdio.h>

#define LOCKERS 3
#define ROUNDS 200

static go_chan *token;
static int counter;
static go_wg wg;

static void locker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_chan_send(token, NULL); /* lock */
        counter++;
        go_chan_recv(token, NULL); /* unlock */
    }
    go_wg_done(&wg);
}

static void cheater(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        go_chan_send(token, NULL);
        counter++;
        go_chan_recv(token, NULL);
        go_yield();
    }
    go_wg_done(&wg);
}

int main(void)
{
    token = go_chan_make(0, 1);
    go_wg_add(&wg, LOCKERS + 1);
    for (int i = 0; i < LOCKERS; i++)
        go(locker, NULL);
    go(cheater, NULL);
    go_wg_wait(&wg);
    printf("counter = %d\n", counter);
    go_chan_free(token);
    return 0;
}
