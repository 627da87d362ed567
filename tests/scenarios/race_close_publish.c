/* SPDX-License-Identifier: MIT */
/*
 * Publication by close: a writer fills a config struct and closes a
 * channel; readers receive from the channel (the receive that sees the
 * close happens after it) and then read the config. But here the readers
 * read the config before receiving: nothing orders their reads after the
 * writer's writes.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Previous
 * EXPECT: created at:
 * EXPECT: Location is global 'cfg'
 * EXPECT: SUMMARY: gosan: data-race
 */
#include <gosan.h>
#include <stdio.h>

#define READERS 3

struct config {
    int id;
    int value;
};

static struct config cfg;
static go_chan *ready;
static go_wg wg;
static int sums[READERS];

static void writer(void *arg)
{
    (void)arg;
    cfg = (struct config){ .id = 7, .value = 42 }; /* @LINE the writes */
    go_chan_close(ready);
    go_wg_done(&wg);
}

static void reader(void *arg)
{
    int *sum = arg;
    *sum = cfg.id + cfg.value; /* @LINE the reads */
    go_chan_recv(ready, NULL);
    go_wg_done(&wg);
}

int main(void)
{
    ready = go_chan_make(0, 0);
    go_wg_add(&wg, READERS + 1);
    for (int i = 0; i < READERS; i++)
        go(reader, &sums[i]);
    go(writer, NULL);
    go_wg_wait(&wg);
    printf("sums = %d %d %d\n", sums[0], sums[1], sums[2]);
    go_chan_free(ready);
    return 0;
}
