/* SPDX-License-Identifier: MIT */
/*
 * This file implements gosan_bench's driver, a C transcription of the
 * driver half of shared/anchors/go/bench.go: Go-style flags, and running
 * each workload in a child process (this binary re-executed with -child
 * NAME) while measuring how much CPU other processes used meanwhile
 * (foreign_cpu_pct, from /proc/stat minus the child's own rusage), with
 * the optional idle gate (-quiet-max) and reruns of disturbed workloads
 * (-max-foreign, -retries). It never calls into gosan, so the driver
 * process has no runtime threads and posix_spawn is all it needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bench_proc_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    size_t len = strlen(field);
    int64_t v = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            v = strtoll(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* cpu_stat is the aggregate "cpu" line of /proc/stat, in USER_HZ ticks. */
struct cpu_stat {
    int64_t busy, steal, total;
};

static bool read_cpu_stat(struct cpu_stat *s)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return false;
    /* user nice system idle iowait irq softirq steal */
    long long v[8];
    int got = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0],
                     &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got != 8)
        return false;
    s->busy = v[0] + v[1] + v[2] + v[5] + v[6];
    s->steal = v[7];
    s->total = s->busy + v[3] + v[4] + v[7];
    return true;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* wait_quiet waits (up to max_ns) until the whole machine is at most
 * thresh percent busy over a 500 ms sample. Returns seconds waited and
 * stores the busy percent of the last sample (-1 if unknown). */
static double wait_quiet(int64_t max_ns, double thresh, double *busy_out)
{
    int64_t start = bench_now_ns();
    for (;;) {
        struct cpu_stat a, b;
        bool ok1 = read_cpu_stat(&a);
        sleep_ns(500000000);
        bool ok2 = read_cpu_stat(&b);
        if (!ok1 || !ok2 || b.total == a.total) {
            *busy_out = -1;
            return (double)(bench_now_ns() - start) / 1e9;
        }
        double busy = (double)(b.busy + b.steal - a.busy - a.steal) * 100 /
                      (double)(b.total - a.total);
        if (busy <= thresh || bench_now_ns() - start >= max_ns) {
            *busy_out = busy;
            return (double)(bench_now_ns() - start) / 1e9;
        }
        sleep_ns(1000000000);
    }
}

/* read_all reads fd to its end into buf (NUL-terminated; what does not
 * fit is read and dropped, so that the writer never blocks). */
static void read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    char scratch[512];
    for (;;) {
        bool full = got == len - 1;
        ssize_t k = full ? read(fd, scratch, sizeof scratch)
                         : read(fd, buf + got, len - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        if (!full)
            got += (size_t)k;
    }
    buf[got] = '\0';
}

/* exit_reason formats a wait status like Go's *exec.ExitError. */
static void exit_reason(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "signal: %s", strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

/* run_child runs argv in a child process and stores its output line plus
 * the disturbance fields: foreign_cpu_pct (CPU used by other processes
 * during the child's life, percent of all CPUs), steal_pct (hypervisor
 * steal), busy_before_pct and quiet_wait_s (the idle gate, if enabled).
 * Returns 0, or -1 with an error text in line. */
static int run_child(char *const argv[], const struct options *o, char *line,
                     size_t len, double *foreign_out)
{
    double waited = 0, busy_before = -1;
    if (o->quiet_max > 0)
        waited = wait_quiet(o->quiet_max, o->quiet_pct, &busy_before);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(line, len, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    struct cpu_stat s0 = { 0 }, s1 = { 0 };
    read_cpu_stat(&s0);
    pid_t pid;
    int err = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (err != 0) {
        close(fds[0]);
        snprintf(line, len, "spawn: %s", strerror(err));
        return -1;
    }
    read_all(fds[0], line, len);
    close(fds[0]);
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    read_cpu_stat(&s1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        exit_reason(status, line, len);
        return -1;
    }
    /* (all busy ticks) - (the child's own user+sys time), USER_HZ = 100. */
    double child_ticks =
        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 100 +
        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e4;
    double foreign = -1, steal = -1;
    int64_t tot = s1.total - s0.total;
    if (tot > 0) {
        foreign = ((double)(s1.busy - s0.busy) - child_ticks) * 100 /
                  (double)tot;
        if (foreign < 0)
            foreign = 0;
        steal = (double)(s1.steal - s0.steal) * 100 / (double)tot;
    }
    line[strcspn(line, "\n")] = '\0';
    size_t used = strlen(line);
    snprintf(line + used, len - used,
             " foreign_cpu_pct=%.1f steal_pct=%.1f busy_before_pct=%.1f "
             "quiet_wait_s=%.1f",
             foreign, steal, busy_before, waited);
    *foreign_out = foreign;
    return 0;
}

/* bench_run_driven runs w in child processes: re-run it (up to o->retries more
 * times) when other processes burned more than o->max_foreign percent of
 * the machine meanwhile, and keep the least-disturbed attempt. Returns
 * false when a child failed. */
bool bench_run_driven(const struct workload *w, const struct options *o)
{
    char *argv[] = { "gosan_bench", "-child", (char *)w->name, "-scale",
                     (char *)o->scale_str, o->nowarm ? "-nowarmup" : NULL,
                     NULL };
    char best[4096] = "", line[4096];
    double best_foreign = 1e9;
    int attempts = 0;
    for (int attempt = 0; attempt <= o->retries; attempt++) {
        attempts++;
        double foreign = 0;
        if (run_child(argv, o, line, sizeof line, &foreign) != 0) {
            printf("%s ERROR %s\n", w->name, line);
            fflush(stdout);
            return false;
        }
        if (foreign < best_foreign) {
            memcpy(best, line, sizeof best);
            best_foreign = foreign;
        }
        if (foreign <= o->max_foreign)
            break;
    }
    printf("%s attempts=%d\n", best, attempts);
    fflush(stdout);
    return true;
}

/* parse_duration reads a Go-style duration with one unit ("30s", "500ms",
 * "2m", "0"). Returns false on a malformed value. */
static bool parse_duration(const char *s, int64_t *ns)
{
    static const struct { const char *unit; double ns; } units[] = {
        { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
        { "m", 60e9 }, { "h", 3600e9 },
    };
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return false;
    if (*end == '\0' && v == 0) {
        *ns = 0;
        return true;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *ns = (int64_t)(v * units[i].ns);
            return true;
        }
    }
    return false;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gosan_bench [-only a,b,c] [-scale F] [-inproc] "
            "[-nowarmup] [-list]\n"
            "                   [-quiet-max DUR] [-quiet-pct P] "
            "[-max-foreign P] [-retries N]\n"
            "       gosan_bench -child NAME [-scale F] [-nowarmup]\n");
}

/* bench_parse_args accepts Go's flag syntax: -name value, -name=value, and the
 * same with two dashes; boolean flags take no value. */
void bench_parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .scale_str = "1", .scale = 1.0, .quiet_pct = 10,
                           .max_foreign = 100 };
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-')
            goto bad;
        a += a[1] == '-' ? 2 : 1;
        char name[32];
        const char *val = strchr(a, '=');
        size_t nlen = val ? (size_t)(val - a) : strlen(a);
        if (nlen >= sizeof name)
            goto bad;
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        if (val)
            val++;
        bool *flag = strcmp(name, "inproc") == 0     ? &o->inproc
                     : strcmp(name, "nowarmup") == 0 ? &o->nowarm
                     : strcmp(name, "list") == 0     ? &o->list
                                                     : NULL;
        if (flag) {
            *flag = !val || strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
            continue;
        }
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (!val && (val = argv[++i]) == NULL)
            goto bad;
        char *end = NULL;
        if (strcmp(name, "child") == 0) {
            o->child = val;
        } else if (strcmp(name, "only") == 0) {
            o->only = val;
        } else if (strcmp(name, "scale") == 0) {
            o->scale_str = val;
            o->scale = strtod(val, &end);
        } else if (strcmp(name, "quiet-max") == 0) {
            if (!parse_duration(val, &o->quiet_max))
                goto bad;
        } else if (strcmp(name, "quiet-pct") == 0) {
            o->quiet_pct = strtod(val, &end);
        } else if (strcmp(name, "max-foreign") == 0) {
            o->max_foreign = strtod(val, &end);
        } else if (strcmp(name, "retries") == 0) {
            o->retries = (int)strtol(val, &end, 10);
        } else {
            goto bad;
        }
        if (end && (end == val || *end != '\0'))
            goto bad;
    }
    return;
bad:
    fprintf(stderr, "bad flag or value: %s\n", i < argc ? argv[i] : argv[i - 1]);
    usage(stderr);
    exit(2);
}

int bench_select(const char *only, const struct workload *table, int n,
                 const struct workload **sel)
{
    if (!only || !*only) {
        for (int i = 0; i < n; i++)
            sel[i] = &table[i];
        return n;
    }
    char *copy = strdup(only), *save = NULL;
    int k = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        tok += strspn(tok, " \t");
        tok[strcspn(tok, " \t")] = '\0';
        int i = 0;
        while (i < n && strcmp(table[i].name, tok) != 0)
            i++;
        if (i == n || k == n) {
            fprintf(stderr, "unknown workload \"%s\"\n", tok);
            exit(2);
        }
        sel[k++] = &table[i];
    }
    free(copy);
    return k;
}

int bench_num_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}
