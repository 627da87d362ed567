/* SPDX-License-Identifier: MIT */
/*
 * Destroy of a locked pthread mutex (undefined behaviour): cleanup()
 * destroys the cache's mutex while an error path left it locked. Reported
 * with the stack of the destroy and where it was locked.
 *
 * EXPECT-EXIT: 66
 * EXPECT: cleaned up
 * EXPECT-COUNT: 1 WARNING: destroy of a locked mutex
 * EXPECT: is held by main thread, who locked it at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: mutex-misuse
 */
#include <pthread.h>
#include <stdio.h>

struct cache {
    pthread_mutex_t mu;
    int entries;
};

static __attribute__((noinline)) int fill(struct cache *c, int n)
{
    pthread_mutex_lock(&c->mu); /* @LINE locked here */
    if (n < 0)
        return -1; /* forgot to unlock */
    c->entries = n;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static __attribute__((noinline)) void cleanup(struct cache *c)
{
    pthread_mutex_destroy(&c->mu); /* @LINE destroyed while locked */
}

int main(void)
{
    static struct cache c;
    pthread_mutex_init(&c.mu, NULL);
    fill(&c, -1);
    cleanup(&c);
    printf("cleaned up\n");
    return 0;
}
