/* SPDX-License-Identifier: MIT */
/*
 * This file implements the `gosan` command: `gosan run`, which runs a
 * program under the detector and gathers its reports for CI, and the
 * informational commands (--help, --version, --help-options).
 *
 * A run, step by step (each step's file says how):
 *   1. parse the command line (cli.c);
 *   2. check everything before running anything (env.c): PROGRAM, the
 *      detector library, GOSAN_OPTIONS, --suppressions, output paths;
 *   3. make the run directory (rundir.c) and the program's environment;
 *   4. run the program and wait for it and its descendants (spawn.c);
 *   5. if --timeout's backstop killed it, add a deadlock report;
 *   6. read the reports back and write --json, report_json, --junit and
 *      --sarif (output.c);
 *   7. remove the run directory unless --keep-run-dir, and exit:
 *        anything reported        GOSAN_OPTIONS exitcode (default 66)
 *        else PROGRAM exited N    N
 *        else killed by signal N  128+N
 *        gosan itself failed      2
 *      An output file that could not be written makes the status 2 when
 *      it would otherwise be 0, so CI never passes on missing results.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

/* exit_status is the run's status, as described above. */
static int exit_status(const struct lnc_result *res,
                       const struct lnc_reports *rs,
                       const struct lnc_env *env)
{
    if (rs->n + rs->nmore > 0 || res->timed_out)
        return env->exitcode;
    if (WIFEXITED(res->status))
        return WEXITSTATUS(res->status);
    if (WIFSIGNALED(res->status))
        return 128 + WTERMSIG(res->status);
    return LNC_EXIT_USAGE;
}

/* write_outputs writes every requested output; -1 if one failed. */
static int write_outputs(const struct lnc_config *cfg,
                         const struct lnc_env *env,
                         const struct lnc_result *res,
                         const struct lnc_reports *rs)
{
    int err = 0;
    if (cfg->json_path && lnc_write_json(cfg->json_path, rs))
        err = -1;
    if (env->user_report_json && lnc_append_json(env->user_report_json, rs))
        err = -1;
    if (cfg->junit_path && lnc_write_junit(cfg->junit_path, cfg, res, rs))
        err = -1;
    if (cfg->sarif_path && lnc_write_sarif(cfg->sarif_path, cfg, res, rs))
        err = -1;
    return err;
}

static int run(int argc, char **argv)
{
    struct lnc_config cfg;
    int status;
    if (!lnc_cli_parse(argc, argv, &cfg, &status))
        return status;
    struct lnc_env env;
    struct lnc_rundir dir = { NULL, NULL };
    struct lnc_result res = { 0 };
    struct lnc_reports rs = { 0 };
    status = LNC_EXIT_USAGE;
    if (lnc_env_check(&cfg, &env))
        goto out_env;
    if (lnc_rundir_create(&dir))
        goto out_env;
    if (lnc_env_compose(&cfg, &env, dir.jsonl)) {
        fprintf(stderr, "gosan run: out of memory\n");
        goto out_dir;
    }
    if (lnc_spawn_wait(&cfg, &env, &res))
        goto out_res;
    if (res.timed_out)
        lnc_report_timeout(dir.jsonl, &cfg, res.pid);
    if (lnc_reports_load(dir.jsonl, &rs))
        goto out_res;
    status = exit_status(&res, &rs, &env);
    if (rs.n + rs.nmore > 0) {
        int n = rs.n + rs.nmore;
        fprintf(stderr, "gosan run: %d report%s from %s and the processes "
                "it started; exit status %d\n", n, n == 1 ? "" : "s",
                cfg.argv[0], status);
    }
    if (write_outputs(&cfg, &env, &res, &rs) && status == 0)
        status = LNC_EXIT_USAGE;
out_res:
    lnc_reports_free(&rs);
    lnc_result_free(&res);
out_dir:
    if (cfg.keep_run_dir && dir.path)
        fprintf(stderr, "gosan run: run directory kept: %s\n", dir.path);
    else
        lnc_rundir_remove(&dir);
    free(dir.path);
    free(dir.jsonl);
out_env:
    lnc_env_free(&env);
    return status;
}

/* keep_std_fds opens /dev/null on any of 0, 1, 2 that is closed, so that
 * the launcher's own pipes never land on them. */
static void keep_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int nfd = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
        if (nfd >= 0 && nfd != fd) {
            dup2(nfd, fd);
            close(nfd);
        }
    }
}

int main(int argc, char **argv)
{
    keep_std_fds();
    if (argc < 2) {
        lnc_usage(stderr);
        return LNC_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return run(argc - 2, argv + 2);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
        !strcmp(cmd, "help")) {
        lnc_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        lnc_version(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--help-options")) {
        rep_options_help(stdout);
        return 0;
    }
    fprintf(stderr, "gosan: unknown command '%s' (gosan --help for usage)\n",
            cmd);
    return LNC_EXIT_USAGE;
}
