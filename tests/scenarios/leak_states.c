/* SPDX-License-Identifier: MIT */
/*
 * One leaked goroutine in each blocking state goleak knows, so that each
 * report's state and wait object can be checked: chan receive, chan send,
 * select, a nil channel, sync.Mutex.Lock, sync.WaitGroup.Wait,
 * sync.Cond.Wait and sleep. goleak_verify returns 8.
 *
 * EXPECT-EXIT: 66
 * EXPECT: leaked = 8
 * EXPECT: goleak: found 8 unexpected goroutines
 * EXPECT-COUNT: 8 WARNING: GOROUTINE LEAK
 * EXPECT: [chan receive]:
 * EXPECT: [chan send]:
 * EXPECT: [select]:
 * EXPECT: [chan receive (nil chan)]:
 * EXPECT: Blocked forever on the nil channel
 * EXPECT: [sync.Mutex.Lock]:
 * EXPECT: Blocked on sync.Mutex.Lock
 * EXPECT: [sync.WaitGroup.Wait]:
 * EXPECT: Blocked on sync.WaitGroup.Wait
 * EXPECT: [sync.Cond.Wait]:
 * EXPECT: Blocked on sync.Cond.Wait
 * EXPECT: [sleep]:
 * EXPECT: (element size 8, len 0, cap 0, open)
 * EXPECT: (element size 8, len 2, cap 2, open)
 * EXPECT-COUNT: 8 SUMMARY: gosan: goroutine-leak
 */
#include <gosan.h>
#include <stdio.h>

#define MS (1000 * 1000LL)

static go_chan *unbuffered; /* int64_t, cap 0: nobody sends */
static go_chan *full;       /* int64_t, cap 2, full: nobody receives */
static go_mutex held;       /* main holds it */
static go_wg never_done;    /* counter 1, nobody calls Done */
static go_mutex cond_lock;
static go_cond never_signaled;

static void receiver(void *arg)
{
    (void)arg;
    int64_t v;
    go_chan_recv(unbuffered, &v); /* @LINE chan receive */
}

static void sender(void *arg)
{
    (void)arg;
    int64_t v = 3;
    go_chan_send(full, &v); /* @LINE chan send */
}

static void selector(void *arg)
{
    (void)arg;
    int64_t v;
    go_select_case cases[] = {
        GO_RECV_CASE(unbuffered, &v),
        GO_SEND_CASE(full, &v),
    };
    go_select(cases, 2, false); /* @LINE select */
}

static void nil_receiver(void *arg)
{
    (void)arg;
    go_chan_recv(NULL, NULL); /* @LINE the nil channel */
}

static void locker(void *arg)
{
    (void)arg;
    go_mutex_lock(&held); /* @LINE mutex */
    go_mutex_unlock(&held);
}

static void waiter(void *arg)
{
    (void)arg;
    go_wg_wait(&never_done); /* @LINE waitgroup */
}

static void cond_waiter(void *arg)
{
    (void)arg;
    go_mutex_lock(&cond_lock);
    go_cond_wait(&never_signaled); /* @LINE cond */
    go_mutex_unlock(&cond_lock);
}

static void sleeper(void *arg)
{
    (void)arg;
    go_sleep(10000 * MS); /* @LINE sleep */
}

int main(void)
{
    unbuffered = go_chan_make(sizeof(int64_t), 0);
    full = go_chan_make(sizeof(int64_t), 2);
    int64_t v = 1;
    go_chan_send(full, &v);
    go_chan_send(full, &v);
    go_mutex_lock(&held);
    go_wg_add(&never_done, 1);
    go_cond_init(&never_signaled, &cond_lock);

    go(receiver, NULL);
    go(sender, NULL);
    go(selector, NULL);
    go(nil_receiver, NULL);
    go(locker, NULL);
    go(waiter, NULL);
    go(cond_waiter, NULL);
    go(sleeper, NULL);
    printf("leaked = %d\n", goleak_verify());
    return 0;
}
