/* SPDX-License-Identifier: MIT */
/*
 * This file implements the scenario runner and the verifying teardown
 * (harness.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gosan.h>

#include "harness.h"

extern char **environ;

#define MAX_SCENARIOS 512

static struct {
    const char *name;
    scenario_fn fn;
} scenarios[MAX_SCENARIOS];
static int nscenarios;

void scenario_register(const char *name, scenario_fn fn)
{
    if (nscenarios == MAX_SCENARIOS) {
        fprintf(stderr, "too many scenarios\n");
        abort();
    }
    scenarios[nscenarios].name = name;
    scenarios[nscenarios].fn = fn;
    nscenarios++;
}

int scenario_main(const char *name, int argc, char **argv)
{
    for (int i = 0; i < nscenarios; i++) {
        if (!strcmp(scenarios[i].name, name)) {
            scenarios[i].fn(argc, argv);
            return 0;
        }
    }
    fprintf(stderr, "no scenario named '%s'\n", name);
    return 125;
}

int64_t test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char **build_env(const char *const *extra)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (extra && extra[k])
        k++;
    char **env = calloc(n + k + 1, sizeof *env);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        /* Check's own variables must not leak into the scenario. */
        if (!strncmp(environ[i], "CK_", 3))
            continue;
        env[j++] = environ[i];
    }
    for (size_t i = 0; i < k; i++)
        env[j++] = (char *)extra[i];
    env[j] = NULL;
    return env;
}

void run_scenario(const char *name, const char *const *env, int timeout_s,
                  struct child *out)
{
    memset(out, 0, sizeof *out);
    int pipefd[2];
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert(len > 0);
    self[len] = '\0';
    char *argv[] = { self, "--scenario", (char *)name, NULL };
    char **envp = build_env(env);
    pid_t pid;
    int err = posix_spawn(&pid, self, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(pipefd[1]);
    ck_assert_msg(err == 0, "posix_spawn: %s", strerror(err));

    size_t cap = 4096;
    out->output = malloc(cap);
    int64_t deadline = test_now() + (int64_t)timeout_s * 1000000000;
    for (;;) {
        int64_t left_ms = (deadline - test_now()) / 1000000;
        if (left_ms <= 0) {
            kill(pid, SIGKILL);
            out->timed_out = true;
            break;
        }
        struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
        int r = poll(&pfd, 1, (int)(left_ms > 1000 ? 1000 : left_ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        if (out->len + 4096 > cap) {
            cap *= 2;
            out->output = realloc(out->output, cap);
        }
        ssize_t n = read(pipefd[0], out->output + out->len, 4096);
        if (n <= 0)
            break;
        out->len += (size_t)n;
    }
    close(pipefd[0]);
    out->output[out->len] = '\0';
    while (waitpid(pid, &out->status, 0) < 0 && errno == EINTR) {
    }
}

void child_free(struct child *c)
{
    free(c->output);
    c->output = NULL;
}

bool child_exited_with(const struct child *c, int code)
{
    return !c->timed_out && WIFEXITED(c->status) &&
           WEXITSTATUS(c->status) == code;
}

bool child_killed_by(const struct child *c, int sig)
{
    return !c->timed_out && WIFSIGNALED(c->status) &&
           WTERMSIG(c->status) == sig;
}

int child_count(const struct child *c, const char *needle)
{
    int n = 0;
    for (const char *p = c->output; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

void rt_test_setup(void)
{
}

void rt_test_verify(void)
{
    /* Goroutines that were told to finish may still be on their way out. */
    int64_t deadline = test_now() + 5000000000;
    while (go_num_goroutine() > 1 && test_now() < deadline)
        go_sleep(1000000);
    ck_assert_msg(go_num_goroutine() == 1,
                  "%d goroutines outlived the test (only main may remain)",
                  go_num_goroutine());
}
