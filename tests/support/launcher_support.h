/* SPDX-License-Identifier: MIT */
/*
 * Test support for the launcher's tests: running a command (gosan, or
 * xmllint) with its stdout and stderr captured separately, and small file
 * helpers. The commands run with the test's environment minus anything
 * gosan reads (GOSAN_OPTIONS, GOSAN_DETECT_LIB, LD_PRELOAD), plus what a
 * test adds.
 */
#ifndef GOSAN_LAUNCHER_SUPPORT_H
#define GOSAN_LAUNCHER_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

/* The result of running a command. */
struct proc_out {
    int status;       /* as from waitpid */
    bool timed_out;   /* killed after the timeout */
    char *out;        /* stdout, NUL-terminated */
    size_t out_len;
    char *err;        /* stderr, NUL-terminated */
    size_t err_len;
};

/* run_cmd runs argv[0] (a path) with argv, extra environment entries env
 * ("K=V", NULL-terminated, may be NULL), stdin from in (NULL: empty), and
 * kills it after timeout_s seconds. */
void run_cmd(char *const *argv, const char *const *env, const char *in,
             int timeout_s, struct proc_out *o);
void proc_out_free(struct proc_out *o);
/* exited_with: the command exited (not killed) with status code. */
bool exited_with(const struct proc_out *o, int code);

/* read_file_text reads a whole file (NULL if it cannot). */
char *read_file_text(const char *path, size_t *len);
bool write_file_text(const char *path, const char *text, size_t len);
/* count_of counts the occurrences of needle in hay. */
int count_of(const char *hay, const char *needle);
/* test_dir makes a fresh directory for a test's files; the path is
 * malloc'ed. */
char *test_dir(void);
/* remove_dir deletes a directory and everything in it. */
void remove_dir(const char *path);

#define ck_assert_exit(o, code)                                            \
    ck_assert_msg(exited_with((o), (code)),                               \
                  "expected exit status %d, got wait status 0x%x%s\n"     \
                  "stdout:\n%s\nstderr:\n%s", (code), (o)->status,         \
                  (o)->timed_out ? " (timed out)" : "", (o)->out, (o)->err)
#define ck_assert_has(hay, needle)                                         \
    ck_assert_msg(strstr((hay), (needle)) != NULL,                        \
                  "expected \"%s\" in:\n%s", (needle), (hay))
#define ck_assert_lacks(hay, needle)                                       \
    ck_assert_msg(strstr((hay), (needle)) == NULL,                        \
                  "did not expect \"%s\" in:\n%s", (needle), (hay))

#endif
