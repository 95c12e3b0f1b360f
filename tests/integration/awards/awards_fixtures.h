/*
 * awards_fixtures.h - builders the awards suites (awards, results, files)
 * share: accounts of member organisations, a cycle's windows moved
 * relative to now, and cases created and submitted through the API. What
 * any suite needs (requests, SQL, sessions) is in harness.h; what only one
 * awards suite needs stays in its file.
 */
#ifndef CONVENE_AWARDS_FIXTURES_H
#define CONVENE_AWARDS_FIXTURES_H

#include <stdbool.h>

#include "harness.h"

/* A number no other test of this run has used: each test runs in its own
 * process (CK_FORK=yes), so a plain counter would start again at 1. */
long aw_unique_n(void);

/*
 * A verified account on db (harness_make_user, no password) named
 * "name N" with email name-N@db.test (N from aw_unique_n), in the
 * organisation named org (NULL: none), its membership confirmed or not,
 * with role and a session valid for a day filled into u. Fails the test on
 * any error.
 */
void aw_make_user(const char *db, struct hsession *u, const char *name, const char *org,
                  bool confirmed, const char *role);

/* Sets cycle's windows on db relative to now(), in seconds: submission
 * [s0, s1), voting [v0, v1), evaluation [e0, e1). */
void aw_set_windows(const char *db, long cycle, int s0, int s1, int v0, int v1, int e0, int e1);

/* Creates a case in cycle as u on s from the JSON body, asserting 201;
 * returns its id. */
long aw_create_case(const struct server *s, long cycle, const char *body, const struct hsession *u);

/* Submits case id as u on s, asserting 200. */
void aw_submit_case(const struct server *s, long id, const struct hsession *u);

#endif
