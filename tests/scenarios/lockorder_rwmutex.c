/* SPDX-License-Identifier: MIT */
/*
 * A lock-order inversion between an RWMutex and a Mutex: reload() holds
 * the config write lock and takes the stats mutex; later (ordered by a
 * WaitGroup, so this run never deadlocks) sample() holds the stats mutex
 * and takes the config read lock. A reader waits for a writer, so run
 * concurrently the two deadlock: reported once, with both edges' stacks.
 *
 * EXPECT-EXIT: 66
 * EXPECT: version = 1
 * EXPECT-COUNT: 1 WARNING: lock-order inversion (potential deadlock)
 * EXPECT-COUNT: 1 SUMMARY: gosan: lock-order-inversion
 */
#include <gosan.h>
#include <stdio.h>

static go_rwmutex config;
static go_mutex stats;
static int version, reloads;
static go_wg reloaded, sampled;

static void reload(void *arg)
{
    (void)arg;
    go_rwmutex_lock(&config); /* @LINE */
    version++;
    go_mutex_lock(&stats); /* @LINE */
    reloads++;
    go_mutex_unlock(&stats);
    go_rwmutex_unlock(&config);
    go_wg_done(&reloaded);
}

static void sample(void *arg)
{
    (void)arg;
    go_mutex_lock(&stats); /* @LINE */
    go_rwmutex_rlock(&config); /* @LINE */
    printf("version = %d\n", version);
    go_rwmutex_runlock(&config);
    go_mutex_unlock(&stats);
    go_wg_done(&sampled);
}

int main(void)
{
    go_wg_add(&reloaded, 1);
    go_wg_add(&sampled, 1);
    go(reload, NULL);
    go_wg_wait(&reloaded);
    go(sample, NULL);
    go_wg_wait(&sampled);
    return 0;
}
