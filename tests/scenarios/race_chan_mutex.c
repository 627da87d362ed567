/* SPDX-License-Identifier: MIT */
/*
 * A buffered channel of capacity 1 used as a mutex (send takes the token,
 * receive gives it back: the k-th receive happens before the (k+1)-th send
 * completes). Three lockers increment a counter holding the token, but a
 * fourth goroutine, the cheater, increments it without taking the token.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'counter'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
        counter++; /* @LINE under the token */
        go_chan_recv(token, NULL); /* unlock */
    }
    go_wg_done(&wg);
}

static void cheater(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        counter++; /* @LINE without the token */
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
