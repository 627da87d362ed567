/* SPDX-License-Identifier: MIT */
/*
 * The twin of pthread_unlock_unlocked: one unlock on every path, from two
 * threads.
 *
 * EXPECT-EXIT: 0
 * EXPECT: items = 2
 * EXPECT-NOT: unlock of an unlocked mutex
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int items;

static void *add_items(void *arg)
{
    int v = *(int *)arg;
    pthread_mutex_lock(&mu);
    if (v >= 0)
        items++;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    static int vals[] = { 1, -1, 2 };
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, add_items, &vals[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    printf("items = %d\n", items);
    return 0;
}
