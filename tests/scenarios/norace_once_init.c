/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_once_init: every reader goes through go_once_do, which
 * returns only after build_table has returned (in whichever goroutine ran
 * it), so all the reads are ordered after the writes.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: seen = 9 9
 */
#include <gosan.h>
#include <stdio.h>

#define READERS 2
#define SIZE 8

static int table[SIZE];
static go_once once;
static go_wg wg;
static int seen[READERS + 1];

static void build_table(void *arg)
{
    (void)arg;
    for (int i = 0; i < SIZE; i++)
        table[i] = i * i;
}

static void reader(void *arg)
{
    int *out = arg;
    go_once_do(&once, build_table, NULL);
    *out = table[3];
    go_wg_done(&wg);
}

static void hasty_reader(void *arg)
{
    int *out = arg;
    go_once_do(&once, build_table, NULL);
    *out = table[3];
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, READERS + 1);
    for (int i = 0; i < READERS; i++)
        go(reader, &seen[i]);
    go(hasty_reader, &seen[READERS]);
    go_wg_wait(&wg);
    printf("seen = %d %d\n", seen[0], seen[READERS]);
    return 0;
}
