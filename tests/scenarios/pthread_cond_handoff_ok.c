/* SPDX-License-Identifier: MIT */
/*
 * A correct condition-variable handoff between pthreads: a producer puts
 * items into a bounded buffer and a consumer takes them, each waiting in a
 * loop on its own condition with the mutex held. Plain data moves through
 * the buffer: no data race, no misuse, no lock-order report, no hang.
 *
 * EXPECT-EXIT: 0
 * EXPECT: sum = 5050
 * EXPECT-NOT: WARNING
 * EXPECT-NOT: SUMMARY: gosan
 */
#include <pthread.h>
#include <stdio.h>

#define N 100
#define CAP 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int buf[CAP];
static int head, count;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= N; i++) {
        pthread_mutex_lock(&mu);
        while (count == CAP)
            pthread_cond_wait(&not_full, &mu);
        buf[(head + count) % CAP] = i;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long *sum = arg;
    for (int i = 0; i < N; i++) {
        pthread_mutex_lock(&mu);
        while (count == 0)
            pthread_cond_wait(&not_empty, &mu);
        *sum += buf[head];
        head = (head + 1) % CAP;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(void)
{
    static long sum;
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &sum);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("sum = %ld\n", sum);
    return 0;
}
