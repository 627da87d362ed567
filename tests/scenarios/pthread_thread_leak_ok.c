/* SPDX-License-Identifier: MIT */
/*
 * The twin of pthread_thread_leak: one thread is detached (created
 * detached), one is detached after it started, one is joined: none of
 * them leaks.
 *
 * EXPECT-EXIT: 0
 * EXPECT: workers finished
 * EXPECT-NOT: THREAD LEAK
 * EXPECT-NOT: SUMMARY: gosan
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int tids[3]; /* kernel thread ids, relaxed */

static void *worker(void *arg)
{
    int i = *(int *)arg;
    __atomic_store_n(&tids[i], (int)syscall(SYS_gettid), __ATOMIC_RELAXED);
    return NULL;
}

static void wait_gone(int i)
{
    int t;
    while (!(t = __atomic_load_n(&tids[i], __ATOMIC_RELAXED)))
        sched_yield();
    while (syscall(SYS_tgkill, getpid(), t, 0) == 0 || errno != ESRCH)
        sched_yield();
}

int main(void)
{
    static int ids[] = { 0, 1, 2 };
    pthread_t th[3];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&th[0], &attr, worker, &ids[0]);
    pthread_attr_destroy(&attr);
    pthread_create(&th[1], NULL, worker, &ids[1]);
    pthread_detach(th[1]);
    pthread_create(&th[2], NULL, worker, &ids[2]);
    pthread_join(th[2], NULL);
    wait_gone(0);
    wait_gone(1);
    printf("workers finished\n");
    return 0;
}
