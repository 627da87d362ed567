/* SPDX-License-Identifier: MIT */
/*
 * The main() of every Check binary. The TCases come from the registry
 * that tests/CMakeLists.txt generates from the <component>_*_test.c files.
 * Run as `check_x --scenario NAME`, the binary runs one scenario program
 * (support/harness.h) instead: tests spawn it to observe crashes, exit
 * statuses and reports from a process of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "harness.h"

#define GOSAN_TCASE(component, feature) TCase *tcase_##component##_##feature(void);
#include "tcases.inc"
#undef GOSAN_TCASE

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--scenario"))
        return scenario_main(argv[2], argc - 3, argv + 3);
    Suite *s = suite_create(GOSAN_COMPONENT);
#define GOSAN_TCASE(component, feature) \
    suite_add_tcase(s, tcase_##component##_##feature());
#include "tcases.inc"
#undef GOSAN_TCASE
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
