/* SPDX-License-Identifier: MIT */
/*
 * The twin of lockorder_rwmutex: sample() takes the config read lock
 * before the stats mutex, the same order as reload(). Readers sharing the
 * read lock with each other add no edge either.
 *
 * EXPECT-EXIT: 0
 * EXPECT: version = 1
 * EXPECT-NOT: lock-order
 * EXPECT-NOT: SUMMARY: gosan
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
    go_rwmutex_lock(&config);
    version++;
    go_mutex_lock(&stats);
    reloads++;
    go_mutex_unlock(&stats);
    go_rwmutex_unlock(&config);
    go_wg_done(&reloaded);
}

static void sample(void *arg)
{
    (void)arg;
    go_rwmutex_rlock(&config);
    go_mutex_lock(&stats);
    printf("version = %d\n", version);
    go_mutex_unlock(&stats);
    go_rwmutex_runlock(&config);
    go_wg_done(&sampled);
}

int main(void)
{
    go_wg_add(&reloaded, 1);
    go_wg_add(&sampled, 2);
    go(reload, NULL);
    go_wg_wait(&reloaded);
    go(sample, NULL);
    go(sample, NULL);
    go_wg_wait(&sampled);
    return 0;
}
