/* SPDX-License-Identifier: MIT */
/*
 * This file implements the run directory and the reports gathered in it.
 *
 * The run directory is a fresh mkdtemp directory under $TMPDIR (or /tmp:
 * also when $TMPDIR's path has characters GOSAN_OPTIONS cannot carry).
 * The program gets report_json=<dir>/reports.jsonl, and so do the
 * processes it forks or execs, since they inherit the environment: each
 * appends its reports there, one JSON object per line and per write(2)
 * (reports/report.c), so lines of concurrent processes do not interleave.
 *
 * After the run the file is read back: kept byte for byte for --json and
 * parsed (reports/json_parse.c) into struct rep_report, frames
 * pre-symbolized, for the JUnit and SARIF renderers. The reports' strings
 * point into their json_objects, which live as long as the struct
 * lnc_reports. A line that is not a
 * report (not JSON, or an unknown kind) is warned about and skipped: the
 * detector writes each line with one write, so only a foreign writer or
 * a full disk produces one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define JSONL_NAME "reports.jsonl"

/* ---- the directory --------------------------------------------------------- */

static char *make_dir(const char *base)
{
    char *tmpl;
    if (asprintf(&tmpl, "%s/gosan-run.XXXXXX", base) < 0)
        return NULL;
    if (!mkdtemp(tmpl)) {
        free(tmpl);
        return NULL;
    }
    char *abs = realpath(tmpl, NULL);
    if (!abs || strpbrk(abs, ": \t\n\r\v\f")) {
        rmdir(tmpl);
        free(abs);
        abs = NULL;
    }
    free(tmpl);
    return abs;
}

int lnc_rundir_create(struct lnc_rundir *d)
{
    memset(d, 0, sizeof *d);
    const char *tmp = getenv("TMPDIR");
    if (tmp && tmp[0])
        d->path = make_dir(tmp);
    if (!d->path)
        d->path = make_dir("/tmp");
    if (!d->path) {
        fprintf(stderr, "gosan run: cannot create a run directory in %s: "
                "%s\n", tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        return -1;
    }
    if (asprintf(&d->jsonl, "%s/" JSONL_NAME, d->path) < 0) {
        d->jsonl = NULL;
        lnc_rundir_remove(d);
        return -1;
    }
    return 0;
}

void lnc_rundir_remove(struct lnc_rundir *d)
{
    if (!d->path)
        return;
    /* The run leaves files only (reports.jsonl); anything else stays. */
    DIR *dir = opendir(d->path);
    struct dirent *e;
    while (dir && (e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(dir), e->d_name, 0);
    if (dir)
        closedir(dir);
    if (rmdir(d->path))
        fprintf(stderr, "gosan run: warning: cannot remove the run "
                "directory %s: %s\n", d->path, strerror(errno));
    free(d->path);
    free(d->jsonl);
    memset(d, 0, sizeof *d);
}

/* ---- reading the reports -------------------------------------------------------- */

static int read_file(const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    size_t cap = 0;
    for (;;) {
        if (*len + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536 * 2;
            char *grown = realloc(*data, ncap);
            if (!grown)
                break;
            *data = grown;
            cap = ncap;
        }
        ssize_t n = read(fd, *data + *len, cap - *len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            if (*data)
                (*data)[*len] = '\0';
            return n < 0 ? -1 : 0;
        }
        *len += (size_t)n;
    }
    close(fd);
    return -1;
}

/* add_line parses one line into rs; false if it is not a report. */
static bool add_line(struct lnc_reports *rs, const char *line, size_t len)
{
    struct rep_report r;
    void *owner;
    if (!rep_report_from_json(line, len, &r, &owner))
        return false;
    if (rs->n == LNC_MAX_REPORTS) {
        rs->nmore++;
        rep_report_json_free(&r, owner);
        return true;
    }
    rs->reports[rs->n] = r;
    rs->json[rs->n] = owner;
    rs->n++;
    return true;
}

int lnc_reports_load(const char *path, struct lnc_reports *rs)
{
    memset(rs, 0, sizeof *rs);
    if (read_file(path, &rs->data, &rs->len)) {
        fprintf(stderr, "gosan run: cannot read the reports in %s: %s\n",
                path, strerror(errno));
        return -1;
    }
    rs->reports = calloc(LNC_MAX_REPORTS, sizeof *rs->reports);
    rs->json = calloc(LNC_MAX_REPORTS, sizeof *rs->json);
    if (!rs->reports || !rs->json)
        return -1;
    int lineno = 0;
    for (size_t i = 0; i < rs->len;) {
        const char *line = rs->data + i;
        const char *nl = memchr(line, '\n', rs->len - i);
        size_t len = nl ? (size_t)(nl - line) : rs->len - i;
        i += len + 1;
        lineno++;
        if (len == 0 || strspn(line, " \t\r") >= len)
            continue;
        rs->nlines++;
        if (!add_line(rs, line, len))
            fprintf(stderr, "gosan run: warning: %s:%d is not a gosan "
                    "report; ignored\n", path, lineno);
    }
    if (rs->nmore)
        fprintf(stderr, "gosan run: warning: %d more reports than the %d "
                "put in the JUnit file (--json has them all)\n", rs->nmore,
                LNC_MAX_REPORTS);
    return 0;
}

void lnc_reports_free(struct lnc_reports *rs)
{
    for (int i = 0; i < rs->n; i++)
        rep_report_json_free(&rs->reports[i], rs->json[i]);
    free(rs->reports);
    free(rs->json);
    free(rs->data);
    memset(rs, 0, sizeof *rs);
}

/* ---- the timeout report ---------------------------------------------------------- */

int lnc_report_timeout(const char *path, const struct lnc_config *cfg,
                       pid_t pid)
{
    char headline[128];
    snprintf(headline, sizeof headline,
             "gosan: program did not finish within %d seconds",
             cfg->timeout);
    struct rep_report r;
    rep_report_init(&r, REP_DEADLOCK, headline);
    rep_report_message(&r,
        "%s (pid %d) was still running %d seconds after it started "
        "(gosan run --timeout %d, plus %d seconds for the detector's own "
        "hang report, which did not come), so it and every process it "
        "started were killed.\n", cfg->argv[0], (int)pid,
        cfg->timeout + LNC_TIMEOUT_GRACE, cfg->timeout, LNC_TIMEOUT_GRACE);
    int err = -1;
    char *json = rep_render_json(&r, (int)pid);
    char *line = NULL, *text = malloc(16384);
    if (json && text && asprintf(&line, "%s\n", json) > 0) {
        /* Print it like the detector prints reports. */
        size_t n = rep_render_text(&r, text, 16384);
        fwrite(text, 1, n, stderr);
        /* One write, as the detector appends its lines. */
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        size_t len = strlen(line);
        if (fd >= 0 && write(fd, line, len) == (ssize_t)len)
            err = 0;
        if (fd >= 0)
            close(fd);
    } else {
        line = NULL;
    }
    if (err)
        fprintf(stderr, "gosan run: cannot record the timeout in %s\n",
                path);
    free(json);
    free(line);
    free(text);
    rep_report_free(&r);
    return err;
}
