/* SPDX-License-Identifier: MIT */
/*
 * measure OUTFILE TIMEOUT_S cmd [args...]: runs cmd (fork + execvp, its
 * stdio inherited), waits for it and appends one line to OUTFILE:
 *
 *   rc=<exit code or 128+signal> wall_s=<..> maxrss_kb=<..> user_s=<..>
 *   sys_s=<..> foreign=<cores>
 *
 * wall_s is CLOCK_MONOTONIC around fork..wait4; maxrss_kb, user_s and
 * sys_s come from wait4's rusage (the child's peak resident set, as
 * /usr/bin/time reports it). foreign is the CPU time the rest of the
 * machine used during the run, in cores: busy ticks from /proc/stat minus
 * the child's user+sys, over wall (10 ms ticks: rough for short runs).
 * After TIMEOUT_S seconds the child's process group gets SIGKILL (rc 137).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double busy_s(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (k != 8)
        return 0;
    /* user nice system [idle iowait] irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
           (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t timed_out;
static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: measure OUTFILE TIMEOUT_S cmd [args...]\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "ae");
    if (!out) {
        perror(argv[1]);
        return 2;
    }
    int timeout = atoi(argv[2]);
    double b0 = busy_s(), t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[3], argv + 3);
        perror("execvp");
        _exit(127);
    }
    setpgid(pid, pid);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    if (timeout > 0)
        alarm((unsigned)timeout);
    int status;
    struct rusage ru;
    for (;;) {
        pid_t w = wait4(pid, &status, 0, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno == EINTR && timed_out) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            continue;
        }
        if (w < 0 && errno != EINTR) {
            perror("wait4");
            return 2;
        }
    }
    double t1 = now_s(), b1 = busy_s();
    int rc = WIFEXITED(status) ? WEXITSTATUS(status)
                               : 128 + WTERMSIG(status);
    double us = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    double ss = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    double wall = t1 - t0;
    double foreign = wall > 0 ? ((b1 - b0) - us - ss) / wall : 0;
    if (foreign < 0)
        foreign = 0;
    fprintf(out, "rc=%d wall_s=%.4f maxrss_kb=%ld user_s=%.3f sys_s=%.3f "
            "foreign=%.2f timeout=%d\n", rc, wall, ru.ru_maxrss, us, ss,
            foreign, timed_out ? 1 : 0);
    fclose(out);
    return 0;
}
