/* SPDX-License-Identifier: MIT */
/*
 * This file implements check_scenario (scenario_check.h): parse the
 * expectations out of a scenario's source, run the scenario with the
 * detector preloaded into it (and only into it: never into the Check
 * runner), and assert them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "scenario_check.h"

extern char **environ;

#define MAX_ITEMS 64

struct expectations {
    int exit_code;
    int signal;
    int timeout;
    bool no_detector;
    char *env[MAX_ITEMS];
    int nenv;
    char *has[MAX_ITEMS];
    int nhas;
    char *lacks[MAX_ITEMS];
    int nlacks;
    char *count_text[MAX_ITEMS];
    int count_n[MAX_ITEMS];
    int ncount;
    char *lines[MAX_ITEMS]; /* "file.c:123" */
    int nlines;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
                     e[-1] == '\r' || (e[-1] == '/' && e - 1 > s &&
                                       e[-2] == '*')))
        e--;
    /* a trailing close comment */
    if (e - s >= 2 && e[-2] == '*' && e[-1] == '/')
        e -= 2;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *e = '\0';
    return s;
}

static const char *after(const char *line, const char *directive)
{
    const char *p = strstr(line, directive);
    return p ? p + strlen(directive) : NULL;
}

static void parse(const char *src, struct expectations *x)
{
    memset(x, 0, sizeof *x);
    x->timeout = 60;
    FILE *f = fopen(src, "re");
    ck_assert_msg(f != NULL, "cannot open scenario source %s: %s", src,
                  strerror(errno));
    char *copy = strdup(src);
    const char *base = basename(copy);
    char buf[4096];
    int lineno = 0;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        const char *v;
        if ((v = after(buf, "EXPECT-EXIT:")))
            x->exit_code = atoi(v);
        else if ((v = after(buf, "EXPECT-SIGNAL:")))
            x->signal = atoi(v);
        else if ((v = after(buf, "TIMEOUT:")))
            x->timeout = atoi(v);
        else if (strstr(buf, "NO-DETECTOR"))
            x->no_detector = true;
        else if ((v = after(buf, "EXPECT-COUNT:")) && x->ncount < MAX_ITEMS) {
            char *end;
            x->count_n[x->ncount] = (int)strtol(v, &end, 10);
            x->count_text[x->ncount++] = strdup(trim(end));
        } else if ((v = after(buf, "EXPECT-NOT:")) && x->nlacks < MAX_ITEMS) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s", v);
            x->lacks[x->nlacks++] = strdup(trim(tmp));
        } else if ((v = after(buf, "EXPECT:")) && x->nhas < MAX_ITEMS) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s", v);
            x->has[x->nhas++] = strdup(trim(tmp));
        } else if ((v = after(buf, "ENV:")) && x->nenv < MAX_ITEMS) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s", v);
            x->env[x->nenv++] = strdup(trim(tmp));
        }
        if (strstr(buf, "@LINE") && x->nlines < MAX_ITEMS) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s:%d", base, lineno);
            x->lines[x->nlines++] = strdup(tmp);
        }
    }
    fclose(f);
    free(copy);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

void check_scenario(const char *exe, const char *src, const char *detector)
{
    struct expectations x;
    parse(src, &x);

    /* The environment: ours minus Check's variables and any preload,
     * plus the scenario's, plus the detector. */
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + MAX_ITEMS + 4, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "CK_", 3) ||
            !strncmp(environ[i], "LD_PRELOAD=", 11))
            continue;
        env[k++] = environ[i];
    }
    char preload[4096];
    if (!x.no_detector) {
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", detector);
        env[k++] = preload;
    }
    for (int i = 0; i < x.nenv; i++)
        env[k++] = x.env[i];
    env[k] = NULL;

    int pipefd[2];
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    char *argv[] = { (char *)exe, NULL };
    pid_t pid;
    int err = posix_spawn(&pid, exe, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(pipefd[1]);
    ck_assert_msg(err == 0, "posix_spawn %s: %s", exe, strerror(err));

    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    bool timed_out = false;
    int64_t deadline = test_now() + (int64_t)x.timeout * 1000000000;
    for (;;) {
        int64_t left = (deadline - test_now()) / 1000000;
        if (left <= 0) {
            kill(pid, SIGKILL);
            timed_out = true;
            break;
        }
        struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
        if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
            continue;
        if (len + 4096 >= cap)
            out = realloc(out, cap *= 2);
        ssize_t r = read(pipefd[0], out + len, 4096);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    out[len] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }

    ck_assert_msg(!timed_out, "%s timed out after %d s; output:\n%s", exe,
                  x.timeout, out);
    if (x.signal) {
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == x.signal,
                      "%s: expected death by signal %d, got status 0x%x; "
                      "output:\n%s", exe, x.signal, status, out);
    } else {
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == x.exit_code,
                      "%s: expected exit status %d, got wait status 0x%x; "
                      "output:\n%s", exe, x.exit_code, status, out);
    }
    for (int i = 0; i < x.nhas; i++)
        ck_assert_msg(strstr(out, x.has[i]), "%s: expected \"%s\" in the "
                      "output:\n%s", exe, x.has[i], out);
    for (int i = 0; i < x.nlacks; i++)
        ck_assert_msg(!strstr(out, x.lacks[i]), "%s: did not expect \"%s\" "
                      "in the output:\n%s", exe, x.lacks[i], out);
    for (int i = 0; i < x.ncount; i++)
        ck_assert_msg(count(out, x.count_text[i]) == x.count_n[i],
                      "%s: expected %d occurrences of \"%s\", got %d; "
                      "output:\n%s", exe, x.count_n[i], x.count_text[i],
                      count(out, x.count_text[i]), out);
    for (int i = 0; i < x.nlines; i++)
        ck_assert_msg(strstr(out, x.lines[i]), "%s: expected the report to "
                      "name %s; output:\n%s", exe, x.lines[i], out);
    free(out);
}
