/* SPDX-License-Identifier: MIT */
/*
 * This file implements GOSAN_OPTIONS junit_path=FILE and sarif_path=FILE:
 * CI files written by the program itself, without `gosan run` (which
 * gathers every process of a run and is the better choice when it can be
 * used). The process keeps the JSON line of each report it emits, reads
 * them back (json_parse.c) and renders one JUnit <testsuite> (junit.c) or
 * one SARIF run (sarif.c) for itself.
 *
 * When the files are written: at exit (exit_status in report.c: a clean
 * run gets its passing testcase), and also after each report, because
 * many findings end the process without running exit handlers (a panic
 * aborts, a global deadlock and halt_on_race _exit); a file replaced
 * after every report is complete whatever follows. Past REWRITE_EVERY
 * reports it is replaced at most once a second while running, since each
 * rewrite renders every report kept so far.
 *
 * Files are replaced atomically (a temporary file beside, renamed over
 * it), so CI never collects half a document.
 *
 * Processes: a forked child (its pid differs from the one this library
 * was loaded in) starts an account of its own (rep_after_fork_child, or
 * the pid check here without the detector) and writes FILE.PID, and only
 * if it reported something: a Check suite in fork mode leaves FILE from
 * the runner and one FILE.PID per test process that found something,
 * not one per test. A program exec'd by a gosan program is a new image
 * that inherits GOSAN_OPTIONS and writes FILE itself, replacing its
 * parent's: give it its own junit_path, or use `gosan run`.
 *
 * What the program's own JUnit lacks next to the launcher's: the tail of
 * stderr (<system-err>; the program's stderr is not ours to capture) and
 * the exit status while it runs (known only at exit: exitcode when
 * something was reported).
 *
 * Invariants:
 *  - kept, nkept and nmore are protected by files_lock, which is taken
 *    inside report.c's emit_lock and never the other way round.
 *  - The kept lines belong to process owner; a process that finds another
 *    pid there (a fork the detector did not see) drops them first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reports.h"

#ifndef GOSAN_VERSION
#define GOSAN_VERSION "unknown"
#endif

/* Reports kept for the files; further ones are counted only. */
#define MAX_KEPT 4096
/* Rewrite after every report up to this many, then once a second. */
#define REWRITE_EVERY 100

static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static char **kept;          /* JSON lines, malloc'ed */
static int nkept, nmore;
static pid_t owner;          /* whose reports kept holds */
static pid_t loaded_pid;     /* the process this library was loaded in */
static int64_t start_wall;   /* when the account started, seconds */
static struct timespec start_mono;
static struct timespec last_write;
static char start_cwd[PATH_MAX]; /* SARIF's SRCROOT */

/* start records when and where this process's account starts. Only
 * async-signal-safe calls: it runs in the library constructor and in a
 * forked child. */
static void start(void)
{
    owner = getpid();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    start_wall = ts.tv_sec;
    clock_gettime(CLOCK_MONOTONIC, &start_mono);
    last_write.tv_sec = 0;
}

__attribute__((constructor)) static void exit_files_constructor(void)
{
    loaded_pid = getpid();
    start();
    if (!getcwd(start_cwd, sizeof start_cwd))
        start_cwd[0] = '\0';
}

static void drop_kept_locked(void)
{
    for (int i = 0; i < nkept; i++)
        free(kept[i]);
    nkept = nmore = 0;
}

void rep__exit_files_after_fork(void)
{
    /* The parent's lock state and reports are not the child's. */
    pthread_mutex_init(&files_lock, NULL);
    drop_kept_locked();
    start();
}

/* ---- what the files say ------------------------------------------------------ */

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) +
           (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* cmdline reads /proc/self/cmdline as words separated by spaces; with
 * base, argv[0] is shortened to its last component. Malloc'ed. */
static char *cmdline(bool base, size_t max)
{
    char buf[4096];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return strdup("program");
    buf[n] = '\0';
    const char *argv0 = buf;
    const char *slash = strrchr(argv0, '/');
    if (base && slash && slash[1])
        argv0 = slash + 1;
    size_t len = strlen(argv0);
    char *out = malloc(len + (size_t)n + 8);
    if (!out)
        return NULL;
    memcpy(out, argv0, len);
    for (ssize_t i = (ssize_t)strlen(buf) + 1; i < n;) {
        size_t alen = strlen(buf + i);
        if (max && len + alen + 1 > max) {
            memcpy(out + len, " ...", 4);
            len += 4;
            break;
        }
        out[len++] = ' ';
        memcpy(out + len, buf + i, alen);
        len += alen;
        i += (ssize_t)alen + 1;
    }
    out[len] = '\0';
    return out;
}

/* parsed is the kept lines read back. */
struct parsed {
    struct rep_report *r;
    void **owner;
    int n;
};

static void parse_kept_locked(struct parsed *p)
{
    p->n = 0;
    p->r = calloc((size_t)nkept + 1, sizeof *p->r);
    p->owner = calloc((size_t)nkept + 1, sizeof *p->owner);
    if (!p->r || !p->owner)
        return;
    for (int i = 0; i < nkept; i++)
        if (rep_report_from_json(kept[i], strlen(kept[i]), &p->r[p->n],
                                 &p->owner[p->n]))
            p->n++;
}

static void parsed_free(struct parsed *p)
{
    for (int i = 0; i < p->n; i++)
        rep_report_json_free(&p->r[i], p->owner[i]);
    free(p->r);
    free(p->owner);
}

static char *render_junit(const struct parsed *p, bool at_exit)
{
    char host[256] = "localhost", pid[32], suppressed[32], status[64];
    if (gethostname(host, sizeof host))
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    snprintf(suppressed, sizeof suppressed, "%llu",
             (unsigned long long)rep_suppressed_count());
    uint64_t emitted = rep_emitted();
    if (!at_exit)
        snprintf(status, sizeof status, "running");
    else if (emitted)
        snprintf(status, sizeof status, "exit status %d",
                 rep_options()->exitcode);
    else
        snprintf(status, sizeof status, "exited");
    char *command = cmdline(false, 0), *name = cmdline(true, 200);
    struct rep_junit_property props[] = {
        { "command", command ? command : "" },
        { "pid", pid },
        { "status", status },
        { "suppressed", suppressed },
        { "gosan.version", GOSAN_VERSION },
    };
    struct rep_junit_suite suite = {
        .name = name ? name : "program",
        .hostname = host,
        .timestamp = start_wall,
        .time = since(&start_mono),
        .properties = props,
        .nproperties = (int)(sizeof props / sizeof props[0]),
        .reports = p->r,
        .nreports = p->n,
    };
    char *xml = rep_render_junit(&suite, 1);
    free(command);
    free(name);
    return xml;
}

static char *render_sarif(const struct parsed *p, bool at_exit)
{
    char *command = cmdline(false, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct rep_sarif_run run = {
        .tool_version = GOSAN_VERSION,
        .command = command,
        .base_dir = start_cwd[0] ? start_cwd : NULL,
        .start = start_wall,
        .end = now.tv_sec,
        /* The status is known only when reports make it exitcode. */
        .exited = at_exit && rep_emitted() > 0,
        .exit_code = rep_options()->exitcode,
        .reports = p->r,
        .nreports = p->n,
    };
    char *json = rep_render_sarif(&run);
    free(command);
    return json;
}

/* ---- writing ------------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* replace makes the file of option what (path, or path.PID in a forked
 * child) hold text, atomically; says so on the report stream if it
 * cannot. */
static void replace(const char *what, const char *path, const char *text)
{
    char file[PATH_MAX], tmp[PATH_MAX + 32];
    if (getpid() != loaded_pid)
        snprintf(file, sizeof file, "%s.%d", path, (int)getpid());
    else
        snprintf(file, sizeof file, "%s", path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", file, (int)getpid());
    int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                         0644)
                  : -1;
    int err = fd < 0 || write_all(fd, text, strlen(text));
    if (fd >= 0 && close(fd))
        err = 1;
    if (!err && rename(tmp, file))
        err = 1;
    if (err) {
        int e = errno;
        if (fd >= 0)
            unlink(tmp);
        rep_printf("gosan: cannot write %s %s: %s\n", what, file,
                   text ? strerror(e) : "out of memory");
    }
}

static void write_files_locked(bool at_exit)
{
    const struct rep_options *o = rep_options();
    struct parsed p;
    parse_kept_locked(&p);
    if (o->junit_path[0]) {
        char *xml = render_junit(&p, at_exit);
        replace("junit_path", o->junit_path, xml);
        free(xml);
    }
    if (o->sarif_path[0]) {
        char *json = render_sarif(&p, at_exit);
        replace("sarif_path", o->sarif_path, json);
        free(json);
    }
    parsed_free(&p);
    clock_gettime(CLOCK_MONOTONIC, &last_write);
}

/* adopt_locked drops reports a forked parent left behind. */
static void adopt_locked(void)
{
    if (owner != getpid()) {
        drop_kept_locked();
        start();
    }
}

void rep__keep_report(const char *json_line)
{
    pthread_mutex_lock(&files_lock);
    adopt_locked();
    if (!kept)
        kept = calloc(MAX_KEPT, sizeof *kept);
    char *copy = kept && nkept < MAX_KEPT ? strdup(json_line) : NULL;
    if (copy)
        kept[nkept++] = copy;
    else
        nmore++;
    if (nkept + nmore <= REWRITE_EVERY || since(&last_write) >= 1.0)
        write_files_locked(false);
    pthread_mutex_unlock(&files_lock);
}

void rep__write_exit_files(void)
{
    const struct rep_options *o = rep_options();
    if (!o->junit_path[0] && !o->sarif_path[0])
        return;
    pthread_mutex_lock(&files_lock);
    adopt_locked();
    /* A forked child that found nothing leaves no file of its own. */
    if (getpid() == loaded_pid || nkept + nmore > 0)
        write_files_locked(true);
    pthread_mutex_unlock(&files_lock);
}
