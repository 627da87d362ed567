/* SPDX-License-Identifier: MIT */
/*
 * Publication through pthread_join: a thread fills a result struct
 * without any lock and main reads it after joining the thread. Everything
 * the thread did happens before its join returns: no data race.
 *
 * EXPECT-EXIT: 0
 * EXPECT: result: 42 answer
 * EXPECT-NOT: WARNING
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct result {
    int value;
    char label[16];
};

static void *compute(void *arg)
{
    struct result *r = arg;
    r->value = 42;
    strcpy(r->label, "answer");
    return r;
}

int main(void)
{
    struct result *r = calloc(1, sizeof *r);
    pthread_t th;
    pthread_create(&th, NULL, compute, r);
    void *ret;
    pthread_join(th, &ret);
    struct result *got = ret;
    printf("result: %d %s\n", got->value, got->label);
    free(r);
    return 0;
}
