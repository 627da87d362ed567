/* SPDX-License-Identifier: MIT */
/*
 * This file handles the process-wide events of the interposer: fork and
 * exit.
 *
 * fork: the detector's global locks are taken around the real fork (so
 * that the child does not inherit one held by a thread that does not exist
 * there), and the child starts a clean report of its own: its exit status
 * depends only on what it reports itself.
 *
 * exit: thread leaks are reported (interpose/thread.c), from an exit
 * handler registered when the detector starts.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "interpose_impl.h"

void det_fork_prepare(void);
void det_fork_parent(void);
void det_fork_child(void);

IP_EXPORT pid_t fork(void)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (!t)
        return REAL(fork)();
    det_fork_prepare();
    pid_t pid = REAL(fork)();
    int saved = errno;
    if (pid == 0) {
        det_fork_child();
        rep_after_fork_child();
    } else {
        det_fork_parent();
    }
    errno = saved;
    return pid;
}

static void at_exit(void)
{
    ip_threads_at_exit();
}

void ip_init(void)
{
    atexit(at_exit);
}
