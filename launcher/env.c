/* SPDX-License-Identifier: MIT */
/*
 * This file implements what the program is run with, all of it checked
 * before anything runs so that a mistake costs a clear error (exit 2)
 * rather than a run without the detector:
 *
 *  - PROGRAM's path: as given when it has a '/', else searched in $PATH
 *    like execvp; it must be an executable regular file.
 *  - The detector library, preloaded by prepending it to LD_PRELOAD (an
 *    entry naming another libgosan-detect is dropped: two copies of the
 *    detector in one process would fight over malloc). Looked up in order:
 *    $GOSAN_DETECT_LIB; beside the installed launcher (<prefix>/bin/gosan
 *    -> <prefix>/<libdir>/libgosan-detect.so, GOSAN_LIBDIR_FROM_BINDIR);
 *    the build tree's (GOSAN_BUILD_DETECT_LIB), so that the launcher works
 *    uninstalled.
 *  - The suppressions file: readable, and parsed with the detector's own
 *    parser (a bad line is reported as FILE:LINE before anything runs).
 *  - GOSAN_OPTIONS: the user's, parsed here with the detector's own parser
 *    (a typo fails now, not in the program), followed by what the launcher
 *    owns: report_json=<run dir>/reports.jsonl, and hang_timeout and
 *    suppressions when --timeout and --suppressions are given. A later
 *    key wins, so these override the user's; a report_json the user set
 *    is honoured by appending the run's reports to it afterwards.
 *
 * GOSAN_OPTIONS and LD_PRELOAD both separate their entries with ':' and
 * whitespace and cannot quote them, so paths that go into them may not
 * contain those characters (the run directory avoids such a $TMPDIR).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define DETECT_LIB_NAME "libgosan-detect.so"

#ifndef GOSAN_LIBDIR_FROM_BINDIR
#define GOSAN_LIBDIR_FROM_BINDIR "../lib"
#endif

/* unlistable: p holds a character GOSAN_OPTIONS or LD_PRELOAD splits on. */
static bool unlistable(const char *p)
{
    return strpbrk(p, ": \t\n\r\v\f") != NULL;
}

/* ---- PROGRAM --------------------------------------------------------- */

/* check_exec returns 0 if path is an executable regular file, else an
 * errno value. */
static int check_exec(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return errno;
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (!S_ISREG(st.st_mode) || access(path, X_OK))
        return EACCES;
    return 0;
}

static char *find_program(const char *name)
{
    if (strchr(name, '/')) {
        int err = check_exec(name);
        if (err) {
            fprintf(stderr, "gosan run: cannot run '%s': %s\n", name,
                    err == EACCES ? "not an executable file"
                                  : strerror(err));
            return NULL;
        }
        return strdup(name);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    int denied = 0;
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        /* An empty entry is the current directory, as for execvp. */
        int dlen = (int)(end - p);
        char *cand;
        if (asprintf(&cand, "%.*s%s%s", dlen, p, dlen ? "/" : "", name) < 0)
            return NULL;
        int err = check_exec(cand);
        if (!err)
            return cand;
        if (err == EACCES)
            denied = 1;
        free(cand);
        if (!*end)
            break;
        p = end;
    }
    if (denied)
        fprintf(stderr, "gosan run: cannot run '%s': found in PATH but not "
                "an executable file\n", name);
    else
        fprintf(stderr, "gosan run: cannot run '%s': command not found in "
                "PATH\n", name);
    return NULL;
}

/* warn_unpreloadable warns when the dynamic loader will ignore LD_PRELOAD
 * for path: a set-user-ID or set-group-ID program (that changes the
 * credentials it runs with), or a statically linked
 * one (an ELF executable without a program interpreter). The run goes on,
 * without the detector, as the program may exec others that have it. */
static void warn_unpreloadable(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        if (fd >= 0)
            close(fd);
        return;
    }
    const char *why = NULL;
    Elf64_Ehdr eh;
    /* Secure-execution mode: the exec changes our credentials. */
    if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
        ((st.st_mode & S_ISGID) && st.st_gid != getegid()))
        why = "is set-user-ID or set-group-ID";
    else if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
             !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
             eh.e_ident[EI_CLASS] == ELFCLASS64 &&
             eh.e_phentsize == sizeof(Elf64_Phdr)) {
        bool interp = false;
        for (int i = 0; i < eh.e_phnum && !interp; i++) {
            Elf64_Phdr ph;
            off_t off = (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph);
            if (pread(fd, &ph, sizeof ph, off) != (ssize_t)sizeof ph)
                break;
            interp = ph.p_type == PT_INTERP;
        }
        if (!interp)
            why = "is statically linked";
    }
    close(fd);
    if (why)
        fprintf(stderr, "gosan run: warning: %s %s: the dynamic loader "
                "ignores LD_PRELOAD for it, so it runs without the "
                "detector\n", path, why);
}

/* ---- the detector library -------------------------------------------- */

static char *usable_lib(const char *path)
{
    if (access(path, R_OK))
        return NULL;
    return realpath(path, NULL);
}

static char *find_detector(void)
{
    const char *env = getenv("GOSAN_DETECT_LIB");
    if (env && env[0]) {
        char *lib = usable_lib(env);
        if (!lib)
            fprintf(stderr, "gosan run: detector library "
                    "GOSAN_DETECT_LIB=%s: %s\n", env, strerror(errno));
        return lib;
    }
    char exe[PATH_MAX], installed[PATH_MAX + 64] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        snprintf(installed, sizeof installed, "%s/%s/%s", exe,
                 GOSAN_LIBDIR_FROM_BINDIR, DETECT_LIB_NAME);
        char *lib = usable_lib(installed);
        if (lib)
            return lib;
    }
    const char *build = "";
#ifdef GOSAN_BUILD_DETECT_LIB
    build = GOSAN_BUILD_DETECT_LIB;
    char *lib = usable_lib(build);
    if (lib)
        return lib;
#endif
    fprintf(stderr, "gosan run: detector library not found: tried %s%s%s "
            "(set GOSAN_DETECT_LIB to its path)\n", installed,
            build[0] ? " and " : "", build);
    return NULL;
}

/* ---- GOSAN_OPTIONS and files ----------------------------------------- */

static int check_options(struct lnc_env *env)
{
    const char *user = getenv("GOSAN_OPTIONS");
    struct rep_options o;
    char err[256] = "";
    rep_options_defaults(&o);
    if (rep_options_parse(&o, user, err, sizeof err)) {
        fprintf(stderr, "gosan run: GOSAN_OPTIONS: %s\n", err);
        return -1;
    }
    env->exitcode = o.exitcode;
    if (o.report_json[0])
        env->user_report_json = strdup(o.report_json);
    if (user && user[0])
        env->user_options = strdup(user);
    return 0;
}

static int check_suppressions(const char *path, struct lnc_env *env)
{
    /* Read and parsed as the detector will: an unreadable file or a bad
     * line fails now, naming FILE:LINE, before the program runs. */
    struct rep_suppressions sup;
    char err[512] = "";
    int rc = rep_suppressions_load(&sup, path, err, sizeof err);
    rep_suppressions_free(&sup);
    if (rc) {
        fprintf(stderr, "gosan run: --suppressions %s\n", err);
        return -1;
    }
    env->suppressions = realpath(path, NULL);
    if (!env->suppressions) {
        fprintf(stderr, "gosan run: --suppressions %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    if (unlistable(env->suppressions)) {
        fprintf(stderr, "gosan run: --suppressions %s: its path may not "
                "contain ':' or whitespace (GOSAN_OPTIONS cannot quote "
                "them)\n", env->suppressions);
        return -1;
    }
    return 0;
}

/* same_output: two output options name one file (each would replace the
 * other's content). Says which. */
static bool same_output(const struct lnc_config *cfg)
{
    const struct {
        const char *name, *path;
    } outs[] = {
        { "--junit", cfg->junit_path },
        { "--json", cfg->json_path },
        { "--sarif", cfg->sarif_path },
    };
    for (int i = 0; i < 3; i++) {
        for (int j = i + 1; j < 3; j++) {
            if (outs[i].path && outs[j].path &&
                !strcmp(outs[i].path, outs[j].path)) {
                fprintf(stderr, "gosan run: %s and %s name the same file "
                        "'%s'\n", outs[i].name, outs[j].name, outs[i].path);
                return true;
            }
        }
    }
    return false;
}

int lnc_env_check(const struct lnc_config *cfg, struct lnc_env *env)
{
    memset(env, 0, sizeof *env);
    if (check_options(env))
        return -1;
    if (cfg->suppressions && check_suppressions(cfg->suppressions, env))
        return -1;
    if (same_output(cfg))
        return -1;
    if (cfg->junit_path && lnc_output_check("--junit", cfg->junit_path))
        return -1;
    if (cfg->json_path && lnc_output_check("--json", cfg->json_path))
        return -1;
    if (cfg->sarif_path && lnc_output_check("--sarif", cfg->sarif_path))
        return -1;
    env->program = find_program(cfg->argv[0]);
    if (!env->program)
        return -1;
    warn_unpreloadable(env->program);
    env->detector = find_detector();
    if (!env->detector)
        return -1;
    if (unlistable(env->detector)) {
        fprintf(stderr, "gosan run: detector library %s: its path may not "
                "contain ':' or whitespace (LD_PRELOAD cannot quote them)\n",
                env->detector);
        return -1;
    }
    return 0;
}

/* ---- composing the environment ---------------------------------------- */

/* is_detector: an LD_PRELOAD entry that names a gosan detector library. */
static bool is_detector(const char *entry, size_t len)
{
    const char *base = entry;
    for (size_t i = 0; i < len; i++)
        if (entry[i] == '/')
            base = entry + i + 1;
    size_t blen = len - (size_t)(base - entry);
    return blen >= 15 && !strncmp(base, "libgosan-detect", 15);
}

static char *compose_preload(const char *detector)
{
    const char *old = getenv("LD_PRELOAD");
    size_t cap = strlen(detector) + (old ? strlen(old) : 0) + 2;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = (size_t)snprintf(out, cap, "%s", detector);
    for (const char *p = old; p && *p;) {
        size_t skip = strspn(p, ": \t\n");
        p += skip;
        size_t n = strcspn(p, ": \t\n");
        if (n && !is_detector(p, n)) {
            out[len++] = ':';
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
    }
    out[len] = '\0';
    return out;
}

int lnc_env_compose(const struct lnc_config *cfg, struct lnc_env *env,
                    const char *report_json)
{
    char timeout[32] = "";
    if (cfg->timeout)
        snprintf(timeout, sizeof timeout, ":hang_timeout=%d", cfg->timeout);
    const char *user = env->user_options ? env->user_options : "";
    if (asprintf(&env->gosan_options, "%s%sreport_json=%s%s%s%s", user,
                 user[0] ? ":" : "", report_json, timeout,
                 env->suppressions ? ":suppressions=" : "",
                 env->suppressions ? env->suppressions : "") < 0) {
        env->gosan_options = NULL;
        return -1;
    }
    env->ld_preload = compose_preload(env->detector);
    return env->ld_preload ? 0 : -1;
}

void lnc_env_free(struct lnc_env *env)
{
    free(env->program);
    free(env->detector);
    free(env->suppressions);
    free(env->user_options);
    free(env->user_report_json);
    free(env->gosan_options);
    free(env->ld_preload);
    memset(env, 0, sizeof *env);
}
