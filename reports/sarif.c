/* SPDX-License-Identifier: MIT */
/*
 * This file renders a program run's reports as a SARIF 2.1.0 log (OASIS'
 * Static Analysis Results Interchange Format, which GitHub code scanning
 * and other result viewers read), with json-c. A pure renderer: data in,
 * text out (`gosan run --sarif` feeds it reports read back from JSON
 * Lines, exit_files.c a process's own, tests hand-built ones).
 *
 *   {"$schema": ".../sarif-schema-2.1.0.json", "version": "2.1.0",
 *    "runs": [{
 *      "tool": {"driver": {"name": "gosan", "version": "0.1.0",
 *               "rules": [{"id": "data-race", "name": "DataRace",
 *                          "shortDescription": {"text": "..."},
 *                          "defaultConfiguration": {"level": "error"}},
 *                         ... one per report kind, ruleIndex = the kind]}},
 *      "invocations": [{"executionSuccessful": true, "commandLine": "...",
 *                       "exitCode": 66, ...}],
 *      "originalUriBaseIds": {"SRCROOT": {"uri": "file:///src/app/"}},
 *      "results": [{
 *        "ruleId": "data-race", "ruleIndex": 0, "level": "error",
 *        "message": {"text": "WARNING: DATA RACE\n..."},
 *        "locations": [THE TOP USER FRAME],
 *        "partialFingerprints": {"gosanFinding/v1": "9f3c..."},
 *        "codeFlows": [{"threadFlows": [
 *          {"message": {"text": "Write at 0x... by goroutine 7"},
 *           "locations": [{"location": FRAME, "nestingLevel": 0}, ...]},
 *          ... one per stack]}]}]}]}
 *
 * Decisions:
 *  - One result per distinct finding (finding.c's rule, as JUnit's
 *    testcases), located at the top user frame that names it.
 *  - level: "warning" for goroutine and thread leaks and for a thread
 *    exiting with a lock held (resources held, no state corrupted yet);
 *    "error" for everything else (races, deadlocks, lock-order
 *    inversions, misuse Go panics on, stack overflow).
 *  - A stack becomes a threadFlow in execution order: outermost call
 *    first (nestingLevel 0), the frame where it happened last; the top
 *    user frame is "essential", gosan's entry points above it
 *    "unimportant". A stack without frames is one location holding its
 *    note (threadFlow needs at least one).
 *  - Artifact URIs: a file under base_dir, or a relative one (already
 *    stripped by strip_path_prefix), is relative to uriBaseId SRCROOT,
 *    which originalUriBaseIds defines as base_dir; others are absolute
 *    file: URIs. Percent-encoded as RFC 3986 requires.
 *  - partialFingerprints holds a hash of the kind and the file and
 *    function of each of the first two stacks' top user frames (no line
 *    numbers: it survives unrelated edits), so viewers can follow a
 *    finding across runs.
 *  - Strings are made valid UTF-8 (U+FFFD for bad bytes) before json-c
 *    sees them: json-c passes bytes through, and strict parsers reject
 *    invalid UTF-8.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports.h"

#define SARIF_SCHEMA                                                       \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"  \
    "sarif-schema-2.1.0.json"

/* ---- rules ----------------------------------------------------------------- */

/* A rule per kind: its SARIF name and one-sentence description. */
static const struct {
    const char *name;
    const char *text;
} rules[REP_KIND_COUNT] = {
    [REP_DATA_RACE] = { "DataRace",
        "Two goroutines or threads access the same memory concurrently, "
        "at least one of them writing, with no synchronization ordering "
        "the accesses." },
    [REP_GOROUTINE_LEAK] = { "GoroutineLeak",
        "A goroutine is blocked forever: nothing that can still run can "
        "wake it." },
    [REP_DEADLOCK] = { "Deadlock",
        "Goroutines or threads wait for each other forever, or the "
        "program stopped making progress." },
    [REP_LOCK_ORDER_INVERSION] = { "LockOrderInversion",
        "Locks are taken in inconsistent orders, a potential deadlock." },
    [REP_SEND_ON_CLOSED_CHANNEL] = { "SendOnClosedChannel",
        "A value is sent on a closed channel (Go panics)." },
    [REP_CLOSE_OF_CLOSED_CHANNEL] = { "CloseOfClosedChannel",
        "A channel is closed twice (Go panics)." },
    [REP_CLOSE_OF_NIL_CHANNEL] = { "CloseOfNilChannel",
        "A nil channel is closed (Go panics)." },
    [REP_NEGATIVE_WAITGROUP] = { "NegativeWaitGroup",
        "A WaitGroup's counter goes below zero (Go panics)." },
    [REP_WAITGROUP_REUSE] = { "WaitGroupReuse",
        "A WaitGroup is reused before the previous Wait returned." },
    [REP_UNLOCK_OF_UNLOCKED_MUTEX] = { "UnlockOfUnlockedMutex",
        "A mutex that is not locked is unlocked." },
    [REP_RUNLOCK_OF_UNLOCKED_RWMUTEX] = { "RUnlockOfUnlockedRWMutex",
        "An RWMutex that is not read-locked is read-unlocked." },
    [REP_COND_WAIT_UNLOCKED] = { "CondWaitWithoutLock",
        "A condition variable is waited on without its lock held." },
    [REP_SYNC_COPIED] = { "SyncObjectCopied",
        "A synchronization object is used after being copied." },
    [REP_SEMAPHORE_OVERRELEASE] = { "SemaphoreOverrelease",
        "A semaphore is released more than was acquired." },
    [REP_CHANNEL_FREE_IN_USE] = { "ChannelFreeInUse",
        "A channel is freed while goroutines still use it." },
    [REP_MUTEX_MISUSE] = { "MutexMisuse",
        "A mutex is misused: destroyed while locked, unlocked by a "
        "thread that does not hold it, or similar." },
    [REP_THREAD_LEAK] = { "ThreadLeak",
        "A joinable thread is neither joined nor detached." },
    [REP_EXIT_HOLDING_LOCK] = { "ExitHoldingLock",
        "A thread or goroutine ends while it holds a lock." },
    [REP_STACK_OVERFLOW] = { "StackOverflow",
        "A goroutine overflows its stack." },
};
_Static_assert(sizeof rules / sizeof rules[0] == REP_KIND_COUNT,
               "a rule for every report kind");

const char *rep_sarif_level(enum rep_kind k)
{
    switch (k) {
    case REP_GOROUTINE_LEAK:
    case REP_THREAD_LEAK:
    case REP_EXIT_HOLDING_LOCK:
        return "warning";
    case REP_DATA_RACE:
    case REP_DEADLOCK:
    case REP_LOCK_ORDER_INVERSION:
    case REP_SEND_ON_CLOSED_CHANNEL:
    case REP_CLOSE_OF_CLOSED_CHANNEL:
    case REP_CLOSE_OF_NIL_CHANNEL:
    case REP_NEGATIVE_WAITGROUP:
    case REP_WAITGROUP_REUSE:
    case REP_UNLOCK_OF_UNLOCKED_MUTEX:
    case REP_RUNLOCK_OF_UNLOCKED_RWMUTEX:
    case REP_COND_WAIT_UNLOCKED:
    case REP_SYNC_COPIED:
    case REP_SEMAPHORE_OVERRELEASE:
    case REP_CHANNEL_FREE_IN_USE:
    case REP_MUTEX_MISUSE:
    case REP_STACK_OVERFLOW:
        return "error";
    case REP_KIND_COUNT:
        break;
    }
    return "error";
}

/* ---- strings ---------------------------------------------------------------- */

/* text makes a json string of s, invalid UTF-8 replaced by U+FFFD. */
static json_object *text(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *clean = malloc(n * 3 + 1);
    if (!clean)
        return json_object_new_string("");
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = rep__utf8_len((const unsigned char *)s + i, n - i, &cp);
        if (len == 0) {
            memcpy(clean + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(clean + o, s + i, len);
            o += len;
            i += len;
        }
    }
    clean[o] = '\0';
    json_object *j = json_object_new_string(clean);
    free(clean);
    return j;
}

/* message is {"text": s}. */
static json_object *message(const char *s)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "text", text(s));
    return m;
}

/* uri_encode appends s to out percent-encoded for a URI path: unreserved
 * characters, sub-delims, '@' and '/' stay, everything else (':' too, so
 * a relative path is never read as a scheme) becomes %XX. */
static void uri_encode(FILE *out, const char *s)
{
    static const char keep[] = "-._~!$&'()*+,;=@/";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr(keep, *p))
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

/* uri_of returns the (malloc'ed) encoded path, with prefix in front. */
static char *uri_of(const char *prefix, const char *path, const char *suffix)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    fputs(prefix, f);
    uri_encode(f, path);
    fputs(suffix, f);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

static json_object *uri_json(char *uri)
{
    json_object *j = json_object_new_string(uri ? uri : "");
    free(uri);
    return j;
}

/* ---- locations ------------------------------------------------------------------ */

/* Rendering context of one run. */
struct ctx {
    const char *base;   /* base_dir, without a trailing '/'; NULL if none */
    size_t base_len;
};

static bool known(const char *s)
{
    return s && s[0] && strcmp(s, "??");
}

/* artifact is the artifactLocation of a source file. */
static json_object *artifact(const struct ctx *c, const char *file)
{
    json_object *a = json_object_new_object();
    file = rep_strip_path(file);
    const char *rel = NULL;
    if (file[0] != '/')
        rel = file;
    else if (c->base && !strncmp(file, c->base, c->base_len) &&
             file[c->base_len] == '/' && file[c->base_len + 1])
        rel = file + c->base_len + 1;
    if (rel) {
        json_object_object_add(a, "uri", uri_json(uri_of("", rel, "")));
        json_object_object_add(a, "uriBaseId",
                               json_object_new_string("SRCROOT"));
    } else {
        json_object_object_add(a, "uri",
                               uri_json(uri_of("file://", file, "")));
    }
    return a;
}

/* location describes a frame; msg may be NULL. */
static json_object *location(const struct ctx *c, const struct rep_frame *f,
                             const char *msg)
{
    json_object *loc = json_object_new_object();
    if (known(f->file)) {
        json_object *phys = json_object_new_object();
        json_object_object_add(phys, "artifactLocation", artifact(c, f->file));
        if (f->line > 0) {
            json_object *region = json_object_new_object();
            json_object_object_add(region, "startLine",
                                   json_object_new_int(f->line));
            json_object_object_add(phys, "region", region);
        }
        json_object_object_add(loc, "physicalLocation", phys);
    }
    if (known(f->function)) {
        json_object *logical = json_object_new_object();
        json_object_object_add(logical, "name", text(f->function));
        json_object_object_add(logical, "kind",
                               json_object_new_string("function"));
        json_object *arr = json_object_new_array();
        json_object_array_add(arr, logical);
        json_object_object_add(loc, "logicalLocations", arr);
    }
    if (msg)
        json_object_object_add(loc, "message", message(msg));
    return loc;
}

/* ---- a result -------------------------------------------------------------------- */

/* thread_flow renders one stack, outermost call first. */
static json_object *thread_flow(const struct ctx *c, const struct rep_report *r,
                                const struct rep_stack *s)
{
    json_object *tf = json_object_new_object();
    /* The title without its trailing colon, as in JSON. */
    char title[sizeof s->title];
    snprintf(title, sizeof title, "%s", s->title);
    size_t tl = strlen(title);
    if (tl && title[tl - 1] == ':')
        title[tl - 1] = '\0';
    json_object_object_add(tf, "message", message(title));
    json_object *locs = json_object_new_array();
    const struct rep_frame *fr;
    struct rep_frame *owned;
    int user;
    int n = rep_stack_frames(r, s, &fr, &owned, &user);
    for (int j = n - 1; j >= 0; j--) {
        json_object *tfl = json_object_new_object();
        json_object_object_add(tfl, "location",
                               location(c, &fr[j], known(fr[j].function)
                                                       ? fr[j].function
                                                       : NULL));
        if (known(fr[j].module))
            json_object_object_add(tfl, "module", text(fr[j].module));
        json_object_object_add(tfl, "nestingLevel",
                               json_object_new_int(n - 1 - j));
        json_object_object_add(tfl, "importance",
                               json_object_new_string(
                                   j == user  ? "essential"
                                   : j < user ? "unimportant"
                                              : "important"));
        json_object_array_add(locs, tfl);
    }
    free(owned);
    if (n == 0) {
        /* threadFlow.locations needs one: the note stands for the stack. */
        const char *note = !s->note     ? "[failed to restore the stack]"
                           : s->note[0] ? s->note
                                        : title;
        json_object *tfl = json_object_new_object();
        json_object *loc = json_object_new_object();
        json_object_object_add(loc, "message", message(note));
        json_object_object_add(tfl, "location", loc);
        json_object_array_add(locs, tfl);
    }
    json_object_object_add(tf, "locations", locs);
    if (s->goroutine || s->thread) {
        json_object *props = json_object_new_object();
        if (s->goroutine)
            json_object_object_add(props, "goroutine",
                                   json_object_new_int64(
                                       (int64_t)s->goroutine));
        if (s->thread)
            json_object_object_add(props, "thread",
                                   json_object_new_int64(s->thread));
        json_object_object_add(tf, "properties", props);
    }
    return tf;
}

/* fingerprint hashes the kind and the files and functions of the top
 * user frames of the first two stacks, in either order (FNV-1a). */
static void fingerprint(const struct rep_report *r, char *out, size_t cap)
{
    uint64_t h[2] = { 0, 0 };
    for (int i = 0; i < r->nstacks && i < 2; i++) {
        const struct rep_frame *fr;
        struct rep_frame *owned;
        int user;
        uint64_t x = 0xcbf29ce484222325ull;
        if (rep_stack_frames(r, &r->stacks[i], &fr, &owned, &user) > 0) {
            const char *parts[2] = { rep_strip_path(fr[user].file),
                                     fr[user].function };
            for (int p = 0; p < 2; p++)
                for (const char *q = parts[p]; q && *q; q++)
                    x = (x ^ (unsigned char)*q) * 0x100000001b3ull;
        }
        free(owned);
        h[i] = x;
    }
    /* Order-independent: a race seen from either side. */
    uint64_t a = h[0] < h[1] ? h[0] : h[1], b = h[0] < h[1] ? h[1] : h[0];
    uint64_t x = 0xcbf29ce484222325ull;
    const char *kind = rep_kind_name(r->kind);
    for (const char *q = kind; *q; q++)
        x = (x ^ (unsigned char)*q) * 0x100000001b3ull;
    x = (x ^ a) * 0x100000001b3ull;
    x = (x ^ b) * 0x100000001b3ull;
    snprintf(out, cap, "%016llx", (unsigned long long)x);
}

/* result_text is the headline, the message and the trailer. */
static char *result_text(const struct rep_report *r)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    fputs(rep_headline(r), f);
    if (r->message[0])
        fprintf(f, "\n%s", r->message);
    if (r->trailer[0])
        fprintf(f, "\n%s", r->trailer);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    while (size > 0 && buf[size - 1] == '\n')
        buf[--size] = '\0';
    return buf;
}

static json_object *result(const struct ctx *c, const struct rep_report *r,
                           const struct rep_finding *fd)
{
    json_object *res = json_object_new_object();
    json_object_object_add(res, "ruleId",
                           json_object_new_string(rep_kind_name(r->kind)));
    json_object_object_add(res, "ruleIndex", json_object_new_int(r->kind));
    json_object_object_add(res, "level",
                           json_object_new_string(rep_sarif_level(r->kind)));
    char *msg = result_text(r);
    json_object_object_add(res, "message", message(msg ? msg : fd->name));
    free(msg);
    if (fd->has_where) {
        json_object *locs = json_object_new_array();
        json_object_array_add(locs, location(c, &fd->where, NULL));
        json_object_object_add(res, "locations", locs);
    }
    char fp[32];
    fingerprint(r, fp, sizeof fp);
    json_object *fps = json_object_new_object();
    json_object_object_add(fps, "gosanFinding/v1", json_object_new_string(fp));
    json_object_object_add(res, "partialFingerprints", fps);
    if (r->nstacks > 0) {
        json_object *flows = json_object_new_array();
        for (int i = 0; i < r->nstacks; i++)
            json_object_array_add(flows, thread_flow(c, r, &r->stacks[i]));
        json_object *cf = json_object_new_object();
        json_object_object_add(cf, "threadFlows", flows);
        json_object *cfs = json_object_new_array();
        json_object_array_add(cfs, cf);
        json_object_object_add(res, "codeFlows", cfs);
    }
    if (r->test && r->test[0]) {
        json_object *props = json_object_new_object();
        json_object_object_add(props, "test", text(r->test));
        json_object_object_add(res, "properties", props);
    }
    return res;
}

/* ---- the log ---------------------------------------------------------------------- */

static json_object *driver(const struct rep_sarif_run *run)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "name", json_object_new_string("gosan"));
    const char *v = run->tool_version && run->tool_version[0]
                        ? run->tool_version : "unknown";
    json_object_object_add(d, "version", text(v));
    json_object *arr = json_object_new_array();
    for (int k = 0; k < REP_KIND_COUNT; k++) {
        json_object *rule = json_object_new_object();
        const char *id = rep_kind_name((enum rep_kind)k);
        json_object_object_add(rule, "id", json_object_new_string(id));
        json_object_object_add(rule, "name",
                               json_object_new_string(rules[k].name));
        json_object_object_add(rule, "shortDescription",
                               message(rules[k].text));
        json_object *conf = json_object_new_object();
        json_object_object_add(conf, "level", json_object_new_string(
                                                  rep_sarif_level(
                                                      (enum rep_kind)k)));
        json_object_object_add(rule, "defaultConfiguration", conf);
        json_object_array_add(arr, rule);
    }
    json_object_object_add(d, "rules", arr);
    return d;
}

static json_object *utc(int64_t t)
{
    char stamp[32] = "1970-01-01T00:00:00Z";
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_object_new_string(stamp);
}

static json_object *invocation(const struct rep_sarif_run *run,
                               const struct ctx *c)
{
    json_object *inv = json_object_new_object();
    /* gosan did its job, whatever the program did. */
    json_object_object_add(inv, "executionSuccessful",
                           json_object_new_boolean(1));
    if (run->command)
        json_object_object_add(inv, "commandLine", text(run->command));
    if (run->start > 0)
        json_object_object_add(inv, "startTimeUtc", utc(run->start));
    if (run->end > 0)
        json_object_object_add(inv, "endTimeUtc", utc(run->end));
    if (run->exit_signal > 0) {
        json_object_object_add(inv, "exitSignalNumber",
                               json_object_new_int(run->exit_signal));
        const char *abbrev = sigabbrev_np(run->exit_signal);
        if (abbrev) {
            char name[32];
            snprintf(name, sizeof name, "SIG%s", abbrev);
            json_object_object_add(inv, "exitSignalName",
                                   json_object_new_string(name));
        }
    } else if (run->exited) {
        json_object_object_add(inv, "exitCode",
                               json_object_new_int(run->exit_code));
    }
    if (c->base) {
        json_object *wd = json_object_new_object();
        json_object_object_add(wd, "uri",
                               uri_json(uri_of("file://", c->base, "/")));
        json_object_object_add(inv, "workingDirectory", wd);
    }
    return inv;
}

char *rep_render_sarif(const struct rep_sarif_run *run)
{
    struct ctx c = { NULL, 0 };
    char *base = NULL;
    if (run->base_dir && run->base_dir[0] == '/') {
        base = strdup(run->base_dir);
        if (!base)
            return NULL;
        size_t len = strlen(base);
        while (len > 0 && base[len - 1] == '/')
            base[--len] = '\0';
        c.base = base;
        c.base_len = len;
    }
    int nr = run->nreports > 0 ? run->nreports : 0;
    struct rep_finding *fds = calloc((size_t)nr + 1, sizeof *fds);
    int *idx = calloc((size_t)nr + 1, sizeof *idx);
    json_object *root = fds && idx ? json_object_new_object() : NULL;
    char *out = NULL;
    if (root) {
        json_object_object_add(root, "$schema",
                               json_object_new_string(SARIF_SCHEMA));
        json_object_object_add(root, "version",
                               json_object_new_string("2.1.0"));
        json_object *r0 = json_object_new_object();
        json_object *tool = json_object_new_object();
        json_object_object_add(tool, "driver", driver(run));
        json_object_object_add(r0, "tool", tool);
        json_object *invs = json_object_new_array();
        json_object_array_add(invs, invocation(run, &c));
        json_object_object_add(r0, "invocations", invs);
        if (c.base) {
            json_object *ids = json_object_new_object();
            json_object *src = json_object_new_object();
            json_object_object_add(src, "uri",
                                   uri_json(uri_of("file://", c.base, "/")));
            json_object_object_add(ids, "SRCROOT", src);
            json_object_object_add(r0, "originalUriBaseIds", ids);
        }
        /* One result per distinct finding, in the order first seen. */
        json_object *results = json_object_new_array();
        int n = 0;
        for (int i = 0; i < nr; i++) {
            rep_finding_of(&run->reports[i], &fds[n]);
            bool dup = false;
            for (int j = 0; j < n && !dup; j++)
                dup = rep_same_finding(&run->reports[idx[j]], &fds[j],
                                       &run->reports[i], &fds[n]);
            if (dup)
                continue;
            idx[n] = i;
            json_object_array_add(results,
                                  result(&c, &run->reports[i], &fds[n]));
            n++;
        }
        json_object_object_add(r0, "results", results);
        json_object *runs = json_object_new_array();
        json_object_array_add(runs, r0);
        json_object_object_add(root, "runs", runs);
        const char *s = json_object_to_json_string_ext(
            root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                      JSON_C_TO_STRING_NOSLASHESCAPE);
        if (s && asprintf(&out, "%s\n", s) < 0)
            out = NULL;
    }
    json_object_put(root);
    free(fds);
    free(idx);
    free(base);
    return out;
}
