/*
 * test_awards_edges.c - the edges of the SDG Awards against the real
 * server and PostgreSQL: every member of a cycle refused on its own field
 * with its code (instants with and without zones, leap days, window order,
 * weights, settings, eligible kinds, categories and criteria item by item)
 * and nothing written; PATCH of a cycle (partial, missing, breaking the
 * table's order); the finalists of a publication, a judge's scores, a
 * conflict waiver's source, the progress sort and a case's goals and
 * contact checked before anything is written.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

Suite *make_awards_edges_suite(void);

#define DB "awards_edges"

static struct server srv;
static struct hsession staff, judge, member;

static const char base_cycle[] =
    "{\"year\":2030,\"title\":\"Edge cycle\","
    "\"submission_opens_at\":\"2020-01-01T00:00:00Z\","
    "\"submission_closes_at\":\"2039-01-01T00:00:00Z\","
    "\"voting_opens_at\":\"2039-02-01T00:00:00+09:00\","
    "\"voting_closes_at\":\"2039-03-01T00:00:00Z\","
    "\"evaluation_opens_at\":\"2039-02-01T00:00:00Z\","
    "\"evaluation_closes_at\":\"2039-04-01T00:00:00Z\","
    "\"jury_weight\":0.7,\"public_weight\":0.3,"
    "\"categories\":[{\"name\":\"Climate\"},{\"name\":\"Finance\"}],"
    "\"criteria\":[{\"name\":\"Innovation\",\"weight\":1,\"scale_max\":10},"
    "{\"name\":\"Replicability\",\"weight\":1,\"scale_max\":5}]}";

static void start_all(void)
{
    harness_fresh_db(DB);
    ck_assert_int_eq(harness_server_start(&srv, DB, NULL), 0);
    harness_sql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES "
                    "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', "
                    "'member_city'), ('CityNet Secretariat', 'Seoul', 'Republic of Korea', "
                    "'secretariat')");
    harness_make_users(DB, "awstaff", "Awards staff", 1, "CityNet Secretariat", "staff", &staff);
    harness_make_users(DB, "awjudge", "Awards judge", 1, "CityNet Secretariat", "judge", &judge);
    harness_make_users(DB, "awmember", "Awards member", 1, "Seoul Metropolitan Government",
                       "participant", &member);
    harness_sql(DB, "UPDATE accounts SET organisation_confirmed_at = now() WHERE email LIKE "
                    "'awmember-%'");
}

static void stop_all(void)
{
    harness_server_stop(&srv);
}

/* The base cycle with the members of extra ("{...}") laid over it and
 * those named in drop (NULL-ended, may be NULL) removed; caller frees. */
static char *cycle_with(const char *extra, const char *const *drop)
{
    json_t *body = json_loads(base_cycle, 0, NULL);
    json_t *more = json_loads(extra, 0, NULL);
    ck_assert_msg(more != NULL, "bad test JSON: %s", extra);
    json_object_update(body, more);
    json_decref(more);
    for (size_t i = 0; drop && drop[i]; i++)
        json_object_del(body, drop[i]);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static long count(const char *table)
{
    return harness_sql_longf(DB, "SELECT count(*) FROM %s", table);
}

/* Asserts a 422 whose field `field` has `code`; frees j. */
static void expect_field(json_t *j, long st, const char *what, const char *field, const char *code)
{
    ck_assert_msg(st == 422, "%s: %ld", what, st);
    ck_assert_str_eq(hjson_err_code(j), "validation_failed");
    ck_assert_msg(strcmp(hjson_field_code(j, field), code) == 0, "%s: field %s \"%s\", want %s",
                  what, field, hjson_field_code(j, field), code);
    json_decref(j);
}

/* Creates the base cycle (with extra laid over it); returns its id and
 * fills the ids of its categories and criteria (may be NULL). */
static long make_cycle(const char *extra, long cats[2], long crits[2])
{
    char *text = cycle_with(extra, NULL);
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", text, &staff, &st);
    free(text);
    ck_assert_msg(st == 201, "create cycle: %ld", st);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    for (size_t i = 0; i < 2; i++) {
        if (cats)
            cats[i] = (long)json_integer_value(
                json_object_get(json_array_get(json_object_get(j, "categories"), i), "id"));
        if (crits)
            crits[i] = (long)json_integer_value(
                json_object_get(json_array_get(json_object_get(j, "criteria"), i), "id"));
    }
    json_decref(j);
    return id;
}

/* ---- Cycles ---- */

START_TEST(every_cycle_member_is_checked_on_its_field)
{
    static const char *const no_public[] = {"public_weight", NULL};
    static const char *const no_jury[] = {"jury_weight", NULL};
    static const char *const no_lists[] = {"categories", "criteria", NULL};
    static const char *const no_title[] = {"title", "year", NULL};
    static const struct {
        const char *extra;
        const char *const *drop;
        const char *field;
        const char *code;
    } cases[] = {
        {"{\"year\":1999}", NULL, "year", "out_of_range"},
        {"{\"year\":\"2030\"}", NULL, "year", "invalid_type"},
        {"{}", no_title, "title", "required"},
        {"{}", no_title, "year", "required"},
        {"{\"title\":\"   \"}", NULL, "title", "required"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00:00\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-02-29T00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2100-02-29T00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-04-31T00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-13-01T00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T24:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:60Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00:60Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00:00.Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00+24:00\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00+09:60\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00+0900\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030/01/01T00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01X00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"203a-01-01T00:00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00.00Z\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":\"2030-01-01T00:00:00Zulu\"}", NULL, "submission_opens_at",
         "invalid_format"},
        {"{\"submission_opens_at\":5}", NULL, "submission_opens_at", "invalid_type"},
        /* The order of each window, and of the windows. */
        {"{\"submission_closes_at\":\"2019-12-31T23:59:59Z\"}", NULL, "submission_closes_at",
         "end_before_start"},
        {"{\"submission_closes_at\":\"2020-01-01T09:00:00+09:00\"}", NULL, "submission_closes_at",
         "end_before_start"},
        {"{\"voting_closes_at\":\"2039-01-31T15:00:00Z\"}", NULL, "voting_closes_at",
         "end_before_start"},
        {"{\"evaluation_closes_at\":\"2039-02-01T00:00:00Z\"}", NULL, "evaluation_closes_at",
         "end_before_start"},
        {"{\"evaluation_opens_at\":\"2038-12-01T00:00:00Z\"}", NULL, "submission_closes_at",
         "out_of_range"},
        {"{\"voting_opens_at\":\"2038-12-01T00:00:00Z\"}", NULL, "submission_closes_at",
         "out_of_range"},
        /* Weights and settings. */
        {"{\"jury_weight\":\"0.7\"}", NULL, "jury_weight", "invalid_type"},
        {"{\"jury_weight\":1.5}", NULL, "jury_weight", "out_of_range"},
        {"{\"public_weight\":-0.1}", NULL, "public_weight", "out_of_range"},
        {"{\"public_weight\":0.4}", NULL, "public_weight", "out_of_range"},
        {"{}", no_public, "public_weight", "required"},
        {"{}", no_jury, "jury_weight", "required"},
        {"{\"min_judges\":0}", NULL, "min_judges", "out_of_range"},
        {"{\"finalists_per_category\":101}", NULL, "finalists_per_category", "out_of_range"},
        {"{\"max_cases_per_org\":0}", NULL, "max_cases_per_org", "out_of_range"},
        {"{\"normalise\":\"yes\"}", NULL, "normalise", "invalid_type"},
        {"{\"country_conflicts\":1}", NULL, "country_conflicts", "invalid_type"},
        {"{\"self_vote\":null}", NULL, "self_vote", "invalid_type"},
        {"{\"eligible_kinds\":\"member_city\"}", NULL, "eligible_kinds", "invalid_choice"},
        {"{\"eligible_kinds\":[]}", NULL, "eligible_kinds", "invalid_choice"},
        {"{\"eligible_kinds\":[\"member_city\",\"member_city\"]}", NULL, "eligible_kinds",
         "invalid_choice"},
        {"{\"eligible_kinds\":[\"city\"]}", NULL, "eligible_kinds", "invalid_choice"},
        {"{\"eligible_kinds\":[1]}", NULL, "eligible_kinds", "invalid_choice"},
        {"{\"eligible_kinds\":[\"member_city\",\"partner\",\"national_chapter\","
         "\"secretariat\",\"member_city\"]}",
         NULL, "eligible_kinds", "invalid_choice"},
        {"{\"ceremony_on\":\"2030-02-30\"}", NULL, "ceremony_on", "invalid_format"},
        {"{\"ceremony_on\":\"2030-1-1\"}", NULL, "ceremony_on", "invalid_format"},
        {"{\"ceremony_on\":\"2030-01-01T00\"}", NULL, "ceremony_on", "too_long"},
        {"{\"ceremony_place\":\"a\\nb\"}", NULL, "ceremony_place", "invalid_format"},
        /* Categories and criteria, item by item. */
        {"{}", no_lists, "categories", "required"},
        {"{}", no_lists, "criteria", "required"},
        {"{\"categories\":\"Climate\"}", NULL, "categories", "invalid_type"},
        {"{\"categories\":[]}", NULL, "categories", "out_of_range"},
        {"{\"categories\":[1]}", NULL, "categories.0", "invalid_type"},
        {"{\"categories\":[{\"name\":\"A\",\"colour\":\"red\"}]}", NULL, "categories.0.colour",
         "unknown_member"},
        {"{\"categories\":[{\"name\":\"A\"},{\"description\":\"no name\"}]}", NULL,
         "categories.1.name", "required"},
        {"{\"categories\":[{\"name\":\"A\",\"id\":0}]}", NULL, "categories.0.id", "out_of_range"},
        {"{\"criteria\":[{\"name\":\"A\",\"weight\":0}]}", NULL, "criteria.0.weight",
         "out_of_range"},
        {"{\"criteria\":[{\"name\":\"A\",\"weight\":1001}]}", NULL, "criteria.0.weight",
         "out_of_range"},
        {"{\"criteria\":[{\"name\":\"A\",\"weight\":\"1\"}]}", NULL, "criteria.0.weight",
         "invalid_type"},
        {"{\"criteria\":[{\"name\":\"A\",\"scale_max\":101}]}", NULL, "criteria.0.scale_max",
         "out_of_range"},
        {"{\"criteria\":[{\"name\":\"A\",\"weight\":1,\"rank\":1}]}", NULL, "criteria.0.rank",
         "unknown_member"},
        /* Members that are not part of a cycle, or only shown. */
        {"{\"bogus\":1}", NULL, "bogus", "unknown_member"},
        {"{\"phase\":\"voting\"}", NULL, "phase", "read_only"},
        {"{\"published_at\":null}", NULL, "published_at", "read_only"},
    };
    long before = count("award_cycles");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = cycle_with(cases[i].extra, cases[i].drop);
        long st = 0;
        json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", text, &staff, &st);
        expect_field(j, st, cases[i].extra, cases[i].field, cases[i].code);
        free(text);
    }
    /* 51 categories: too many. */
    json_t *big = json_loads(base_cycle, 0, NULL);
    json_t *cats = json_array();
    for (int i = 0; i < 51; i++)
        json_array_append_new(cats, json_pack("{s:s}", "name", "C"));
    json_object_set_new(big, "categories", cats);
    char *text = json_dumps(big, JSON_COMPACT);
    json_decref(big);
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", text, &staff, &st);
    free(text);
    expect_field(j, st, "51 categories", "categories", "out_of_range");
    ck_assert_int_eq(count("award_cycles"), before);
    HEXPECT(&srv, "POST", "/api/awards/cycles", base_cycle, &member, 403, "forbidden");
    HEXPECT(&srv, "POST", "/api/awards/cycles", base_cycle, NULL, 401, "unauthenticated");
    ck_assert_int_eq(count("award_cycles"), before);
}
END_TEST

START_TEST(good_instants_and_settings_are_stored)
{
    long id = make_cycle("{\"submission_opens_at\":\"2028-02-29T23:30:00.25-01:00\","
                         "\"eligible_kinds\":[\"partner\",\"member_city\"],"
                         "\"ceremony_on\":\"2032-02-29\",\"ceremony_place\":\" Seoul \","
                         "\"normalise\":false,\"min_judges\":3,\"finalists_per_category\":0}",
                         NULL, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM award_cycles WHERE id = %ld AND "
                                       "submission_opens_at = '2028-03-01T00:30:00.25Z' AND "
                                       "ceremony_on = '2032-02-29' AND ceremony_place = 'Seoul' "
                                       "AND min_judges = 3 AND finalists_per_category = 0 AND "
                                       "eligible_kinds @> '{partner,member_city}' AND "
                                       "cardinality(eligible_kinds) = 2",
                                       id),
                     1);
}
END_TEST

START_TEST(patching_a_cycle)
{
    long id = make_cycle("{}", NULL, NULL);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", id);
    /* Partial: only what is named changes, and it is logged. */
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"  Renamed  \"}", &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM award_cycles WHERE id = %ld AND "
                                       "title = 'Renamed' AND year = 2030",
                                       id),
                     1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'award_cycle.updated' AND target_id = '%ld'",
                                       id),
                     1);
    /* A PATCH needs nothing, but what it names is checked. */
    long st = 0;
    json_t *j = hcall_json(&srv, "PATCH", path, "{\"year\":2101}", &staff, &st);
    expect_field(j, st, "year", "year", "out_of_range");
    j = hcall_json(&srv, "PATCH", path, "{\"categories\":[]}", &staff, &st);
    expect_field(j, st, "categories", "categories", "out_of_range");
    /* One end of a window named: the table's order still holds. */
    j = hcall_json(&srv, "PATCH", path, "{\"voting_closes_at\":\"2039-01-15T00:00:00Z\"}", &staff,
                   &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_err_code(j), "validation_failed");
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM award_cycles WHERE id = %ld AND "
                                       "voting_closes_at = '2039-03-01T00:00:00Z'",
                                       id),
                     1);
    HEXPECT(&srv, "PATCH", "/api/awards/cycles/987654", "{\"title\":\"X\"}", &staff, 404,
            "not_found");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"X\"}", &judge, 403, "forbidden");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"X\"}", NULL, 401, "unauthenticated");
    HEXPECT(&srv, "GET", "/api/awards/cycles/987654", NULL, NULL, 404, "not_found");
    ck_assert_int_eq(harness_sql_longf(DB, "SELECT count(*) FROM award_cycles WHERE title = 'X'"),
                     0);
}
END_TEST

/* ---- Checks before anything is written ---- */

START_TEST(finalists_are_checked_before_publishing)
{
    long cats[2];
    long id = make_cycle("{}", cats, NULL);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/publish", id);
    char key[32];
    snprintf(key, sizeof key, "finalists.%ld", cats[0]);
    struct {
        const char *body;
        const char *field;
        const char *code;
    } cases[] = {
        {"{\"finalists\":[]}", "finalists", "invalid_type"},
        {"{\"finalists\":{\"abc\":[1]}}", "finalists", "invalid_choice"},
        {"{\"finalists\":{\"012\":[1]}}", "finalists", "invalid_choice"},
        {"{\"finalists\":{\"\":[1]}}", "finalists", "invalid_choice"},
        {"{\"finalists\":{\"1234567890123456\":[1]}}", "finalists", "invalid_choice"},
        {"{\"finalists\":{\"CAT\":\"1\"}}", key, "invalid_type"},
        {"{\"finalists\":{\"CAT\":[1,1]}}", key, "invalid_type"},
        {"{\"finalists\":{\"CAT\":[0]}}", key, "invalid_type"},
        {"{\"finalists\":{\"CAT\":[1.5]}}", key, "invalid_type"},
        {"{\"finalists\":{\"CAT\":[\"7\"]}}", key, "invalid_type"},
        {"{\"winners\":{}}", "winners", "unknown_member"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* CAT stands for the first category's id. */
        char body[256];
        const char *at = strstr(cases[i].body, "CAT");
        if (at)
            snprintf(body, sizeof body, "%.*s%ld%s", (int)(at - cases[i].body), cases[i].body,
                     cats[0], at + 3);
        else
            snprintf(body, sizeof body, "%s", cases[i].body);
        long st = 0;
        json_t *j = hcall_json(&srv, "POST", path, body, &staff, &st);
        expect_field(j, st, body, cases[i].field, cases[i].code);
    }
    HEXPECT(&srv, "POST", path, "{\"finalists\":{}}", &member, 403, "forbidden");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM award_cycles WHERE id = %ld AND "
                                       "published_at IS NULL",
                                       id),
                     1);
}
END_TEST

/* A submitted-ready draft case of member in category cat of cycle. */
static long make_case(long cycle, long cat)
{
    char path[96], body[512];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    snprintf(body, sizeof body,
             "{\"category_id\":%ld,\"sdgs\":[11,13],\"title\":\"Edge case\","
             "\"summary\":\"Short.\",\"description\":\"Long.\"}",
             cat);
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", path, body, &member, &st);
    ck_assert_msg(st == 201, "create case: %ld", st);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

START_TEST(scores_are_checked_per_criterion)
{
    long cats[2], crits[2];
    long cycle = make_cycle("{\"max_cases_per_org\":5}", cats, crits);
    long sub = make_case(cycle, cats[0]);
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/scores", sub);
    char c0[32], c1[32];
    snprintf(c0, sizeof c0, "scores.%ld", crits[0]);
    snprintf(c1, sizeof c1, "scores.%ld", crits[1]);
    long st = 0;
    json_t *j = hcall_json(&srv, "PUT", path, "{}", &judge, &st);
    expect_field(j, st, "no scores", "scores", "required");
    j = hcall_json(&srv, "PUT", path, "{\"scores\":[1,2]}", &judge, &st);
    expect_field(j, st, "a list", "scores", "invalid_type");
    char body[256];
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":\"5\"}}", crits[0]);
    j = hcall_json(&srv, "PUT", path, body, &judge, &st);
    ck_assert_str_eq(hjson_field_code(j, c1), "required");
    expect_field(j, st, body, c0, "invalid_type");
    /* Each criterion's own scale: 10 and 5. */
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":10,\"%ld\":6}}", crits[0], crits[1]);
    j = hcall_json(&srv, "PUT", path, body, &judge, &st);
    ck_assert_str_eq(hjson_field_code(j, c0), "");
    expect_field(j, st, body, c1, "out_of_range");
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":0,\"%ld\":null}}", crits[0], crits[1]);
    j = hcall_json(&srv, "PUT", path, body, &judge, &st);
    ck_assert_str_eq(hjson_field_code(j, c1), "required");
    expect_field(j, st, body, c0, "out_of_range");
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":1,\"%ld\":1,\"999999\":1}}", crits[0],
             crits[1]);
    j = hcall_json(&srv, "PUT", path, body, &judge, &st);
    expect_field(j, st, body, "scores.999999", "unknown_member");
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":1,\"%ld\":1},\"grade\":\"A\"}", crits[0],
             crits[1]);
    j = hcall_json(&srv, "PUT", path, body, &judge, &st);
    expect_field(j, st, body, "grade", "unknown_member");
    HEXPECT(&srv, "PUT", "/api/submissions/987654/scores", "{\"scores\":{}}", &judge, 404,
            "not_found");
    HEXPECT(&srv, "PUT", path, body, &member, 403, "forbidden");
    HEXPECT(&srv, "PUT", path, body, &staff, 403, "forbidden");
    ck_assert_int_eq(count("scores"), 0);
}
END_TEST

START_TEST(waiver_source_and_progress_sort)
{
    long cats[2];
    long cycle = make_cycle("{\"max_cases_per_org\":5}", cats, NULL);
    long sub = make_case(cycle, cats[1]);
    char path[128];
    snprintf(path, sizeof path, "/api/submissions/%ld/conflicts/%ld/waive", sub, judge.id);
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", path, "{}", &staff, &st);
    expect_field(j, st, "no source", "source", "required");
    j = hcall_json(&srv, "POST", path, "{\"source\":\"weather\"}", &staff, &st);
    expect_field(j, st, "weather", "source", "invalid_choice");
    j = hcall_json(&srv, "POST", path, "{\"source\":\"staff\",\"why\":\"x\"}", &staff, &st);
    expect_field(j, st, "why", "why", "unknown_member");
    HEXPECT(&srv, "POST", path, "{\"source\":\"staff\"}", &judge, 403, "forbidden");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'conflict.waived' AND target_id = '%ld'",
                                       sub),
                     0);
    /* Progress: sort is disagreement or nothing. */
    char prog[96];
    snprintf(prog, sizeof prog, "/api/awards/cycles/%ld/progress?sort=loudest", cycle);
    HEXPECT(&srv, "GET", prog, NULL, &staff, 400, "bad_request");
    snprintf(prog, sizeof prog, "/api/awards/cycles/%ld/progress?sort=disagreement", cycle);
    HEXPECT(&srv, "GET", prog, NULL, &staff, 200, NULL);
    HEXPECT(&srv, "GET", prog, NULL, &judge, 403, "forbidden");
    HEXPECT(&srv, "GET", "/api/awards/cycles/987654/progress", NULL, &staff, 404, "not_found");
}
END_TEST

START_TEST(case_goals_and_contact_are_checked)
{
    long cats[2];
    long cycle = make_cycle("{\"max_cases_per_org\":5}", cats, NULL);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    static const struct {
        const char *extra;
        const char *field;
        const char *code;
    } cases[] = {
        {"", "sdgs", "required"},
        {",\"sdgs\":null", "sdgs", "required"},
        {",\"sdgs\":[]", "sdgs", "invalid_choice"},
        {",\"sdgs\":[0]", "sdgs", "invalid_choice"},
        {",\"sdgs\":[18]", "sdgs", "invalid_choice"},
        {",\"sdgs\":[3,3]", "sdgs", "invalid_choice"},
        {",\"sdgs\":[\"3\"]", "sdgs", "invalid_choice"},
        {",\"sdgs\":[1,2,3,4,5,6]", "sdgs", "invalid_choice"},
        {",\"sdgs\":3", "sdgs", "invalid_choice"},
        {",\"sdgs\":[1],\"contact_email\":\"a b@x.org\"", "contact_email", "invalid_format"},
        {",\"sdgs\":[1],\"contact_email\":\"@x.org\"", "contact_email", "invalid_format"},
        {",\"sdgs\":[1],\"contact_email\":\"ann@\"", "contact_email", "invalid_format"},
        {",\"sdgs\":[1],\"contact_email\":\"nobody\"", "contact_email", "invalid_format"},
        {",\"sdgs\":[1],\"gallery_consent\":\"yes\"", "gallery_consent", "invalid_type"},
        {",\"sdgs\":[1],\"category_id\":0", "category_id", "out_of_range"},
    };
    long before = count("submissions");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        /* category_id comes last when a case names it again. */
        if (strstr(cases[i].extra, "category_id"))
            snprintf(body, sizeof body,
                     "{\"title\":\"T\",\"summary\":\"S\",\"description\":\"D\"%s}", cases[i].extra);
        else
            snprintf(body, sizeof body,
                     "{\"category_id\":%ld,\"title\":\"T\",\"summary\":\"S\","
                     "\"description\":\"D\"%s}",
                     cats[0], cases[i].extra);
        long st = 0;
        json_t *j = hcall_json(&srv, "POST", path, body, &member, &st);
        expect_field(j, st, body, cases[i].field, cases[i].code);
    }
    ck_assert_int_eq(count("submissions"), before);
    /* A PATCH cannot null what a case cannot be without. */
    long sub = make_case(cycle, cats[0]);
    char spath[96];
    snprintf(spath, sizeof spath, "/api/submissions/%ld", sub);
    long st = 0;
    json_t *j = hcall_json(&srv, "PATCH", spath,
                           "{\"title\":null,\"summary\":null,\"sdgs\":null,\"category_id\":null}",
                           &member, &st);
    ck_assert_str_eq(hjson_field_code(j, "summary"), "required");
    ck_assert_str_eq(hjson_field_code(j, "sdgs"), "required");
    ck_assert_str_eq(hjson_field_code(j, "category_id"), "required");
    expect_field(j, st, "nulls", "title", "required");
    /* Absent goals on a PATCH are left alone; good ones are stored. */
    HEXPECT(&srv, "PATCH", spath, "{\"sdgs\":[17,1],\"contact_email\":\"ann@x.org\"}", &member, 200,
            NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM submissions WHERE id = %ld AND "
                                       "title = 'Edge case' AND contact_email = 'ann@x.org'",
                                       sub),
                     1);
    HEXPECT(&srv, "PATCH", spath, "{\"title\":\"Stolen\"}", &judge, 404, "not_found");
}
END_TEST

/* ---- Upload forms and votes: checked before anything is written ---- */

#define EDGE_BOUNDARY "edge-boundary-41c9"

/* Sends the multipart body parts (already framed, without the closing
 * line) to case id's files as member; returns the answer, *status set. */
static json_t *upload_form(long id, const char *parts, long *status)
{
    char body[2048], path[96];
    int n = snprintf(body, sizeof body, "%s--" EDGE_BOUNDARY "--\r\n", parts);
    snprintf(path, sizeof path, "/api/submissions/%ld/files", id);
    char cookie[400], token[120];
    snprintf(cookie, sizeof cookie, "Cookie: %s", member.cookie);
    snprintf(token, sizeof token, "X-CSRF-Token: %s", member.csrf);
    const char *h[] = {"Content-Type: multipart/form-data; boundary=" EDGE_BOUNDARY, cookie, token,
                       NULL};
    struct hresp r;
    ck_assert_int_eq(hreq(&srv, "POST", path, h, body, (size_t)n, &r), 0);
    *status = r.status;
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    hresp_free(&r);
    return j;
}

#define PART_FILE                                                                                  \
    "--" EDGE_BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "                       \
    "filename=\"plan.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\nbody\r\n"
#define PART_FIELD(name, value)                                                                    \
    "--" EDGE_BOUNDARY "\r\nContent-Disposition: form-data; name=\"" name "\"\r\n\r\n" value "\r"  \
    "\n"

START_TEST(upload_forms_and_votes_are_checked)
{
    long cats[2];
    long cycle = make_cycle("{\"max_cases_per_org\":5}", cats, NULL);
    long sub = make_case(cycle, cats[0]);
    long st = 0;
    json_t *j = upload_form(sub, PART_FIELD("visibility", "secret") PART_FILE, &st);
    expect_field(j, st, "visibility secret", "visibility", "invalid_choice");
    j = upload_form(sub, PART_FIELD("note", "hello") PART_FILE, &st);
    expect_field(j, st, "note", "note", "unknown_member");
    j = upload_form(sub, PART_FIELD("visibility", "jury"), &st);
    expect_field(j, st, "no file", "file", "required");
    j = upload_form(sub, PART_FILE PART_FILE, &st);
    expect_field(j, st, "two files", "file", "invalid_format");
    ck_assert_int_eq(count("submission_files"), 0);
    /* The same form, well made, is stored with its visibility. */
    j = upload_form(sub, PART_FIELD("visibility", "jury") PART_FILE, &st);
    ck_assert_msg(st == 201, "upload: %ld", st);
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM submission_files WHERE "
                                       "submission_id = %ld AND visibility = 'jury'",
                                       sub),
                     1);

    /* Votes: the case named by a whole number; DELETE takes no body. */
    char path[96];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/vote", cats[0]);
    j = hcall_json(&srv, "PUT", path, "{}", &member, &st);
    expect_field(j, st, "no case", "submission_id", "required");
    j = hcall_json(&srv, "PUT", path, "{\"submission_id\":\"1\"}", &member, &st);
    expect_field(j, st, "text id", "submission_id", "invalid_type");
    j = hcall_json(&srv, "PUT", path, "{\"submission_id\":0}", &member, &st);
    expect_field(j, st, "id 0", "submission_id", "out_of_range");
    j = hcall_json(&srv, "DELETE", path, "{\"all\":true}", &member, &st);
    expect_field(j, st, "delete body", "all", "unknown_member");
    HEXPECT(&srv, "PUT", path, "{\"submission_id\":1}", NULL, 401, "unauthenticated");
    ck_assert_int_eq(count("votes"), 0);
}
END_TEST

/* Judges assigned once (201, logged) and again (200, not logged twice);
 * a judge's own conflict declared once and again; the results of a cycle
 * not yet published are never cached publicly. */
START_TEST(assigning_declaring_and_unpublished_results)
{
    long cats[2];
    long cycle = make_cycle("{\"max_cases_per_org\":5}", cats, NULL);
    long sub = make_case(cycle, cats[0]);
    char path[128];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges", cats[0]);
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", path, "{}", &staff, &st);
    expect_field(j, st, "no judge", "account_id", "required");
    j = hcall_json(&srv, "POST", path, "{\"account_id\":\"3\"}", &staff, &st);
    expect_field(j, st, "text judge", "account_id", "invalid_type");
    char body[128];
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge.id);
    HEXPECT(&srv, "POST", path, body, &judge, 403, "forbidden");
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 201);
    ck_assert(json_is_true(json_object_get(j, "created")));
    json_decref(j);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "created")));
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'judge.assigned' AND target_id = '%ld'",
                                       cats[0]),
                     1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM judge_assignments WHERE "
                                       "category_id = %ld AND judge_id = %ld",
                                       cats[0], judge.id),
                     1);

    snprintf(path, sizeof path, "/api/submissions/%ld/conflicts", sub);
    j = hcall_json(&srv, "POST", path, "{}", &judge, &st);
    expect_field(j, st, "no reason", "reason", "required");
    j = hcall_json(&srv, "POST", path, "{\"reason\":\"x\",\"judge_id\":\"1\"}", &judge, &st);
    expect_field(j, st, "text judge_id", "judge_id", "invalid_type");
    j = hcall_json(&srv, "POST", path, "{\"reason\":\"I advised this city.\"}", &judge, &st);
    ck_assert_int_eq(st, 201);
    ck_assert(json_is_true(json_object_get(j, "created")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "judge_id")), judge.id);
    json_decref(j);
    j = hcall_json(&srv, "POST", path, "{\"reason\":\"Still so.\"}", &judge, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "created")));
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM conflicts WHERE submission_id = %ld "
                                       "AND judge_id = %ld",
                                       sub, judge.id),
                     1);

    /* Unpublished results: staff see them, never from a shared cache. */
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/results", cycle);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &staff, &r), 200);
    char cc[64];
    ck_assert_ptr_nonnull(hresp_header(&r, "Cache-Control", cc, sizeof cc));
    ck_assert_str_eq(cc, "private, no-store");
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/awards/cycles/987654/results", NULL, &staff, 404, "not_found");
    /* Finalists: keys with a letter inside, and lists over 100. */
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/publish", cycle);
    j = hcall_json(&srv, "POST", path, "{\"finalists\":{\"12a\":[1]}}", &staff, &st);
    expect_field(j, st, "12a", "finalists", "invalid_choice");
    json_t *big = json_array();
    for (int i = 1; i <= 101; i++)
        json_array_append_new(big, json_integer(i));
    char key[24];
    snprintf(key, sizeof key, "%ld", cats[1]);
    json_t *fin = json_object();
    json_object_set_new(fin, key, big);
    json_t *bodyj = json_pack("{s:o}", "finalists", fin);
    char *text = json_dumps(bodyj, JSON_COMPACT);
    json_decref(bodyj);
    j = hcall_json(&srv, "POST", path, text, &staff, &st);
    free(text);
    char field[48];
    snprintf(field, sizeof field, "finalists.%ld", cats[1]);
    expect_field(j, st, "101 finalists", field, "invalid_type");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM award_cycles WHERE id = %ld AND "
                                       "published_at IS NULL",
                                       cycle),
                     1);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_awards_edges_suite(void)
{
    Suite *s = suite_create("awards_edges");
    TCase *tc = tcase_create("awards_edges");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_cycle_member_is_checked_on_its_field);
    tcase_add_test(tc, good_instants_and_settings_are_stored);
    tcase_add_test(tc, patching_a_cycle);
    tcase_add_test(tc, finalists_are_checked_before_publishing);
    tcase_add_test(tc, scores_are_checked_per_criterion);
    tcase_add_test(tc, waiver_source_and_progress_sort);
    tcase_add_test(tc, case_goals_and_contact_are_checked);
    tcase_add_test(tc, upload_forms_and_votes_are_checked);
    tcase_add_test(tc, assigning_declaring_and_unpublished_results);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
