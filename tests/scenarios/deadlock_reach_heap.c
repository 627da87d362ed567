/* SPDX-License-Identifier: MIT */
/*
 * Not a partial deadlock: the channel a handler waits on lives in a heap
 * struct that a global points to (global -> heap block -> channel). The
 * scan must follow pointers from globals through heap blocks and stay
 * silent; main sends through the global after five seconds.
 *
 * EXPECT-EXIT: 0
 * EXPECT: handled 11
 * EXPECT-NOT: DEADLOCK
 * EXPECT-NOT: SUMMARY: gosan
 * TIMEOUT: 30
 */
#include <gosan.h>
#include <stdio.h>
#include <stdlib.h>

#define MS (1000 * 1000LL)

struct server {
    char name[40];
    go_chan *requests; /* int */
    go_wg done;
};

struct server *the_server; /* extern linkage: any call may use it */

static void handler(void *arg)
{
    struct server *s = arg;
    int v;
    go_chan_recv(s->requests, &v);
    printf("handled %d\n", v);
    go_wg_done(&s->done);
}

static __attribute__((noinline)) void start(void)
{
    struct server *s = calloc(1, sizeof *s);
    snprintf(s->name, sizeof s->name, "api");
    s->requests = go_chan_make(sizeof(int), 0);
    go_wg_add(&s->done, 1);
    go(handler, s);
    the_server = s;
}

int main(void)
{
    start();
    go_sleep(5000 * MS); /* about time: longer than the scan needs */
    int v = 11;
    go_chan_send(the_server->requests, &v);
    go_wg_wait(&the_server->done);
    return 0;
}
