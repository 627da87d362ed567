/* SPDX-License-Identifier: MIT */
/*
 * This file implements building and emitting reports: the kinds and their
 * names, the stacks of a report, deduplication (each finding is printed
 * once: same kind, same code locations), and emission to the report
 * stream and, if GOSAN_OPTIONS=report_json=PATH is set, to a JSON Lines
 * file. Rendering itself is in text.c and json.c.
 *
 * rep_emit's steps, in this order: deduplicate (an equal report was
 * emitted before: nothing more), then suppressions (suppress.c: a match
 * is counted and nothing is printed or written, so it must come before
 * any output), then the text to the report stream, the JSON line to
 * report_json, and the line to exit_files.c for junit_path/sarif_path.
 * Deduplicating first makes the suppressed count one per finding.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reports.h"

static const char *const kind_names[REP_KIND_COUNT] = {
    [REP_DATA_RACE] = "data-race",
    [REP_GOROUTINE_LEAK] = "goroutine-leak",
    [REP_DEADLOCK] = "deadlock",
    [REP_LOCK_ORDER_INVERSION] = "lock-order-inversion",
    [REP_SEND_ON_CLOSED_CHANNEL] = "send-on-closed-channel",
    [REP_CLOSE_OF_CLOSED_CHANNEL] = "close-of-closed-channel",
    [REP_CLOSE_OF_NIL_CHANNEL] = "close-of-nil-channel",
    [REP_NEGATIVE_WAITGROUP] = "negative-waitgroup",
    [REP_WAITGROUP_REUSE] = "waitgroup-reuse",
    [REP_UNLOCK_OF_UNLOCKED_MUTEX] = "unlock-of-unlocked-mutex",
    [REP_RUNLOCK_OF_UNLOCKED_RWMUTEX] = "runlock-of-unlocked-rwmutex",
    [REP_COND_WAIT_UNLOCKED] = "cond-wait-without-lock",
    [REP_SYNC_COPIED] = "sync-object-copied",
    [REP_SEMAPHORE_OVERRELEASE] = "semaphore-overrelease",
    [REP_CHANNEL_FREE_IN_USE] = "channel-free-in-use",
    [REP_MUTEX_MISUSE] = "mutex-misuse",
    [REP_THREAD_LEAK] = "thread-leak",
    [REP_EXIT_HOLDING_LOCK] = "exit-holding-lock",
    [REP_STACK_OVERFLOW] = "stack-overflow",
};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == REP_KIND_COUNT,
               "a name for every report kind");

const char *rep_kind_name(enum rep_kind k)
{
    if ((unsigned)k >= REP_KIND_COUNT || !kind_names[k])
        return "unknown";
    return kind_names[k];
}

void rep_report_init(struct rep_report *r, enum rep_kind kind,
                     const char *headline)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->headline = headline;
}

void rep_report_free(struct rep_report *r)
{
    free(r->stacks);
    r->stacks = NULL;
    r->nstacks = r->cap = 0;
}

struct rep_stack *rep_report_stack(struct rep_report *r, const uintptr_t *pcs,
                                   int npcs, const char *title_fmt, ...)
{
    if (r->nstacks == r->cap) {
        int cap = r->cap ? r->cap * 2 : 4;
        struct rep_stack *a = realloc(r->stacks, (size_t)cap * sizeof *a);
        if (!a)
            return NULL;
        r->stacks = a;
        r->cap = cap;
    }
    struct rep_stack *s = &r->stacks[r->nstacks++];
    memset(s, 0, sizeof *s);
    va_list ap;
    va_start(ap, title_fmt);
    vsnprintf(s->title, sizeof s->title, title_fmt, ap);
    va_end(ap);
    if (npcs > REP_MAX_FRAMES)
        npcs = REP_MAX_FRAMES;
    if (pcs && npcs > 0) {
        memcpy(s->pcs, pcs, (size_t)npcs * sizeof *pcs);
        s->npcs = npcs;
    }
    return s;
}

void rep_report_message(struct rep_report *r, const char *fmt, ...)
{
    size_t len = strlen(r->message);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message + len, sizeof r->message - len, fmt, ap);
    va_end(ap);
}

void rep_report_trailer(struct rep_report *r, const char *fmt, ...)
{
    size_t len = strlen(r->trailer);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->trailer + len, sizeof r->trailer - len, fmt, ap);
    va_end(ap);
}

/* ---- deduplication ------------------------------------------------------- */

#define SEEN_SIZE 4096

static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seen[SEEN_SIZE];
static uint64_t nseen;
static _Atomic uint64_t emitted;

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t mix_string(uint64_t h, const char *str)
{
    for (; str && *str; str++)
        h = mix(h, (unsigned char)*str);
    return h;
}

uint64_t rep_stack_key(const uintptr_t *pcs, int npcs, bool first_exact,
                       const struct rep_stack_filter *filter)
{
    if (!npcs)
        return 0;
    struct rep_frame *frames = malloc(REP_MAX_FRAMES * 2 * sizeof *frames);
    int n = frames ? rep_symbolize_stack(pcs, npcs, first_exact, filter,
                                         frames, REP_MAX_FRAMES * 2)
                   : 0;
    uint64_t h;
    if (n > 0 && frames[0].line > 0) {
        h = mix_string(0x5eed, frames[0].file);
        h = mix_string(h, frames[0].function);
        h = mix(h, (uint64_t)frames[0].line);
    } else {
        h = mix(0x5eed, pcs[0]);
    }
    free(frames);
    return h;
}

/* default_key identifies a finding by the source lines at the top of its
 * first two stacks (rep_stack_key). */
static uint64_t default_key(const struct rep_report *r)
{
    uint64_t h = mix(0, (uint64_t)r->kind + 1);
    for (int i = 0; i < r->nstacks && i < 2; i++) {
        const struct rep_stack *s = &r->stacks[i];
        if (s->nframes) {
            h = mix_string(h, s->frames[0].file);
            h = mix(h, (uint64_t)s->frames[0].line);
        } else {
            h = mix(h, rep_stack_key(s->pcs, s->npcs, s->first_exact,
                                     r->filter));
        }
    }
    return h ? h : 1;
}

/* first_seen records key; false if it was there already. */
static bool first_seen(uint64_t key)
{
    for (uint64_t i = 0; i < nseen && i < SEEN_SIZE; i++)
        if (seen[i] == key)
            return false;
    seen[nseen++ % SEEN_SIZE] = key;
    return true;
}

/* write_json appends r's JSON line to report_json and hands it to
 * exit_files.c when junit_path or sarif_path wants it. */
static void write_json(const struct rep_report *r)
{
    const struct rep_options *o = rep_options();
    bool keep = o->junit_path[0] || o->sarif_path[0];
    if (!o->report_json[0] && !keep)
        return;
    char *line = rep_render_json(r, (int)getpid());
    if (!line)
        return;
    if (keep)
        rep__keep_report(line);
    int fd = o->report_json[0] ? open(o->report_json, O_WRONLY | O_CREAT |
                                      O_APPEND | O_CLOEXEC, 0644)
                               : -1;
    if (fd >= 0) {
        size_t len = strlen(line);
        line[len] = '\n'; /* render_json leaves room for it */
        /* One write per line: appends from several processes do not
         * interleave. */
        ssize_t w = write(fd, line, len + 1);
        (void)w;
        close(fd);
    }
    free(line);
}

static const char *_Atomic current_test;

void rep_set_current_test(const char *name)
{
    atomic_store(&current_test, name);
}

const char *rep_current_test(void)
{
    return atomic_load(&current_test);
}

static _Atomic int emitting; /* reports being made or written */

int rep_emitting(void)
{
    return atomic_load(&emitting);
}

void rep_emit_begin(void)
{
    atomic_fetch_add(&emitting, 1);
}

void rep_emit_end(void)
{
    atomic_fetch_sub(&emitting, 1);
}

static bool emit(struct rep_report *r);

bool rep_emit(struct rep_report *r)
{
    atomic_fetch_add(&emitting, 1);
    bool done = emit(r);
    atomic_fetch_sub(&emitting, 1);
    return done;
}

static bool emit(struct rep_report *r)
{
    if (!r->test)
        r->test = rep_current_test();
    uint64_t key = r->dedupe_key ? r->dedupe_key : default_key(r);
    pthread_mutex_lock(&emit_lock);
    bool first = !rep_options()->suppress_equal_stacks || first_seen(key);
    pthread_mutex_unlock(&emit_lock);
    if (!first)
        return false;
    /* Before anything is printed or written: a suppressed report leaves
     * nothing but its count. */
    if (rep_suppressed(r))
        return false;
    size_t cap = 128 * 1024;
    char *buf = malloc(cap);
    if (!buf)
        return false;
    size_t len = rep_render_text(r, buf, cap);
    /* Reports from several goroutines must not interleave. */
    pthread_mutex_lock(&emit_lock);
    rep_write(buf, len);
    write_json(r);
    pthread_mutex_unlock(&emit_lock);
    free(buf);
    atomic_fetch_add(&emitted, 1);
    return true;
}

void rep_quiesce(void)
{
    /* Wait (a bounded time: a reporter may be stuck) for the reports being
     * made to be written — one may be the first report of the very misuse
     * that halts us, claimed by another thread — then keep the lock: no
     * report starts any more, so the text, the JSON line and the count
     * agree when the process dies. */
    for (int i = 0; i < 2000 && atomic_load(&emitting) > 0; i++) {
        struct timespec ms = { 0, 1000 * 1000 };
        nanosleep(&ms, NULL);
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_timedlock(&emit_lock, &until);
}

uint64_t rep_emitted(void)
{
    return atomic_load(&emitted);
}

void rep_after_fork_child(void)
{
    /* The lock may have been held by a thread the child does not have. */
    pthread_mutex_init(&emit_lock, NULL);
    atomic_store(&emitted, 0);
    memset(seen, 0, sizeof seen);
    nseen = 0;
    rep__suppress_after_fork();
    rep__exit_files_after_fork();
}

/* ---- exit status ------------------------------------------------------------ */

/* exit_status runs at exit: it says what suppressions hid, writes
 * junit_path and sarif_path (a clean run gets its passing testcase), and
 * makes the status exitcode if anything was reported. Its _exit skips
 * the atexit handlers registered before it, so everything that must
 * happen at exit happens here first. */
static void exit_status(void)
{
    rep__suppress_summary();
    rep__write_exit_files();
    uint64_t n = rep_emitted();
    if (n == 0)
        return;
    /* _exit skips the rest of exit(): flush the program's output first. */
    fflush(NULL);
    rep_printf("gosan: %llu report%s; exit status %d\n",
               (unsigned long long)n, n == 1 ? "" : "s",
               rep_options()->exitcode);
    _exit(rep_options()->exitcode);
}

static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void install(void)
{
    /* A bad suppressions file fails the program at start-up, not at its
     * first report (which a clean run never has). */
    rep_suppressions_init();
    atexit(exit_status);
}

void rep_install_exit_status(void)
{
    pthread_once(&exit_once, install);
}
