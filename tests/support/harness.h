/* SPDX-License-Identifier: MIT */
/*
 * Test support shared by every Check binary:
 *  - scenarios: small programs compiled into the test binary and run in a
 *    fresh process (`check_x --scenario NAME`) whose exit status and
 *    output a test then asserts: crashes, Go's panics and fatal errors,
 *    reports;
 *  - the verifying teardown: no goroutine may outlive a test.
 */
#ifndef GOSAN_TEST_HARNESS_H
#define GOSAN_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

typedef void (*scenario_fn)(int argc, char **argv);
void scenario_register(const char *name, scenario_fn fn);
int scenario_main(const char *name, int argc, char **argv);

/* SCENARIO(name) { body } defines a scenario; returning from the body
 * exits 0. */
#define SCENARIO(name)                                                    \
    static void scenario_##name(int argc, char **argv);                   \
    __attribute__((constructor)) static void scenario_reg_##name(void)    \
    {                                                                     \
        scenario_register(#name, scenario_##name);                        \
    }                                                                     \
    static void scenario_##name(int argc __attribute__((unused)),         \
                                char **argv __attribute__((unused)))

/* The result of running a scenario. */
struct child {
    int status;      /* as from waitpid */
    bool timed_out;  /* killed after the timeout */
    char *output;    /* stdout and stderr, interleaved, NUL-terminated */
    size_t len;
};

/* run_scenario runs scenario name in a child process with extra
 * environment entries ("K=V", NULL-terminated, may be NULL), killing it
 * after timeout_s seconds. */
void run_scenario(const char *name, const char *const *env, int timeout_s,
                  struct child *out);
void child_free(struct child *c);
bool child_exited_with(const struct child *c, int code);
bool child_killed_by(const struct child *c, int sig);
/* child_count counts occurrences of needle in the output. */
int child_count(const struct child *c, const char *needle);

#define ck_assert_output_has(c, needle)                                    \
    ck_assert_msg(strstr((c)->output, (needle)) != NULL,                  \
                  "expected \"%s\" in the output of the child:\n%s",      \
                  (needle), (c)->output)
#define ck_assert_output_lacks(c, needle)                                  \
    ck_assert_msg(strstr((c)->output, (needle)) == NULL,                  \
                  "did not expect \"%s\" in the output of the child:\n%s",\
                  (needle), (c)->output)
#define ck_assert_exited(c, code)                                          \
    ck_assert_msg(child_exited_with((c), (code)),                         \
                  "expected exit status %d, got wait status 0x%x%s; "     \
                  "output:\n%s", (code), (c)->status,                     \
                  (c)->timed_out ? " (timed out)" : "", (c)->output)
#define ck_assert_killed(c, sig)                                           \
    ck_assert_msg(child_killed_by((c), (sig)),                            \
                  "expected death by signal %d, got wait status 0x%x%s; " \
                  "output:\n%s", (sig), (c)->status,                      \
                  (c)->timed_out ? " (timed out)" : "", (c)->output)

/* The checked teardown of runtime tests: every goroutine the test started
 * must be gone (within a grace period), or the test fails. */
void rt_test_setup(void);
void rt_test_verify(void);

/* Under AddressSanitizer, freed memory waits in a quarantine, every byte
 * has shadow, and everything is several times slower: tests that bound
 * resident memory skip that bound, and the largest stress runs shrink. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_UNDER_ASAN 1
#endif
#endif
#ifndef TEST_UNDER_ASAN
#define TEST_UNDER_ASAN 0
#endif

/* Wall-clock helpers for tests that bound time explicitly. */
int64_t test_now(void);

/* An invisible barrier: n threads or goroutines meet without any event the
 * detector sees (raw futex), to order racy accesses in tests. */
struct invisible_barrier {
    uint32_t n;
    uint32_t count;
    uint32_t generation;
};
void invisible_barrier_init(struct invisible_barrier *b, uint32_t n);
void invisible_barrier_wait(struct invisible_barrier *b);

#endif
