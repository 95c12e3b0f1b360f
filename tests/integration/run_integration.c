/*
 * run_integration.c - runs the integration suites (all, or the one named).
 * Suites share one process with the servers they start, so Check runs them
 * without forking (CK_FORK=no from ctest).
 */
#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration_suites.h"

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
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
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
