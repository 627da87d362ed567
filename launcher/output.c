/* SPDX-License-Identifier: MIT */
/*
 * This file implements the launcher's output files: --json (the run's
 * JSON Lines, exactly as the processes wrote them), the user's own
 * report_json (the same lines appended, as the detector would have),
 * --junit (the run rendered by reports/junit.c) and --sarif (by
 * reports/sarif.c).
 *
 * --json, --junit and --sarif replace their file atomically: the
 * content goes to a temporary file beside it, which is then renamed over
 * it, so a CI step that collects it never sees half a file, and an old
 * file is never left behind looking current. A destination that exists
 * and is not a regular file (/dev/stdout, a FIFO) is written in place
 * instead: renaming over it would replace the device node.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

#ifndef GOSAN_VERSION
#define GOSAN_VERSION "unknown"
#endif

/* The longest testsuite name; the property "command" has it whole. */
#define SUITE_NAME_MAX 200

/* ---- files ------------------------------------------------------------------- */

static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *dir = strdup(dirname(copy));
    free(copy);
    return dir;
}

int lnc_output_check(const char *what, const char *path)
{
    struct stat st;
    if (!stat(path, &st)) {
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "gosan run: %s %s: is a directory\n", what,
                    path);
            return -1;
        }
        if (!S_ISREG(st.st_mode) && access(path, W_OK) == 0)
            return 0; /* /dev/stdout and the like: written in place */
    }
    char *dir = dir_of(path);
    int err = 0;
    if (!dir || stat(dir, &st))
        err = errno;
    else if (!S_ISDIR(st.st_mode))
        err = ENOTDIR;
    else if (access(dir, W_OK | X_OK))
        err = errno;
    if (err)
        fprintf(stderr, "gosan run: %s %s: cannot write in %s: %s\n", what,
                path, dir ? dir : ".", strerror(err));
    free(dir);
    return err ? -1 : 0;
}

static int write_fd(int fd, const char *p, size_t n)
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

/* replace_file makes path hold exactly n bytes of data. */
static int replace_file(const char *path, const char *data, size_t n)
{
    struct stat st;
    if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        int err = fd < 0 || write_fd(fd, data, n);
        if (fd >= 0 && close(fd))
            err = 1;
        return err ? -1 : 0;
    }
    char *tmp;
    if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
        return -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    /* mkstemp's 0600, widened to what open(..., 0666) would give. */
    mode_t mask = umask(0);
    umask(mask);
    int err = fchmod(fd, 0666 & ~mask) || write_fd(fd, data, n);
    if (close(fd))
        err = 1;
    if (!err && rename(tmp, path))
        err = 1;
    if (err) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    free(tmp);
    return err ? -1 : 0;
}

int lnc_write_json(const char *path, const struct lnc_reports *rs)
{
    if (replace_file(path, rs->data ? rs->data : "", rs->len)) {
        fprintf(stderr, "gosan run: cannot write --json %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

int lnc_append_json(const char *path, const struct lnc_reports *rs)
{
    if (!rs->len)
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || write_fd(fd, rs->data, rs->len)) {
        fprintf(stderr, "gosan run: cannot append the reports to "
                "GOSAN_OPTIONS report_json=%s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- text --------------------------------------------------------------------- */

static bool shell_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_@%+=:,./-", *s))
            return false;
    return true;
}

char *lnc_shell_quote(char *const *argv, size_t max)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    if (!f)
        return NULL;
    for (int i = 0; argv[i]; i++) {
        if (max && (size_t)ftell(f) > max) {
            fputs(" ...", f);
            break;
        }
        if (i)
            fputc(' ', f);
        if (shell_safe(argv[i])) {
            fputs(argv[i], f);
            continue;
        }
        fputc('\'', f);
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '\'')
                fputs("'\\''", f);
            else
                fputc(*p, f);
        }
        fputc('\'', f);
    }
    if (fclose(f)) {
        free(out);
        return NULL;
    }
    return out;
}

void lnc_status_text(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "wait status 0x%x", (unsigned)status);
}

/* ---- JUnit -------------------------------------------------------------------- */

/* suite_name is "basename ARGS...", at most about SUITE_NAME_MAX bytes. */
static char *suite_name(const struct lnc_config *cfg)
{
    const char *slash = strrchr(cfg->argv[0], '/');
    char **argv = calloc((size_t)cfg->argc + 1, sizeof *argv);
    if (!argv)
        return NULL;
    memcpy(argv, cfg->argv, (size_t)cfg->argc * sizeof *argv);
    argv[0] = (char *)(slash && slash[1] ? slash + 1 : cfg->argv[0]);
    char *name = lnc_shell_quote(argv, SUITE_NAME_MAX);
    free(argv);
    return name;
}

/* stderr_of is the <system-err> text: the tail, with a note in front of
 * it when the start of stderr was dropped. */
static char *stderr_of(const struct lnc_result *res, size_t *len)
{
    char note[160] = "";
    if (res->stderr_dropped)
        snprintf(note, sizeof note, "[gosan: the first %zu bytes of stderr "
                 "are left out; the last %zu follow]\n", res->stderr_dropped,
                 res->stderr_len);
    size_t nl = strlen(note);
    char *text = malloc(nl + res->stderr_len + 1);
    if (!text)
        return NULL;
    memcpy(text, note, nl);
    if (res->stderr_len)
        memcpy(text + nl, res->stderr_tail, res->stderr_len);
    *len = nl + res->stderr_len;
    text[*len] = '\0';
    return text;
}

int lnc_write_junit(const char *path, const struct lnc_config *cfg,
                    const struct lnc_result *res,
                    const struct lnc_reports *rs)
{
    char host[256] = "localhost", status[128];
    if (gethostname(host, sizeof host))
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    lnc_status_text(res->status, status, sizeof status);
    if (res->timed_out)
        snprintf(status, sizeof status, "killed after %d seconds (--timeout"
                 " %d)", cfg->timeout + LNC_TIMEOUT_GRACE, cfg->timeout);
    char *command = lnc_shell_quote(cfg->argv, 0);
    struct rep_junit_property props[] = {
        { "command", command ? command : cfg->argv[0] },
        { "status", status },
        { "gosan.version", GOSAN_VERSION },
    };
    size_t err_len = 0;
    char *err_text = stderr_of(res, &err_len);
    char *name = suite_name(cfg);
    /* A crash that no report explains is an error, not a pass. */
    char crash[256] = "";
    if (WIFSIGNALED(res->status) && !res->timed_out && rs->n + rs->nmore == 0)
        snprintf(crash, sizeof crash, "%s was %s", cfg->argv[0], status);
    struct rep_junit_suite suite = {
        .name = name ? name : cfg->argv[0],
        .hostname = host,
        .timestamp = res->start,
        .time = res->seconds,
        .properties = props,
        .nproperties = (int)(sizeof props / sizeof props[0]),
        .reports = rs->reports,
        .nreports = rs->n,
        .system_err = err_text,
        .system_err_len = err_text ? err_len : 0,
        .error = crash[0] ? crash : NULL,
    };
    char *xml = rep_render_junit(&suite, 1);
    int err = 0;
    if (!xml || replace_file(path, xml, strlen(xml))) {
        fprintf(stderr, "gosan run: cannot write --junit %s: %s\n", path,
                xml ? strerror(errno) : "out of memory");
        err = -1;
    }
    free(xml);
    free(name);
    free(err_text);
    free(command);
    return err;
}

/* ---- SARIF -------------------------------------------------------------------- */

int lnc_write_sarif(const char *path, const struct lnc_config *cfg,
                    const struct lnc_result *res,
                    const struct lnc_reports *rs)
{
    char *command = lnc_shell_quote(cfg->argv, 0);
    char *cwd = getcwd(NULL, 0);
    struct rep_sarif_run run = {
        .tool_version = GOSAN_VERSION,
        .command = command ? command : cfg->argv[0],
        .base_dir = cwd,
        .start = res->start,
        .end = res->start + (int64_t)(res->seconds + 0.5),
        .exited = WIFEXITED(res->status) && !res->timed_out,
        .exit_code = WIFEXITED(res->status) ? WEXITSTATUS(res->status) : 0,
        .exit_signal = WIFSIGNALED(res->status) ? WTERMSIG(res->status) : 0,
        .reports = rs->reports,
        .nreports = rs->n,
    };
    char *json = rep_render_sarif(&run);
    int err = 0;
    if (!json || replace_file(path, json, strlen(json))) {
        fprintf(stderr, "gosan run: cannot write --sarif %s: %s\n", path,
                json ? strerror(errno) : "out of memory");
        err = -1;
    }
    free(json);
    free(cwd);
    free(command);
    return err;
}
