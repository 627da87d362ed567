/* SPDX-License-Identifier: MIT */
/*
 * A race through memcpy: two goroutines copy their message into the same
 * shared buffer with no synchronization. The detector checks the ranges
 * memcpy reads and writes, and the report names the memcpy calls' lines.
 * Two racing memcpy calls are one race, reported once (however many
 * words they share), and counted once in Go's closing "Found N" line.
 *
 * EXPECT-EXIT: 66
 * EXPECT-COUNT: 1 WARNING: DATA RACE
 * EXPECT: Write at
 * EXPECT: Previous write at
 * EXPECT: created at:
 * EXPECT: Location is global 'shared'
 * EXPECT: SUMMARY: gosan: data-race
 * EXPECT: Found 1 data race(s)
 */
#include <gosan.h>
#include <stdio.h>
#include <string.h>

#define MSG 64

static char shared[MSG];
static go_mutex mu;
static go_wg wg;

static void post(void *arg)
{
    const char *text = arg;
    char msg[MSG];
    memset(msg, 0, sizeof msg);
    snprintf(msg, sizeof msg, "%s", text);
    memcpy(shared, msg, sizeof msg); /* @LINE both goroutines copy here */
    go_wg_done(&wg);
}

static void post_urgent(void *arg)
{
    const char *text = arg;
    char msg[MSG];
    memset(msg, 0, sizeof msg);
    snprintf(msg, sizeof msg, "URGENT: %s", text);
    memcpy(shared, msg, sizeof msg); /* @LINE and here */
    go_wg_done(&wg);
}

int main(void)
{
    go_wg_add(&wg, 2);
    go(post, "hello");
    go(post_urgent, "world");
    go_wg_wait(&wg);
    go_mutex_lock(&mu);
    printf("last message is %zu bytes\n", strlen(shared));
    go_mutex_unlock(&mu);
    return 0;
}
