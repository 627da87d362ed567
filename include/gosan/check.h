/* SPDX-License-Identifier: MIT */
/*
 * gosan/check.h: gosan in a Check test suite, in one line per TCase.
 *
 *     #include <check.h>
 *     #include <gosan/check.h>    (after check.h: it wraps START_TEST)
 *
 *     TCase *tc = tcase_create("core");
 *     GOSAN_CHECK_LEAKS(tc);      (each test fails if it leaks goroutines,
 *                                  or if gosan reported anything during it)
 *
 * GOSAN_CHECK_LEAKS adds a checked fixture: its setup remembers the
 * goroutines that exist before the test (goleak_ignore_current), its
 * teardown runs goleak_verify — which waits, goleak's way, for goroutines
 * that are still finishing — and fails the test when any is left, after
 * the goroutine-leak report that names each one; it also fails a test
 * during which gosan reported anything else (a race, a misuse, a
 * deadlock), so Check's verdict and gosan's agree. A checked fixture runs in
 * the test's own process in CK_FORK mode and around each test in
 * CK_NOFORK mode: both work.
 *
 * START_TEST and END_TEST are redefined so that every report gosan makes
 * while a test runs (a race, a leak, a misuse, a deadlock) carries the test's name,
 * "tcase.test": in the text report, in the JSON lines, and as the JUnit
 * testcase that `gosan run --junit` writes. Check's current-test API
 * (tcase_name()) lives in the suite's own static libcheck, out of gosan's
 * reach, so the test function itself tells gosan its name. With a Check older than 0.13 (no TTest),
 * START_TEST is left alone and reports carry no test name.
 */
#ifndef GOSAN_CHECK_H
#define GOSAN_CHECK_H

#ifndef CHECK_H
#error "include <check.h> before <gosan/check.h>"
#endif

#include <gosan/goleak.h>

#ifdef __cplusplus
extern "C" {
#endif

/* gosan_test_begin names the test that runs from now on in reports;
 * gosan_test_end: none runs. (Also usable without Check.) */
void gosan_test_begin(const char *name);
void gosan_test_end(void);
/* gosan_test_reports counts the reports made since the test began. */
int gosan_test_reports(void);

static inline void gosan_check_leaks_setup(void)
{
    goleak_ignore_current();
}

static inline void gosan_check_leaks_teardown(void)
{
    /* Check's current-test API: the leak report names the test even where
     * START_TEST is not gosan's. */
    gosan_test_begin(tcase_name());
    int leaked = goleak_verify();
    if (leaked)
        ck_abort_msg("gosan: %d goroutine%s leaked by this test (see the "
                     "goroutine-leak report)", leaked, leaked == 1 ? "" : "s");
    /* A race, a misuse or a deadlock while the test ran fails it too,
     * whether or not Check forks. */
    int reports = gosan_test_reports();
    if (reports)
        ck_abort_msg("gosan: %d report%s during this test (see above)",
                     reports, reports == 1 ? "" : "s");
}

#define GOSAN_CHECK_LEAKS(tc)                                             \
    tcase_add_checked_fixture((tc), gosan_check_leaks_setup,              \
                              gosan_check_leaks_teardown)

/* START_TEST opens the test function and names the test; END_TEST closes
 * it — the shape Check's own macros had before 0.13, so every suite that
 * ends its tests with END_TEST (as Check requires) compiles unchanged. */
#if CHECK_MAJOR_VERSION > 0 || CHECK_MINOR_VERSION >= 13
#undef START_TEST
#undef END_TEST
#define START_TEST(__testname)                                            \
    static void __testname##_fn(int _i CK_ATTRIBUTE_UNUSED);              \
    static const TTest __testname##_ttest = { "" #__testname,             \
                                              __testname##_fn, __FILE__,  \
                                              __LINE__ };                 \
    static const TTest *__testname = &__testname##_ttest;                 \
    static void __testname##_fn(int _i CK_ATTRIBUTE_UNUSED)               \
    {                                                                     \
        gosan_test_begin(#__testname);
#define END_TEST }
#endif

#ifdef __cplusplus
}
#endif

#endif
