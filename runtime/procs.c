/* SPDX-License-Identifier: MIT */
/*
 * This file implements the default GOMAXPROCS, as Go 1.25 computes it:
 * the GOMAXPROCS environment variable if it is a positive integer; else
 * the number of CPUs the process may run on (its affinity mask), lowered
 * to the cgroup CPU bandwidth limit if there is one, rounded up but not
 * below 2 (Go 1.25's rule), and at least 1.
 *
 * The limit is the smallest quota/period found walking from the process's
 * cgroup up to the root of the hierarchy: cgroup v2's cpu.max, or cgroup
 * v1's cpu.cfs_quota_us / cpu.cfs_period_us. The cgroup of the process and
 * the mount points come from /proc/self/cgroup and /proc/self/mountinfo;
 * rt__procs_compute takes their paths so that tests can feed fake ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime_impl.h"

/* read_file_line reads the first line of path into buf. */
static bool read_file_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    return ok;
}

/* v2_limit parses cpu.max ("max 100000" or "50000 100000"). */
static double v2_limit(const char *dir)
{
    char path[PATH_MAX], line[128];
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (!read_file_line(path, line, sizeof line))
        return -1;
    char quota[64];
    long long period;
    if (sscanf(line, "%63s %lld", quota, &period) != 2 || period <= 0)
        return -1;
    if (!strcmp(quota, "max"))
        return -1;
    long long q = atoll(quota);
    return q > 0 ? (double)q / (double)period : -1;
}

static double v1_limit(const char *dir)
{
    char path[PATH_MAX], line[128];
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (!read_file_line(path, line, sizeof line))
        return -1;
    long long quota = atoll(line);
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
    if (!read_file_line(path, line, sizeof line))
        return -1;
    long long period = atoll(line);
    if (quota <= 0 || period <= 0)
        return -1;
    return (double)quota / (double)period;
}

/* walk_limit applies limit_fn from mount_dir/rel up to mount_dir and
 * returns the smallest limit found, or -1 for none. */
static double walk_limit(const char *mount_dir, const char *rel,
                         double (*limit_fn)(const char *))
{
    char dir[PATH_MAX];
    double best = -1;
    snprintf(dir, sizeof dir, "%s%s", mount_dir, rel);
    size_t base = strlen(mount_dir);
    for (;;) {
        double l = limit_fn(dir);
        if (l > 0 && (best < 0 || l < best))
            best = l;
        if (strlen(dir) <= base)
            break;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < base)
            dir[base] = '\0';
        else
            *slash = '\0';
    }
    return best;
}

struct cgroup_mount {
    char root[PATH_MAX];  /* the cgroup path mounted there */
    char point[PATH_MAX]; /* where */
};

/* find_mount finds the cgroup2 mount (v2) or the v1 mount whose super
 * options include the cpu controller. */
static bool find_mount(const char *mountinfo, bool v2,
                       struct cgroup_mount *out, const char *prefix)
{
    FILE *f = fopen(mountinfo, "re");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        /* id parent major:minor root mountpoint opts [optional...] - fstype
         * source superopts */
        char root[PATH_MAX], point[PATH_MAX];
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2)
            continue;
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        char fstype[64], source[256], superopts[1024] = "";
        if (sscanf(dash + 3, "%63s %255s %1023s", fstype, source,
                   superopts) < 2)
            continue;
        if (v2 && !strcmp(fstype, "cgroup2")) {
            found = true;
        } else if (!v2 && !strcmp(fstype, "cgroup")) {
            char *opt, *save = NULL;
            for (opt = strtok_r(superopts, ",", &save); opt;
                 opt = strtok_r(NULL, ",", &save))
                if (!strcmp(opt, "cpu"))
                    found = true;
        }
        if (found) {
            snprintf(out->root, sizeof out->root, "%s", root);
            snprintf(out->point, sizeof out->point, "%s%s", prefix, point);
        }
    }
    fclose(f);
    return found;
}

/* relative_path turns the process's cgroup path into one relative to the
 * mount's root ("/" when the mount is the cgroup itself, as in a
 * container with a private cgroup namespace). */
static const char *relative_path(const char *path, const char *root)
{
    size_t len = strlen(root);
    if (!strcmp(root, "/"))
        return !strcmp(path, "/") ? "" : path;
    if (!strncmp(path, root, len) && (path[len] == '/' || !path[len]))
        return path + len;
    return "";
}

/* rt__cgroup_cpu_limit returns the CPU limit in CPUs, or -1 for none.
 * prefix is prepended to mount points (tests put a fake tree there). */
double rt__cgroup_cpu_limit(const char *proc_cgroup, const char *mountinfo,
                            const char *prefix)
{
    FILE *f = fopen(proc_cgroup, "re");
    if (!f)
        return -1;
    char line[4096];
    double limit = -1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        bool v2 = !strcmp(line, "0") && controllers[0] == '\0';
        bool v1_cpu = false;
        if (!v2) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", controllers);
            char *save = NULL;
            for (char *c = strtok_r(copy, ",", &save); c;
                 c = strtok_r(NULL, ",", &save))
                if (!strcmp(c, "cpu"))
                    v1_cpu = true;
        }
        if (!v2 && !v1_cpu)
            continue;
        struct cgroup_mount m;
        if (!find_mount(mountinfo, v2, &m, prefix))
            continue;
        double l = walk_limit(m.point, relative_path(path, m.root),
                              v2 ? v2_limit : v1_limit);
        if (l > 0 && (limit < 0 || l < limit))
            limit = l;
    }
    fclose(f);
    return limit;
}

/* env_procs parses $GOMAXPROCS: a positive integer, or 0 for anything
 * else (which Go ignores). */
static int env_procs(const char *env)
{
    if (!env || !*env)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(env, &end, 10);
    if (errno || *end != '\0' || v <= 0 || v > INT_MAX)
        return 0;
    return (int)v;
}

/* rt__procs_compute combines the sources; see the file comment. */
int rt__procs_compute(const char *env, int ncpu, double cgroup_limit)
{
    int from_env = env_procs(env);
    if (from_env)
        return from_env;
    int n = ncpu > 0 ? ncpu : 1;
    if (cgroup_limit > 0) {
        /* Go 1.25: a limit is rounded up and never taken below 2 (a
         * fractional quota still lets two threads make progress in
         * turns); the CPUs available still cap it. */
        int l = (int)ceil(cgroup_limit);
        if (l < 2)
            l = 2;
        if (l < n)
            n = l;
    }
    return n < 1 ? 1 : n;
}

int rt__default_procs(void)
{
    cpu_set_t set;
    int ncpu = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        ncpu = CPU_COUNT(&set);
    if (ncpu <= 0)
        ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("GOMAXPROCS");
    /* A value that is not a positive integer is ignored entirely, as in
     * Go: the default, cgroup limit included, applies. */
    if (env_procs(env))
        return env_procs(env);
    double limit = rt__cgroup_cpu_limit("/proc/self/cgroup",
                                        "/proc/self/mountinfo", "");
    return rt__procs_compute(NULL, ncpu, limit);
}
