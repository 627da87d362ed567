/* SPDX-License-Identifier: MIT */
/*
 * pingpong_condvar ROUNDS: two threads pass a token back and forth ROUNDS
 * times (2*ROUNDS handoffs) through one mutex and two condition variables.
 * Each handoff also increments a plain counter under the mutex; checks it.
 */
#include "wl.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[2] = {PTHREAD_COND_INITIALIZER,
                               PTHREAD_COND_INITIALIZER};
static int turn;          /* whose turn: 0 or 1 */
static long handoffs;
static long rounds;

static void *player(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (long i = 0; i < rounds; i++) {
        pthread_mutex_lock(&mu);
        while (turn != me)
            pthread_cond_wait(&cv[me], &mu);
        handoffs++;
        turn = 1 - me;
        pthread_cond_signal(&cv[1 - me]);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = wl_arg(argc, argv, 1, 200000);
    pthread_t th[2];
    double t0 = wl_now_ms();
    for (int i = 0; i < 2; i++)
        wl_spawn(&th[i], player, (void *)(intptr_t)i);
    for (int i = 0; i < 2; i++)
        wl_join(th[i]);
    double ms = wl_now_ms() - t0;
    if (handoffs != 2 * rounds)
        wl_fail("wrong handoff count");
    printf("pingpong_condvar rounds=%ld ok=1 inner_ms=%.2f "
           "ns_per_handoff=%.0f\n", rounds, ms, ms * 1e6 / (double)handoffs);
    return 0;
}
