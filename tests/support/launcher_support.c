/* SPDX-License-Identifier: MIT */
/*
 * This file implements the launcher tests' command runner: fork and exec
 * with three pipes, a poll loop that feeds stdin and drains stdout and
 * stderr (so a chatty command never blocks on a full pipe), and a
 * timeout after which the command is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher_support.h"

extern char **environ;

/* child_env is the test's environment without what gosan reads, plus
 * extra. */
static char **child_env(const char *const *extra)
{
    size_t n = 0, m = 0;
    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **env = calloc(n + m + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "GOSAN_OPTIONS=", 14) ||
            !strncmp(environ[i], "GOSAN_DETECT_LIB=", 17) ||
            !strncmp(environ[i], "LD_PRELOAD=", 11))
            continue;
        env[k++] = environ[i];
    }
    for (size_t i = 0; i < m; i++)
        env[k++] = (char *)extra[i];
    env[k] = NULL;
    return env;
}

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void run_cmd(char *const *argv, const char *const *env, const char *in,
             int timeout_s, struct proc_out *o)
{
    memset(o, 0, sizeof *o);
    int pin[2], pout[2], perr[2];
    if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
        pipe2(perr, O_CLOEXEC))
        abort();
    char **envp = child_env(env);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, envp);
        fprintf(stderr, "run_cmd: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    free(envp);
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t in_len = in ? strlen(in) : 0, in_off = 0;
    if (in_len == 0) {
        close(pin[1]);
        pin[1] = -1;
    } else {
        fcntl(pin[1], F_SETFL, O_NONBLOCK);
    }
    struct buf out = { 0 }, err = { 0 };
    buf_add(&out, "", 0);
    buf_add(&err, "", 0);
    double deadline = now_s() + timeout_s;
    int fds[3] = { pout[0], perr[0], pin[1] };
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[3] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 },
                               { fds[2], POLLOUT, 0 } };
        int ms = (int)((deadline - now_s()) * 1000);
        if (ms <= 0 && !o->timed_out) {
            kill(pid, SIGKILL);
            o->timed_out = true;
        }
        if (poll(p, 3, ms > 0 ? ms : 1000) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i] < 0 || !p[i].revents)
                continue;
            char chunk[65536];
            ssize_t n = read(fds[i], chunk, sizeof chunk);
            if (n > 0) {
                buf_add(i ? &err : &out, chunk, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        if (fds[2] >= 0 && p[2].revents) {
            ssize_t n = write(fds[2], in + in_off, in_len - in_off);
            if (n > 0)
                in_off += (size_t)n;
            if ((n < 0 && errno != EAGAIN) || in_off == in_len) {
                close(fds[2]);
                fds[2] = -1;
            }
        }
    }
    if (fds[2] >= 0)
        close(fds[2]);
    /* It may have closed its output and still be running. */
    while (waitpid(pid, &o->status, WNOHANG) == 0) {
        if (now_s() > deadline && !o->timed_out) {
            kill(pid, SIGKILL);
            o->timed_out = true;
        }
        usleep(10000);
    }
    o->out = out.p;
    o->out_len = out.len;
    o->err = err.p;
    o->err_len = err.len;
}

void proc_out_free(struct proc_out *o)
{
    free(o->out);
    free(o->err);
    memset(o, 0, sizeof *o);
}

bool exited_with(const struct proc_out *o, int code)
{
    return !o->timed_out && WIFEXITED(o->status) &&
           WEXITSTATUS(o->status) == code;
}

char *read_file_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b = { 0 };
    buf_add(&b, "", 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    return b.p;
}

bool write_file_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

int count_of(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)); p += len)
        n++;
    return n;
}

char *test_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/gosan-launcher-test.XXXXXX",
                 tmp && tmp[0] ? tmp : "/tmp") < 0 || !mkdtemp(path))
        abort();
    return path;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void remove_dir(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
