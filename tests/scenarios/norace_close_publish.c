/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_close_publish: the readers read the config only after
 * a receive that saw the close (close happens before a receive that
 * returns because the channel is closed).
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: sums = 49 49 49
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
    cfg = (struct config){ .id = 7, .value = 42 };
    go_chan_close(ready);
    go_wg_done(&wg);
}

static void reader(void *arg)
{
    int *sum = arg;
    go_chan_recv(ready, NULL);
    *sum = cfg.id + cfg.value;
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
