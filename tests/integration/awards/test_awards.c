/*
 * test_awards.c - the SDG Awards against the real server, PostgreSQL and
 * mail catcher: staff create and change cycles (422 on the field for bad
 * windows and weights, 409 once scored or published); cases are created,
 * edited, submitted and withdrawn by confirmed members of eligible
 * organisations only, with the cap per organisation and category; each
 * phase edge (one second before allowed, one second after 409, with the
 * phase instants set relative to now() in SQL); who may read a case; the
 * public vote (own organisation, candidates only, 100 concurrent votes by
 * one account leave one row, 30 changes an hour); the candidates' public
 * view.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "awards/awards_fixtures.h"
#include "harness.h"
#include "base/util.h"

Suite *make_awards_suite(void);

#define DB "awards"

static struct server srv;
static struct catcher mail;

/* Seoul: two confirmed members and one unconfirmed; Bangkok: one
 * confirmed member; a partner organisation's confirmed member; staff; a
 * judge; voters of Kathmandu (confirmed, another member city). */
static struct hsession seoul[2], seoul_unconfirmed, bangkok, partner, staff, judge, voters[4];
static struct hsession judge_bkk, judge_suwon;

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail),
                         "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_DB_POOL_SIZE=8",
                         "CONVENE_DB_POOL_WAIT_MS=10000",
                         "CONVENE_TRUSTED_PROXIES=127.0.0.1",
                         NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB,
                "INSERT INTO organisations (name, city, country, kind) VALUES "
                "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city'), "
                "('Bangkok Metropolitan Administration', 'Bangkok', 'Thailand', 'member_city'), "
                "('Kathmandu Metropolitan City', 'Kathmandu', 'Nepal', 'member_city'), "
                "('Habitat Partner', 'Manila', 'Philippines', 'partner'), "
                "('Suwon Special City', 'Suwon', 'Republic of Korea', 'member_city'), "
                "('CityNet Secretariat', 'Seoul', 'Republic of Korea', 'secretariat')");
    aw_make_user(DB, &seoul[0], "seoul", "Seoul Metropolitan Government", true, "participant");
    aw_make_user(DB, &seoul[1], "seoul", "Seoul Metropolitan Government", true, "participant");
    aw_make_user(DB, &seoul_unconfirmed, "seoulu", "Seoul Metropolitan Government", false,
                 "participant");
    aw_make_user(DB, &bangkok, "bangkok", "Bangkok Metropolitan Administration", true,
                 "participant");
    aw_make_user(DB, &partner, "partner", "Habitat Partner", true, "participant");
    aw_make_user(DB, &staff, "staff", "CityNet Secretariat", true, "staff");
    aw_make_user(DB, &judge, "judge", "CityNet Secretariat", true, "judge");
    for (int i = 0; i < 4; i++)
        aw_make_user(DB, &voters[i], "voter", "Kathmandu Metropolitan City", true, "participant");
    aw_make_user(DB, &judge_bkk, "judgebkk", "Bangkok Metropolitan Administration", true, "judge");
    aw_make_user(DB, &judge_suwon, "judgesuwon", "Suwon Special City", true, "judge");
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

/* ---- Cycles, cases and phases ---- */

static const char cycle_body[] =
    "{\"year\":2030,\"title\":\"Test cycle %d\","
    "\"submission_opens_at\":\"2020-01-01T00:00:00Z\","
    "\"submission_closes_at\":\"2039-01-01T00:00:00Z\","
    "\"voting_opens_at\":\"2039-02-01T00:00:00+09:00\","
    "\"voting_closes_at\":\"2039-03-01T00:00:00Z\","
    "\"evaluation_opens_at\":\"2039-02-01T00:00:00Z\","
    "\"evaluation_closes_at\":\"2039-04-01T00:00:00Z\","
    "\"jury_weight\":0.7,\"public_weight\":0.3,"
    "\"categories\":[{\"name\":\"Climate\"},{\"name\":\"Finance\"}],"
    "\"criteria\":[{\"name\":\"Innovation\",\"weight\":1,\"scale_max\":10},"
    "{\"name\":\"Replicability\",\"weight\":1,\"scale_max\":10}]}";

/* Creates a cycle open for submission; returns its id and its two
 * categories' ids. */
static long make_cycle(long *cat1, long *cat2)
{
    static int n;
    char body[2048];
    snprintf(body, sizeof body, cycle_body, ++n);
    long st;
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", body, &staff, &st);
    ck_assert_msg(st == 201, "create cycle: %ld %s", st, json_dumps(j, JSON_COMPACT));
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_t *cats = json_object_get(j, "categories");
    ck_assert_int_eq(json_array_size(cats), 2);
    *cat1 = (long)json_integer_value(json_object_get(json_array_get(cats, 0), "id"));
    if (cat2)
        *cat2 = (long)json_integer_value(json_object_get(json_array_get(cats, 1), "id"));
    json_decref(j);
    return id;
}

/*
 * Sets the cycle's windows to w (as aw_set_windows) and sends the request,
 * timing both. When the round trip took 900 ms or more, an edge set one
 * second ahead may already have passed, so the answer proves nothing: the
 * step is run again (after the SQL undo, which may be NULL, reverts what a
 * late request did), up to 10 times. Keeps the one-second edges exact on
 * a slow, shared machine. Returns the JSON answer (new reference).
 */
static json_t *edge_json(long cycle, const int w[6], const char *undo, const char *method,
                         const char *path, const char *body, const struct hsession *u, long *status)
{
    for (int attempt = 0;; attempt++) {
        double t0 = harness_now_ms();
        aw_set_windows(DB, cycle, w[0], w[1], w[2], w[3], w[4], w[5]);
        json_t *j = hcall_json(&srv, method, path, body, u, status);
        if (harness_now_ms() - t0 < 900 || attempt == 9)
            return j;
        json_decref(j);
        if (undo)
            harness_sql(DB, undo);
    }
}

/* edge_json expecting status and (when not NULL) the error code. */
static void edge_expect(long cycle, const int w[6], const char *undo, const char *method,
                        const char *path, const char *body, const struct hsession *u, long want,
                        const char *code)
{
    long st;
    json_t *j = edge_json(cycle, w, undo, method, path, body, u, &st);
    ck_assert_msg(st == want, "%s %s at the edge: %ld, expected %ld", method, path, st, want);
    if (code)
        ck_assert_str_eq(hjson_err_code(j), code);
    json_decref(j);
}

/* Submission closed, voting open for a day. */
static void open_voting(long cycle)
{
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -60, 86400);
}

static char case_json[1024];
static const char *case_body(long category, const char *title)
{
    snprintf(case_json, sizeof case_json,
             "{\"category_id\":%ld,\"sdgs\":[11,13],\"title\":\"%s\","
             "\"summary\":\"A short summary.\",\"description\":\"What was done.\\nAnd how.\","
             "\"contact_email\":\"case@city.example.org\",\"gallery_consent\":true}",
             category, title);
    return case_json;
}

/* Creates a draft case as u; returns its id (0 on a refusal: *status). */
static long create_case(long cycle, long category, const struct hsession *u, long *status)
{
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    json_t *j = hcall_json(&srv, "POST", path, case_body(category, "Green corridors"), u, status);
    long id = *status == 201 ? (long)json_integer_value(json_object_get(j, "id")) : 0;
    if (*status == 201)
        ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "draft");
    json_decref(j);
    return id;
}

static long submitted_case(long cycle, long category, const struct hsession *u)
{
    long st;
    long id = create_case(cycle, category, u, &st);
    ck_assert_int_eq(st, 201);
    aw_submit_case(&srv, id, u);
    return id;
}

START_TEST(staff_create_and_view_a_cycle)
{
    char body[2048];
    snprintf(body, sizeof body, cycle_body, 900);
    HEXPECT(&srv, "POST", "/api/awards/cycles", body, NULL, 401, NULL);
    HEXPECT(&srv, "POST", "/api/awards/cycles", body, &seoul[0], 403, NULL);
    long st;
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", body, &staff, &st);
    ck_assert_int_eq(st, 201);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(json_array_size(json_object_get(j, "criteria")), 2);
    ck_assert_int_gt(json_integer_value(
                         json_object_get(json_array_get(json_object_get(j, "criteria"), 0), "id")),
                     0);
    /* The settings' defaults. */
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_cases_per_org")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "finalists_per_category")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "min_judges")), 1);
    ck_assert(json_is_false(json_object_get(j, "self_vote")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "eligible_kinds"), 0)),
                     "member_city");
    json_decref(j);
    char q[160];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'award_cycle.created' AND "
             "target_id = '%ld'",
             id);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);

    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", id);
    j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "phase")), "submission");
    ck_assert_int_eq(json_array_size(json_object_get(j, "categories")), 2);
    json_decref(j);
    j = hcall_json(&srv, "GET", "/api/awards/cycles", NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_ge(json_array_size(json_object_get(j, "items")), 1);
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/awards/cycles/99999999", NULL, NULL, 404, "not_found");

    /* Phases from now. */
    struct {
        int s0, s1, v0, v1, e0, e1;
        const char *phase;
    } phases[] = {
        {60, 120, 180, 240, 180, 300, "upcoming"},     {-60, 120, 180, 240, 180, 300, "submission"},
        {-120, -60, -30, 240, 180, 300, "voting"},     {-120, -60, -30, 240, -30, 300, "voting"},
        {-120, -60, -50, -40, -30, 300, "evaluation"}, {-120, -60, -50, -40, -30, -20, "closed"},
    };
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        aw_set_windows(DB, id, phases[i].s0, phases[i].s1, phases[i].v0, phases[i].v1, phases[i].e0,
                       phases[i].e1);
        j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
        ck_assert_str_eq(json_string_value(json_object_get(j, "phase")), phases[i].phase);
        json_decref(j);
    }
}
END_TEST

START_TEST(bad_cycles_are_422_on_the_field)
{
    long st;
    /* Submission closing after voting opens. */
    json_t *body = json_loads(cycle_body, 0, NULL);
    json_object_set_new(body, "submission_closes_at", json_string("2039-03-01T00:00:00Z"));
    char *text = json_dumps(body, JSON_COMPACT);
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", text, &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "submission_closes_at"), "out_of_range");
    json_decref(j);
    free(text);
    /* Weights not adding up to 1. */
    json_object_set_new(body, "submission_closes_at", json_string("2039-01-01T00:00:00Z"));
    json_object_set_new(body, "public_weight", json_real(0.4));
    text = json_dumps(body, JSON_COMPACT);
    j = hcall_json(&srv, "POST", "/api/awards/cycles", text, &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "public_weight"), "out_of_range");
    json_decref(j);
    free(text);
    /* Strict bodies; instants need a zone; items are checked. */
    json_object_set_new(body, "public_weight", json_real(0.3));
    json_object_set_new(body, "colour", json_string("green"));
    json_object_set_new(body, "phase", json_string("closed"));
    json_object_set_new(body, "voting_opens_at", json_string("2039-02-01T00:00"));
    json_array_append_new(json_object_get(body, "criteria"),
                          json_pack("{s:s,s:i}", "name", "Extra", "scale_max", 1000));
    text = json_dumps(body, JSON_COMPACT);
    j = hcall_json(&srv, "POST", "/api/awards/cycles", text, &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "colour"), "unknown_member");
    ck_assert_str_eq(hjson_field_code(j, "phase"), "read_only");
    ck_assert_str_eq(hjson_field_code(j, "voting_opens_at"), "invalid_format");
    ck_assert_str_eq(hjson_field_code(j, "criteria.2.scale_max"), "out_of_range");
    json_decref(j);
    free(text);
    json_decref(body);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM award_cycles WHERE title = 'Test cycle %d'"), 0);

    /* A change that breaks the order with the stored values: 422 too. */
    long cat;
    long id = make_cycle(&cat, NULL);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", id);
    j = hcall_json(&srv, "PATCH", path, "{\"voting_opens_at\":\"2038-01-01T00:00:00Z\"}", &staff,
                   &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "voting_opens_at"), "invalid");
    json_decref(j);
    j = hcall_json(&srv, "PATCH", path, "{\"jury_weight\":0.5}", &staff, &st);
    ck_assert_int_eq(st, 422);
    json_decref(j);
}
END_TEST

START_TEST(patch_cycle_then_409_after_scores_and_publication)
{
    long cat;
    long id = make_cycle(&cat, NULL);
    char path[96], q[512];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", id);
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"x\"}", &seoul[0], 403, NULL);
    long st;
    json_t *j = hcall_json(&srv, "PATCH", path,
                           "{\"jury_weight\":0.6,\"public_weight\":0.4,\"self_vote\":true,"
                           "\"voting_closes_at\":\"2039-03-02T00:00:00Z\",\"max_cases_per_org\":2}",
                           &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(json_object_get(j, "self_vote")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_cases_per_org")), 2);
    json_t *crit = json_array_get(json_object_get(j, "criteria"), 0);
    long crit_id = (long)json_integer_value(json_object_get(crit, "id"));
    json_decref(j);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'award_cycle.updated' AND "
             "target_id = '%ld'",
             id);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    /* Criteria may change until the first score. */
    char body[256];
    snprintf(body, sizeof body,
             "{\"criteria\":[{\"id\":%ld,\"name\":\"Innovation\",\"weight\":2},"
             "{\"name\":\"Outcomes\"}]}",
             crit_id);
    j = hcall_json(&srv, "PATCH", path, body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "criteria")), 2);
    json_decref(j);
    long sub = submitted_case(id, cat, &seoul[0]);
    /* A category holding a case stays; ids are this cycle's own. */
    j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    long cat_b = (long)json_integer_value(
        json_object_get(json_array_get(json_object_get(j, "categories"), 1), "id"));
    json_decref(j);
    char cats[256];
    snprintf(cats, sizeof cats, "{\"categories\":[{\"id\":%ld,\"name\":\"Finance\"}]}", cat_b);
    HEXPECT(&srv, "PATCH", path, cats, &staff, 409, "category_in_use");
    snprintf(cats, sizeof cats,
             "{\"categories\":[{\"id\":%ld,\"name\":\"Climate\"},{\"id\":%ld,\"name\":\"x\"}]}",
             cat, cat_b + 1000000);
    HEXPECT(&srv, "PATCH", path, cats, &staff, 422, "validation_failed");
    snprintf(cats, sizeof cats,
             "{\"categories\":[{\"id\":%ld,\"name\":\"Climate action\"},"
             "{\"name\":\"Digital\"}]}",
             cat);
    j = hcall_json(&srv, "PATCH", path, cats, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(j, "categories"), 0), "name")),
                     "Climate action");
    ck_assert_int_eq(json_array_size(json_object_get(j, "categories")), 2);
    json_decref(j);
    snprintf(q, sizeof q,
             "INSERT INTO scores (submission_id, judge_id, criterion_id, value) VALUES "
             "(%ld, %ld, %ld, 7)",
             sub, judge.id, crit_id);
    harness_sql(DB, q);
    HEXPECT(&srv, "PATCH", path, body, &staff, 409, "criteria_locked");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"Still fine\"}", &staff, 200, NULL);
    snprintf(q, sizeof q, "UPDATE award_cycles SET published_at = now() WHERE id = %ld", id);
    harness_sql(DB, q);
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"Too late\"}", &staff, 409, "cycle_published");
    j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    ck_assert_str_eq(json_string_value(json_object_get(j, "phase")), "published");
    ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Still fine");
    json_decref(j);
}
END_TEST

START_TEST(only_confirmed_members_of_eligible_organisations_submit)
{
    long cat;
    long cycle = make_cycle(&cat, NULL);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    HEXPECT(&srv, "POST", path, case_body(cat, "x"), NULL, 401, NULL);
    HEXPECT(&srv, "POST", path, case_body(cat, "x"), &seoul_unconfirmed, 403,
            "organisation_unconfirmed");
    HEXPECT(&srv, "POST", path, case_body(cat, "x"), &partner, 403, "organisation_unconfirmed");
    HEXPECT(&srv, "POST", path, case_body(cat, "x"), &staff, 403, "organisation_unconfirmed");
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM submissions WHERE cycle_id = %ld", cycle);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
    /* The cycle may accept partners. */
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/awards/cycles/%ld", cycle);
    HEXPECT(&srv, "PATCH", cpath, "{\"eligible_kinds\":[\"member_city\",\"partner\"]}", &staff, 200,
            NULL);
    HEXPECT(&srv, "POST", path, case_body(cat, "x"), &partner, 201, NULL);
    /* Field checks. */
    long st;
    json_t *j =
        hcall_json(&srv, "POST", path,
                   "{\"category_id\":1,\"sdgs\":[1,1],\"title\":\"\",\"summary\":\"s\","
                   "\"description\":\"d\",\"contact_email\":\"nobody\",\"status\":\"submitted\","
                   "\"extra\":1}",
                   &seoul[0], &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "sdgs"), "invalid_choice");
    ck_assert_str_eq(hjson_field_code(j, "title"), "required");
    ck_assert_str_eq(hjson_field_code(j, "contact_email"), "invalid_format");
    ck_assert_str_eq(hjson_field_code(j, "status"), "read_only");
    ck_assert_str_eq(hjson_field_code(j, "extra"), "unknown_member");
    json_decref(j);
    j = hcall_json(&srv, "POST", path,
                   "{\"category_id\":1,\"sdgs\":[1,2,3,4,5,6],\"title\":\"t\",\"summary\":\"s\","
                   "\"description\":\"d\"}",
                   &seoul[0], &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "sdgs"), "invalid_choice");
    json_decref(j);
    /* A category of another cycle. */
    long other_cat;
    make_cycle(&other_cat, NULL);
    j = hcall_json(&srv, "POST", path, case_body(other_cat, "x"), &seoul[0], &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "category_id"), "invalid_choice");
    json_decref(j);
}
END_TEST

START_TEST(case_limit_per_organisation_and_category)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long st;
    long first = create_case(cycle, cat1, &seoul[0], &st);
    ck_assert_int_eq(st, 201);
    /* Another member of the same organisation: over the cap. */
    create_case(cycle, cat1, &seoul[1], &st);
    ck_assert_int_eq(st, 409);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    HEXPECT(&srv, "POST", path, case_body(cat1, "Again"), &seoul[1], 409, "case_limit");
    /* Another category, another organisation: fine. */
    create_case(cycle, cat2, &seoul[1], &st);
    ck_assert_int_eq(st, 201);
    create_case(cycle, cat1, &bangkok, &st);
    ck_assert_int_eq(st, 201);
    /* Moving a case into a full category is refused too. */
    char q[256];
    snprintf(q, sizeof q,
             "SELECT id FROM submissions WHERE cycle_id = %ld AND category_id = %ld AND "
             "organisation_id = (SELECT id FROM organisations WHERE name LIKE 'Seoul%%')",
             cycle, cat2);
    long second = harness_sql_long(DB, q);
    char spath[96], body[64];
    snprintf(spath, sizeof spath, "/api/submissions/%ld", second);
    snprintf(body, sizeof body, "{\"category_id\":%ld}", cat1);
    HEXPECT(&srv, "PATCH", spath, body, &seoul[1], 409, "case_limit");
    /* A withdrawn case frees its place. */
    snprintf(spath, sizeof spath, "/api/submissions/%ld/withdraw", first);
    HEXPECT(&srv, "POST", spath, NULL, &seoul[0], 200, NULL);
    create_case(cycle, cat1, &seoul[1], &st);
    ck_assert_int_eq(st, 201);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM submissions WHERE cycle_id = %ld AND status <> 'withdrawn' "
             "AND category_id = %ld AND organisation_id = (SELECT id FROM organisations WHERE "
             "name LIKE 'Seoul%%')",
             cycle, cat1);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
}
END_TEST

struct create_arg {
    long cycle, category;
    const struct hsession *u;
    long status;
};

static void *create_one(void *p)
{
    struct create_arg *a = p;
    create_case(a->cycle, a->category, a->u, &a->status);
    return NULL;
}

/* 20 members' creations at once under a cap of one: one case. */
START_TEST(case_limit_holds_under_concurrency)
{
    long cat1;
    long cycle = make_cycle(&cat1, NULL);
    enum { N = 20 };
    pthread_t t[N];
    struct create_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct create_arg){.cycle = cycle, .category = cat1, .u = &seoul[i % 2]};
        pthread_create(&t[i], NULL, create_one, &args[i]);
    }
    int created = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(args[i].status == 201 || args[i].status == 409, "create %d: %ld", i,
                      args[i].status);
        created += args[i].status == 201;
    }
    ck_assert_int_eq(created, 1);
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submissions WHERE cycle_id = %ld", cycle);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
}
END_TEST

START_TEST(edit_submit_withdraw_with_mails)
{
    long cat;
    long cycle = make_cycle(&cat, NULL);
    long st;
    long id = create_case(cycle, cat, &seoul[0], &st);
    ck_assert_int_eq(st, 201);
    char path[96], q[256];
    snprintf(path, sizeof path, "/api/submissions/%ld", id);
    json_t *j = hcall_json(&srv, "PATCH", path,
                           "{\"title\":\"  Green corridors for Seoul \",\"sdgs\":[3,11,13],"
                           "\"partners\":\"UN-Habitat\",\"contact_email\":null}",
                           &seoul[1], &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Green corridors for Seoul");
    ck_assert_int_eq(json_array_size(json_object_get(j, "sdgs")), 3);
    ck_assert(json_is_null(json_object_get(j, "contact_email")));
    json_decref(j);
    HEXPECT(&srv, "PATCH", path, "{\"title\":null}", &seoul[1], 422, "validation_failed");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"Theirs\"}", &bangkok, 404, "not_found");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"Staff\"}", &staff, 403, "forbidden");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"x\"}", &seoul_unconfirmed, 404, "not_found");

    snprintf(path, sizeof path, "/api/submissions/%ld/submit", id);
    HEXPECT(&srv, "POST", path, NULL, &bangkok, 404, "not_found");
    j = hcall_json(&srv, "POST", path, NULL, &seoul[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "submitted");
    json_decref(j);
    json_t *m = harness_wait_mail(&mail, seoul[0].email, "Case received", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    /* Again: nothing changes, no second mail. */
    j = hcall_json(&srv, "POST", path, NULL, &seoul[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "changed")));
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM mail_outbox WHERE template = "
                                       "'submission_received' AND to_address = '%s' AND "
                                       "vars->>'case_title' = 'Green corridors for Seoul'",
                                       seoul[0].email),
                     1);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'submission.submitted' AND "
             "target_id = '%ld'",
             id);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);

    snprintf(path, sizeof path, "/api/submissions/%ld/withdraw", id);
    HEXPECT(&srv, "POST", path, "{\"reason\":\"x\"}", &seoul[1], 422, "validation_failed");
    HEXPECT(&srv, "POST", path, NULL, &seoul[1], 200, NULL);
    m = harness_wait_mail(&mail, seoul[1].email, "Case withdrawn", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    snprintf(q, sizeof q, "SELECT status FROM submissions WHERE id = %ld", id);
    char *status = harness_psql(DB, q);
    ck_assert_str_eq(status, "withdrawn");
    free(status);
}
END_TEST

/* One second before the window opens: 409 with the phase and the window;
 * one second after it opened: allowed; one second before it closes:
 * allowed; one second after: 409. */
START_TEST(submission_phase_edges)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    long st;

    char undo[128];
    snprintf(undo, sizeof undo, "DELETE FROM submissions WHERE cycle_id = %ld", cycle);
    static const int before_open[6] = {1, 3600, 7200, 9000, 7200, 9000};
    json_t *j =
        edge_json(cycle, before_open, undo, "POST", path, case_body(cat1, "Early"), &seoul[0], &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "submission_closed");
    json_t *err = json_object_get(j, "error");
    ck_assert_str_eq(json_string_value(json_object_get(err, "phase")), "upcoming");
    ck_assert(json_is_string(json_object_get(err, "opens_at")));
    ck_assert(json_is_string(json_object_get(err, "closes_at")));
    json_decref(j);

    aw_set_windows(DB, cycle, -1, 3600, 7200, 9000, 7200, 9000);
    long id = create_case(cycle, cat1, &seoul[0], &st);
    ck_assert_int_eq(st, 201);

    /* A late first try may still have created the case: the retry must
     * start without it (else the cap answers 409 case_limit). */
    char undo_late[160];
    snprintf(undo_late, sizeof undo_late,
             "DELETE FROM submissions WHERE cycle_id = %ld AND category_id = %ld", cycle, cat2);
    static const int before_close[6] = {-3600, 1, 7200, 9000, 7200, 9000};
    j = edge_json(cycle, before_close, undo_late, "POST", path, case_body(cat2, "In time"),
                  &seoul[0], &st);
    ck_assert_int_eq(st, 201);
    json_decref(j);
    char spath[96];
    snprintf(spath, sizeof spath, "/api/submissions/%ld", id);
    edge_expect(cycle, before_close, NULL, "PATCH", spath, "{\"title\":\"Just in time\"}",
                &seoul[0], 200, NULL);

    aw_set_windows(DB, cycle, -3600, -1, 7200, 9000, 7200, 9000);
    j = hcall_json(&srv, "POST", path, case_body(cat2, "Late"), &seoul[1], &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "submission_closed");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "phase")),
                     "submission");
    json_decref(j);
    HEXPECT(&srv, "PATCH", spath, "{\"title\":\"Too late\"}", &seoul[0], 409, "submission_closed");
    snprintf(spath, sizeof spath, "/api/submissions/%ld/submit", id);
    HEXPECT(&srv, "POST", spath, NULL, &seoul[0], 409, "submission_closed");
    snprintf(spath, sizeof spath, "/api/submissions/%ld/withdraw", id);
    HEXPECT(&srv, "POST", spath, NULL, &seoul[0], 409, "submission_closed");
}
END_TEST

/* Each member sees the organisation's cases, newest first; nobody else's. */
START_TEST(my_organisations_cases)
{
    long cat1, cat2, cat3, cat4;
    long c1 = make_cycle(&cat1, &cat2);
    long c2 = make_cycle(&cat3, &cat4);
    long st;
    long first = create_case(c1, cat1, &seoul[0], &st);
    ck_assert_int_eq(st, 201);
    long second = submitted_case(c2, cat3, &seoul[1]);
    long theirs = create_case(c2, cat4, &bangkok, &st);
    ck_assert_int_eq(st, 201);
    char q[512];
    snprintf(q, sizeof q,
             "INSERT INTO submission_files (submission_id, filename, content_type, size, sha256, "
             "data, visibility) VALUES (%ld, 'a.png', 'image/png', 3, sha256('abc'), 'abc', "
             "'public'), (%ld, 'b.pdf', 'application/pdf', 3, sha256('abc'), 'abc', 'jury')",
             second, second);
    harness_sql(DB, q);
    long seoul_cases =
        harness_sql_long(DB, "SELECT count(*) FROM submissions s JOIN organisations o "
                             "ON o.id = s.organisation_id WHERE o.name LIKE 'Seoul%'");
    for (int u = 0; u < 2; u++) {
        json_t *j = hcall_json(&srv, "GET", "/api/me/submissions", NULL, &seoul[u], &st);
        ck_assert_int_eq(st, 200);
        json_t *items = json_object_get(j, "items");
        ck_assert_int_eq((long)json_array_size(items), seoul_cases);
        long at_first = -1, at_second = -1;
        size_t i;
        json_t *e;
        json_array_foreach(items, i, e)
        {
            long id = (long)json_integer_value(json_object_get(e, "id"));
            ck_assert_int_ne(id, theirs);
            if (id == first)
                at_first = (long)i;
            if (id == second) {
                at_second = (long)i;
                ck_assert_str_eq(json_string_value(json_object_get(e, "title")), "Green corridors");
                ck_assert_str_eq(json_string_value(json_object_get(e, "status")), "submitted");
                ck_assert_str_eq(json_string_value(json_object_get(e, "phase")), "submission");
                ck_assert_int_eq(json_integer_value(json_object_get(e, "files")), 2);
                json_t *cat = json_object_get(e, "category");
                ck_assert_int_eq(json_integer_value(json_object_get(cat, "id")), cat3);
                ck_assert_str_eq(json_string_value(json_object_get(cat, "name")), "Climate");
                json_t *cyc = json_object_get(e, "cycle");
                ck_assert_int_eq(json_integer_value(json_object_get(cyc, "id")), c2);
                ck_assert_int_eq(json_integer_value(json_object_get(cyc, "year")), 2030);
                ck_assert(json_is_string(json_object_get(cyc, "title")));
                ck_assert(json_is_string(json_object_get(e, "updated_at")));
            }
        }
        ck_assert_msg(at_second >= 0 && at_first > at_second, "newest first: %ld before %ld",
                      at_second, at_first);
        json_decref(j);
    }
    json_t *j = hcall_json(&srv, "GET", "/api/me/submissions", NULL, &bangkok, &st);
    ck_assert_int_eq(st, 200);
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j, "items"), i, e)
    {
        long id = (long)json_integer_value(json_object_get(e, "id"));
        ck_assert(id != first && id != second);
        found |= id == theirs;
    }
    ck_assert(found);
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/me/submissions", NULL, &seoul_unconfirmed, 403,
            "organisation_unconfirmed");
    HEXPECT(&srv, "GET", "/api/me/submissions", NULL, &staff, 200,
            NULL); /* the Secretariat's own */
    HEXPECT(&srv, "GET", "/api/me/submissions", NULL, NULL, 401, "unauthenticated");
}
END_TEST

START_TEST(case_visibility)
{
    long cat;
    long cycle = make_cycle(&cat, NULL);
    long id = submitted_case(cycle, cat, &seoul[0]);
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld", id);
    HEXPECT(&srv, "GET", path, NULL, NULL, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &bangkok, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &seoul_unconfirmed, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &judge, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &voters[0], 404, "not_found");
    HEXPECT(&srv, "GET", "/api/submissions/99999999", NULL, &staff, 404, "not_found");
    long st;
    const struct hsession *may[] = {&seoul[0], &seoul[1], &staff};
    for (size_t i = 0; i < 3; i++) {
        json_t *j = hcall_json(&srv, "GET", path, NULL, may[i], &st);
        ck_assert_int_eq(st, 200);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), id);
        ck_assert_str_eq(json_string_value(json_object_get(j, "contact_email")),
                         "case@city.example.org");
        ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "submitted");
        json_decref(j);
    }
}
END_TEST

/* ---- The public vote ---- */

static char vote_path[96];
static const char *vpath(long category, const char *what)
{
    snprintf(vote_path, sizeof vote_path, "/api/awards/categories/%ld/%s", category, what);
    return vote_path;
}

START_TEST(vote_rules_and_candidates)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long seoul_case = submitted_case(cycle, cat1, &seoul[0]);
    long bangkok_case = submitted_case(cycle, cat1, &bangkok);
    long st;
    long draft = create_case(cycle, cat2, &seoul[0], &st);
    ck_assert_int_eq(st, 201);
    char body[64];
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", bangkok_case);

    /* Before voting opens: no candidates, no votes. */
    json_t *j = hcall_json(&srv, "GET", vpath(cat1, "candidates"), NULL, NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "voting_closed");
    json_decref(j);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &voters[0], 409, "voting_closed");

    open_voting(cycle);
    j = hcall_json(&srv, "GET", vpath(cat1, "candidates"), NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *c = json_array_get(items, i);
        ck_assert_ptr_null(json_object_get(c, "contact_email"));
        ck_assert_ptr_null(json_object_get(c, "files"));
        ck_assert_ptr_nonnull(json_object_get(c, "title"));
    }
    json_decref(j);

    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, NULL, 401, NULL);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &seoul_unconfirmed, 200, NULL);
    /* Own organisation's case: 403 unless the cycle allows it. */
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", seoul_case);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &seoul[1], 403, "own_organisation");
    /* A draft, another category's case, no such case: 422 on the field. */
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", draft);
    j = hcall_json(&srv, "PUT", vpath(cat2, "vote"), body, &voters[0], &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "submission_id"), "invalid_choice");
    json_decref(j);
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", seoul_case);
    j = hcall_json(&srv, "PUT", vpath(cat2, "vote"), body, &voters[0], &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "submission_id"), "invalid_choice");
    json_decref(j);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), "{\"submission_id\":99999999}", &voters[0], 422,
            "validation_failed");
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), "{\"submission\":1}", &voters[0], 422,
            "validation_failed");
    HEXPECT(&srv, "PUT", vpath(99999999, "vote"), body, &voters[0], 404, "not_found");

    /* A vote, with the address and the user agent. */
    static const char *const from[] = {"User-Agent: VoteTest/1.0", "X-Forwarded-For: 203.0.113.7",
                                       NULL};
    struct hresp r;
    ck_assert_int_eq(hcall_body(&srv, "PUT", vpath(cat1, "vote"), "application/json", body,
                                strlen(body), &voters[0], from, &r),
                     200);
    hresp_free(&r);
    char q[256];
    snprintf(q, sizeof q,
             "SELECT submission_id || ' ' || client_addr || ' ' || user_agent FROM votes WHERE "
             "account_id = %ld AND category_id = %ld",
             voters[0].id, cat1);
    char *row = harness_psql(DB, q);
    char want[128];
    snprintf(want, sizeof want, "%ld 203.0.113.7 VoteTest/1.0", seoul_case);
    ck_assert_str_eq(row, want);
    free(row);
    j = hcall_json(&srv, "GET", vpath(cat1, "vote"), NULL, &voters[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "submission_id")), seoul_case);
    json_decref(j);
    HEXPECT(&srv, "GET", vpath(cat1, "vote"), NULL, NULL, 401, NULL);
    /* The same choice again is not a change. */
    snprintf(q, sizeof q, "SELECT count(*) FROM vote_changes WHERE account_id = %ld", voters[0].id);
    long before = harness_sql_long(DB, q);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &voters[0], 200, NULL);
    ck_assert_int_eq(harness_sql_long(DB, q), before);
    /* Withdrawn: gone; withdrawing again is 404. */
    HEXPECT(&srv, "DELETE", vpath(cat1, "vote"), NULL, &voters[0], 200, NULL);
    HEXPECT(&srv, "DELETE", vpath(cat1, "vote"), NULL, &voters[0], 404, "not_found");
    snprintf(q, sizeof q, "SELECT count(*) FROM votes WHERE account_id = %ld", voters[0].id);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);

    /* The cycle allows votes for one's own organisation. */
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/awards/cycles/%ld", cycle);
    HEXPECT(&srv, "PATCH", cpath, "{\"self_vote\":true}", &staff, 200, NULL);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &seoul[1], 200, NULL);

    /* A voided vote stays as it is. */
    snprintf(q, sizeof q,
             "UPDATE votes SET voided_at = now(), voided_reason = 'test' WHERE account_id = %ld",
             seoul[1].id);
    harness_sql(DB, q);
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", bangkok_case);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &seoul[1], 409, "vote_voided");
    /* A judge of the category does not vote in it. */
    snprintf(q, sizeof q, "INSERT INTO judge_assignments (category_id, judge_id) VALUES (%ld, %ld)",
             cat1, judge.id);
    harness_sql(DB, q);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &judge, 403, "judge_cannot_vote");
}
END_TEST

START_TEST(voting_phase_edges)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long a = submitted_case(cycle, cat1, &seoul[0]);
    char body[64];
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", a);
    static const int before_open[6] = {-7200, -3600, 1, 3600, 1, 3600};
    edge_expect(cycle, before_open, NULL, "GET", vpath(cat1, "candidates"), NULL, NULL, 409,
                "voting_closed");
    char undo[160];
    snprintf(undo, sizeof undo,
             "DELETE FROM votes WHERE account_id = %ld; DELETE FROM vote_changes WHERE "
             "account_id = %ld",
             voters[1].id, voters[1].id);
    long st;
    json_t *j =
        edge_json(cycle, before_open, undo, "PUT", vpath(cat1, "vote"), body, &voters[1], &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "voting_closed");
    json_t *err = json_object_get(j, "error");
    ck_assert_str_eq(json_string_value(json_object_get(err, "phase")), "submission");
    ck_assert(json_is_string(json_object_get(err, "opens_at")));
    json_decref(j);
    aw_set_windows(DB, cycle, -7200, -3600, -1, 3600, -1, 3600);
    HEXPECT(&srv, "GET", vpath(cat1, "candidates"), NULL, NULL, 200, NULL);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &voters[1], 200, NULL);
    /* A late first try may already have withdrawn the vote: the retry
     * needs it back (else 404 vote_not_found). */
    char revote[320];
    snprintf(revote, sizeof revote,
             "INSERT INTO votes (cycle_id, category_id, account_id, submission_id) VALUES "
             "(%ld, %ld, %ld, %ld) ON CONFLICT DO NOTHING",
             cycle, cat1, voters[1].id, a);
    static const int before_close[6] = {-7200, -3600, -3600, 1, -3600, 3600};
    edge_expect(cycle, before_close, revote, "DELETE", vpath(cat1, "vote"), NULL, &voters[1], 200,
                NULL);
    aw_set_windows(DB, cycle, -7200, -3600, -3600, -1, -3600, 3600);
    j = hcall_json(&srv, "PUT", vpath(cat1, "vote"), body, &voters[1], &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "voting_closed");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "phase")),
                     "evaluation");
    json_decref(j);
    HEXPECT(&srv, "DELETE", vpath(cat1, "vote"), NULL, &voters[1], 409, "voting_closed");
}
END_TEST

struct race_arg {
    const struct server *srv;
    long category;
    long submission;
    long status;
};

static void *race_one(void *p)
{
    struct race_arg *a = p;
    char body[64], path[96];
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", a->submission);
    snprintf(path, sizeof path, "/api/awards/categories/%ld/vote", a->category);
    static const char *const agent[] = {"User-Agent: RaceTest", NULL};
    struct hresp r;
    a->status = hcall_body(a->srv, "PUT", path, "application/json", body, strlen(body), &voters[2],
                           agent, &r);
    hresp_free(&r);
    return NULL;
}

/* 100 votes by one account at once, for two cases in turn, sent to two
 * server processes on one database: one row, each answer 200 or 429, at
 * most 30 changes recorded. */
START_TEST(hundred_concurrent_votes_leave_one_row)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long a = submitted_case(cycle, cat1, &seoul[0]);
    long b = submitted_case(cycle, cat1, &bangkok);
    open_voting(cycle);
    struct server srv2;
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_DB_POOL_SIZE=8",
                         "CONVENE_DB_POOL_WAIT_MS=10000", "CONVENE_MAIL_SENDERS=0", NULL};
    ck_assert_int_eq(harness_server_start(&srv2, DB, env), 0);
    enum { N = 100 };
    pthread_t t[N];
    struct race_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct race_arg){
            .srv = i % 4 < 2 ? &srv : &srv2, .category = cat1, .submission = i % 2 ? a : b};
        pthread_create(&t[i], NULL, race_one, &args[i]);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(args[i].status == 200 || args[i].status == 429, "vote %d: %ld", i,
                      args[i].status);
        ok += args[i].status == 200;
    }
    ck_assert_int_eq(harness_server_stop(&srv2), 0);
    ck_assert_int_ge(ok, 30);
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM votes WHERE account_id = %ld AND category_id = %ld",
             voters[2].id, cat1);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    snprintf(q, sizeof q, "SELECT count(*) FROM vote_changes WHERE account_id = %ld", voters[2].id);
    ck_assert_int_le(harness_sql_long(DB, q), 30);
    /* Over the limit, the same choice again is still answered. */
    snprintf(q, sizeof q, "SELECT submission_id FROM votes WHERE account_id = %ld", voters[2].id);
    long current = harness_sql_long(DB, q);
    char body[64];
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", current);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "PUT", vpath(cat1, "vote"), body, &voters[2], &r), 200);
    hresp_free(&r);
}
END_TEST

/* 30 changes an hour, then 429 with Retry-After. */
START_TEST(thirty_vote_changes_an_hour)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long a = submitted_case(cycle, cat1, &seoul[0]);
    long b = submitted_case(cycle, cat1, &bangkok);
    open_voting(cycle);
    char body[64];
    for (int i = 0; i < 30; i++) {
        snprintf(body, sizeof body, "{\"submission_id\":%ld}", i % 2 ? a : b);
        HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &voters[3], 200, NULL);
    }
    /* The last change chose a (i = 29); b is a change. */
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", b);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "PUT", vpath(cat1, "vote"), body, &voters[3], &r), 429);
    char ra[16];
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", ra, sizeof ra));
    hresp_free(&r);
    HEXPECT(&srv, "DELETE", vpath(cat1, "vote"), NULL, &voters[3], 429, "rate_limited");
    /* An hour later the voter may change again. */
    char q[160];
    snprintf(q, sizeof q,
             "UPDATE vote_changes SET changed_at = changed_at - interval '61 minutes' "
             "WHERE account_id = %ld",
             voters[3].id);
    harness_sql(DB, q);
    HEXPECT(&srv, "PUT", vpath(cat1, "vote"), body, &voters[3], 200, NULL);
}
END_TEST

/* ---- Jury ---- */

/* Whether judge is conflicted with case sub, as staff see it. */
static bool conflicted(long sub, const struct hsession *j, const char *source)
{
    char q[256];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM convene_conflicts(%ld, %ld) WHERE NOT waived AND "
             "source = '%s'",
             sub, j->id, source);
    return harness_sql_long(DB, q) > 0;
}

START_TEST(judges_and_conflicts)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long seoul_case = submitted_case(cycle, cat1, &seoul[0]);
    long bkk_case = submitted_case(cycle, cat1, &bangkok);
    char path[128], body[128];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges", cat1);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge_bkk.id);
    HEXPECT(&srv, "POST", path, body, &seoul[0], 403, "forbidden");
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    HEXPECT(&srv, "POST", path, body, &staff, 200, NULL);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge_suwon.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", seoul[0].id);
    long st;
    json_t *j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "account_id"), "invalid_choice");
    json_decref(j);
    j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
    json_decref(j);
    char q[256];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'judge.assigned' AND target_id = "
             "'%ld'",
             cat1);
    ck_assert_int_eq(harness_sql_long(DB, q), 2);

    /* Same organisation; and still after the judge moves elsewhere. */
    ck_assert(conflicted(bkk_case, &judge_bkk, "organisation"));
    ck_assert(!conflicted(seoul_case, &judge_bkk, "organisation"));
    snprintf(q, sizeof q,
             "UPDATE accounts SET organisation_id = (SELECT id FROM organisations WHERE name = "
             "'Kathmandu Metropolitan City') WHERE id = %ld",
             judge_bkk.id);
    harness_sql(DB, q);
    ck_assert(conflicted(bkk_case, &judge_bkk, "organisation"));
    /* Same country only when the cycle says so. */
    ck_assert(!conflicted(seoul_case, &judge_suwon, "country"));
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/awards/cycles/%ld", cycle);
    HEXPECT(&srv, "PATCH", cpath, "{\"country_conflicts\":true}", &staff, 200, NULL);
    ck_assert(conflicted(seoul_case, &judge_suwon, "country"));

    /* A judge declares a conflict: its scores of the case go. */
    snprintf(q, sizeof q,
             "INSERT INTO scores (submission_id, judge_id, criterion_id, value) SELECT %ld, %ld, "
             "id, 5 FROM award_criteria WHERE cycle_id = %ld",
             bkk_case, judge_suwon.id, cycle);
    harness_sql(DB, q);
    char spath[96];
    snprintf(spath, sizeof spath, "/api/submissions/%ld/conflicts", bkk_case);
    HEXPECT(&srv, "POST", spath, "{}", &judge_suwon, 422, "validation_failed");
    HEXPECT(&srv, "POST", spath, "{\"reason\":\"I advised them.\"}", &judge, 404, "not_found");
    j = hcall_json(&srv, "POST", spath, "{\"reason\":\"I advised them.\"}", &judge_suwon, &st);
    ck_assert_int_eq(st, 201);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "declared");
    json_decref(j);
    snprintf(q, sizeof q, "SELECT count(*) FROM scores WHERE submission_id = %ld", bkk_case);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
    ck_assert(conflicted(bkk_case, &judge_suwon, "declared"));
    /* The organisation asks for one; another organisation cannot. */
    snprintf(spath, sizeof spath, "/api/submissions/%ld/conflicts", seoul_case);
    snprintf(body, sizeof body, "{\"judge_id\":%ld,\"reason\":\"Former colleague.\"}",
             judge_bkk.id);
    HEXPECT(&srv, "POST", spath, body, &bangkok, 404, "not_found");
    HEXPECT(&srv, "POST", spath, body, &seoul[1], 201, NULL);
    ck_assert(conflicted(seoul_case, &judge_bkk, "requested"));
    snprintf(body, sizeof body, "{\"judge_id\":%ld,\"reason\":\"Not a judge here.\"}", judge.id);
    j = hcall_json(&srv, "POST", spath, body, &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "judge_id"), "invalid_choice");
    json_decref(j);
    j = hcall_json(&srv, "GET", spath, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "judges")), 2);
    json_decref(j);
    HEXPECT(&srv, "GET", spath, NULL, &seoul[0], 403, "forbidden");

    /* Staff waive any conflict but the organisation one. */
    char wpath[160];
    snprintf(wpath, sizeof wpath, "/api/submissions/%ld/conflicts/%ld/waive", seoul_case,
             judge_suwon.id);
    HEXPECT(&srv, "POST", wpath, "{\"source\":\"country\"}", &seoul[0], 403, "forbidden");
    HEXPECT(&srv, "POST", wpath, "{\"source\":\"declared\"}", &staff, 404, "not_found");
    HEXPECT(&srv, "POST", wpath, "{\"source\":\"everything\"}", &staff, 422, "validation_failed");
    HEXPECT(&srv, "POST", wpath, "{\"source\":\"country\"}", &staff, 200, NULL);
    ck_assert(!conflicted(seoul_case, &judge_suwon, "country"));
    snprintf(wpath, sizeof wpath, "/api/submissions/%ld/conflicts/%ld/waive", bkk_case,
             judge_bkk.id);
    HEXPECT(&srv, "POST", wpath, "{\"source\":\"organisation\"}", &staff, 409,
            "conflict_not_waivable");
    ck_assert(conflicted(bkk_case, &judge_bkk, "organisation"));

    /* Judges read the cases of their category once evaluation opens,
     * unless conflicted. */
    char sub_seoul[64], sub_bkk[64];
    snprintf(sub_seoul, sizeof sub_seoul, "/api/submissions/%ld", seoul_case);
    snprintf(sub_bkk, sizeof sub_bkk, "/api/submissions/%ld", bkk_case);
    HEXPECT(&srv, "GET", sub_seoul, NULL, &judge_suwon, 404, "not_found");
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -1, 86400);
    HEXPECT(&srv, "GET", sub_seoul, NULL, &judge_suwon, 200, NULL);
    HEXPECT(&srv, "GET", sub_bkk, NULL, &judge_suwon, 404, "not_found"); /* declared */
    HEXPECT(&srv, "GET", sub_seoul, NULL, &judge_bkk, 404, "not_found"); /* requested */
    HEXPECT(&srv, "GET", sub_bkk, NULL, &judge_bkk, 404, "not_found");   /* organisation */
    HEXPECT(&srv, "GET", sub_seoul, NULL, &judge, 404, "not_found");     /* not assigned */
    /* One rule decides who reads a case, all its files and its scores. */
    snprintf(q, sizeof q,
             "INSERT INTO submission_files (submission_id, filename, content_type, size, sha256, "
             "data, visibility) SELECT x, 'jury-only.pdf', 'application/pdf', 3, sha256('abc'), "
             "'abc', 'jury' FROM unnest(ARRAY[%ld, %ld]) x",
             seoul_case, bkk_case);
    harness_sql(DB, q);
    const struct hsession *readers[] = {&judge_suwon, &judge_bkk, &judge, &seoul[0], &staff};
    const long cases[] = {seoul_case, bkk_case};
    for (size_t i = 0; i < ARRAY_LEN(readers); i++) {
        for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
            char p1[96], p2[96], p3[96];
            snprintf(p1, sizeof p1, "/api/submissions/%ld", cases[k]);
            snprintf(p2, sizeof p2, "/api/submissions/%ld/files", cases[k]);
            snprintf(p3, sizeof p3, "/api/submissions/%ld/scores", cases[k]);
            long case_st, files_st, scores_st;
            json_decref(hcall_json(&srv, "GET", p1, NULL, readers[i], &case_st));
            struct hresp r;
            files_st = hcall(&srv, "GET", p2, NULL, readers[i], &r);
            bool jury = r.body != NULL && strstr(r.body, "jury-only.pdf") != NULL;
            hresp_free(&r);
            json_decref(hcall_json(&srv, "GET", p3, NULL, readers[i], &scores_st));
            ck_assert_int_eq(files_st, 200); /* a public candidate: its public files */
            ck_assert_msg(jury == (case_st == 200), "case %ld as reader %zu: case %ld, jury %d",
                          cases[k], i, case_st, jury);
            /* The scores: the case's judges and staff, no one else. */
            bool scorer = readers[i] != &seoul[0] && case_st == 200;
            ck_assert_int_eq(scores_st, scorer ? 200 : 404);
        }
    }
    static const int before_eval[6] = {-7200, -3600, -60, 86400, 1, 86400};
    edge_expect(cycle, before_eval, NULL, "GET", sub_seoul, NULL, &judge_suwon, 404, "not_found");

    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges/%ld", cat1, judge_suwon.id);
    HEXPECT(&srv, "DELETE", path, NULL, &staff, 200, NULL);
    HEXPECT(&srv, "DELETE", path, NULL, &staff, 404, "not_found");
}
END_TEST

/* `convene seed` loads the 2023 cycle once: four categories, seven
 * criteria on a 1-10 scale with equal weights, the ceremony's day. */
/* Judges score every criterion while evaluation is open, unless
 * conflicted; their list shows their own status only. */
START_TEST(judges_score_their_cases)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long seoul_case = submitted_case(cycle, cat1, &seoul[0]);
    long bkk_case = submitted_case(cycle, cat1, &bangkok);
    char path[128], body[256], q[256];
    /* (An earlier test moved this judge to Kathmandu.) */
    snprintf(q, sizeof q,
             "UPDATE accounts SET organisation_id = (SELECT id FROM organisations WHERE name = "
             "'Bangkok Metropolitan Administration') WHERE id = %ld",
             judge_bkk.id);
    harness_sql(DB, q);
    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges", cat1);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge_suwon.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge_bkk.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    snprintf(q, sizeof q, "SELECT min(id) FROM award_criteria WHERE cycle_id = %ld", cycle);
    long k1 = harness_sql_long(DB, q);
    long k2 = k1 + 1;
    char spath[96];
    snprintf(spath, sizeof spath, "/api/submissions/%ld/scores", seoul_case);
    char good[256];
    snprintf(good, sizeof good,
             "{\"scores\":{\"%ld\":7,\"%ld\":10},\"comment\":\"Strong.\",\"feedback\":\"Well "
             "documented.\"}",
             k1, k2);

    /* One second before evaluation opens: 409; one second after: 200. */
    static const int before_eval[6] = {-7200, -3600, -60, 86400, 1, 86400};
    snprintf(q, sizeof q,
             "DELETE FROM scores WHERE judge_id = %ld; DELETE FROM score_notes WHERE "
             "judge_id = %ld",
             judge_suwon.id, judge_suwon.id);
    long st;
    json_t *j = edge_json(cycle, before_eval, q, "PUT", spath, good, &judge_suwon, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "evaluation_closed");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "phase")),
                     "voting");
    json_decref(j);
    j = edge_json(cycle, before_eval, NULL, "GET", "/api/me/judging", NULL, &judge_suwon, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -1, 86400);
    j = hcall_json(&srv, "PUT", spath, good, &judge_suwon, &st);
    ck_assert_int_eq(st, 200);
    char key[24];
    snprintf(key, sizeof key, "%ld", k2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "scores"), key)), 10);
    json_decref(j);
    snprintf(q, sizeof q,
             "SELECT sum(value) FROM scores WHERE submission_id = %ld AND judge_id = %ld",
             seoul_case, judge_suwon.id);
    ck_assert_int_eq(harness_sql_long(DB, q), 17);
    /* Again with other values: replaced, not added. */
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":1,\"%ld\":2}}", k1, k2);
    HEXPECT(&srv, "PUT", spath, body, &judge_suwon, 200, NULL);
    ck_assert_int_eq(harness_sql_long(DB, q), 3);

    /* Missing, extra, out of range, not whole: 422 on each criterion. */
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":11,\"99999\":3}}", k1);
    j = hcall_json(&srv, "PUT", spath, body, &judge_suwon, &st);
    ck_assert_int_eq(st, 422);
    char f1[32], f2[32];
    snprintf(f1, sizeof f1, "scores.%ld", k1);
    snprintf(f2, sizeof f2, "scores.%ld", k2);
    ck_assert_str_eq(hjson_field_code(j, f1), "out_of_range");
    ck_assert_str_eq(hjson_field_code(j, f2), "required");
    ck_assert_str_eq(hjson_field_code(j, "scores.99999"), "unknown_member");
    json_decref(j);
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":7.5,\"%ld\":\"8\"}}", k1, k2);
    j = hcall_json(&srv, "PUT", spath, body, &judge_suwon, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, f1), "invalid_type");
    ck_assert_str_eq(hjson_field_code(j, f2), "invalid_type");
    json_decref(j);
    ck_assert_int_eq(harness_sql_long(DB, q), 3);

    /* Conflicted (same organisation), not assigned, not a judge. */
    char bpath[96];
    snprintf(bpath, sizeof bpath, "/api/submissions/%ld/scores", bkk_case);
    HEXPECT(&srv, "PUT", bpath, good, &judge_bkk, 403, "judge_conflicted");
    HEXPECT(&srv, "PUT", spath, good, &judge, 404, "not_found");
    HEXPECT(&srv, "PUT", spath, good, &staff, 403, "forbidden");

    /* The list: own cases by id, own status, nothing about others. */
    j = hcall_json(&srv, "GET", "/api/me/judging", NULL, &judge_bkk, &st);
    ck_assert_int_eq(st, 200);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), 1); /* not its own organisation's case */
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 0), "submission_id")),
                     seoul_case);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "status")),
                     "missing");
    json_decref(j);
    j = hcall_json(&srv, "GET", "/api/me/judging", NULL, &judge_suwon, &st);
    items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "status")),
                     "scored");
    json_decref(j);

    /* A declared conflict takes the judge's scores away. */
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/submissions/%ld/conflicts", seoul_case);
    HEXPECT(&srv, "POST", cpath, "{\"reason\":\"Family ties.\"}", &judge_suwon, 201, NULL);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
    HEXPECT(&srv, "PUT", spath, good, &judge_suwon, 403, "judge_conflicted");

    /* One second after evaluation closes: 409. */
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -3600, -1);
    snprintf(bpath, sizeof bpath, "/api/submissions/%ld/scores", bkk_case);
    HEXPECT(&srv, "PUT", bpath, good, &judge_suwon, 409, "evaluation_closed");
}
END_TEST

/*
 * Progress, worked out by hand (two criteria, weight 1, scale 10, so
 * S = 100 * (x1 + x2) / 20 = 5 * (x1 + x2)):
 *   case A: judge 1 scores 7 + 10 -> 85; judge 2 scores 5 + 5 -> 50;
 *           judge 3 is of A's organisation (conflicted, left out).
 *           mean 67.5, median 67.5, population sd 17.5, range 35.
 *   case B: judge 1 scores 10 + 10 -> 100; judges 2 and 3 have not
 *           scored yet. mean 100, sd 0, range 0.
 * By disagreement A comes first; per judge: 1 scored 2, 2 scored 1 and
 * misses 1, 3 misses 1 and is conflicted once.
 */
START_TEST(progress_per_judge_and_case)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long case_a = submitted_case(cycle, cat1, &bangkok);
    long case_b = submitted_case(cycle, cat1, &seoul[0]);
    struct hsession j1, j2, j3;
    aw_make_user(DB, &j1, "pjudge", "CityNet Secretariat", true, "judge");
    aw_make_user(DB, &j2, "pjudge", "Habitat Partner", true, "judge");
    aw_make_user(DB, &j3, "pjudge", "Bangkok Metropolitan Administration", true, "judge");
    const struct hsession *judges[] = {&j1, &j2, &j3};
    char path[128], body[160], q[160];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges", cat1);
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof body, "{\"account_id\":%ld}", judges[i]->id);
        HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    }
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -60, 86400);
    snprintf(q, sizeof q, "SELECT min(id) FROM award_criteria WHERE cycle_id = %ld", cycle);
    long k1 = harness_sql_long(DB, q);
    struct {
        const struct hsession *judge;
        long sub;
        int x1, x2;
    } given[] = {{&j1, case_a, 7, 10}, {&j2, case_a, 5, 5}, {&j1, case_b, 10, 10}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/api/submissions/%ld/scores", given[i].sub);
        snprintf(body, sizeof body, "{\"scores\":{\"%ld\":%d,\"%ld\":%d}}", k1, given[i].x1, k1 + 1,
                 given[i].x2);
        HEXPECT(&srv, "PUT", path, body, given[i].judge, 200, NULL);
    }
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/progress?sort=disagreement", cycle);
    HEXPECT(&srv, "GET", path, NULL, &j1, 403, "forbidden");
    long st;
    json_t *j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    json_t *cases = json_object_get(j, "cases");
    ck_assert_int_eq(json_array_size(cases), 2);
    json_t *a = json_array_get(cases, 0), *b = json_array_get(cases, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "submission_id")), case_a);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "eligible_judges")), 2);
    ck_assert_double_eq_tol(json_number_value(json_object_get(a, "mean")), 67.5, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(a, "median")), 67.5, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(a, "stddev")), 17.5, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(a, "range")), 35, 1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "submission_id")), case_b);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "eligible_judges")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "scored")), 1);
    ck_assert_double_eq_tol(json_number_value(json_object_get(b, "mean")), 100, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(b, "stddev")), 0, 1e-9);
    json_t *per_judge = json_object_get(j, "judges");
    ck_assert_int_eq(json_array_size(per_judge), 3);
    size_t i;
    json_t *g;
    json_array_foreach(per_judge, i, g)
    {
        long id = (long)json_integer_value(json_object_get(g, "judge_id"));
        long scored = (long)json_integer_value(json_object_get(g, "scored"));
        long missing = (long)json_integer_value(json_object_get(g, "missing"));
        long conflicted_n = (long)json_integer_value(json_object_get(g, "conflicted"));
        if (id == j1.id)
            ck_assert(scored == 2 && missing == 0 && conflicted_n == 0);
        else if (id == j2.id)
            ck_assert(scored == 1 && missing == 1 && conflicted_n == 0);
        else
            ck_assert(scored == 0 && missing == 1 && conflicted_n == 1);
    }
    json_decref(j);
    /* Under min_judges: with 3 required, A (2 eligible judges) is flagged,
     * B (3) is not; without a sort, cases come by id. */
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", cycle);
    HEXPECT(&srv, "PATCH", path, "{\"min_judges\":3}", &staff, 200, NULL);
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/progress", cycle);
    j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    cases = json_object_get(j, "cases");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(cases, 0), "submission_id")),
                     case_a);
    ck_assert(json_is_true(json_object_get(json_array_get(cases, 0), "under_min_judges")));
    ck_assert(json_is_false(json_object_get(json_array_get(cases, 1), "under_min_judges")));
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/awards/cycles/99999999/progress", NULL, &staff, 404, "not_found");
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/progress?sort=best", cycle);
    HEXPECT(&srv, "GET", path, NULL, &staff, 400, "bad_request");
}
END_TEST

START_TEST(seed_loads_the_2023_cycle_once)
{
    char url[512], env_url[600], err[2048];
    snprintf(url, sizeof url, "%s", harness_fresh_db("awards_seed"));
    snprintf(env_url, sizeof env_url, "CONVENE_DATABASE_URL=%s", url);
    const char *env[] = {env_url, "CONVENE_ARGON2_MEMLIMIT=8M", "CONVENE_ARGON2_OPSLIMIT=1", NULL};
    const char *migrate[] = {"migrate", NULL};
    ck_assert_int_eq(harness_run_convene(migrate, env, err, sizeof err), 0);
    const char *seed[] = {"seed", NULL};
    for (int round = 0; round < 2; round++) {
        ck_assert_msg(harness_run_convene(seed, env, err, sizeof err) == 0, "seed: %s", err);
        char *out = harness_psql(
            "awards_seed",
            "SELECT count(*) || ' ' || (SELECT count(*) FROM award_categories) || ' ' || "
            "(SELECT count(*) FROM award_criteria WHERE scale_max = 10 AND weight = 1) || ' ' || "
            "min(ceremony_on) || ' ' || min(jury_weight + public_weight) FROM award_cycles "
            "WHERE year = 2023");
        ck_assert_ptr_nonnull(out);
        ck_assert_str_eq(out, "1 4 7 2023-10-25 1.0000");
        free(out);
    }
}
END_TEST

START_TEST(bad_input_never_gets_a_server_error)
{
    struct {
        const char *method, *path, *body;
    } cases[] = {
        {"POST", "/api/awards/cycles", "[]"},
        {"POST", "/api/awards/cycles", "{\"year\":\"2030\",\"jury_weight\":\"0.5\"}"},
        {"POST", "/api/awards/cycles",
         "{\"year\":2030,\"title\":\"x\",\"submission_opens_at\":\"2030-02-30T00:00:00Z\"}"},
        {"POST", "/api/awards/cycles", "{\"categories\":[1,{\"id\":\"a\"},{\"name\":\"\"}]}"},
        {"POST", "/api/awards/cycles", "{\"eligible_kinds\":[\"member_city\",\"member_city\"]}"},
        {"POST", "/api/awards/cycles", "{\"ceremony_on\":\"2023-13-01\",\"title\":\"\\u0000\"}"},
        {"PATCH", "/api/awards/cycles/99999999", "{\"title\":\"ghost\"}"},
        {"PATCH", "/api/awards/cycles/1", "{\"categories\":[{\"id\":99999999,\"name\":\"x\"}]}"},
        {"PATCH", "/api/awards/cycles/1", "{\"jury_weight\":1e400}"},
        {"PATCH", "/api/awards/cycles/1", "{\"voting_opens_at\":\"99999-01-01T00:00:00Z\"}"},
        {"PATCH", "/api/awards/cycles/1", "{\"min_judges\":1.5,\"normalise\":\"yes\"}"},
        {"GET", "/api/awards/cycles/999999999999999999", NULL},
        {"GET", "/api/awards/cycles/99999999999999999999", NULL},
        {"POST", "/api/awards/cycles/99999999/submissions", "{}"},
        {"POST", "/api/awards/cycles/1/submissions",
         "{\"category_id\":-1,\"sdgs\":\"11\",\"title\":5,\"summary\":[],\"description\":{}}"},
        {"POST", "/api/awards/cycles/1/submissions",
         "{\"category_id\":1,\"sdgs\":[0,18,1.5],\"title\":\"t\",\"summary\":\"s\","
         "\"description\":\"d\",\"gallery_consent\":\"yes\"}"},
        {"PATCH", "/api/submissions/99999999", "{\"title\":\"x\"}"},
        {"PATCH", "/api/submissions/1", "[1]"},
        {"POST", "/api/submissions/99999999/submit", NULL},
        {"POST", "/api/submissions/99999999/withdraw", "{\"x\":1}"},
        {"GET", "/api/submissions/0", NULL},
        {"PUT", "/api/awards/categories/99999999/vote", "{\"submission_id\":1}"},
        {"PUT", "/api/awards/categories/1/vote", "{\"submission_id\":\"1\"}"},
        {"PUT", "/api/awards/categories/1/vote", "{\"submission_id\":9007199254740993}"},
        {"GET", "/api/awards/categories/99999999/vote", NULL},
        {"GET", "/api/awards/categories/99999999/candidates", NULL},
        {"POST", "/api/awards/categories/99999999/judges", "{\"account_id\":1}"},
        {"POST", "/api/awards/categories/1/judges", "{\"account_id\":99999999}"},
        {"DELETE", "/api/awards/categories/1/judges/99999999", NULL},
        {"POST", "/api/submissions/99999999/conflicts", "{\"reason\":\"x\"}"},
        {"POST", "/api/submissions/1/conflicts", "{\"reason\":\"x\",\"judge_id\":99999999}"},
        {"POST", "/api/submissions/1/conflicts/99999999/waive", "{\"source\":\"staff\"}"},
        {"GET", "/api/submissions/99999999/conflicts", NULL},
        {"GET", "/api/awards/cycles/99999999/vote-report", NULL},
        {"POST", "/api/awards/votes/99999999/void", "{\"reason\":[]}"},
        {"PUT", "/api/submissions/99999999/scores", "{\"scores\":{}}"},
        {"PUT", "/api/submissions/1/scores", "{\"scores\":[1,2]}"},
        {"PUT", "/api/submissions/1/scores", "{\"scores\":{\"1\":1e3},\"x\":1}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct hsession *who[] = {NULL, &seoul[0], &staff};
        for (size_t k = 0; k < 3; k++) {
            struct hresp r;
            long st = hcall(&srv, cases[i].method, cases[i].path, cases[i].body, who[k], &r);
            ck_assert_msg(st >= 400 && st < 500, "%s %s as %zu gave %ld: %s", cases[i].method,
                          cases[i].path, k, st, r.body);
            if (st != 405 && r.len > 0) {
                json_t *j = json_loads(r.body, 0, NULL);
                ck_assert_msg(json_object_get(json_object_get(j, "error"), "code") != NULL,
                              "no JSON error for %s %s", cases[i].method, cases[i].path);
                json_decref(j);
            }
            hresp_free(&r);
        }
    }
}
END_TEST

/* Votes u for submission in category from client address addr; returns
 * the status. */
static long vote_from(const struct hsession *u, long category, long submission, const char *addr)
{
    char body[64], xff[80];
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", submission);
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s", addr);
    const char *const from[] = {xff, NULL};
    struct hresp r;
    hcall_body(&srv, "PUT", vpath(category, "vote"), "application/json", body, strlen(body), u,
               from, &r);
    long st = r.status;
    hresp_free(&r);
    return st;
}

/* Does list (an array of objects) hold an object whose member key is the
 * string want? */
static bool has_entry(json_t *list, const char *key, const char *want)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (str_eq(json_string_value(json_object_get(e, key)), want))
            return true;
    }
    return false;
}

START_TEST(vote_report_and_void)
{
    long cat1, cat2;
    long cycle = make_cycle(&cat1, &cat2);
    long a = submitted_case(cycle, cat1, &seoul[0]);
    submitted_case(cycle, cat1, &bangkok);
    open_voting(cycle);
    struct hsession r1, r2;
    aw_make_user(DB, &r1, "reporter", "Kathmandu Metropolitan City", true, "participant");
    aw_make_user(DB, &r2, "reporter", "Kathmandu Metropolitan City", true, "participant");
    char q[512];
    /* One mailbox with two aliases; r1 is older than the vote, r2 new. */
    snprintf(q, sizeof q,
             "UPDATE accounts SET email = CASE id WHEN %ld THEN 'Clerk+a@kathmandu.example' "
             "ELSE 'clerk+b@kathmandu.example' END, created_at = CASE id WHEN %ld THEN "
             "now() - interval '1 day' ELSE created_at END, email_verified_at = CASE id WHEN "
             "%ld THEN now() - interval '1 day' ELSE email_verified_at END WHERE id IN (%ld, %ld)",
             r1.id, r1.id, r1.id, r1.id, r2.id);
    harness_sql(DB, q);
    ck_assert_int_eq(vote_from(&r1, cat1, a, "198.51.100.7"), 200);
    ck_assert_int_eq(vote_from(&r2, cat1, a, "198.51.100.9"), 200);
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/awards/cycles/%ld", cycle);
    HEXPECT(&srv, "PATCH", cpath, "{\"self_vote\":true}", &staff, 200, NULL);
    ck_assert_int_eq(vote_from(&seoul[1], cat1, a, "2001:db8:1:2::5"), 200);

    char rpath[96];
    snprintf(rpath, sizeof rpath, "/api/awards/cycles/%ld/vote-report", cycle);
    HEXPECT(&srv, "GET", rpath, NULL, &r1, 403, "forbidden");
    long st;
    json_t *j = hcall_json(&srv, "GET", rpath, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "votes")), 3);
    json_t *nets = json_object_get(j, "networks");
    ck_assert_int_eq(json_array_size(nets), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(nets, 0), "network")),
                     "198.51.100.0/24");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(nets, 0), "accounts")), 2);
    json_t *fresh = json_object_get(j, "new_accounts");
    char want[64];
    snprintf(want, sizeof want, "%ld", r2.id);
    bool r2_new = false, r1_new = false;
    size_t i;
    json_t *e;
    json_array_foreach(fresh, i, e)
    {
        long acct = (long)json_integer_value(json_object_get(e, "account_id"));
        r2_new |= acct == r2.id;
        r1_new |= acct == r1.id;
    }
    ck_assert(r2_new && !r1_new);
    ck_assert(has_entry(json_object_get(j, "aliases"), "mailbox", "clerk@kathmandu.example"));
    ck_assert(has_entry(json_object_get(j, "shared_domains"), "domain", "kathmandu.example"));
    json_t *own = json_object_get(j, "own_organisation");
    ck_assert_int_eq(json_array_size(own), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(own, 0), "account_id")),
                     seoul[1].id);
    ck_assert_int_ge(json_array_size(json_object_get(j, "bursts")), 1);
    json_decref(j);

    /* Staff void r2's vote: it stays, flagged, and cannot change. */
    snprintf(q, sizeof q, "SELECT id FROM votes WHERE account_id = %ld", r2.id);
    long vote = harness_sql_long(DB, q);
    char vpath_[96];
    snprintf(vpath_, sizeof vpath_, "/api/awards/votes/%ld/void", vote);
    HEXPECT(&srv, "POST", vpath_, "{\"reason\":\"Alias\"}", &r1, 403, "forbidden");
    HEXPECT(&srv, "POST", vpath_, "{}", &staff, 422, "validation_failed");
    j = hcall_json(&srv, "POST", vpath_, "{\"reason\":\"Alias of another voter.\"}", &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(json_object_get(j, "changed")));
    json_decref(j);
    j = hcall_json(&srv, "POST", vpath_, "{\"reason\":\"Again.\"}", &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "changed")));
    json_decref(j);
    snprintf(q, sizeof q, "SELECT voided_reason FROM votes WHERE id = %ld", vote);
    char *reason = harness_psql(DB, q);
    ck_assert_str_eq(reason, "Alias of another voter.");
    free(reason);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'vote.voided' AND target_id = '%ld'",
             vote);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    HEXPECT(&srv, "DELETE", vpath(cat1, "vote"), NULL, &r2, 409, "vote_voided");
    j = hcall_json(&srv, "GET", rpath, NULL, &staff, &st);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "votes")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "voided")), 1);
    json_decref(j);
    HEXPECT(&srv, "POST", "/api/awards/votes/99999999/void", "{\"reason\":\"x\"}", &staff, 404,
            "not_found");
    snprintf(q, sizeof q, "UPDATE award_cycles SET published_at = now() WHERE id = %ld", cycle);
    harness_sql(DB, q);
    snprintf(q, sizeof q, "SELECT id FROM votes WHERE account_id = %ld", r1.id);
    snprintf(vpath_, sizeof vpath_, "/api/awards/votes/%ld/void", harness_sql_long(DB, q));
    HEXPECT(&srv, "POST", vpath_, "{\"reason\":\"Too late.\"}", &staff, 409, "cycle_published");
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_awards_suite(void)
{
    Suite *s = suite_create("awards");
    TCase *tc = tcase_create("awards");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, staff_create_and_view_a_cycle);
    tcase_add_test(tc, bad_cycles_are_422_on_the_field);
    tcase_add_test(tc, patch_cycle_then_409_after_scores_and_publication);
    tcase_add_test(tc, only_confirmed_members_of_eligible_organisations_submit);
    tcase_add_test(tc, case_limit_per_organisation_and_category);
    tcase_add_test(tc, case_limit_holds_under_concurrency);
    tcase_add_test(tc, edit_submit_withdraw_with_mails);
    tcase_add_test(tc, submission_phase_edges);
    tcase_add_test(tc, my_organisations_cases);
    tcase_add_test(tc, case_visibility);
    tcase_add_test(tc, vote_rules_and_candidates);
    tcase_add_test(tc, voting_phase_edges);
    tcase_add_test(tc, hundred_concurrent_votes_leave_one_row);
    tcase_add_test(tc, thirty_vote_changes_an_hour);
    tcase_add_test(tc, vote_report_and_void);
    tcase_add_test(tc, judges_and_conflicts);
    tcase_add_test(tc, judges_score_their_cases);
    tcase_add_test(tc, progress_per_judge_and_case);
    tcase_add_test(tc, seed_loads_the_2023_cycle_once);
    tcase_add_test(tc, bad_input_never_gets_a_server_error);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
