/* SPDX-License-Identifier: MIT */
/*
 * A thread leak (TSan's): a joinable thread finishes and is neither joined
 * nor detached by the time the process exits; its resources are never
 * reclaimed. Reported at exit with where the thread was created. (main
 * waits until the thread is gone from the kernel's view, polling, so that
 * it surely finished: this is about the thread's end, not an order of
 * events.)
 *
 * EXPECT-EXIT: 66
 * EXPECT: worker finished
 * EXPECT-COUNT: 1 WARNING: THREAD LEAK
 * EXPECT: Thread T1 finished but was neither joined nor detached
 * EXPECT: Thread T1 (finished) created at:
 * EXPECT-COUNT: 1 SUMMARY: gosan: thread-leak
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int tid; /* the worker's kernel thread id, relaxed */

static void *worker(void *arg)
{
    (void)arg;
    __atomic_store_n(&tid, (int)syscall(SYS_gettid), __ATOMIC_RELAXED);
    return NULL;
}

/* wait_gone polls until the thread no longer exists in the kernel. */
static void wait_gone(void)
{
    int t;
    while (!(t = __atomic_load_n(&tid, __ATOMIC_RELAXED)))
        sched_yield();
    while (syscall(SYS_tgkill, getpid(), t, 0) == 0 || errno != ESRCH)
        sched_yield();
}

int main(void)
{
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL); /* @LINE created here */
    wait_gone();
    printf("worker finished\n");
    return 0; /* forgot pthread_join(th, NULL) */
}
