/* SPDX-License-Identifier: MIT */
/*
 * go_once: the table is built once, by whichever reader calls go_once_do
 * first, and every go_once_do returns after the build. But one reader
 * bypasses the Once (an "it must be built by now" shortcut): its read is
 * not ordered after the build's writes.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'table'
 * EXPECT: build_table
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
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
        table[i] = i * i; /* @LINE the build writes */
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
    *out = table[3]; /* @LINE read without go_once_do */
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
