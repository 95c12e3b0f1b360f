/*
 * run_integration.c - runs the integration suites (all, or the one named).
 * ctest runs them with CK_FORK=yes: every test is a process of its own with
 * its timeout, and the servers a suite's fixture starts belong to the
 * runner (see harness.h). The run fails when a test fails or when a server
 * stopped by a suite's teardown exited badly (harness_finish).
 */
#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "integration_suites.h"

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    harness_init();
    size_t n = sizeof integration_suites / sizeof integration_suites[0];
    SRunner *sr = NULL;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], integration_suites[i].name) != 0)
            continue;
        Suite *s = integration_suites[i].make();
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
    int problems = harness_finish();
    if (problems > 0)
        fprintf(stderr, "%d server problem(s) outside the tests (see above)\n", problems);
    curl_global_cleanup();
    return failed == 0 && problems == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
