/*
 * run_unit.c - runs the Check suites of the unit tests. With no argument
 * it runs them all; with a name it runs that suite only (ctest registers one
 * test per suite that way).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_suites.h"

int main(int argc, char **argv)
{
    size_t n = sizeof unit_suites / sizeof unit_suites[0];
    SRunner *sr = NULL;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], unit_suites[i].name) != 0)
            continue;
        Suite *s = unit_suites[i].make();
        if (sr == NULL)
            sr = srunner_create(s);
        else
            srunner_add_suite(sr, s);
    }
    if (sr == NULL) {
        fprintf(stderr, "no such suite: %s\n", argc > 1 ? argv[1] : "(none)");
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
