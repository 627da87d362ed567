/* SPDX-License-Identifier: MIT */
/*
 * This file implements the command line of `gosan run`:
 *
 *   gosan run [--junit FILE] [--json FILE] [--sarif FILE]
 *             [--suppressions FILE] [--timeout SECONDS] [--keep-run-dir]
 *             [--] PROGRAM [ARGS...]
 *
 * Options come before PROGRAM; the first argument that is not an option
 * is PROGRAM, and everything after it is PROGRAM's (so `gosan run prog
 * --json x` passes --json to prog). "--" ends the options explicitly.
 * Options take their value as the next argument or after '=' (--json=F).
 * A repeated option's last value wins. Errors name the option and exit
 * with status 2, before anything runs.
 *
 * getopt_long was not used: its GNU mode permutes arguments (options
 * after PROGRAM would be taken as ours) unless '+' is given, accepts
 * abbreviations (--jun) that would break when an option is added, and
 * its messages do not say "gosan run".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

#ifndef GOSAN_VERSION
#define GOSAN_VERSION "unknown"
#endif

void lnc_usage(FILE *f)
{
    fputs(
"usage: gosan run [options] [--] PROGRAM [ARGS...]\n"
"       gosan --help | --version | --help-options\n"
"\n"
"gosan run runs PROGRAM with gosan's detector preloaded, gathers what\n"
"PROGRAM and every process it starts report, and writes them where the\n"
"options say.\n"
"\n"
"run options:\n"
"  --junit FILE          write the run as JUnit XML (one testsuite, one\n"
"                        failing testcase per distinct report, an error\n"
"                        if PROGRAM was killed with nothing reported)\n"
"  --json FILE           write every report as JSON Lines\n"
"  --sarif FILE          write the run as a SARIF 2.1.0 log (one result\n"
"                        per distinct report, stacks as code flows)\n"
"  --suppressions FILE   hide known reports: TSan's syntax, TYPE:PATTERN\n"
"                        lines (race, race_top, thread, mutex, deadlock,\n"
"                        called_from_lib, signal, leak, chan, sync, or a\n"
"                        report kind), '#' comments; PATTERN is a glob\n"
"                        matched against the function, file and module\n"
"                        of every frame. Suppressed reports are counted\n"
"                        at exit and do not change the exit status\n"
"  --timeout SECONDS     have the detector report a hang after SECONDS\n"
"                        (GOSAN_OPTIONS hang_timeout); kill the program\n"
"                        and report a deadlock after SECONDS+10\n"
"  --keep-run-dir        keep the run directory (reports.jsonl) and\n"
"                        print where it is\n"
"  -h, --help            print this help\n"
"\n"
"commands:\n"
"  --help-options        list the GOSAN_OPTIONS the detector reads\n"
"  --version             print gosan's version\n"
"\n"
"environment:\n"
"  GOSAN_OPTIONS         detector options, key=value:key=value\n"
"  GOSAN_DETECT_LIB      the detector library to preload\n"
"  TMPDIR                where the run directory is made (default /tmp)\n"
"\n"
"exit status:\n"
"  66                    something was reported (GOSAN_OPTIONS exitcode),\n"
"                        or --timeout had to kill PROGRAM\n"
"  PROGRAM's own         nothing (unsuppressed) was reported\n"
"  128+N                 PROGRAM was killed by signal N, nothing reported\n"
"  2                     a usage error, an unreadable or malformed\n"
"                        suppressions file (FILE:LINE named), bad\n"
"                        GOSAN_OPTIONS, or gosan could not run PROGRAM or\n"
"                        write an output file\n"
"\n"
"See gosan(1).\n", f);
}

void lnc_version(FILE *f)
{
    fprintf(f, "gosan %s\n", GOSAN_VERSION);
}

/* The options of `gosan run`. */
enum opt {
    OPT_JUNIT,
    OPT_JSON,
    OPT_SARIF,
    OPT_SUPPRESSIONS,
    OPT_TIMEOUT,
    OPT_KEEP_RUN_DIR,
    OPT_HELP,
    OPT_COUNT
};

static const struct {
    const char *name;
    const char *value; /* the value's name, NULL for a switch */
} opts[OPT_COUNT] = {
    [OPT_JUNIT] = { "--junit", "FILE" },
    [OPT_JSON] = { "--json", "FILE" },
    [OPT_SARIF] = { "--sarif", "FILE" },
    [OPT_SUPPRESSIONS] = { "--suppressions", "FILE" },
    [OPT_TIMEOUT] = { "--timeout", "SECONDS" },
    [OPT_KEEP_RUN_DIR] = { "--keep-run-dir", NULL },
    [OPT_HELP] = { "--help", NULL },
};

/* parse_timeout reads a whole number of seconds, 1 to 1000000. */
static int parse_timeout(const char *s, int *out)
{
    if (!*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    unsigned long v = strtoul(s, NULL, 10);
    if (errno || v < 1 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* lookup finds arg's option: "--name" or "--name=value" (*value then
 * points after '='). Returns OPT_COUNT for an unknown option. */
static enum opt lookup(const char *arg, const char **value)
{
    *value = NULL;
    if (!strcmp(arg, "-h"))
        return OPT_HELP;
    for (int i = 0; i < OPT_COUNT; i++) {
        size_t len = strlen(opts[i].name);
        if (strncmp(arg, opts[i].name, len))
            continue;
        if (arg[len] == '\0')
            return (enum opt)i;
        if (arg[len] == '=') {
            *value = arg + len + 1;
            return (enum opt)i;
        }
    }
    return OPT_COUNT;
}

/* fail prints a usage error and sets the exit status for it. */
static bool fail(int *status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool fail(int *status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gosan run: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (gosan run --help for usage)\n", stderr);
    va_end(ap);
    *status = LNC_EXIT_USAGE;
    return false;
}

/* apply stores option o's value. Returns false after an error. */
static bool apply(struct lnc_config *cfg, enum opt o, const char *value,
                  int *status)
{
    switch (o) {
    case OPT_JUNIT:
        cfg->junit_path = value;
        break;
    case OPT_JSON:
        cfg->json_path = value;
        break;
    case OPT_SARIF:
        cfg->sarif_path = value;
        break;
    case OPT_SUPPRESSIONS:
        cfg->suppressions = value;
        break;
    case OPT_TIMEOUT:
        if (parse_timeout(value, &cfg->timeout))
            return fail(status, "bad --timeout value '%s': a whole number "
                        "of seconds from 1 to 1000000 is expected", value);
        break;
    case OPT_KEEP_RUN_DIR:
        cfg->keep_run_dir = true;
        break;
    case OPT_HELP:
        lnc_usage(stdout);
        *status = 0;
        return false;
    case OPT_COUNT:
        return false;
    }
    return true;
}

bool lnc_cli_parse(int argc, char **argv, struct lnc_config *cfg,
                   int *status)
{
    memset(cfg, 0, sizeof *cfg);
    int i = 0;
    while (i < argc) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--")) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break; /* PROGRAM ("-" is a file name, not an option) */
        const char *value;
        enum opt o = lookup(arg, &value);
        if (o == OPT_COUNT)
            return fail(status, "unknown option '%s'", arg);
        if (opts[o].value && !value) {
            if (i + 1 >= argc)
                return fail(status, "option '%s' needs a %s argument",
                            opts[o].name, opts[o].value);
            value = argv[++i];
        } else if (!opts[o].value && value) {
            return fail(status, "option '%s' takes no value", opts[o].name);
        }
        if (opts[o].value && !value[0])
            return fail(status, "option '%s' needs a non-empty %s",
                        opts[o].name, opts[o].value);
        if (!apply(cfg, o, value, status))
            return false;
        i++;
    }
    if (i >= argc)
        return fail(status, "missing PROGRAM");
    if (!argv[i][0])
        return fail(status, "PROGRAM is an empty string");
    cfg->argc = argc - i;
    cfg->argv = argv + i;
    return true;
}
