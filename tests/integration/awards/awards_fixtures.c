/*
 * awards_fixtures.c - builders shared by the awards suites (contract in
 * awards_fixtures.h).
 */
#include "awards_fixtures.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

long aw_unique_n(void)
{
    static int serial;
    return (long)(getpid() % 1000000) * 1000 + ++serial;
}

void aw_make_user(const char *db, struct hsession *u, const char *name, const char *org,
                  bool confirmed, const char *role)
{
    long n = aw_unique_n();
    char email[128], display[96];
    snprintf(email, sizeof email, "%s-%ld@%s.test", name, n, db);
    snprintf(display, sizeof display, "%s %ld", name, n);
    harness_make_user(db, email, display, org, role, NULL, u);
    if (confirmed)
        harness_sql_longf(db,
                          "UPDATE accounts SET organisation_confirmed_at = now() WHERE id = %ld "
                          "RETURNING id",
                          u->id);
}

void aw_set_windows(const char *db, long cycle, int s0, int s1, int v0, int v1, int e0, int e1)
{
    long id = harness_sql_longf(db,
                                "UPDATE award_cycles SET "
                                "submission_opens_at = now() + interval '%d seconds', "
                                "submission_closes_at = now() + interval '%d seconds', "
                                "voting_opens_at = now() + interval '%d seconds', "
                                "voting_closes_at = now() + interval '%d seconds', "
                                "evaluation_opens_at = now() + interval '%d seconds', "
                                "evaluation_closes_at = now() + interval '%d seconds' "
                                "WHERE id = %ld RETURNING id",
                                s0, s1, v0, v1, e0, e1, cycle);
    ck_assert_int_eq(id, cycle);
}

long aw_create_case(const struct server *s, long cycle, const char *body, const struct hsession *u)
{
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    long st;
    json_t *j = hcall_json(s, "POST", path, body, u, &st);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    ck_assert_msg(st == 201, "POST %s: %ld, want 201: %.300s", path, st, text ? text : "");
    free(text);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

void aw_submit_case(const struct server *s, long id, const struct hsession *u)
{
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/submit", id);
    HEXPECT(s, "POST", path, NULL, u, 200, NULL);
}
