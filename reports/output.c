/* SPDX-License-Identifier: MIT */
/*
 * This file implements the report stream: where reports and fatal runtime
 * errors are written. It is stderr unless log_path is set, in which case it
 * is PATH.PID, opened on first use (a forked child gets its own file).
 *
 * Everything here is async-signal-safe and never allocates: it is used from
 * the stack-overflow handler and from a process that is about to abort.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "reports.h"

/* The open log file and the pid it was opened for; -1 until first use. */
static _Atomic int log_fd = -1;
static _Atomic pid_t log_pid;

int rep_output_fd(void)
{
    const struct rep_options *o = rep_options();
    if (!o->log_path[0])
        return 2;
    pid_t pid = getpid();
    int fd = atomic_load(&log_fd);
    if (fd >= 0 && atomic_load(&log_pid) == pid)
        return fd;
    char path[4096];
    size_t len = strlen(o->log_path);
    if (len > sizeof path - 24)
        return 2;
    memcpy(path, o->log_path, len);
    path[len++] = '.';
    char digits[16];
    int nd = 0;
    for (pid_t p = pid; p > 0; p /= 10)
        digits[nd++] = (char)('0' + p % 10);
    while (nd > 0)
        path[len++] = digits[--nd];
    path[len] = '\0';
    int nfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (nfd < 0)
        return 2;
    int expected = fd;
    if (!atomic_compare_exchange_strong(&log_fd, &expected, nfd)) {
        close(nfd);
        return atomic_load(&log_fd);
    }
    atomic_store(&log_pid, pid);
    return nfd;
}

void rep_write(const char *buf, size_t n)
{
    int fd = rep_output_fd();
    int saved = errno;
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        buf += w;
        n -= (size_t)w;
    }
    errno = saved;
}

void rep_vprintf(const char *fmt, va_list ap)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    rep_write(buf, (size_t)n);
}

void rep_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rep_vprintf(fmt, ap);
    va_end(ap);
}
