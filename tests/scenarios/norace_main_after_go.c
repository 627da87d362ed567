/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_main_after_go: main writes the setting before the go
 * statement, which happens before the reader starts.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: used = 3
 */
#include <gosan.h>
#include <stdio.h>

static long level;
static long used;
static int written; /* relaxed only: orders in time, not for the detector */
static go_wg wg;

static void reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&written, __ATOMIC_RELAXED))
        go_yield();
    used = level;
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 1);
    level = 3;
    go(reader, NULL);
    __atomic_store_n(&written, 1, __ATOMIC_RELAXED);
    go_wg_wait(&wg);
    printf("used = %ld\n", used);
    return 0;
}
