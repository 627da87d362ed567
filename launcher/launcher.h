/* SPDX-License-Identifier: MIT */
/*
 * launcher.h is shared by the files of the `gosan` launcher:
 *
 *   main.c    the commands (run, --help, --version, --help-options) and
 *             the order of a run's steps, and its exit status;
 *   cli.c     command-line parsing and usage;
 *   env.c     what the program is run with: the program's path, the
 *             detector library (LD_PRELOAD), GOSAN_OPTIONS;
 *   spawn.c   starting the program, passing its stderr through while
 *             keeping its tail, waiting for it and every process it
 *             starts, --timeout, signals;
 *   rundir.c  the run directory and the reports gathered in it (JSON
 *             Lines, parsed back into struct rep_report with json-c);
 *   output.c  the --json, --junit and --sarif files.
 *
 * Errors are printed where they are found, as "gosan run: <what>: <why>",
 * and returned as -1; the caller exits with status 2 (LNC_EXIT_USAGE).
 */
#ifndef GOSAN_LAUNCHER_H
#define GOSAN_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "reports.h"

/* Exit status for usage errors and for failures of the launcher itself. */
#define LNC_EXIT_USAGE 2
/* --timeout's backstop kills the program this long after the detector
 * should have reported the hang (hang_timeout = --timeout). */
#define LNC_TIMEOUT_GRACE 10
/* How long the launcher waits, after the program exited, for processes it
 * started (and for its stderr to close) before it kills them. */
#define LNC_LINGER_SECONDS 10
/* How much of the program's stderr is kept for JUnit's <system-err>. */
#define LNC_STDERR_TAIL (64 * 1024)
/* Reports beyond this many are copied to --json but left out of JUnit. */
#define LNC_MAX_REPORTS 4096

/* ---- cli.c ----------------------------------------------------------- */

/* struct lnc_config is what `gosan run` was asked to do. Strings point
 * into argv. */
struct lnc_config {
    const char *junit_path;   /* --junit FILE, NULL if not given */
    const char *json_path;    /* --json FILE, NULL if not given */
    const char *sarif_path;   /* --sarif FILE, NULL if not given */
    const char *suppressions; /* --suppressions FILE, NULL if not given */
    int timeout;              /* --timeout SECONDS, 0 if not given */
    bool keep_run_dir;        /* --keep-run-dir */
    int argc;                 /* PROGRAM and its arguments */
    char **argv;              /* NULL-terminated, argv[0] is PROGRAM */
};

/* lnc_cli_parse parses the arguments after "run". Returns true when the
 * program is to be run (*cfg filled); otherwise false with *status the
 * exit status (0 after --help, LNC_EXIT_USAGE after a printed error). */
bool lnc_cli_parse(int argc, char **argv, struct lnc_config *cfg,
                   int *status);
void lnc_usage(FILE *f);
void lnc_version(FILE *f);

/* ---- env.c ----------------------------------------------------------- */

/* struct lnc_env is what the program runs with, checked before it runs. */
struct lnc_env {
    char *program;          /* PROGRAM's path (PATH searched) */
    char *detector;         /* the detector library, absolute */
    char *suppressions;     /* --suppressions, absolute; NULL if none */
    char *user_options;     /* $GOSAN_OPTIONS as the user set it, or NULL */
    int exitcode;           /* GOSAN_OPTIONS exitcode: status on reports */
    char *user_report_json; /* GOSAN_OPTIONS report_json, NULL if unset */
    char *gosan_options;    /* GOSAN_OPTIONS for the program */
    char *ld_preload;       /* LD_PRELOAD for the program */
};

/* lnc_env_check resolves and checks everything the run needs (program,
 * detector library, suppressions file, $GOSAN_OPTIONS, output files'
 * directories). Returns 0, or -1 after printing what is wrong. */
int lnc_env_check(const struct lnc_config *cfg, struct lnc_env *env);
/* lnc_env_compose builds the program's GOSAN_OPTIONS and LD_PRELOAD, with
 * report_json pointing at the run directory's JSON Lines file. */
int lnc_env_compose(const struct lnc_config *cfg, struct lnc_env *env,
                    const char *report_json);
void lnc_env_free(struct lnc_env *env);

/* ---- spawn.c --------------------------------------------------------- */

/* struct lnc_result is how the program's run went. */
struct lnc_result {
    pid_t pid;               /* the program's process */
    int status;              /* its wait status */
    bool timed_out;          /* killed by the --timeout backstop */
    bool lingered;           /* processes it started had to be killed */
    int64_t start;           /* wall-clock start, seconds since the epoch */
    double seconds;          /* how long it ran, descendants included */
    char *stderr_tail;       /* the last LNC_STDERR_TAIL bytes of stderr */
    size_t stderr_len;
    size_t stderr_dropped;   /* bytes of stderr before the tail */
};

/* lnc_spawn_wait runs the program with env, passing stdin and stdout
 * through and stderr through and into the tail, and waits for it and the
 * processes it starts. Returns 0, or -1 when it could not be started
 * (printed). */
int lnc_spawn_wait(const struct lnc_config *cfg, const struct lnc_env *env,
                   struct lnc_result *res);
void lnc_result_free(struct lnc_result *res);

/* ---- rundir.c -------------------------------------------------------- */

/* struct lnc_rundir is the run's private directory under $TMPDIR. */
struct lnc_rundir {
    char *path;   /* absolute, "…/gosan-run.XXXXXX" */
    char *jsonl;  /* path/reports.jsonl: every process appends to it */
};

int lnc_rundir_create(struct lnc_rundir *d);
/* lnc_rundir_remove deletes the directory and what the run left in it. */
void lnc_rundir_remove(struct lnc_rundir *d);

/* struct lnc_reports is what the processes of a run reported. */
struct lnc_reports {
    char *data;                 /* the JSON Lines file, byte for byte */
    size_t len;
    int nlines;                 /* non-empty lines */
    int n;                      /* reports parsed (at most LNC_MAX_REPORTS) */
    int nmore;                  /* valid reports beyond LNC_MAX_REPORTS */
    struct rep_report *reports; /* n, frames pre-symbolized */
    void **json;                /* n json_objects the strings point into */
};

/* lnc_reports_load reads and parses the JSON Lines file at path (missing:
 * no reports). Lines that are not reports are warned about and skipped. */
int lnc_reports_load(const char *path, struct lnc_reports *out);
void lnc_reports_free(struct lnc_reports *rs);
/* lnc_report_timeout appends the report of a program that --timeout had to
 * kill to the JSON Lines file at path, and prints it. */
int lnc_report_timeout(const char *path, const struct lnc_config *cfg,
                       pid_t pid);

/* ---- output.c -------------------------------------------------------- */

/* lnc_output_check checks that path can be written (its directory
 * exists and is writable), before the program runs. what: "--junit". */
int lnc_output_check(const char *what, const char *path);
/* lnc_write_json writes the reports' lines, exactly as the processes
 * wrote them, to path; lnc_append_json appends them (report_json). */
int lnc_write_json(const char *path, const struct lnc_reports *rs);
int lnc_append_json(const char *path, const struct lnc_reports *rs);
/* lnc_write_junit writes the run as a JUnit XML document to path. */
int lnc_write_junit(const char *path, const struct lnc_config *cfg,
                    const struct lnc_result *res,
                    const struct lnc_reports *rs);
/* lnc_write_sarif writes the run as a SARIF 2.1.0 log to path; file names
 * under the current directory become relative URIs. */
int lnc_write_sarif(const char *path, const struct lnc_config *cfg,
                    const struct lnc_result *res,
                    const struct lnc_reports *rs);
/* lnc_status_text describes a wait status: "exit status 3",
 * "killed by signal 9 (Killed)". */
void lnc_status_text(int status, char *buf, size_t cap);
/* lnc_shell_quote joins argv into a malloc'ed string quoted the way a
 * shell would read it back; with max > 0 it stops after about max bytes
 * (" ..."). */
char *lnc_shell_quote(char *const *argv, size_t max);

#endif
