/* SPDX-License-Identifier: MIT */
/*
 * The twin of race_memcpy: the copies into the shared buffer are made
 * under a mutex.
 *
 * EXPECT-EXIT: 0
 * EXPECT-NOT: WARNING: DATA RACE
 * EXPECT: last message is
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
    go_mutex_lock(&mu);
    memcpy(shared, msg, sizeof msg);
    go_mutex_unlock(&mu);
    go_wg_done(&wg);
}

static void post_urgent(void *arg)
{
    const char *text = arg;
    char msg[MSG];
    memset(msg, 0, sizeof msg);
    snprintf(msg, sizeof msg, "URGENT: %s", text);
    go_mutex_lock(&mu);
    memcpy(shared, msg, sizeof msg);
    go_mutex_unlock(&mu);
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
