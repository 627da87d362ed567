/* SPDX-License-Identifier: MIT */
/*
 * reports.h is the reports component's interface to the rest of gosan:
 * options (GOSAN_OPTIONS), the report output channel, and (in later files)
 * stack capture, symbolization, and the report builder and renderers.
 */
#ifndef GOSAN_REPORTS_H
#define GOSAN_REPORTS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- options -------------------------------------------------------- */

typedef bool rep_flag_bool;
typedef int rep_flag_int;
typedef size_t rep_flag_size;
typedef const char *rep_flag_string;
typedef uint64_t rep_flag_u64;

/* struct rep_options holds every GOSAN_OPTIONS value; see flags.inc. */
struct rep_options {
#define GOSAN_FLAG(type, name, def, desc) rep_flag_##type name;
#include "flags.inc"
#undef GOSAN_FLAG
};

/* rep_options returns the process's options: the defaults, then the
 * weak gosan_default_options() hook, then $GOSAN_OPTIONS. Parsed once;
 * a malformed GOSAN_OPTIONS is a fatal error that names the bad part. */
const struct rep_options *rep_options(void);

/* rep_options_parse applies "k=v:k=v" (or space separated) to *o. Returns
 * 0, or -EINVAL with a message in err. Exposed for tests and the launcher. */
int rep_options_parse(struct rep_options *o, const char *text, char *err,
                      size_t errlen);
void rep_options_defaults(struct rep_options *o);
void rep_options_help(FILE *f);

/* ---- output --------------------------------------------------------- */

/* rep_write writes n bytes to the report stream (stderr, or
 * log_path.PID). Async-signal-safe; never allocates. */
void rep_write(const char *buf, size_t n);

/* rep_printf formats into a stack buffer and calls rep_write. Usable from
 * signal handlers for the formats the runtime uses (%s %d %u %x %p %ld).
 */
void rep_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rep_vprintf(const char *fmt, va_list ap);

/* rep_output_fd is the file descriptor reports go to. */
int rep_output_fd(void);

/* ---- stacks --------------------------------------------------------- */

#define REP_MAX_FRAMES 64

/* Registers of a goroutine that is not running, as its context switch
 * saved them: enough for a DWARF unwinder to start. pc is a return
 * address. callee[] holds the callee-saved registers in ABI order
 * (x86-64: rbx r12 r13 r14 r15; aarch64: x19..x28). */
struct rep_regs {
    uintptr_t pc, sp, fp;
    uintptr_t callee[10];
};

/* rep_backtrace captures the calling thread's stack: return addresses,
 * skipping skip frames above the caller. Async-signal-safe, no malloc. */
int rep_backtrace(uintptr_t *pcs, int max, int skip);
/* rep_backtrace_regs unwinds a stack that is not running, from registers
 * saved by a context switch. The stack must stay still meanwhile. */
int rep_backtrace_regs(const struct rep_regs *r, uintptr_t *pcs, int max);
/* rep_backtrace_signal unwinds from a signal handler's ucontext; pcs[0]
 * is the faulting instruction itself (not a return address). */
int rep_backtrace_signal(void *ucontext, uintptr_t *pcs, int max);

/* ---- symbolization --------------------------------------------------- */

/* One frame of a symbolized pc; an inlined call expands into several,
 * innermost first. Strings live as long as the process. */
struct rep_frame {
    const char *function; /* "??" when unknown */
    const char *file;     /* "??" when unknown */
    int line;             /* 0 when unknown */
    uintptr_t pc;
    uintptr_t fn_offset;  /* pc - function start */
    bool inlined;         /* this frame was inlined into the next one */
    const char *module;   /* shared object or executable path */
};

/* rep_symbolize names pc. exact: pc is the instruction itself (first
 * frame of a signal context); otherwise it is a return address and the
 * call instruction before it is looked up. Returns the number of frames
 * written (>= 1 when max >= 1; unknown pcs give one "??" frame). */
int rep_symbolize(uintptr_t pc, bool exact, struct rep_frame *out, int max);

/* A global variable holding an address. */
struct rep_data {
    const char *name;
    uintptr_t start;
    size_t size;
    const char *module;
    uintptr_t module_base;
};

/* rep_symbolize_data finds the global (or static) variable that holds
 * addr, from the symbol tables. */
bool rep_symbolize_data(uintptr_t addr, struct rep_data *out);

/* rep_symbolizer_reset ends the libdwfl session and empties the cache. */
void rep_symbolizer_reset(void);

/* rep_strip_path applies strip_path_prefix. */
const char *rep_strip_path(const char *file);

/* A frame filter for tracebacks: leading frames for which internal() is
 * true are dropped, except the last of them when api() says it is a public
 * entry point (so a traceback starts at go_chan_recv, not in the runtime's
 * insides); trailing frames for which bottom() is true are dropped (thread
 * and goroutine start-up). Any callback may be NULL. */
struct rep_stack_filter {
    bool (*internal)(const struct rep_frame *f);
    bool (*api)(const struct rep_frame *f);
    bool (*bottom)(const struct rep_frame *f);
};

/* rep_format_stack appends a Go-style traceback of pcs to buf:
 *     function(...)
 *     \tfile:line +0xoff
 * first_exact as for rep_symbolize; filter may be NULL. Returns the new
 * length. */
size_t rep_format_stack(char *buf, size_t cap, size_t len,
                        const uintptr_t *pcs, int n, bool first_exact,
                        const struct rep_stack_filter *filter);
/* rep_print_stack writes the same to the report stream. */
void rep_print_stack(const uintptr_t *pcs, int n, bool first_exact,
                     const struct rep_stack_filter *filter);
/* rep_symbolize_stack expands pcs into frames (inlined calls included) and
 * applies filter. Returns the number of frames written to out. */
int rep_symbolize_stack(const uintptr_t *pcs, int n, bool first_exact,
                        const struct rep_stack_filter *filter,
                        struct rep_frame *out, int max);

/* ---- reports ------------------------------------------------------- */

/* Report kinds. The strings (rep_kind_name) are the stable names used in
 * JSON, JUnit and suppressions. */
enum rep_kind {
    REP_DATA_RACE = 0,
    REP_GOROUTINE_LEAK,
    REP_DEADLOCK,
    REP_LOCK_ORDER_INVERSION,
    REP_SEND_ON_CLOSED_CHANNEL,
    REP_CLOSE_OF_CLOSED_CHANNEL,
    REP_CLOSE_OF_NIL_CHANNEL,
    REP_NEGATIVE_WAITGROUP,
    REP_WAITGROUP_REUSE,
    REP_UNLOCK_OF_UNLOCKED_MUTEX,
    REP_RUNLOCK_OF_UNLOCKED_RWMUTEX,
    REP_COND_WAIT_UNLOCKED,
    REP_SYNC_COPIED,
    REP_SEMAPHORE_OVERRELEASE,
    REP_CHANNEL_FREE_IN_USE,
    REP_MUTEX_MISUSE,
    REP_THREAD_LEAK,
    REP_EXIT_HOLDING_LOCK,
    REP_STACK_OVERFLOW,
    REP_KIND_COUNT
};

const char *rep_kind_name(enum rep_kind k);


/* One titled stack of a report: "Write at 0x... by goroutine 7:". */
struct rep_stack {
    char title[256];
    uint64_t goroutine;     /* 0: not a goroutine */
    uint32_t thread;        /* OS thread number (T<n>), 0 if none */
    int npcs;
    uintptr_t pcs[REP_MAX_FRAMES];
    bool first_exact;       /* pcs[0] is the instruction itself */
    const char *note;       /* printed instead of frames when npcs == 0 */
    /* Already symbolized frames (golden tests, reports read back from
     * JSON): used instead of pcs. user_frame is the index of the frame
     * that names the finding among them (see rep_stack_frames). */
    const struct rep_frame *frames;
    int nframes;
    int user_frame;
};

/* struct rep_report is a finding, as plain data: built by the detectors,
 * rendered by text.c (Go's format) and json.c (JSON Lines). */
struct rep_report {
    enum rep_kind kind;
    const char *headline;   /* "WARNING: DATA RACE" */
    char message[1024];     /* lines printed after the headline, may be "" */
    char trailer[1024];     /* lines printed after the stacks, may be "" */
    int nstacks, cap;
    struct rep_stack *stacks; /* grown by rep_report_stack */
    /* Filter for the runtime's and detector's own frames (may be NULL). */
    const struct rep_stack_filter *filter;
    /* Deduplication key (0: derived from the first two stacks). */
    uint64_t dedupe_key;
    /* The Check test that was running (set by rep_emit). */
    const char *test;
};

/* rep_stack_key identifies a stack by the source line at its top (after
 * filter): two reports whose stacks have equal keys are one finding (two
 * stores of one struct assignment), however their pcs differ. */
uint64_t rep_stack_key(const uintptr_t *pcs, int npcs, bool first_exact,
                       const struct rep_stack_filter *filter);

void rep_report_init(struct rep_report *r, enum rep_kind kind,
                     const char *headline);
/* rep_report_free releases what rep_report_stack allocated. */
void rep_report_free(struct rep_report *r);
/* rep_report_stack adds a stack section; pcs may be NULL (filled later). */
struct rep_stack *rep_report_stack(struct rep_report *r, const uintptr_t *pcs,
                                   int npcs, const char *title_fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rep_report_message(struct rep_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rep_report_trailer(struct rep_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* rep_emit renders r to the report stream and the JSON file, unless an
 * equal report was emitted before (suppress_equal_stacks) or a
 * suppression matches it (suppress.c: neither printed nor written, only
 * counted). Returns true if it was emitted. */
bool rep_emit(struct rep_report *r);
/* rep_emitted counts emitted reports (the exit status depends on it). */
uint64_t rep_emitted(void);
/* rep_emitting counts the reports being rendered and written right now
 * (symbolizing a first report can take a second). */
int rep_emitting(void);
/* rep_emit_begin/end bracket the making of a report before rep_emit, so
 * that rep_quiesce and goleak_verify wait for it. */
void rep_emit_begin(void);
void rep_emit_end(void);
/* rep_quiesce: the process is about to die (a misuse halts it); let a
 * report being written finish, and start none after. */
void rep_quiesce(void);
/* rep_after_fork_child starts a forked child's own account: no report
 * emitted yet, nothing seen yet. */
void rep_after_fork_child(void);

/* rep_install_exit_status makes a process that emitted reports exit with
 * GOSAN_OPTIONS=exitcode (default 66) when it exits normally, like TSan
 * and Go's race detector; at exit it also prints the suppressed count and
 * writes junit_path and sarif_path. It loads the suppressions file (a bad
 * one is fatal here, at start-up). The runtime and the detector call it
 * when they start. Idempotent. */
void rep_install_exit_status(void);

/* The Check test running in this process, if any: reports name it so
 * that CI attributes them to their test. The detector sets it when Check
 * starts a test (it intercepts tcase_fn_start); NULL when unknown. */
void rep_set_current_test(const char *name);
const char *rep_current_test(void);

/* Renderers (pure: data in, text out). */
size_t rep_render_text(const struct rep_report *r, char *buf, size_t cap);
/* rep_render_json returns a malloc'ed JSON object (one line, no newline). */
char *rep_render_json(const struct rep_report *r, int pid);

/* A name=value pair of a JUnit <testsuite>'s <properties>. */
struct rep_junit_property {
    const char *name;
    const char *value;
};

/* struct rep_junit_suite is one program run, rendered as a <testsuite>. */
struct rep_junit_suite {
    const char *name;        /* "racy -n 2": the program and its arguments */
    const char *hostname;    /* NULL: "localhost" */
    int64_t timestamp;       /* start, seconds since the epoch (shown UTC) */
    double time;             /* duration, seconds */
    const struct rep_junit_property *properties; /* may be NULL */
    int nproperties;
    const struct rep_report *reports; /* as emitted, duplicates included */
    int nreports;
    const char *system_err;  /* tail of the program's stderr, may be NULL */
    size_t system_err_len;
    /* Set when the run failed without a report saying why (the program
     * was killed by a signal): its "no reports" <testcase> then carries
     * an <error> with this message, so the crash is not shown green. */
    const char *error;
};

/* rep_render_junit renders program runs as a JUnit XML document: a
 * <testsuite> per run, a failing <testcase> per distinct report (its
 * text in <failure>), a passing one for a run without reports. Any bytes
 * are accepted (escaped, invalid UTF-8 replaced). Returns a malloc'ed
 * string, or NULL when out of memory. */
char *rep_render_junit(const struct rep_junit_suite *suites, int nsuites);

/* ---- findings (finding.c) ------------------------------------------- */

/* rep_stack_frames gives the frames of stack s of r: its pre-symbolized
 * frames, or its pcs symbolized and filtered (r->filter) into a malloc'ed
 * array that *owned receives (free it; NULL when nothing was allocated).
 * *user receives the index of the frame that names the finding, the "top
 * user frame": the first frame of the program itself, past gosan's public
 * entry points (filter->api: go_chan_send, pthread_mutex_lock), or
 * s->user_frame for pre-symbolized frames. Returns the number of frames
 * (0: none, *frames NULL). */
int rep_stack_frames(const struct rep_report *r, const struct rep_stack *s,
                     const struct rep_frame **frames,
                     struct rep_frame **owned, int *user);

/* struct rep_finding is what names a report in CI outputs (JUnit, SARIF)
 * and decides which reports are one finding. */
struct rep_finding {
    char summary[512];      /* "x.c:42 in worker", "" without frames */
    char top[2][512];       /* the same for each of the first two stacks */
    char name[1024];        /* "HEADLINE at SUMMARY", or the headline */
    const char *classname;  /* the Check test, else the kind's name */
    struct rep_frame where; /* the frame summary names (strings live as
                               long as the report) */
    bool has_where;
};

void rep_finding_of(const struct rep_report *r, struct rep_finding *f);
/* rep_same_finding: two reports are one finding when kind, test, headline
 * and the top user frames of their first two stacks agree (in either
 * order: a race between A and B is the race between B and A). */
bool rep_same_finding(const struct rep_report *a,
                      const struct rep_finding *fa,
                      const struct rep_report *b,
                      const struct rep_finding *fb);
/* rep_headline is r's headline, or its kind's name when it has none. */
const char *rep_headline(const struct rep_report *r);

/* ---- reading JSON back (json_parse.c) ------------------------------- */

/* rep_report_from_json parses one line written by rep_render_json into
 * *r: frames pre-symbolized, strings owned by *owner (a json-c object),
 * which rep_report_json_free releases with r's stacks. Returns false when
 * the line is not a gosan report (not JSON, or an unknown kind). */
bool rep_report_from_json(const char *line, size_t len,
                          struct rep_report *r, void **owner);
void rep_report_json_free(struct rep_report *r, void *owner);

/* ---- SARIF (sarif.c) ------------------------------------------------ */

/* struct rep_sarif_run is one program run, rendered as a SARIF run. */
struct rep_sarif_run {
    const char *tool_version; /* gosan's version */
    const char *command;      /* how the program was run, may be NULL */
    /* Absolute directory that relative artifact URIs are relative to
     * (uriBaseId SRCROOT), normally where the run was started; NULL: file
     * names under it are given as absolute file: URIs too. */
    const char *base_dir;
    int64_t start, end;       /* seconds since the epoch; 0: unknown */
    bool exited;              /* the program exited with exit_code */
    int exit_code;
    int exit_signal;          /* or was killed by this signal (0: not) */
    const struct rep_report *reports; /* as emitted, duplicates included */
    int nreports;
};

/* rep_render_sarif renders a run as a SARIF 2.1.0 log: tool.driver gosan
 * with a rule per report kind, and a result per distinct finding whose
 * code flows hold its stacks. Returns a malloc'ed string, or NULL when
 * out of memory. */
char *rep_render_sarif(const struct rep_sarif_run *run);
/* rep_sarif_level is the SARIF level of a kind: "error" or "warning". */
const char *rep_sarif_level(enum rep_kind k);

/* ---- suppressions (suppress.c) -------------------------------------- */

/* How a suppression's pattern is matched against a report. */
enum rep_supp_match {
    REP_SUPP_FRAMES,  /* function, file or module of any frame */
    REP_SUPP_TOP,     /* the same, of each stack's top frame (race_top) */
    REP_SUPP_MODULE,  /* module of any frame (called_from_lib) */
};

/* One line of a suppressions file: TYPE:PATTERN. */
struct rep_suppression {
    uint32_t kinds;              /* bit 1 << k for each kind it suppresses */
    enum rep_supp_match match;
    const char *type;            /* as written: "race" (static) */
    char *pattern;               /* as written, malloc'ed */
    int line;                    /* in the file, from 1 */
    _Atomic uint64_t hits;       /* reports it suppressed */
};

/* struct rep_suppressions is a parsed suppressions file. */
struct rep_suppressions {
    char *file;                  /* its name, for messages */
    int n;
    struct rep_suppression *v;
};

/* rep_suppressions_parse parses text (the content of file) into *s.
 * Returns 0, or -EINVAL with "FILE:LINE: what is wrong" in err. */
int rep_suppressions_parse(struct rep_suppressions *s, const char *file,
                           const char *text, char *err, size_t errlen);
/* rep_suppressions_load reads and parses the file at path. Returns 0, or
 * a negative errno with "PATH: cannot read it: why" or "PATH:LINE: what
 * is wrong" in err (and *s empty). */
int rep_suppressions_load(struct rep_suppressions *s, const char *path,
                          char *err, size_t errlen);
void rep_suppressions_free(struct rep_suppressions *s);
/* rep_suppressions_match returns the first suppression that matches r,
 * or NULL. Does not count. */
struct rep_suppression *rep_suppressions_match(
    const struct rep_suppressions *s, const struct rep_report *r);
/* rep_glob_match is TSan's suppression template match, plus '?': '*'
 * matches any run of characters, '?' any one; the pattern matches
 * anywhere in str unless anchored by a leading '^' or a trailing '$'. */
bool rep_glob_match(const char *pattern, const char *str);

/* rep_suppressions_init loads GOSAN_OPTIONS suppressions=FILE, once; an
 * unreadable file or a bad line is fatal (exit status 2, one line naming
 * FILE:LINE), like a malformed GOSAN_OPTIONS. */
void rep_suppressions_init(void);
/* rep_suppressed: a loaded suppression matches r; counts the match. */
bool rep_suppressed(const struct rep_report *r);
/* rep_suppressed_count counts reports suppressed in this process. */
uint64_t rep_suppressed_count(void);

/* ---- JUnit and SARIF files without the launcher (exit_files.c) ------ */

/* rep__keep_report keeps an emitted report's JSON line for junit_path
 * and sarif_path, and rewrites those files. Called by rep_emit with its
 * lock held. */
void rep__keep_report(const char *json_line);
/* rep__write_exit_files writes junit_path and sarif_path at exit. */
void rep__write_exit_files(void);
/* rep__exit_files_after_fork starts a forked child's own files. */
void rep__exit_files_after_fork(void);
/* rep__suppress_summary prints, at exit, how many reports suppressions
 * hid and which matched; nothing when none did. */
void rep__suppress_summary(void);
void rep__suppress_after_fork(void);
/* rep__utf8_len is the length of the valid UTF-8 sequence at s (at most n
 * bytes), 0 if s does not start one; *cp receives its code point. */
size_t rep__utf8_len(const unsigned char *s, size_t n, unsigned *cp);

#endif
