/* SPDX-License-Identifier: MIT */
/*
 * The twin of pthread_destroy_locked: the error path unlocks, so the
 * mutex is unlocked when it is destroyed.
 *
 * EXPECT-EXIT: 0
 * EXPECT: cleaned up
 * EXPECT-NOT: destroy of a locked mutex
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>

struct cache {
    pthread_mutex_t mu;
    int entries;
};

static __attribute__((noinline)) int fill(struct cache *c, int n)
{
    pthread_mutex_lock(&c->mu);
    if (n < 0) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    c->entries = n;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static __attribute__((noinline)) void cleanup(struct cache *c)
{
    pthread_mutex_destroy(&c->mu);
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
