/* SPDX-License-Identifier: MIT */
/*
 * A Check suite that uses gosan/check.h the way a user's suite would: one
 * GOSAN_CHECK_LEAKS line per TCase. Two of its four tests are buggy — one
 * leaks a goroutine, one races — and tests/check_integration/check.sh
 * runs it under `gosan run --junit` (in Check's CK_FORK mode and in
 * CK_NOFORK mode) and asserts that exactly those two tests fail, that each
 * report carries the name of the test that produced it, and that the
 * JUnit testcases are named after them.
 */
#include <check.h>
#include <gosan.h>
#include <gosan/check.h>
#include <stdlib.h>

static void block_forever(void *arg)
{
    go_chan_recv(arg, NULL);
}

static void quick(void *arg)
{
    go_wg_done(arg);
}

START_TEST(test_clean_first)
{
    go_wg wg = GO_WG_INIT;
    go_wg_add(&wg, 1);
    go(quick, &wg);
    go_wg_wait(&wg);
}
END_TEST

START_TEST(test_leaks_a_goroutine)
{
    go_chan *c = go_chan_make(0, 0);
    go(block_forever, c); /* nobody will ever send */
}
END_TEST

static long hits;

static void bump(void *arg)
{
    hits++; /* unsynchronized */
    go_wg_done(arg);
}

START_TEST(test_races_on_a_counter)
{
    go_wg wg = GO_WG_INIT;
    go_wg_add(&wg, 2);
    go(bump, &wg);
    go(bump, &wg);
    go_wg_wait(&wg);
}
END_TEST

START_TEST(test_clean_last)
{
    ck_assert_int_eq(1 + 1, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("check_integration");
    TCase *tc = tcase_create("core");
    GOSAN_CHECK_LEAKS(tc);
    tcase_add_test(tc, test_clean_first);
    tcase_add_test(tc, test_leaks_a_goroutine);
    tcase_add_test(tc, test_races_on_a_counter);
    tcase_add_test(tc, test_clean_last);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
