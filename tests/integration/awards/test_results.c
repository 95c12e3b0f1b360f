/*
 * test_results.c - the SDG Awards' results against the real server,
 * PostgreSQL and the mail catcher: a three-judge, three-case cycle worked
 * out by hand (with and without normalisation, which changes the winner),
 * min_judges, each tie-break level, public_choice; the preview for staff
 * only; publication (409 before voting and evaluation close and a second
 * time, finalists named by staff, the three mails, the audit row, a
 * snapshot that later scores and votes do not change); the public gallery
 * (filters, 400s, nothing private); the staff CSV exports.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "awards/awards_fixtures.h"
#include "harness.h"
#include "base/util.h"

Suite *make_results_suite(void);

#define DB "results"

static struct server srv;
static struct catcher mail;

static struct hsession staff, seoul, bangkok, ktm, voter[2], judge[3], judge_seoul, participant;

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_TRUSTED_PROXIES=127.0.0.1", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB,
                "INSERT INTO organisations (name, city, country, kind) VALUES "
                "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city'), "
                "('Bangkok Metropolitan Administration', 'Bangkok', 'Thailand', 'member_city'), "
                "('Kathmandu Metropolitan City', 'Kathmandu', 'Nepal', 'member_city'), "
                "('Suwon Special City', 'Suwon', 'Republic of Korea', 'member_city'), "
                "('CityNet Secretariat', 'Seoul', 'Republic of Korea', 'secretariat')");
    aw_make_user(DB, &staff, "staff", "CityNet Secretariat", true, "staff");
    aw_make_user(DB, &seoul, "seoul", "Seoul Metropolitan Government", true, "participant");
    aw_make_user(DB, &bangkok, "bangkok", "Bangkok Metropolitan Administration", true,
                 "participant");
    aw_make_user(DB, &ktm, "ktm", "Kathmandu Metropolitan City", true, "participant");
    aw_make_user(DB, &participant, "someone", "Suwon Special City", true, "participant");
    for (int i = 0; i < 2; i++)
        aw_make_user(DB, &voter[i], "voter", "Suwon Special City", true, "participant");
    for (int i = 0; i < 3; i++)
        aw_make_user(DB, &judge[i], "judge", "CityNet Secretariat", true, "judge");
    aw_make_user(DB, &judge_seoul, "judgeseoul", "Seoul Metropolitan Government", true, "judge");
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

/* ---- Cycles and cases ---- */

/* Two criteria, weights 3 and 1, both on 1..10: S = 2.5 * (3 x1 + x2). */
static long make_cycle(const char *title, long *cat1, long *cat2, long *k1, long *k2)
{
    static int n;
    char body[2048], name[96];
    if (title)
        snprintf(name, sizeof name, "%s", title);
    else
        snprintf(name, sizeof name, "Results cycle %d-%ld", ++n, (long)getpid());
    snprintf(body, sizeof body,
             "{\"year\":2030,\"title\":\"%s\","
             "\"submission_opens_at\":\"2020-01-01T00:00:00Z\","
             "\"submission_closes_at\":\"2039-01-01T00:00:00Z\","
             "\"voting_opens_at\":\"2039-02-01T00:00:00Z\","
             "\"voting_closes_at\":\"2039-03-01T00:00:00Z\","
             "\"evaluation_opens_at\":\"2039-02-01T00:00:00Z\","
             "\"evaluation_closes_at\":\"2039-04-01T00:00:00Z\","
             "\"jury_weight\":0.7,\"public_weight\":0.3,"
             "\"categories\":[{\"name\":\"Planning\"},{\"name\":\"Finance\"}],"
             "\"criteria\":[{\"name\":\"Innovation\",\"weight\":3,\"scale_max\":10},"
             "{\"name\":\"Replicability\",\"weight\":1,\"scale_max\":10}]}",
             name);
    long st;
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", body, &staff, &st);
    ck_assert_int_eq(st, 201);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_t *cats = json_object_get(j, "categories"), *crit = json_object_get(j, "criteria");
    *cat1 = (long)json_integer_value(json_object_get(json_array_get(cats, 0), "id"));
    *cat2 = (long)json_integer_value(json_object_get(json_array_get(cats, 1), "id"));
    if (k1) {
        *k1 = (long)json_integer_value(json_object_get(json_array_get(crit, 0), "id"));
        *k2 = (long)json_integer_value(json_object_get(json_array_get(crit, 1), "id"));
    }
    json_decref(j);
    return id;
}

/* A submitted case of u's organisation titled title (JSON-escaped). */
static long submitted_case(long cycle, long category, const struct hsession *u, const char *title)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"category_id\":%ld,\"sdgs\":[11,13],\"title\":\"%s\","
             "\"summary\":\"A short summary of the case.\",\"description\":\"What was done.\","
             "\"contact_email\":\"contact@city.example.org\",\"gallery_consent\":true}",
             category, title);
    long id = aw_create_case(&srv, cycle, body, u);
    aw_submit_case(&srv, id, u);
    return id;
}

static void assign(long category, const struct hsession *j)
{
    char path[96], body[64];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges", category);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", j->id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
}

static void score(long submission, const struct hsession *j, long k1, int x1, long k2, int x2)
{
    char path[96], body[128];
    snprintf(path, sizeof path, "/api/submissions/%ld/scores", submission);
    snprintf(body, sizeof body, "{\"scores\":{\"%ld\":%d,\"%ld\":%d}}", k1, x1, k2, x2);
    HEXPECT(&srv, "PUT", path, body, j, 200, NULL);
}

static void vote(long category, long submission, const struct hsession *u)
{
    char path[96], body[64];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/vote", category);
    snprintf(body, sizeof body, "{\"submission_id\":%ld}", submission);
    HEXPECT(&srv, "PUT", path, body, u, 200, NULL);
}

/* The results entry of case sid in category cat of answer j (borrowed). */
static json_t *entry(json_t *j, long cat, long sid)
{
    size_t i, k;
    json_t *c, *e;
    json_array_foreach(json_object_get(j, "categories"), i, c)
    {
        if (json_integer_value(json_object_get(c, "id")) != cat)
            continue;
        json_array_foreach(json_object_get(c, "entries"), k, e)
        {
            if (json_integer_value(json_object_get(e, "submission_id")) == sid)
                return e;
        }
    }
    ck_abort_msg("no entry for case %ld in category %ld", sid, cat);
    return NULL;
}

/* Member name of e is the number want (4 decimals), or null when want is
 * NAN. */
static void num_is(json_t *e, const char *name, double want)
{
    json_t *v = json_object_get(e, name);
    if (isnan(want)) {
        ck_assert_msg(json_is_null(v), "%s should be null", name);
        return;
    }
    ck_assert_msg(json_is_number(v), "%s is not a number", name);
    ck_assert_msg(fabs(json_number_value(v) - want) < 1e-9, "%s: %.6f, expected %.4f", name,
                  json_number_value(v), want);
}

/* The exact text of column col of convene_award_results for case sid. */
static void exact_is(long cycle, long sid, const char *col, const char *want)
{
    char q[256];
    snprintf(q, sizeof q,
             "SELECT coalesce(%s::text, 'null') FROM convene_award_results(%ld) WHERE "
             "submission_id = %ld",
             col, cycle, sid);
    char *got = harness_sql_text(DB, q);
    ck_assert_msg(str_eq(got, want), "%s of case %ld: %s, expected %s", col, sid, got, want);
    free(got);
}

static const char *award_of(json_t *e)
{
    const char *a = json_string_value(json_object_get(e, "award"));
    return a ? a : "null";
}

/* ---- The hand-worked cycle ----
 *
 * One category, three cases X (Seoul), Y (Bangkok), Z (Kathmandu), three
 * judges A, B, C; criteria weights 3 and 1 on 1..10, so
 * S = 100 * (3 x1 + x2) / 40 = 2.5 * (3 x1 + x2).
 *
 *   judge  case  x1 x2   S      judge  case  x1 x2   S      judge  case  x1 x2   S
 *   A      X     10  6   90     B      X      6  6   60     C      X      7  7   70
 *   A      Y      4  4   40     B      Y      7  5   65     C      Y      8  6   75
 *   A      Z      5  5   50     B      Z      7  4   62.5   C      Z      8  5   72.5
 *
 * Per judge (population): mu_A = 60,   sigma_A = sqrt(1400/3) = 21.6025
 *                         mu_B = 62.5, sigma_B = sqrt(12.5/3) = 2.0412
 *                         mu_C = 72.5, sigma_C = 2.0412
 * Category: the nine S add up to 585, mu_c = 65; squared deviations add up
 * to 1687.5, sigma_c = sqrt(187.5) = 13.6931.
 * S' = 65 + 13.6931 * (S - mu_j) / sigma_j:
 *   A: X 84.0160  Y 52.3227  Z 58.6613
 *   B: X 48.2295  Y 81.7705  Z 65.0000
 *   C: X 48.2295  Y 81.7705  Z 65.0000
 * Votes: X 1, Y 1, Z 0 (top 1): public X 100, Y 100, Z 0.
 * A fourth judge (Seoul) is assigned too and has a complete score of X
 * (10, 10) left in the table, but is conflicted with X (its own
 * organisation): it never counts.
 *
 * Without normalisation (jury 0.7, public 0.3):
 *   X jury (90 + 60 + 70) / 3   = 73.3333  final 0.7 * 73.3333 + 30 = 81.3333  rank 1
 *   Y jury (40 + 65 + 75) / 3   = 60.0000  final 42 + 30            = 72.0000  rank 2
 *   Z jury (50 + 62.5 + 72.5)/3 = 61.6667  final 43.1667 + 0        = 43.1667  rank 3
 *   public_choice: X and Y have one vote each; X has the higher jury score.
 * With normalisation (jury_score_raw stays as above):
 *   X jury (84.0160 + 48.2295 + 48.2295) / 3 = 60.1583  final 42.1108 + 30 = 72.1108  rank 2
 *   Y jury (52.3227 + 81.7705 + 81.7705) / 3 = 71.9546  final 50.3682 + 30 = 80.3682  rank 1
 *   Z jury (58.6613 + 65 + 65) / 3           = 62.8871  final 44.0210 + 0  = 44.0210  rank 3
 *   public_choice: Y (the higher jury score now).
 * With min_judges 4: every jury and final score is null; the order falls
 * to votes (X, Y 1, Z 0), then the earlier submission (X before Y).
 */

static long hc_cycle, hc_cat, hc_cat2, hc_x, hc_y, hc_z;

static void build_hand_cycle(void)
{
    long k1, k2;
    hc_cycle = make_cycle("Hand-worked cycle", &hc_cat, &hc_cat2, &k1, &k2);
    hc_x = submitted_case(hc_cycle, hc_cat, &seoul, "Case X");
    hc_y = submitted_case(hc_cycle, hc_cat, &bangkok, "Case Y");
    hc_z = submitted_case(hc_cycle, hc_cat, &ktm, "Case Z");
    /* Voting and evaluation open. */
    aw_set_windows(DB, hc_cycle, -7200, -3600, -60, 86400, -60, 86400);
    for (int i = 0; i < 3; i++)
        assign(hc_cat, &judge[i]);
    assign(hc_cat, &judge_seoul);
    static const int xs[3][3][2] = {
        {{10, 6}, {4, 4}, {5, 5}}, {{6, 6}, {7, 5}, {7, 4}}, {{7, 7}, {8, 6}, {8, 5}}};
    long cases[3] = {hc_x, hc_y, hc_z};
    for (int j = 0; j < 3; j++)
        for (int c = 0; c < 3; c++)
            score(cases[c], &judge[j], k1, xs[j][c][0], k2, xs[j][c][1]);
    char q[512];
    snprintf(q, sizeof q,
             "INSERT INTO scores (submission_id, judge_id, criterion_id, value) VALUES "
             "(%ld, %ld, %ld, 10), (%ld, %ld, %ld, 10)",
             hc_x, judge_seoul.id, k1, hc_x, judge_seoul.id, k2);
    harness_sql(DB, q);
    vote(hc_cat, hc_x, &voter[0]);
    vote(hc_cat, hc_y, &voter[1]);
}

/* Each test runs in its own process: the later ones find the hand-worked
 * cycle in the database. */
static void load_hand_cycle(void)
{
    hc_cycle =
        harness_sql_long(DB, "SELECT id FROM award_cycles WHERE title = 'Hand-worked cycle'");
    ck_assert_int_gt(hc_cycle, 0);
    char q[256];
    snprintf(q, sizeof q,
             "SELECT id FROM award_categories WHERE cycle_id = %ld ORDER BY position LIMIT 1",
             hc_cycle);
    hc_cat = harness_sql_long(DB, q);
    snprintf(q, sizeof q,
             "SELECT id FROM award_categories WHERE cycle_id = %ld ORDER BY position OFFSET 1",
             hc_cycle);
    hc_cat2 = harness_sql_long(DB, q);
    long *ids[] = {&hc_x, &hc_y, &hc_z};
    for (int i = 0; i < 3; i++) {
        snprintf(q, sizeof q,
                 "SELECT id FROM submissions WHERE cycle_id = %ld AND title = 'Case %c'", hc_cycle,
                 'X' + i);
        *ids[i] = harness_sql_long(DB, q);
    }
}

static json_t *preview(long cycle)
{
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/results", cycle);
    long st;
    json_t *j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    return j;
}

START_TEST(hand_worked_cycle_with_and_without_normalisation)
{
    build_hand_cycle();
    char path[96], q[512];
    /* The set-based conflicts agree with the per-pair rule. */
    snprintf(q, sizeof q,
             "SELECT count(*) FROM submissions s JOIN judge_assignments j ON j.category_id = "
             "s.category_id WHERE s.cycle_id = %ld AND convene_judge_conflicted(s.id, j.judge_id) "
             "<> EXISTS (SELECT 1 FROM convene_cycle_conflicts(%ld) f WHERE f.submission_id = s.id "
             "AND f.judge_id = j.judge_id)",
             hc_cycle, hc_cycle);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
    snprintf(q, sizeof q, "SELECT count(*) FROM convene_cycle_conflicts(%ld)", hc_cycle);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);

    json_t *j = preview(hc_cycle);
    ck_assert(json_is_null(json_object_get(j, "published_at")));
    ck_assert(json_is_false(json_object_get(j, "normalise")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "formula")), "mu_c"));
    json_t *x = entry(j, hc_cat, hc_x), *y = entry(j, hc_cat, hc_y), *z = entry(j, hc_cat, hc_z);
    num_is(x, "jury_score_raw", 73.3333);
    num_is(x, "jury_score", 73.3333);
    num_is(x, "public_score", 100);
    num_is(x, "final_score", 81.3333);
    num_is(y, "jury_score", 60);
    num_is(y, "final_score", 72);
    num_is(z, "jury_score", 61.6667);
    num_is(z, "public_score", 0);
    num_is(z, "final_score", 43.1667);
    ck_assert_int_eq(json_integer_value(json_object_get(x, "public_votes")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(x, "judges")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(x, "rank")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "rank")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(z, "rank")), 3);
    ck_assert_str_eq(award_of(x), "winner");
    ck_assert_str_eq(award_of(y), "finalist");
    ck_assert_str_eq(award_of(z), "finalist");
    ck_assert(json_is_true(json_object_get(x, "public_choice")));
    ck_assert(json_is_false(json_object_get(y, "public_choice")));
    ck_assert(json_is_false(json_object_get(x, "staff_choice")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(x, "organisation"), "city")),
                     "Seoul");
    json_decref(j);
    exact_is(hc_cycle, hc_x, "final_score", "81.3333");
    exact_is(hc_cycle, hc_y, "jury_score", "60.0000");
    exact_is(hc_cycle, hc_z, "jury_score_raw", "61.6667");

    /* Normalisation changes the winner. */
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", hc_cycle);
    HEXPECT(&srv, "PATCH", path, "{\"normalise\":true}", &staff, 200, NULL);
    j = preview(hc_cycle);
    ck_assert(json_is_true(json_object_get(j, "normalise")));
    x = entry(j, hc_cat, hc_x), y = entry(j, hc_cat, hc_y), z = entry(j, hc_cat, hc_z);
    num_is(x, "jury_score_raw", 73.3333);
    num_is(x, "jury_score", 60.1583);
    num_is(x, "final_score", 72.1108);
    num_is(y, "jury_score_raw", 60);
    num_is(y, "jury_score", 71.9546);
    num_is(y, "final_score", 80.3682);
    num_is(z, "jury_score", 62.8871);
    num_is(z, "final_score", 44.0210);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "rank")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(x, "rank")), 2);
    ck_assert_str_eq(award_of(y), "winner");
    ck_assert(json_is_true(json_object_get(y, "public_choice")));
    ck_assert(json_is_false(json_object_get(x, "public_choice")));
    json_decref(j);
    exact_is(hc_cycle, hc_y, "final_score", "80.3682");
    exact_is(hc_cycle, hc_x, "jury_score", "60.1583");

    /* Below min_judges: no jury score, no final score, no award. */
    HEXPECT(&srv, "PATCH", path, "{\"min_judges\":4}", &staff, 200, NULL);
    j = preview(hc_cycle);
    x = entry(j, hc_cat, hc_x), y = entry(j, hc_cat, hc_y), z = entry(j, hc_cat, hc_z);
    num_is(x, "jury_score", NAN);
    num_is(x, "final_score", NAN);
    num_is(x, "jury_score_raw", 73.3333);
    ck_assert_int_eq(json_integer_value(json_object_get(x, "rank")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "rank")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(z, "rank")), 3);
    ck_assert_str_eq(award_of(x), "null");
    json_decref(j);
    HEXPECT(&srv, "PATCH", path, "{\"min_judges\":1}", &staff, 200, NULL);
}
END_TEST

START_TEST(preview_is_for_staff_only)
{
    load_hand_cycle();
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/results", hc_cycle);
    HEXPECT(&srv, "GET", path, NULL, NULL, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &participant, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &seoul, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &judge[0], 404, "not_found");
    HEXPECT(&srv, "GET", "/api/awards/cycles/99999999/results", NULL, &staff, 404, "not_found");
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &staff, &r), 200);
    char cc[64];
    ck_assert_ptr_nonnull(hresp_header(&r, "Cache-Control", cc, sizeof cc));
    ck_assert_ptr_nonnull(strstr(cc, "no-store"));
    hresp_free(&r);
}
END_TEST

START_TEST(publish_snapshot_mails_and_audit)
{
    load_hand_cycle();
    char path[96], body[256], q[512];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/publish", hc_cycle);
    /* Not before voting and evaluation have closed. */
    long st;
    json_t *j = hcall_json(&srv, "POST", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "phase_open");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "phase")),
                     "voting");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "error"), "closes_at"));
    json_decref(j);
    /* Voting closed, evaluation still open. */
    aw_set_windows(DB, hc_cycle, -7200, -3600, -600, -1, -600, 3600);
    HEXPECT(&srv, "POST", path, NULL, &staff, 409, "phase_open");
    aw_set_windows(DB, hc_cycle, -7200, -3600, -600, -2, -600, -1);
    HEXPECT(&srv, "POST", path, NULL, NULL, 401, NULL);
    HEXPECT(&srv, "POST", path, NULL, &seoul, 403, NULL);
    HEXPECT(&srv, "POST", "/api/awards/cycles/99999999/publish", NULL, &staff, 404, "not_found");

    /* Finalists: only submitted cases of that category, not its winner (Y,
     * normalised). */
    snprintf(body, sizeof body, "{\"finalists\":{\"%ld\":[%ld]}}", hc_cat, hc_y);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 422);
    snprintf(q, sizeof q, "finalists.%ld", hc_cat);
    ck_assert_str_eq(hjson_field_code(j, q), "invalid_choice");
    json_decref(j);
    snprintf(body, sizeof body, "{\"finalists\":{\"%ld\":[%ld]}}", hc_cat2, hc_z);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 422);
    snprintf(q, sizeof q, "finalists.%ld", hc_cat2);
    ck_assert_str_eq(hjson_field_code(j, q), "invalid_choice");
    json_decref(j);
    j = hcall_json(&srv, "POST", path, "{\"finalists\":{\"99999999\":[1]}}", &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "finalists.99999999"), "invalid_choice");
    json_decref(j);
    snprintf(body, sizeof body, "{\"finalists\":{\"%ld\":\"all\"}}", hc_cat);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 422);
    snprintf(q, sizeof q, "finalists.%ld", hc_cat);
    ck_assert_str_eq(hjson_field_code(j, q), "invalid_type");
    json_decref(j);
    HEXPECT(&srv, "POST", path, "{\"finalists\":[1]}", &staff, 422, "validation_failed");
    HEXPECT(&srv, "POST", path, "{\"winners\":{}}", &staff, 422, "validation_failed");
    snprintf(q, sizeof q, "SELECT count(*) FROM award_results WHERE cycle_id = %ld", hc_cycle);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
    snprintf(q, sizeof q, "SELECT count(*) FROM mail_outbox WHERE template LIKE 'award_%%'");
    ck_assert_int_eq(harness_sql_long(DB, q), 0);

    /* Staff name Z as the finalist instead of X. */
    snprintf(body, sizeof body, "{\"finalists\":{\"%ld\":[%ld]}}", hc_cat, hc_z);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_string(json_object_get(j, "published_at")));
    json_t *x = entry(j, hc_cat, hc_x), *y = entry(j, hc_cat, hc_y), *z = entry(j, hc_cat, hc_z);
    ck_assert_str_eq(award_of(y), "winner");
    ck_assert_str_eq(award_of(z), "finalist");
    ck_assert(json_is_true(json_object_get(z, "staff_choice")));
    ck_assert_str_eq(award_of(x), "null");
    ck_assert(json_is_false(json_object_get(x, "staff_choice")));
    num_is(y, "final_score", 80.3682);
    json_decref(j);
    snprintf(q, sizeof q,
             "SELECT string_agg(submission_id || ':' || rank || ':' || coalesce(award, '-') || "
             "':' || staff_choice || ':' || final_score, ' ' ORDER BY rank) FROM award_results "
             "WHERE cycle_id = %ld",
             hc_cycle);
    char *rows = harness_sql_text(DB, q);
    char want[256];
    snprintf(want, sizeof want,
             "%ld:1:winner:false:80.3682 %ld:2:-:false:72.1108 %ld:3:finalist:true:44.0210", hc_y,
             hc_x, hc_z);
    ck_assert_str_eq(rows, want);
    free(rows);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'results.published' AND target_type "
             "= 'award_cycle' AND target_id = '%ld' AND actor_id = %ld",
             hc_cycle, staff.id);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);

    /* The mails, queued with the publication: winner, finalist, result,
     * to each submitter and (once per case) the contact address. */
    json_t *m = harness_wait_mail(&mail, bangkok.email, "Your case won", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    m = harness_wait_mail(&mail, ktm.email, "Your case is a finalist", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    m = harness_wait_mail(&mail, seoul.email, "Results of", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    snprintf(q, sizeof q,
             "SELECT string_agg(template, ' ' ORDER BY template) FROM mail_outbox WHERE "
             "to_address = 'contact@city.example.org' AND template LIKE 'award_%%'");
    rows = harness_sql_text(DB, q);
    ck_assert_str_eq(rows, "award_finalist award_result award_winner");
    free(rows);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM mail_outbox WHERE template LIKE 'award_%%' AND to_address IN "
             "('%s', '%s', '%s')",
             bangkok.email, ktm.email, seoul.email);
    ck_assert_int_eq(harness_sql_long(DB, q), 3);

    /* Once only. */
    HEXPECT(&srv, "POST", path, NULL, &staff, 409, "cycle_published");
    snprintf(path, sizeof path, "/api/awards/cycles/%ld", hc_cycle);
    HEXPECT(&srv, "PATCH", path, "{\"normalise\":false}", &staff, 409, "cycle_published");

    /* Everyone sees the snapshot now, and later scores and votes change
     * the live computation but not what was published. */
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/results", hc_cycle);
    struct hresp r1, r2;
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, NULL, &r1), 200);
    char etag[64];
    ck_assert_ptr_nonnull(hresp_header(&r1, "ETag", etag, sizeof etag));
    snprintf(q, sizeof q,
             "UPDATE scores SET value = 1 WHERE submission_id = %ld; "
             "UPDATE votes SET submission_id = %ld WHERE category_id = %ld",
             hc_y, hc_z, hc_cat);
    harness_sql(DB, q);
    harness_sql(DB, "NOTIFY awards_changed");
    snprintf(q, sizeof q, "SELECT rank FROM convene_award_results(%ld) WHERE submission_id = %ld",
             hc_cycle, hc_y);
    ck_assert_int_ne(harness_sql_long(DB, q), 1);
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &participant, &r2), 200);
    ck_assert_str_eq(r1.body, r2.body);
    hresp_free(&r2);
    snprintf(q, sizeof q,
             "SELECT body = (SELECT snapshot::text FROM award_publications WHERE cycle_id = %ld) "
             "FROM convene_award_results_view(%ld, false)",
             hc_cycle, hc_cycle);
    rows = harness_sql_text(DB, q);
    ck_assert_str_eq(rows, "t");
    free(rows);
    json_t *pub = json_loads(r1.body, 0, NULL);
    num_is(entry(pub, hc_cat, hc_y), "final_score", 80.3682);
    json_decref(pub);
    hresp_free(&r1);
}
END_TEST

/* ---- Ties ----
 *
 * Weights 0.5 / 0.5, one judge, built in SQL. Category 1 (level 1): P has
 * S 80 and 4 votes, Q S 60 and 5 votes: public P 80, Q 100; final P
 * 40 + 40 = 80 = Q 30 + 50: P first on the higher jury score; Q is the
 * public choice. Category 2: no scores (no jury score, no final score):
 * R 2 votes, S 1 vote (level 2); U, V, W1, W2 none: V was submitted
 * before U (level 3) although U has the lower id; W1 and W2 at the same
 * instant: the lower id first (level 4). Order: R, S, V, U, W1, W2.
 */
START_TEST(ties_at_each_level)
{
    long cat1, cat2, k1, k2;
    long cycle = make_cycle(NULL, &cat1, &cat2, &k1, &k2);
    char q[2048];
    snprintf(q, sizeof q,
             "UPDATE award_cycles SET jury_weight = 0.5, public_weight = 0.5 WHERE id = %ld; "
             "DELETE FROM award_criteria WHERE id = %ld; "
             "UPDATE award_criteria SET weight = 1 WHERE id = %ld",
             cycle, k2, k1);
    harness_sql(DB, q);
    const char *orgs[] = {"Seoul Metropolitan Government", "Bangkok Metropolitan Administration",
                          "Kathmandu Metropolitan City",   "Suwon Special City",
                          "Seoul Metropolitan Government", "Bangkok Metropolitan Administration",
                          "Kathmandu Metropolitan City",   "Suwon Special City"};
    long ids[8];
    for (int i = 0; i < 8; i++) {
        snprintf(q, sizeof q,
                 "INSERT INTO submissions (cycle_id, category_id, organisation_id, sdgs, title, "
                 "summary, description, status, submitted_at) VALUES (%ld, %ld, (SELECT id FROM "
                 "organisations WHERE name = '%s'), '{1}', 'Tie %d', 's', 'd', 'submitted', "
                 "now() - interval '%d hours') RETURNING id",
                 cycle, i < 2 ? cat1 : cat2, orgs[i], i,
                 i == 5   ? 3
                 : i == 4 ? 2
                          : 1);
        ids[i] = harness_sql_long(DB, q);
    }
    /* ids: P Q | R S U V W1 W2 (U = ids[4] submitted 2 h ago, V = ids[5]
     * 3 h ago, W1 and W2 1 h ago). */
    snprintf(q, sizeof q,
             "UPDATE submissions SET submitted_at = (SELECT submitted_at FROM submissions "
             "WHERE id = %ld) WHERE id = %ld",
             ids[6], ids[7]);
    harness_sql(DB, q);
    snprintf(q, sizeof q,
             "INSERT INTO judge_assignments (category_id, judge_id) VALUES (%ld, %ld); "
             "INSERT INTO scores (submission_id, judge_id, criterion_id, value) VALUES "
             "(%ld, %ld, %ld, 8), (%ld, %ld, %ld, 6)",
             cat1, judge[0].id, ids[0], judge[0].id, k1, ids[1], judge[0].id, k1);
    harness_sql(DB, q);
    /* Votes from fresh accounts: P 4, Q 5, R 2, S 1. */
    const int counts[4] = {4, 5, 2, 1};
    const long targets[4] = {ids[0], ids[1], ids[2], ids[3]};
    for (int t = 0; t < 4; t++) {
        snprintf(q, sizeof q,
                 "WITH a AS (INSERT INTO accounts (email, password_hash, name) SELECT "
                 "'tie' || %ld || '-' || %d || '-' || g || '@results.test', 'x', 'v' FROM "
                 "generate_series(1, %d) g RETURNING id) INSERT INTO votes (cycle_id, "
                 "category_id, account_id, submission_id) SELECT %ld, category_id, a.id, %ld "
                 "FROM a, submissions WHERE submissions.id = %ld",
                 cycle, t, counts[t], cycle, targets[t], targets[t]);
        harness_sql(DB, q);
    }
    /* A voided vote never counts: one more for S, voided. */
    snprintf(q, sizeof q,
             "WITH a AS (INSERT INTO accounts (email, password_hash, name) VALUES ('tievoid%ld"
             "@results.test', 'x', 'v') RETURNING id) INSERT INTO votes (cycle_id, category_id, "
             "account_id, submission_id, voided_at, voided_reason) SELECT %ld, %ld, id, %ld, "
             "now(), 'test' FROM a",
             cycle, cycle, cat2, ids[3]);
    harness_sql(DB, q);
    json_t *j = preview(cycle);
    json_t *p = entry(j, cat1, ids[0]), *qq = entry(j, cat1, ids[1]);
    num_is(p, "final_score", 80);
    num_is(qq, "final_score", 80);
    num_is(p, "public_score", 80);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "rank")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(qq, "rank")), 2);
    ck_assert(json_is_true(json_object_get(qq, "public_choice")));
    ck_assert(json_is_false(json_object_get(p, "public_choice")));
    const long order[6] = {ids[2], ids[3], ids[5], ids[4], ids[6], ids[7]};
    for (int i = 0; i < 6; i++) {
        json_t *e = entry(j, cat2, order[i]);
        ck_assert_msg(json_integer_value(json_object_get(e, "rank")) == i + 1,
                      "case %d of category 2: rank %lld", i,
                      (long long)json_integer_value(json_object_get(e, "rank")));
        num_is(e, "final_score", NAN);
        ck_assert(json_is_true(json_object_get(e, "public_choice")) == (i == 0));
    }
    ck_assert_int_eq(json_integer_value(json_object_get(entry(j, cat2, ids[3]), "public_votes")),
                     1);
    num_is(entry(j, cat2, ids[3]), "public_score", 50);
    json_decref(j);
}
END_TEST

/* ---- The gallery ---- */

static char *gallery(const char *query, long *status)
{
    char path[512];
    snprintf(path, sizeof path, "/api/awards/gallery%s", query);
    struct hresp r;
    *status = hcall(&srv, "GET", path, NULL, NULL, &r);
    char *body = xstrdup(r.body ? r.body : "");
    hresp_free(&r);
    return body;
}

static long gallery_total(const char *query)
{
    long st;
    char *body = gallery(query, &st);
    ck_assert_msg(st == 200, "gallery%s: %ld %s", query, st, body);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    long n = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return n;
}

START_TEST(gallery_filters_and_privacy)
{
    long cat1, cat2, k1, k2;
    long cycle = make_cycle(NULL, &cat1, &cat2, &k1, &k2);
    long a = submitted_case(cycle, cat1, &seoul, "Green corridors 100% shaded");
    long b = submitted_case(cycle, cat1, &bangkok, "Flood canals");
    long c = submitted_case(cycle, cat2, &ktm, "Micro_finance for markets");
    long hidden = submitted_case(cycle, cat2, &bangkok, "No consent given");
    /* Another cycle, never published. */
    long cat3, cat4;
    long other = make_cycle(NULL, &cat3, &cat4, NULL, NULL);
    submitted_case(other, cat3, &seoul, "Unpublished case");
    char q[1024];
    snprintf(q, sizeof q,
             "UPDATE submissions SET gallery_consent = false WHERE id = %ld; "
             "UPDATE submissions SET sdgs = '{3,6}' WHERE id = %ld; "
             "UPDATE award_cycles SET year = 2031 WHERE id = %ld; "
             "INSERT INTO submission_files (submission_id, filename, content_type, size, sha256, "
             "data, visibility) VALUES (%ld, 'poster.png', 'image/png', 3, "
             "sha256('abc'), 'abc', 'public'), (%ld, 'jury-only.pdf', 'application/pdf', 3, "
             "sha256('abc'), 'abc', 'jury'); "
             "INSERT INTO judge_assignments (category_id, judge_id) VALUES (%ld, %ld); "
             "INSERT INTO scores (submission_id, judge_id, criterion_id, value) VALUES "
             "(%ld, %ld, %ld, 9), (%ld, %ld, %ld, 9)",
             hidden, b, cycle, a, a, cat1, judge[1].id, a, judge[1].id, k1, a, judge[1].id, k2);
    harness_sql(DB, q);
    ck_assert_int_eq(gallery_total("?year=2031"), 0);
    char one[96];
    snprintf(one, sizeof one, "/api/awards/gallery/%ld", a);
    HEXPECT(&srv, "GET", one, NULL, NULL, 404, "not_found"); /* not published yet */
    aw_set_windows(DB, cycle, -7200, -3600, -600, -2, -600, -1);
    char path[96];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/publish", cycle);
    HEXPECT(&srv, "POST", path, NULL, &staff, 200, NULL);

    ck_assert_int_eq(gallery_total("?year=2031"), 3);
    ck_assert_int_eq(gallery_total("?year=2029"), 0);
    ck_assert_int_eq(gallery_total("?sdg=3"), 1);
    ck_assert_int_eq(gallery_total("?sdg=11&year=2031"), 2);
    ck_assert_int_eq(gallery_total("?city=BANGKOK&year=2031"), 1);
    ck_assert_int_eq(gallery_total("?city=Bang&year=2031"), 0);
    snprintf(q, sizeof q, "?category=%ld", cat2);
    ck_assert_int_eq(gallery_total(q), 1);
    ck_assert_int_eq(gallery_total("?q=corridors"), 1);
    ck_assert_int_eq(gallery_total("?q=SHORT%20SUMMARY&year=2031"), 3);
    ck_assert_int_eq(gallery_total("?q=%25"), 1); /* a literal % */
    ck_assert_int_eq(gallery_total("?q=o_f"), 1); /* a literal _ */
    ck_assert_int_eq(gallery_total("?q=d_c"), 0); /* _ is no wildcard */
    ck_assert_int_eq(gallery_total("?q=Unpublished"), 0);

    long st;
    char *body = gallery("?year=2031&per_page=2&page=1", &st);
    ck_assert_int_eq(st, 200);
    json_t *j = json_loads(body, 0, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 3);
    json_decref(j);
    free(body);
    body = gallery("?q=corridors", &st);
    ck_assert_int_eq(st, 200);
    /* Public fields only. */
    ck_assert_ptr_null(strstr(body, "contact"));
    ck_assert_ptr_null(strstr(body, "jury-only.pdf"));
    ck_assert_ptr_null(strstr(body, "score"));
    ck_assert_ptr_null(strstr(body, "votes"));
    j = json_loads(body, 0, NULL);
    json_t *item = json_array_get(json_object_get(j, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "id")), a);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "year")), 2031);
    ck_assert_str_eq(json_string_value(json_object_get(item, "award")), "winner");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(item, "category"), "name")),
                     "Planning");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(item, "organisation"), "city")), "Seoul");
    json_t *files = json_object_get(item, "files");
    ck_assert_int_eq(json_array_size(files), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(files, 0), "filename")),
                     "poster.png");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(files, 0), "size")), 3);
    /* The single view answers the list's item, whoever asks. */
    const struct hsession *askers[] = {NULL, &seoul, &staff};
    for (size_t i = 0; i < ARRAY_LEN(askers); i++) {
        json_t *single = hcall_json(&srv, "GET", one, NULL, askers[i], &st);
        ck_assert_int_eq(st, 200);
        ck_assert_msg(json_equal(single, item), "gallery/%ld differs from its list item", a);
        json_decref(single);
    }
    json_decref(j);
    free(body);
    snprintf(path, sizeof path, "/api/awards/gallery/%ld", c);
    HEXPECT(&srv, "GET", path, NULL, NULL, 200, NULL);
    long unpublished =
        harness_sql_long(DB, "SELECT id FROM submissions WHERE title = 'Unpublished case'");
    const long refused[] = {hidden, unpublished, 99999999};
    for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
        snprintf(path, sizeof path, "/api/awards/gallery/%ld", refused[i]);
        HEXPECT(&srv, "GET", path, NULL, &staff, 404, "not_found");
    }
    /* Consent withdrawn: the cached item goes (dropped on awards_changed). */
    snprintf(q, sizeof q, "UPDATE submissions SET gallery_consent = false WHERE id = %ld", a);
    harness_sql(DB, q);
    long got = 200;
    for (int i = 0; i < 100 && got == 200; i++) {
        json_t *gone = hcall_json(&srv, "GET", one, NULL, NULL, &got);
        json_decref(gone);
        if (got == 200)
            usleep(50000);
    }
    ck_assert_int_eq(got, 404);
    snprintf(q, sizeof q, "UPDATE submissions SET gallery_consent = true WHERE id = %ld", a);
    harness_sql(DB, q);

    /* Bad filters: 400 as for every list. */
    const char *bad[] = {"?sdg=18",    "?sdg=0",  "?sdg=x",        "?category=0", "?year=1999",
                         "?year=20x1", "?page=0", "?per_page=101", "?sdg="};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char path2[128];
        snprintf(path2, sizeof path2, "/api/awards/gallery%s", bad[i]);
        HEXPECT(&srv, "GET", path2, NULL, NULL, 400, "bad_request");
    }
    char longq[400] = "?q=";
    memset(longq + 3, 'a', 300);
    longq[303] = '\0';
    snprintf(path, sizeof path, "/api/awards/gallery");
    char path3[512];
    snprintf(path3, sizeof path3, "%s%s", path, longq);
    HEXPECT(&srv, "GET", path3, NULL, NULL, 400, "bad_request");
}
END_TEST

/* ---- The scores of a case ---- */

/* GET .../scores as u: the answer (new reference) and *status. */
static json_t *scores_of(long sid, const struct hsession *u, long *status)
{
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/scores", sid);
    return hcall_json(&srv, "GET", path, NULL, u, status);
}

/* The judges' totals in answer j, in order, into out (at most n); their count. */
static size_t totals(json_t *j, double *out, size_t n)
{
    json_t *list = json_object_get(j, "judges");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (i < n)
            out[i] = json_number_value(json_object_get(e, "total"));
    }
    return json_array_size(list);
}

START_TEST(scores_as_judges_and_staff_see_them)
{
    long cat1, cat2, k1, k2;
    long cycle = make_cycle(NULL, &cat1, &cat2, &k1, &k2);
    long sid = submitted_case(cycle, cat1, &seoul, "Scored case");
    for (int i = 0; i < 3; i++)
        assign(cat1, &judge[i]);
    assign(cat1, &judge_seoul); /* conflicted: the case is Seoul's */
    assign(cat2, &judge_seoul);
    long st;
    /* Before evaluation opens a judge may not read the case. */
    json_t *j = scores_of(sid, &judge[0], &st);
    ck_assert_int_eq(st, 404);
    json_decref(j);

    aw_set_windows(DB, cycle, -7200, -3600, -600, 3600, -600, 3600);
    score(sid, &judge[0], k1, 8, k2, 4); /* S = 2.5 * (3 * 8 + 4) = 70 */
    j = scores_of(sid, &judge[2], &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(j, "mine")));
    ck_assert_ptr_null(json_object_get(j, "judges"));
    json_decref(j);

    json_t *mine = scores_of(sid, &judge[0], &st);
    ck_assert_int_eq(st, 200);
    json_t *m = json_object_get(mine, "mine");
    char key[24];
    snprintf(key, sizeof key, "%ld", k1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "scores"), key)), 8);
    ck_assert(json_is_string(json_object_get(m, "updated_at")));
    ck_assert_ptr_null(json_object_get(mine, "judges"));
    /* Another judge scores: nothing the first judge reads moves (its
     * scores, its queue, the case), so no count or order leaks. */
    char case_path[64];
    snprintf(case_path, sizeof case_path, "/api/submissions/%ld", sid);
    json_t *queue = hcall_json(&srv, "GET", "/api/me/judging", NULL, &judge[0], &st);
    ck_assert_int_eq(st, 200);
    json_t *view = hcall_json(&srv, "GET", case_path, NULL, &judge[0], &st);
    ck_assert_int_eq(st, 200);
    score(sid, &judge[1], k1, 10, k2, 10); /* S = 100 */
    j = scores_of(sid, &judge[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert_msg(json_equal(j, mine), "a judge's answer changed when another judge scored");
    json_decref(j);
    j = hcall_json(&srv, "GET", "/api/me/judging", NULL, &judge[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert_msg(json_equal(j, queue), "a judge's queue changed when another judge scored");
    json_decref(j);
    j = hcall_json(&srv, "GET", case_path, NULL, &judge[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert_msg(json_equal(j, view), "the case changed for a judge when another judge scored");
    json_decref(j);
    json_decref(queue);
    json_decref(view);
    json_decref(mine);

    /* Staff see everyone, with names, at any time. */
    j = scores_of(sid, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(j, "mine")));
    double t[4];
    ck_assert_int_eq(totals(j, t, 4), 2);
    ck_assert(t[0] == 100.0 && t[1] == 70.0);
    json_t *first = json_array_get(json_object_get(j, "judges"), 0);
    char q[128];
    snprintf(q, sizeof q, "SELECT name FROM accounts WHERE id = %ld", judge[1].id);
    char *name = harness_sql_text(DB, q);
    ck_assert_str_eq(json_string_value(json_object_get(first, "name")), name);
    free(name);
    json_decref(j);

    /* Nobody else: the conflicted judge, one of another category, the
     * case's own organisation, anyone, nobody. */
    const struct hsession *refused[] = {&judge_seoul, &seoul, &participant, &voter[0], NULL};
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/scores", sid);
    for (size_t i = 0; i < ARRAY_LEN(refused); i++)
        HEXPECT(&srv, "GET", path, NULL, refused[i], 404, "not_found");
    HEXPECT(&srv, "GET", "/api/submissions/99999999/scores", NULL, &staff, 404, "not_found");

    /* After evaluation closes the judges see every counted judge's total,
     * without names. */
    aw_set_windows(DB, cycle, -7200, -3600, -600, -2, -600, -1);
    for (int i = 0; i < 3; i++) {
        j = scores_of(sid, &judge[i], &st);
        ck_assert_int_eq(st, 200);
        ck_assert_int_eq(totals(j, t, 4), 2);
        ck_assert(t[0] == 100.0 && t[1] == 70.0);
        json_t *e;
        size_t n;
        json_array_foreach(json_object_get(j, "judges"), n, e)
        {
            ck_assert(json_is_null(json_object_get(e, "name")));
            ck_assert_int_eq(json_object_size(json_object_get(e, "scores")), 2);
        }
        ck_assert(i == 2 ? json_is_null(json_object_get(j, "mine"))
                         : json_is_object(json_object_get(j, "mine")));
        json_decref(j);
    }
    HEXPECT(&srv, "GET", path, NULL, &judge_seoul, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &seoul, 404, "not_found");
}
END_TEST

/* ---- CSV exports ---- */

START_TEST(csv_exports)
{
    long cat1, cat2, k1, k2;
    long cycle = make_cycle(NULL, &cat1, &cat2, &k1, &k2);
    long a = submitted_case(cycle, cat1, &seoul, "=HYPERLINK(1)");
    long b = submitted_case(cycle, cat1, &bangkok, "Plain title");
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -60, 86400);
    assign(cat1, &judge[0]);
    score(a, &judge[0], k1, 8, k2, 4); /* S = 2.5 * 28 = 70 */
    vote(cat1, b, &voter[0]);
    char q[512];
    snprintf(q, sizeof q,
             "UPDATE votes SET user_agent = '@agent', voided_at = now(), voided_reason = "
             "'Shared address' WHERE account_id = %ld AND category_id = %ld",
             voter[0].id, cat1);
    harness_sql(DB, q);
    const char *kinds[] = {"submissions", "scores", "votes"};
    const char *headers[] = {"\"Id\",\"Category\",", "\"Case id\",\"Case title\",",
                             "\"Vote id\",\"Category\","};
    for (int i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/awards/cycles/%ld/%s.csv", cycle, kinds[i]);
        HEXPECT(&srv, "GET", path, NULL, NULL, 401, NULL);
        HEXPECT(&srv, "GET", path, NULL, &seoul, 403, NULL);
        HEXPECT(&srv, "GET", path, NULL, &judge[0], 403, NULL);
        struct hresp r;
        ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &staff, &r), 200);
        char ct[64], disp[128];
        ck_assert_ptr_nonnull(hresp_header(&r, "Content-Type", ct, sizeof ct));
        ck_assert_ptr_nonnull(strstr(ct, "text/csv"));
        ck_assert_ptr_nonnull(hresp_header(&r, "Content-Disposition", disp, sizeof disp));
        ck_assert_ptr_nonnull(strstr(disp, kinds[i]));
        ck_assert_msg(r.len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0, "no BOM");
        ck_assert_msg(strncmp(r.body + 3, headers[i], strlen(headers[i])) == 0, "header: %s",
                      r.body);
        /* Every line ends with CRLF. */
        ck_assert(r.len >= 2 && r.body[r.len - 2] == '\r' && r.body[r.len - 1] == '\n');
        for (size_t k = 0; k < r.len; k++)
            if (r.body[k] == '\n')
                ck_assert(k > 0 && r.body[k - 1] == '\r');
        if (i < 2) {
            ck_assert_ptr_nonnull(strstr(r.body, "\"'=HYPERLINK(1)\""));
            ck_assert_ptr_null(strstr(r.body, "\"=HYPERLINK"));
        }
        if (i == 0) { /* the status in the pages' words, its code beside it */
            ck_assert_ptr_nonnull(strstr(r.body, "\"Status\",\"Status code\","));
            ck_assert_ptr_nonnull(strstr(r.body, "\"Submitted\",\"submitted\""));
        }
        if (i == 1)
            ck_assert_ptr_nonnull(strstr(r.body, "\"70.0000\""));
        if (i == 2) {
            ck_assert_ptr_nonnull(strstr(r.body, "\"'@agent\""));
            ck_assert_ptr_nonnull(strstr(r.body, "\"yes\""));
            ck_assert_ptr_nonnull(strstr(r.body, "\"Shared address\""));
            ck_assert_ptr_nonnull(strstr(r.body, harness_client_addr()));
        }
        hresp_free(&r);
        snprintf(path, sizeof path, "/api/awards/cycles/99999999/%s.csv", kinds[i]);
        HEXPECT(&srv, "GET", path, NULL, &staff, 404, "not_found");
    }
}
END_TEST

START_TEST(voiding_a_vote_is_audited)
{
    long cat1, cat2;
    long cycle = make_cycle(NULL, &cat1, &cat2, NULL, NULL);
    long a = submitted_case(cycle, cat1, &seoul, "Audited case");
    aw_set_windows(DB, cycle, -7200, -3600, -60, 86400, -60, 86400);
    vote(cat1, a, &voter[1]);
    char q[256], path[96];
    snprintf(q, sizeof q, "SELECT id FROM votes WHERE account_id = %ld AND category_id = %ld",
             voter[1].id, cat1);
    long v = harness_sql_long(DB, q);
    snprintf(path, sizeof path, "/api/awards/votes/%ld/void", v);
    HEXPECT(&srv, "POST", path, "{\"reason\":\"Duplicate\"}", &staff, 200, NULL);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'vote.voided' AND target_id = '%ld'",
             v);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    /* Ordinary votes go to vote_changes, not the audit log. */
    snprintf(q, sizeof q, "SELECT count(*) FROM vote_changes WHERE account_id = %ld", voter[1].id);
    ck_assert_int_ge(harness_sql_long(DB, q), 1);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action LIKE 'vote.%%' AND action <> "
             "'vote.voided' AND actor_id = %ld",
             voter[1].id);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
}
END_TEST

/* The candidates are cached per category, yet show the phase of the
 * moment: an entry is not served once a phase instant has passed, though
 * nothing in the database changed then; a change of a case is seen at
 * once. */
START_TEST(candidates_cache_follows_the_clock)
{
    long cat1, cat2;
    long cycle = make_cycle(NULL, &cat1, &cat2, NULL, NULL);
    long a = submitted_case(cycle, cat1, &seoul, "Cached candidate");
    /* Voting open for 3 more seconds, evaluation open for a day. */
    aw_set_windows(DB, cycle, -7200, -3600, -60, 3, -60, 86400);
    char path[96], q[256];
    snprintf(path, sizeof path, "/api/awards/categories/%ld/candidates", cat1);
    long st;
    json_t *j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "phase")), "voting");
    json_decref(j);
    /* A renamed case is seen (the change notifies awards_changed). */
    snprintf(q, sizeof q, "UPDATE submissions SET title = 'Renamed candidate' WHERE id = %ld", a);
    harness_sql(DB, q);
    bool renamed = false;
    for (int i = 0; i < 100 && !renamed; i++) {
        j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
        ck_assert_int_eq(st, 200);
        const char *t = json_string_value(
            json_object_get(json_array_get(json_object_get(j, "items"), 0), "title"));
        renamed = t && str_eq(t, "Renamed candidate");
        json_decref(j);
        if (!renamed)
            usleep(50000);
    }
    ck_assert(renamed);
    /* Voting closes without any row changing: the phase moves on. */
    bool moved = false;
    for (int i = 0; i < 200 && !moved; i++) {
        j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
        ck_assert_int_eq(st, 200);
        moved = str_eq(json_string_value(json_object_get(j, "phase")), "evaluation");
        json_decref(j);
        if (!moved)
            usleep(50000);
    }
    ck_assert_msg(moved, "the cached candidates kept the voting phase");
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_results_suite(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("results");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, hand_worked_cycle_with_and_without_normalisation);
    tcase_add_test(tc, preview_is_for_staff_only);
    tcase_add_test(tc, publish_snapshot_mails_and_audit);
    tcase_add_test(tc, ties_at_each_level);
    tcase_add_test(tc, gallery_filters_and_privacy);
    tcase_add_test(tc, scores_as_judges_and_staff_see_them);
    tcase_add_test(tc, csv_exports);
    tcase_add_test(tc, voiding_a_vote_is_audited);
    tcase_add_test(tc, candidates_cache_follows_the_clock);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
