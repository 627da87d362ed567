/* SPDX-License-Identifier: MIT */
/*
 * This file implements suppressions: GOSAN_OPTIONS=suppressions=FILE
 * names a file of known findings that are not to be reported, in
 * ThreadSanitizer's syntax, so that a TSan suppressions file works as it
 * is:
 *
 *   # a comment (a line whose first non-blank character is '#')
 *   race:legacy_cache_*
 *   deadlock:^third_party/
 *   called_from_lib:libfoo.so
 *
 * Each non-blank line is TYPE:PATTERN. The pattern is matched against
 * the function name, the file path and the module (executable or shared
 * object) path of every frame of every stack of a report, as the report
 * shows them. As in TSan, '*' matches any run of characters and the
 * pattern may match anywhere in the string (TSan wraps it in '*...*')
 * unless anchored: a leading '^' anchors it at the start, a trailing '$'
 * at the end. gosan adds '?' for any one character. A report that any
 * suppression matches is neither printed nor written anywhere (JSON,
 * JUnit, SARIF); it is counted, and at exit the process prints
 *
 *   gosan: 2 reports suppressed (/src/gosan.supp)
 *   gosan:   2 race:legacy_cache_* (line 2)
 *
 * with each suppression that matched and how often (TSan prints its
 * "Matched suppressions" only with verbosity; a hidden finding should not
 * be silent in CI logs). A suppressed report does not make the exit
 * status 66. What the program does after a finding is unchanged: a
 * suppressed panic still aborts, a suppressed global deadlock still
 * exits 2.
 *
 * The types, TSan's first (the mapping to gosan's kinds):
 *
 *   race             data-race
 *   race_top         data-race, matched against each stack's top frame only
 *   thread           thread-leak
 *   mutex            unlock-of-unlocked-mutex, runlock-of-unlocked-rwmutex,
 *                    mutex-misuse, cond-wait-without-lock, exit-holding-lock
 *   deadlock         deadlock, lock-order-inversion
 *   signal           nothing: gosan has no signal-handler reports (accepted
 *                    so that TSan files load)
 *   called_from_lib  every kind, matched against frames' module paths only
 *   leak             goroutine-leak
 *   chan             send-on-closed-channel, close-of-closed-channel,
 *                    close-of-nil-channel, channel-free-in-use
 *   sync             mutex's kinds plus negative-waitgroup, waitgroup-reuse,
 *                    sync-object-copied, semaphore-overrelease
 *   KIND             each kind by its own name (rep_kind_name):
 *                    data-race:, lock-order-inversion:, stack-overflow:, ...
 *
 * called_from_lib differs from TSan's: TSan stops intercepting calls made
 * from the library (its accesses and synchronization become invisible,
 * which also hides the reports they would cause); gosan observes as
 * before and drops the reports that have a frame in a module matching
 * LIB. A race whose stacks never enter LIB is still reported.
 *
 * Errors are fatal at start-up (rep_suppressions_init, called when the
 * runtime or the detector starts), with one line naming FILE:LINE, and
 * exit status 2: an unreadable file, a line without ':', an unknown type,
 * an empty pattern. A typo in CI must fail loudly rather than silently
 * suppress nothing (or everything), as for a malformed GOSAN_OPTIONS.
 *
 * Invariants:
 *  - The loaded suppressions never change after rep_suppressions_init;
 *    only their hit counters do (atomically), so matching takes no lock.
 *  - A report is matched after deduplication (report.c): each finding is
 *    counted once however often it recurs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports.h"

#define K(kind) (1u << (kind))
_Static_assert(REP_KIND_COUNT <= 32, "kinds fit a uint32_t mask");

#define MUTEX_KINDS                                                        \
    (K(REP_UNLOCK_OF_UNLOCKED_MUTEX) | K(REP_RUNLOCK_OF_UNLOCKED_RWMUTEX) | \
     K(REP_MUTEX_MISUSE) | K(REP_COND_WAIT_UNLOCKED) |                      \
     K(REP_EXIT_HOLDING_LOCK))
#define ALL_KINDS ((uint32_t)((1ull << REP_KIND_COUNT) - 1))

/* The suppression types besides the kinds' own names. */
static const struct {
    const char *name;
    uint32_t kinds;
    enum rep_supp_match match;
} types[] = {
    { "race", K(REP_DATA_RACE), REP_SUPP_FRAMES },
    { "race_top", K(REP_DATA_RACE), REP_SUPP_TOP },
    { "thread", K(REP_THREAD_LEAK), REP_SUPP_FRAMES },
    { "mutex", MUTEX_KINDS, REP_SUPP_FRAMES },
    { "deadlock", K(REP_DEADLOCK) | K(REP_LOCK_ORDER_INVERSION),
      REP_SUPP_FRAMES },
    { "signal", 0, REP_SUPP_FRAMES },
    { "called_from_lib", ALL_KINDS, REP_SUPP_MODULE },
    { "leak", K(REP_GOROUTINE_LEAK), REP_SUPP_FRAMES },
    { "chan", K(REP_SEND_ON_CLOSED_CHANNEL) | K(REP_CLOSE_OF_CLOSED_CHANNEL) |
              K(REP_CLOSE_OF_NIL_CHANNEL) | K(REP_CHANNEL_FREE_IN_USE),
      REP_SUPP_FRAMES },
    { "sync", MUTEX_KINDS | K(REP_NEGATIVE_WAITGROUP) |
              K(REP_WAITGROUP_REUSE) | K(REP_SYNC_COPIED) |
              K(REP_SEMAPHORE_OVERRELEASE),
      REP_SUPP_FRAMES },
};

/* ---- matching -------------------------------------------------------------- */

/* glob matches p[0..pn) against the whole of s[0..sn): '*' any run, '?'
 * any one character. Iterative with one backtrack point, so linear in
 * practice and never recursive (patterns come from users). */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
            pi++, si++;
        } else if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

bool rep_glob_match(const char *pattern, const char *str)
{
    if (!pattern || !str || !str[0])
        return false;
    size_t pn = strlen(pattern), sn = strlen(str);
    bool at_start = pn > 0 && pattern[0] == '^';
    if (at_start)
        pattern++, pn--;
    bool at_end = pn > 0 && pattern[pn - 1] == '$';
    if (at_end)
        pn--;
    /* Unanchored ends match anywhere: TSan's implicit '*...*'. */
    char *p = malloc(pn + 3);
    if (!p)
        return false;
    size_t n = 0;
    if (!at_start)
        p[n++] = '*';
    memcpy(p + n, pattern, pn);
    n += pn;
    if (!at_end)
        p[n++] = '*';
    bool ok = glob(p, n, str, sn);
    free(p);
    return ok;
}

/* frame_matches: the suppression matches one frame. */
static bool frame_matches(const struct rep_suppression *sp,
                          const struct rep_frame *f)
{
    if (sp->match == REP_SUPP_MODULE)
        return rep_glob_match(sp->pattern, f->module);
    if (rep_glob_match(sp->pattern, f->function) ||
        rep_glob_match(sp->pattern, f->module))
        return true;
    /* The file as the report shows it, and as the debug info has it. */
    const char *shown = f->file ? rep_strip_path(f->file) : NULL;
    return rep_glob_match(sp->pattern, shown) ||
           (shown != f->file && rep_glob_match(sp->pattern, f->file));
}

/* report_matches: the suppression matches a frame of a stack of r. */
static bool report_matches(const struct rep_suppression *sp,
                           const struct rep_report *r)
{
    if (!(sp->kinds & K(r->kind)))
        return false;
    bool hit = false;
    for (int i = 0; i < r->nstacks && !hit; i++) {
        const struct rep_frame *fr;
        struct rep_frame *owned;
        int user;
        int n = rep_stack_frames(r, &r->stacks[i], &fr, &owned, &user);
        if (sp->match == REP_SUPP_TOP && n > 1)
            n = 1;
        for (int j = 0; j < n && !hit; j++)
            hit = frame_matches(sp, &fr[j]);
        free(owned);
    }
    return hit;
}

struct rep_suppression *rep_suppressions_match(
    const struct rep_suppressions *s, const struct rep_report *r)
{
    if ((unsigned)r->kind >= REP_KIND_COUNT)
        return NULL;
    for (int i = 0; i < s->n; i++)
        if (report_matches(&s->v[i], r))
            return &s->v[i];
    return NULL;
}

/* ---- parsing ------------------------------------------------------------------- */

static const char *const blanks = " \t\r\v\f";

/* type_of finds a suppression type by name; false if there is none. */
static bool type_of(const char *name, struct rep_suppression *sp)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (!strcmp(name, types[i].name)) {
            sp->type = types[i].name;
            sp->kinds = types[i].kinds;
            sp->match = types[i].match;
            return true;
        }
    }
    for (int k = 0; k < REP_KIND_COUNT; k++) {
        if (!strcmp(name, rep_kind_name((enum rep_kind)k))) {
            sp->type = rep_kind_name((enum rep_kind)k);
            sp->kinds = K(k);
            sp->match = REP_SUPP_FRAMES;
            return true;
        }
    }
    return false;
}

/* parse_line parses one line (NUL-terminated, no newline) into *sp.
 * Returns 1 for a suppression, 0 for a blank or comment line, or -1 with
 * the reason in err. */
static int parse_line(char *line, struct rep_suppression *sp, char *err,
                      size_t errlen)
{
    line += strspn(line, blanks);
    size_t len = strlen(line);
    while (len > 0 && strchr(blanks, line[len - 1]))
        line[--len] = '\0';
    if (len == 0 || line[0] == '#')
        return 0;
    char *colon = strchr(line, ':');
    if (!colon) {
        snprintf(err, errlen, "'%s' is not of the form type:pattern", line);
        return -1;
    }
    *colon = '\0';
    /* "race :x" and "race: x" are what a person means by "race:x". */
    char *type = line;
    size_t tl = strlen(type);
    while (tl > 0 && strchr(blanks, type[tl - 1]))
        type[--tl] = '\0';
    char *pattern = colon + 1 + strspn(colon + 1, blanks);
    memset(sp, 0, sizeof *sp);
    if (!type_of(type, sp)) {
        snprintf(err, errlen, "unknown suppression type '%s' (race, "
                 "race_top, thread, mutex, deadlock, signal, "
                 "called_from_lib, leak, chan, sync, or a report kind "
                 "such as data-race or lock-order-inversion)", type);
        return -1;
    }
    if (!pattern[0]) {
        snprintf(err, errlen, "empty pattern after '%s:' ('*' matches "
                 "everything)", type);
        return -1;
    }
    sp->pattern = strdup(pattern);
    if (!sp->pattern) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

int rep_suppressions_parse(struct rep_suppressions *s, const char *file,
                           const char *text, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->file = strdup(file ? file : "suppressions");
    if (!s->file) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int lineno = 0, cap = 0, result = 0;
    for (const char *p = text ? text : ""; *p && !result;) {
        size_t len = strcspn(p, "\n");
        char *line = strndup(p, len);
        p += len + (p[len] == '\n');
        lineno++;
        if (!line) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        struct rep_suppression sp;
        char why[384];
        int r = parse_line(line, &sp, why, sizeof why);
        free(line);
        if (r < 0) {
            snprintf(err, errlen, "%s:%d: %s", s->file, lineno, why);
            result = -EINVAL;
        } else if (r > 0) {
            if (s->n == cap) {
                cap = cap ? cap * 2 : 16;
                struct rep_suppression *v = realloc(s->v, (size_t)cap *
                                                              sizeof *v);
                if (!v) {
                    free(sp.pattern);
                    snprintf(err, errlen, "out of memory");
                    return -ENOMEM;
                }
                s->v = v;
            }
            sp.line = lineno;
            s->v[s->n++] = sp;
        }
    }
    return result;
}

void rep_suppressions_free(struct rep_suppressions *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i].pattern);
    free(s->v);
    free(s->file);
    memset(s, 0, sizeof *s);
}

/* ---- the process's suppressions -------------------------------------------------- */

static struct rep_suppressions loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t suppressed;

/* die prints one line and exits 2, like a malformed GOSAN_OPTIONS. */
static void die(const char *fmt, const char *a, const char *b)
{
    char line[1024];
    int n = snprintf(line, sizeof line, fmt, a, b);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0 && write(2, line, (size_t)n) < 0) {
        /* nothing left to tell */
    }
    _exit(2);
}

/* read_all reads a whole regular file; NULL with errno set if it cannot. */
static char *read_all(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st))
        e = errno;
    else if (S_ISDIR(st.st_mode))
        e = EISDIR;
    if (e) {
        close(fd);
        errno = e;
        return NULL;
    }
    /* st_size is only a hint: a FIFO or /proc file says 0. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown)
                break;
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            buf[len] = '\0';
            close(fd);
            return buf;
        }
        len += (size_t)n;
    }
    e = errno ? errno : ENOMEM;
    free(buf);
    close(fd);
    errno = e;
    return NULL;
}

int rep_suppressions_load(struct rep_suppressions *s, const char *path,
                          char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    char *text = read_all(path);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read it: %s", path,
                 errno == EISDIR ? "it is a directory" : strerror(errno));
        return -errno;
    }
    int rc = rep_suppressions_parse(s, path, text, err, errlen);
    free(text);
    if (rc)
        rep_suppressions_free(s);
    return rc;
}

static void load(void)
{
    const char *path = rep_options()->suppressions;
    if (!path[0])
        return;
    char err[512];
    if (rep_suppressions_load(&loaded, path, err, sizeof err))
        die("gosan: suppressions %s%s\n", err, "");
}

void rep_suppressions_init(void)
{
    pthread_once(&load_once, load);
}

bool rep_suppressed(const struct rep_report *r)
{
    rep_suppressions_init();
    if (!loaded.n)
        return false;
    struct rep_suppression *sp = rep_suppressions_match(&loaded, r);
    if (!sp)
        return false;
    atomic_fetch_add(&sp->hits, 1);
    atomic_fetch_add(&suppressed, 1);
    return true;
}

uint64_t rep_suppressed_count(void)
{
    return atomic_load(&suppressed);
}

void rep__suppress_summary(void)
{
    uint64_t n = rep_suppressed_count();
    if (n == 0)
        return;
    rep_printf("gosan: %llu report%s suppressed (%s)\n",
               (unsigned long long)n, n == 1 ? "" : "s", loaded.file);
    for (int i = 0; i < loaded.n; i++) {
        uint64_t hits = atomic_load(&loaded.v[i].hits);
        if (hits)
            rep_printf("gosan: %5llu %s:%s (line %d)\n",
                       (unsigned long long)hits, loaded.v[i].type,
                       loaded.v[i].pattern, loaded.v[i].line);
    }
}

void rep__suppress_after_fork(void)
{
    /* The child counts what it suppresses itself. */
    atomic_store(&suppressed, 0);
    for (int i = 0; i < loaded.n; i++)
        atomic_store(&loaded.v[i].hits, 0);
}
