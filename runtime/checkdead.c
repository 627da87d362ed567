/* SPDX-License-Identifier: MIT */
/*
 * This file implements the whole-program deadlock check (Go's checkdead):
 * when the last M goes idle, if no goroutine can ever run again the
 * program dies with "fatal error: all goroutines are asleep - deadlock!"
 * and every goroutine's stack.
 *
 * "Can never run again" needs all of: every M idle (an M in a system call
 * or sleeping until a timer is not idle), no timer pending, nothing in a
 * run queue, no foreign thread running outside the runtime (it may still
 * send on a channel), and no thread in the process the runtime does not
 * know about (same reason; counted from /proc/self/stat). When in doubt the
 * check stays silent: a false "deadlock" would kill a correct program, and
 * the detector's hang watchdog covers what this misses.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime_impl.h"

/* process_threads reads num_threads (field 20) of /proc/self/stat. */
static int process_threads(void)
{
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* Fields after the command name, which ends at the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    for (int field = 3; field < 20; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -1;
    }
    return atoi(p + 1);
}

int rt__sysmon_threads(void);

static _Atomic int aux_threads;

void rt_aux_threads_add(int n)
{
    atomic_fetch_add(&aux_threads, n);
}

bool rt_timers_pending(void)
{
    return rt__timers_next() != INT64_MAX;
}

/* rt__checkdead is called with sched.lock held when no M is running. */
void rt__checkdead(void)
{
    if (rt__sched.nm_external_running > 0)
        return;
    if (rt__sched.timer_sleeper != NULL || rt__timers_next() != INT64_MAX)
        return;
    if (atomic_load(&rt__sched.runq_size) != 0)
        return;
    size_t n = atomic_load(&rt__sched.nallg);
    int waiting = 0;
    for (size_t i = 0; i < n; i++) {
        struct rt_g *g = rt__sched.allg[i];
        uint32_t s = atomic_load(&g->status) & ~RT_G_SCAN;
        if (g->flags & RT_GF_EXTERNAL) {
            if (s == RT_G_WAITING)
                waiting++;
            continue;
        }
        switch ((enum rt_gstatus)s) {
        case RT_G_WAITING:
            waiting++;
            break;
        case RT_G_RUNNABLE:
        case RT_G_RUNNING:
        case RT_G_SYSCALL:
            return; /* on its way to an M */
        case RT_G_FREE:
        case RT_G_DEAD:
            break;
        }
    }
    /* Threads we know: every M, sysmon, every registered foreign thread. */
    int known = rt__sched.mcount + rt__sysmon_threads() +
                atomic_load(&aux_threads);
    for (size_t i = 0; i < n; i++) {
        struct rt_g *g = rt__sched.allg[i];
        if ((g->flags & RT_GF_EXTERNAL) &&
            (atomic_load(&g->status) & ~RT_G_SCAN) != RT_G_FREE)
            known++;
    }
    int threads = process_threads();
    if (threads < 0 || threads > known)
        return;
    if (waiting == 0) {
        if (atomic_load(&rt__sched.main_exited))
            rt__fatal("no goroutines (main called runtime.Goexit) - "
                      "deadlock!");
        return;
    }
    rt__unlock(&rt__sched.lock);
    void rt__deadlock_hook(void);
    rt__deadlock_hook();
    /* Go's words and exit status, as a report (with every goroutine). */
    void rt__report_deadlock(const char *headline);
    rt__report_deadlock("fatal error: all goroutines are asleep - deadlock!");
    fflush(NULL);
    _exit(2);
}
