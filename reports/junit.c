/* SPDX-License-Identifier: MIT */
/*
 * This file renders reports as JUnit XML, the format Jenkins, GitLab and
 * GitHub test reporters read: a <testsuites> document with one
 * <testsuite> per program run, one failing <testcase> per distinct report
 * (its whole text, stacks included, in <failure>), a passing <testcase>
 * when a run reported nothing, and the tail of the program's stderr in
 * <system-err>. A pure renderer: data in, text out (the launcher feeds it
 * reports read back from JSON Lines; tests feed it hand-built ones).
 *
 * The document is valid under the "JUnit 10" schema of Jenkins' xUnit
 * plugin (tests/golden/junit-10.xsd, a copy of it) and under the stricter
 * restatement tests/golden/junit.xsd; the tests check both, and read it
 * back with junitparser, a real consumer:
 *
 *   <testsuites name="gosan" tests="2" failures="1" errors="0" time="1.500">
 *     <testsuite name="racy -n 2" tests="1" failures="1" errors="0"
 *                skipped="0" time="1.500" timestamp="2024-05-01T12:00:00"
 *                hostname="ci-7">
 *       <properties><property name="command" value="..."/></properties>
 *       <testcase classname="data-race"
 *                 name="WARNING: DATA RACE at x.c:42 in worker" time="0.000">
 *         <failure message="..." type="data-race">==================...
 *       </testcase>
 *       <system-err>...</system-err>
 *     </testsuite>
 *   </testsuites>
 *
 * Invariants:
 *  - Every byte of caller text goes through put_escaped: markup
 *    characters are escaped, characters XML 1.0 forbids (C0 and C1
 *    controls other than tab, newline and carriage return, U+FFFE,
 *    U+FFFF) are removed, ANSI colour sequences are dropped, and invalid
 *    UTF-8 becomes U+FFFD, so any input gives a well-formed document.
 *  - A suite's tests count equals the <testcase> elements written for it,
 *    failures the failing ones and errors the erroring one (a run killed
 *    by a signal with nothing reported: its "no reports" testcase keeps
 *    its name, so CI history follows it, and carries an <error>); the
 *    <testsuites> totals are the sums.
 *  - Timestamps are UTC without a zone suffix (Ant's and the schema's
 *    yyyy-MM-ddTHH:mm:ss), times are seconds with three decimals.
 *
 * A testcase is named "HEADLINE at FILE:LINE in FUNCTION", the top user
 * frame (finding.c) of the report's first stack with frames. Two reports
 * are the same finding (one <testcase>) as rep_same_finding says; that
 * merges a report printed by a parent process and by its forked child.
 * Distinct findings that would still get the same testcase name are
 * numbered, " (2)", " (3)": reporters key test results by
 * classname + name and would otherwise fold them into one.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports.h"

/* The text of one report, rendered with rep_render_text. */
#define REPORT_TEXT_CAP (256 * 1024)

/* ---- escaping -------------------------------------------------------------- */

/* rep__utf8_len returns the length of the valid UTF-8 sequence at s (at most n
 * bytes), or 0 if s does not start one: overlong forms, surrogates and
 * code points above U+10FFFF are invalid. *cp receives the code point. */
size_t rep__utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* csi_len returns the length of the ANSI control sequence (ESC [ params
 * final) at s, or 1 for a lone ESC. */
static size_t csi_len(const char *s, size_t n)
{
    if (n < 2 || s[1] != '[')
        return 1;
    for (size_t i = 2; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x40 && c <= 0x7e)
            return i + 1;
        if (c < 0x20 || c > 0x3f)
            return i; /* malformed: drop what was read */
    }
    return n;
}

/* put_escaped writes n bytes of s as XML character data (attr: as the
 * value of a double-quoted attribute, where newlines and tabs must be
 * character references to survive attribute normalization). */
static void put_escaped(FILE *f, const char *s, size_t n, bool attr)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        unsigned cp;
        size_t len = rep__utf8_len((const unsigned char *)s + i, n - i, &cp);
        if (len == 0) {
            fputs("\xef\xbf\xbd", f); /* U+FFFD for each invalid byte */
            i++;
            continue;
        }
        if (c == 0x1b) {
            i += csi_len(s + i, n - i);
            continue;
        }
        switch (cp) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs(attr ? "&quot;" : "\"", f); break;
        case '\'': fputs(attr ? "&apos;" : "'", f); break;
        case '\r': fputs("&#13;", f); break;
        case '\n': fputs(attr ? "&#10;" : "\n", f); break;
        case '\t': fputs(attr ? "&#9;" : "\t", f); break;
        case 0xfffe:
        case 0xffff:
            fputs("\xef\xbf\xbd", f);
            break;
        default:
            /* C0 and C1 controls and DEL are dropped. */
            if (cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f))
                fwrite(s + i, 1, len, f);
            break;
        }
        i += len;
    }
}

static void put_attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    put_escaped(f, value, strlen(value), true);
    fputc('"', f);
}

/* ---- a suite -------------------------------------------------------------------- */

/* The distinct findings of a suite: indices into suite->reports, and the
 * number each <testcase> name is given (1: unnumbered). */
struct plan {
    int n;
    int *idx;
    int *number;
    struct rep_finding *fd;
};

static int plan_suite(const struct rep_junit_suite *s, struct plan *p)
{
    int nr = s->nreports > 0 ? s->nreports : 0;
    p->n = 0;
    p->idx = calloc((size_t)nr + 1, sizeof *p->idx);
    p->number = calloc((size_t)nr + 1, sizeof *p->number);
    p->fd = calloc((size_t)nr + 1, sizeof *p->fd);
    if (!p->idx || !p->number || !p->fd)
        return -1;
    for (int i = 0; i < nr; i++) {
        const struct rep_report *r = &s->reports[i];
        struct rep_finding *fd = &p->fd[p->n];
        rep_finding_of(r, fd);
        bool dup = false;
        for (int j = 0; j < p->n && !dup; j++)
            dup = rep_same_finding(&s->reports[p->idx[j]], &p->fd[j], r, fd);
        if (dup)
            continue;
        /* Number distinct findings whose names collide. */
        int number = 1;
        for (int j = 0; j < p->n; j++)
            number += !strcmp(fd->name, p->fd[j].name) &&
                      !strcmp(fd->classname, p->fd[j].classname);
        p->idx[p->n] = i;
        p->number[p->n] = number;
        p->n++;
    }
    return 0;
}

static void plan_free(struct plan *p)
{
    free(p->idx);
    free(p->number);
    free(p->fd);
}

static void put_failure_case(FILE *f, const struct rep_report *r,
                             const struct rep_finding *fd, int number,
                             char *text)
{
    char numbered[sizeof fd->name + 16];
    if (number > 1)
        snprintf(numbered, sizeof numbered, "%s (%d)", fd->name, number);
    else
        snprintf(numbered, sizeof numbered, "%s", fd->name);
    fputs("    <testcase", f);
    put_attr(f, "classname", fd->classname);
    put_attr(f, "name", numbered);
    fputs(" time=\"0.000\">\n      <failure", f);
    put_attr(f, "message", fd->name);
    put_attr(f, "type", rep_kind_name(r->kind));
    fputs(">", f);
    size_t len = text ? rep_render_text(r, text, REPORT_TEXT_CAP) : 0;
    put_escaped(f, text, len, false);
    fputs("</failure>\n    </testcase>\n", f);
}

/* suite_errors: 1 when the run's only testcase carries an <error>. */
static int suite_errors(const struct rep_junit_suite *s, const struct plan *p)
{
    return p->n == 0 && s->error && s->error[0] ? 1 : 0;
}

static void put_suite(FILE *f, const struct rep_junit_suite *s,
                      const struct plan *p, char *text)
{
    char stamp[32] = "1970-01-01T00:00:00";
    time_t t = (time_t)s->timestamp;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fputs("  <testsuite", f);
    put_attr(f, "name", s->name && s->name[0] ? s->name : "gosan");
    fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"0\""
               " time=\"%.3f\" timestamp=\"%s\"",
            p->n ? p->n : 1, p->n, suite_errors(s, p),
            s->time > 0 ? s->time : 0.0, stamp);
    put_attr(f, "hostname", s->hostname && s->hostname[0] ? s->hostname
                                                           : "localhost");
    fputs(">\n", f);
    if (s->nproperties > 0) {
        fputs("    <properties>\n", f);
        for (int i = 0; i < s->nproperties; i++) {
            fputs("      <property", f);
            put_attr(f, "name", s->properties[i].name);
            put_attr(f, "value", s->properties[i].value
                                     ? s->properties[i].value : "");
            fputs("/>\n", f);
        }
        fputs("    </properties>\n", f);
    }
    for (int i = 0; i < p->n; i++)
        put_failure_case(f, &s->reports[p->idx[i]], &p->fd[i], p->number[i],
                         text);
    if (p->n == 0) {
        fputs("    <testcase classname=\"gosan\" name=\"no reports\"", f);
        fprintf(f, " time=\"%.3f\"", s->time > 0 ? s->time : 0.0);
        if (s->error && s->error[0]) {
            /* A crash nothing reported: an error, not a pass. */
            fputs(">\n      <error", f);
            put_attr(f, "message", s->error);
            fputs(" type=\"crash\">", f);
            put_escaped(f, s->error, strlen(s->error), false);
            fputs("</error>\n    </testcase>\n", f);
        } else {
            fputs("/>\n", f);
        }
    }
    if (s->system_err && s->system_err_len) {
        fputs("    <system-err>", f);
        put_escaped(f, s->system_err, s->system_err_len, false);
        fputs("</system-err>\n", f);
    }
    fputs("  </testsuite>\n", f);
}

/* ---- the document ----------------------------------------------------------------- */

char *rep_render_junit(const struct rep_junit_suite *suites, int nsuites)
{
    char *doc = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&doc, &size);
    if (!f)
        return NULL;
    char *text = malloc(REPORT_TEXT_CAP);
    struct plan *plans = calloc((size_t)(nsuites > 0 ? nsuites : 0) + 1,
                                sizeof *plans);
    bool ok = text && plans;
    int tests = 0, failures = 0, errors = 0;
    double time = 0;
    for (int i = 0; ok && i < nsuites; i++) {
        ok = plan_suite(&suites[i], &plans[i]) == 0;
        tests += plans[i].n ? plans[i].n : 1;
        failures += plans[i].n;
        errors += suite_errors(&suites[i], &plans[i]);
        time += suites[i].time > 0 ? suites[i].time : 0.0;
    }
    if (ok) {
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
        fprintf(f, "<testsuites name=\"gosan\" tests=\"%d\" failures=\"%d\""
                   " errors=\"%d\" time=\"%.3f\">\n", tests, failures, errors,
                time);
        for (int i = 0; i < nsuites; i++)
            put_suite(f, &suites[i], &plans[i], text);
        fputs("</testsuites>\n", f);
    }
    for (int i = 0; plans && i < nsuites; i++)
        plan_free(&plans[i]);
    free(plans);
    free(text);
    if (fclose(f) != 0 || !ok) {
        free(doc);
        return NULL;
    }
    return doc;
}
