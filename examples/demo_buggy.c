/* SPDX-License-Identifier: MIT */
/*
 * This file implements the demo: an order-processing service written the
 * way Go programs are written, with three classic concurrency bugs, and
 * gosan catching each one with Go's words and a symbolized stack.
 *
 *   1. close-while-sending: each worker closes the shared results channel
 *      when it runs out of work, while the other workers still send on it
 *      (Go: "panic: send on closed channel", or "close of closed channel"
 *      when a second worker gets to its close first).
 *   2. forgotten Done: an error path returns without wg.Done(), so the
 *      collector waits forever and every goroutine ends up asleep
 *      (Go: "fatal error: all goroutines are asleep - deadlock!").
 *   3. double close: two shutdown paths both close the quit channel
 *      (Go: "panic: close of closed channel").
 *   4. an unlocked counter: every worker bumps a statistics counter
 *      without the lock (a data race; found when the program is compiled
 *      with -fsanitize=thread and run under `gosan run`).
 *   5. a leaked lookup: a price lookup answers on an unbuffered channel
 *      after its caller gave up waiting, and blocks forever (goleak's
 *      finding: the goroutine outlives the request).
 *   6. lock-order inversion: restocking locks inventory then ledger, a
 *      refund locks ledger then inventory; this run does not deadlock,
 *      the next one may.
 *
 * `demo_buggy` runs each scenario in a child process (`demo_buggy BUG`)
 * and shows what gosan reported. Bugs 1-3 are caught by the runtime
 * alone; 4-6 need the detector (scripts/demo.sh runs all of them under
 * `gosan run`).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gosan.h>

struct order {
    int id;
    int amount;
};

/* ---- bug 1: every worker closes the results channel -------------------- */

struct shop {
    go_chan *orders;   /* struct order */
    go_chan *results;  /* int: amount charged */
    go_wg workers;
};

static void charge_worker(void *arg)
{
    struct shop *s = arg;
    struct order o;
    while (go_chan_recv(s->orders, &o)) {
        int charged = o.amount * 100;
        go_chan_send(s->results, &charged);
    }
    go_chan_close(s->results); /* BUG: the first worker done closes it */
    go_wg_done(&s->workers);
}

static int bug_close_while_sending(void)
{
    struct shop s = { go_chan_make(sizeof(struct order), 16),
                      go_chan_make(sizeof(int), 0), GO_WG_INIT };
    go_wg_add(&s.workers, 3);
    for (int w = 0; w < 3; w++)
        go(charge_worker, &s);
    for (int i = 0; i < 9; i++) {
        struct order o = { i, 10 + i };
        go_chan_send(s.orders, &o);
    }
    go_chan_close(s.orders);
    int total = 0, v;
    while (go_chan_recv(s.results, &v))
        total += v;
    go_wg_wait(&s.workers); /* the other workers are still sending */
    printf("total charged: %d\n", total);
    return 0;
}

/* ---- bug 2: an error path forgets wg.Done -------------------------------- */

struct batch {
    go_wg wg;
    go_chan *done;
};

static void validate(void *arg)
{
    struct batch *b = arg;
    static int next;
    int id = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
    if (id == 3)
        return; /* BUG: invalid order, returns without go_wg_done */
    go_wg_done(&b->wg);
}

static void collector(void *arg)
{
    struct batch *b = arg;
    go_wg_wait(&b->wg);
    go_chan_close(b->done);
}

static int bug_forgotten_done(void)
{
    struct batch b = { .done = go_chan_make(0, 0) };
    go_wg_add(&b.wg, 5);
    for (int i = 0; i < 5; i++)
        go(validate, &b);
    go(collector, &b);
    go_chan_recv(b.done, NULL);
    printf("batch validated\n");
    return 0;
}

/* ---- bug 3: two shutdown paths close the same channel ------------------- */

static go_chan *quit;

static void on_signal(void *arg)
{
    (void)arg;
    go_chan_close(quit);
}

static int bug_double_close(void)
{
    quit = go_chan_make(0, 0);
    go(on_signal, NULL);
    go_sleep(1000000);
    go_chan_close(quit); /* BUG: the signal handler goroutine closed it */
    printf("shut down\n");
    return 0;
}

/* ---- bug 4: an unlocked statistics counter ------------------------------- */

static long orders_served; /* BUG: every worker updates it, no lock */
static go_mutex stats_mu;  /* ... although this lock exists for it */

static void serve_orders(void *arg)
{
    go_wg *wg = arg;
    for (int i = 0; i < 1000; i++)
        orders_served++;
    go_wg_done(wg);
}

static int bug_unlocked_counter(void)
{
    go_wg wg = GO_WG_INIT;
    go_wg_add(&wg, 2);
    go(serve_orders, &wg);
    go(serve_orders, &wg);
    go_wg_wait(&wg);
    go_mutex_lock(&stats_mu);
    printf("served %ld orders\n", orders_served);
    go_mutex_unlock(&stats_mu);
    return 0;
}

/* ---- bug 5: a lookup that outlives its request ---------------------------- */

static void lookup_price(void *arg)
{
    go_chan *reply = arg;
    go_sleep(300 * 1000 * 1000); /* a slow backend */
    int price = 42;
    go_chan_send(reply, &price); /* BUG: nobody receives after the timeout */
}

static void handle_request(void)
{
    go_chan *reply = go_chan_make(sizeof(int), 0); /* BUG: unbuffered */
    go(lookup_price, reply);
    int price;
    go_select_case cases[] = { GO_RECV_CASE(reply, &price),
                               GO_RECV_CASE(go_after(10 * 1000 * 1000),
                                            NULL) };
    if (go_select(cases, 2, false) == 0)
        printf("price %d\n", price);
    else
        printf("lookup timed out: answering without a price\n");
}

static int bug_leaked_lookup(void)
{
    handle_request();
    go_sleep(100 * 1000 * 1000); /* the service goes on */
    /* What a test's teardown does: no goroutine may outlive the test. */
    int leaked = goleak_verify();
    printf("goleak_verify: %d leaked goroutine%s\n", leaked,
           leaked == 1 ? "" : "s");
    return 0;
}

/* ---- bug 6: two locks taken in both orders -------------------------------- */

static go_mutex inventory, ledger;
static int stock = 10, balance = 1000;

static void restock(void *arg)
{
    go_mutex_lock(&inventory);
    go_mutex_lock(&ledger); /* inventory -> ledger */
    stock += 5;
    balance -= 50;
    go_mutex_unlock(&ledger);
    go_mutex_unlock(&inventory);
    go_wg_done(arg);
}

static void refund(void *arg)
{
    go_mutex_lock(&ledger);
    go_mutex_lock(&inventory); /* BUG: ledger -> inventory */
    stock += 1;
    balance -= 10;
    go_mutex_unlock(&inventory);
    go_mutex_unlock(&ledger);
    go_wg_done(arg);
}

static int bug_lock_order(void)
{
    /* One after the other: this run cannot deadlock, but the two orders
     * can, the day they run at the same time. */
    go_wg wg = GO_WG_INIT;
    go_wg_add(&wg, 1);
    go(restock, &wg);
    go_wg_wait(&wg);
    go_wg_add(&wg, 1);
    go(refund, &wg);
    go_wg_wait(&wg);
    printf("stock %d, balance %d\n", stock, balance);
    return 0;
}

/* ---- driver --------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *what;
    int (*run)(void);
} bugs[] = {
    { "close-while-sending",
      "each worker closes the results channel when it finishes",
      bug_close_while_sending },
    { "forgotten-done",
      "an error path returns without go_wg_done",
      bug_forgotten_done },
    { "double-close",
      "two shutdown paths close the same channel",
      bug_double_close },
    { "unlocked-counter",
      "workers update a shared counter without its lock",
      bug_unlocked_counter },
    { "leaked-lookup",
      "a lookup answers after its caller timed out, and blocks forever",
      bug_leaked_lookup },
    { "lock-order",
      "two code paths take the same two locks in opposite orders",
      bug_lock_order },
};
#define NBUGS (sizeof bugs / sizeof bugs[0])

int main(int argc, char **argv)
{
    if (argc == 2) {
        for (size_t i = 0; i < NBUGS; i++)
            if (!strcmp(argv[1], bugs[i].name))
                return bugs[i].run();
        fprintf(stderr, "demo_buggy: no bug named '%s'\n", argv[1]);
        return 2;
    }
    for (size_t i = 0; i < NBUGS; i++) {
        printf("\n=== bug %zu: %s (%s)\n\n", i + 1, bugs[i].name,
               bugs[i].what);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", argv[0], bugs[i].name, (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status))
            printf("\n--> gosan stopped the program (signal %d)\n",
                   WTERMSIG(status));
        else
            printf("\n--> exit status %d\n", WEXITSTATUS(status));
    }
    return 0;
}
