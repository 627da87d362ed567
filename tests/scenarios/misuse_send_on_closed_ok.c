/* SPDX-License-Identifier: MIT */
/*
 * The twin of misuse_send_on_closed: shutdown() waits until the producer
 * is done before it closes (the sender side closes, after its last send),
 * and main drains the channel.
 *
 * EXPECT-EXIT: 0
 * EXPECT: drained 42
 * EXPECT-NOT: panic
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <gosan.h>
#include <stdio.h>

static go_chan *results; /* int, buffered */
static go_wg producers, closed;

static void shutdown(void *arg)
{
    (void)arg;
    go_wg_wait(&producers);
    go_chan_close(results);
    go_wg_done(&closed);
}

static void producer(void *arg)
{
    (void)arg;
    int v = 42;
    go_chan_send(results, &v);
    go_wg_done(&producers);
}

int main(void)
{
    results = go_chan_make(sizeof(int), 4);
    go_wg_add(&producers, 1);
    go_wg_add(&closed, 1);
    go(shutdown, NULL);
    go(producer, NULL);
    go_wg_wait(&closed);
    int v;
    while (go_chan_recv(results, &v))
        printf("drained %d\n", v);
    return 0;
}
