/*
 * test_activities_edges.c - the edges of the activity calendar and of
 * staff editing against the real server and PostgreSQL: every filter of
 * the public list narrows the answer (and each bad value is a 400), the
 * ETag round trip, who sees drafts, every field of an activity refused on
 * its own field with its code (and nothing written), PATCH of a missing
 * activity, the period computed from a date label, publish and cancel from
 * the wrong status, and every rule of the registration questions.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

Suite *make_activities_edges_suite(void);

#define DB "activities_edges"

static struct server srv;
static struct hsession staff, member;

static void start_all(void)
{
    harness_fresh_db(DB);
    ck_assert_int_eq(harness_server_start(&srv, DB, NULL), 0);
    harness_sql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES "
                    "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', "
                    "'member_city'), ('CityNet Secretariat', 'Seoul', 'Republic of Korea', "
                    "'secretariat')");
    harness_make_users(DB, "edgestaff", "Edge staff", 1, "CityNet Secretariat", "staff", &staff);
    harness_make_users(DB, "edgemember", "Edge member", 1, "Seoul Metropolitan Government",
                       "participant", &member);
}

static void stop_all(void)
{
    harness_server_stop(&srv);
}

/* ---- Helpers ---- */

/* POSTs an activity made of a minimal valid body plus the members in
 * extra ("\"a\":1,..." or ""); returns the JSON answer, *status set. */
static json_t *post_activity(const char *extra, long *status)
{
    char more[4096];
    snprintf(more, sizeof more, "{%s}", extra);
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "kind", "workshop", "title", "Edge workshop", "mode", "open");
    json_t *m = json_loads(more, 0, NULL);
    ck_assert_msg(m != NULL, "bad test JSON: %s", more);
    json_object_update(body, m); /* the extra members win */
    json_decref(m);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *j = hcall_json(&srv, "POST", "/api/activities", text, &staff, status);
    free(text);
    return j;
}

/* Creates an activity (201 asserted) and returns its id; publishes it
 * when publish is true. */
static long make_activity(const char *extra, bool publish)
{
    long st = 0;
    json_t *j = post_activity(extra, &st);
    ck_assert_msg(st == 201, "create gave %ld", st);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    ck_assert_int_gt(id, 0);
    if (publish) {
        char path[96];
        snprintf(path, sizeof path, "/api/activities/%ld/publish", id);
        HEXPECT(&srv, "POST", path, NULL, &staff, 200, NULL);
    }
    return id;
}

/* GET path as who (may be NULL); asserts 200 and returns the list's
 * total, checking that every item's title contains want (when not NULL). */
static long list_total(const char *path, const struct hsession *who, const char *want)
{
    long st = 0;
    json_t *j = hcall_json(&srv, "GET", path, NULL, who, &st);
    ck_assert_msg(st == 200, "GET %s: %ld", path, st);
    json_t *items = json_object_get(j, "items");
    ck_assert(json_is_array(items));
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *title = json_string_value(json_object_get(it, "title"));
        if (want)
            ck_assert_msg(title && strstr(title, want), "GET %s: item %s", path,
                          title ? title : "(none)");
    }
    long total = (long)json_integer_value(json_object_get(j, "total"));
    ck_assert_int_eq((long)json_array_size(items), total);
    json_decref(j);
    return total;
}

/* The field code of field in a 422 answer j (asserting it is one). */
#define CK_FIELD(j, st, field, code)                                                               \
    do {                                                                                           \
        ck_assert_int_eq((st), 422);                                                               \
        ck_assert_str_eq(hjson_err_code(j), "validation_failed");                                  \
        ck_assert_msg(strcmp(hjson_field_code((j), (field)), (code)) == 0,                         \
                      "field %s: \"%s\", want %s", (field), hjson_field_code((j), (field)),        \
                      (code));                                                                     \
    } while (0)

static long count_activities(void)
{
    return harness_sql_long(DB, "SELECT count(*) FROM activities");
}

/* ---- The public list ---- */

START_TEST(every_list_filter_narrows_the_answer)
{
    make_activity("\"kind\":\"forum\",\"title\":\"Zeta forum\",\"city\":\"Busan\","
                  "\"starts_on\":\"2031-03-10\",\"ends_on\":\"2031-03-11\","
                  "\"summary\":\"about mangroves\"",
                  true);
    make_activity("\"title\":\"Zeta online\",\"online\":true,\"section\":\"partner\","
                  "\"starts_on\":\"2031-06-01\"",
                  true);
    make_activity("\"title\":\"Zeta plain\",\"city\":\"Seoul\",\"starts_on\":\"2031-09-01\"", true);
    make_activity("\"title\":\"Zeta draft\",\"city\":\"Busan\",\"starts_on\":\"2031-03-10\"",
                  false);

    ck_assert_int_eq(list_total("/api/activities?q=zeta", NULL, "Zeta"), 3);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&kind=forum", NULL, "Zeta forum"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=mangroves", NULL, "Zeta forum"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&city=BUSAN", NULL, "Zeta forum"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&online=true", NULL, "Zeta online"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&online=false", NULL, "Zeta"), 2);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&section=partner", NULL, "Zeta online"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&section=citynet", NULL, "Zeta"), 2);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&month=2031-03", NULL, "Zeta forum"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&month=2031-07", NULL, NULL), 0);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&from=2031-05-01", NULL, "Zeta"), 2);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&to=2031-06-30", NULL, "Zeta"), 2);
    ck_assert_int_eq(
        list_total("/api/activities?q=zeta&from=2031-05-01&to=2031-06-30", NULL, "Zeta online"), 1);
    ck_assert_int_eq(list_total("/api/activities?q=zeta&status=public", NULL, "Zeta"), 3);
    /* Drafts: only staff ask for all, and then they are there. */
    ck_assert_int_eq(list_total("/api/activities?q=zeta&status=all", &staff, "Zeta"), 4);
    HEXPECT(&srv, "GET", "/api/activities?status=all", NULL, NULL, 401, "unauthenticated");
    HEXPECT(&srv, "GET", "/api/activities?status=all", NULL, &member, 403, "forbidden");
}
END_TEST

START_TEST(bad_list_filters_are_400)
{
    static const char *const bad[] = {
        "kind=party",        "from=2023-02-30", "from=20230201", "to=tomorrow",
        "online=yes",        "section=other",   "status=drafts", "month=2023-4",
        "month=2023-13",     "month=abcd-ef",   "month=2023-00", "month=2023-04-01-02-03-04",
        "kind=" /* empty */, "online=TRUE",     "status=ALL",    "section=",
        "from=2023-13-01",   "to=2023-04-31",   "page=0",        "per_page=100000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/activities?%s", bad[i]);
        struct hresp r;
        long st = hcall(&srv, "GET", path, NULL, NULL, &r);
        /* An empty value is no filter: every other one is refused. */
        if (strcmp(bad[i], "kind=") == 0 || strcmp(bad[i], "section=") == 0) {
            ck_assert_msg(st == 200, "%s: %ld", path, st);
        } else {
            ck_assert_msg(st == 400, "%s: %ld %s", path, st, r.body ? r.body : "");
            ck_assert_str_eq(herr_code(&r), "bad_request");
        }
        hresp_free(&r);
    }
    /* Over-long text filters (more than 600 bytes) are refused too. */
    char path[1400];
    int n = snprintf(path, sizeof path, "/api/activities?city=");
    for (int i = 0; i < 700; i++)
        path[n++] = 'a';
    path[n] = '\0';
    HEXPECT(&srv, "GET", path, NULL, NULL, 400, "bad_request");
    /* the same text as q: "city=aaa..." becomes "q=aaa..." */
    char qpath[1400];
    snprintf(qpath, sizeof qpath, "/api/activities?q=%s", path + strlen("/api/activities?city="));
    HEXPECT(&srv, "GET", qpath, NULL, NULL, 400, "bad_request");
}
END_TEST

START_TEST(list_etag_answers_304_until_a_change)
{
    make_activity("\"title\":\"Etag one\"", true);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/activities?q=etag", NULL, NULL, &r), 200);
    char etag[64];
    ck_assert_ptr_nonnull(hresp_header(&r, "ETag", etag, sizeof etag));
    char cc[96];
    ck_assert_ptr_nonnull(hresp_header(&r, "Cache-Control", cc, sizeof cc));
    ck_assert_ptr_nonnull(strstr(cc, "public"));
    hresp_free(&r);
    char inm[128];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *h[] = {inm, NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/api/activities?q=etag", h, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 304);
    hresp_free(&r);
    /* A new activity changes the answer: the old tag no longer matches. */
    make_activity("\"title\":\"Etag two\"", true);
    /* The cache is dropped on the change's NOTIFY: wait for that state. */
    double end = harness_now_ms() + 10000;
    for (;;) {
        ck_assert_int_eq(hreq(&srv, "GET", "/api/activities?q=etag", h, NULL, 0, &r), 0);
        if (r.status == 200)
            break;
        ck_assert_int_eq(r.status, 304);
        hresp_free(&r);
        ck_assert_msg(harness_now_ms() < end, "the list kept its old ETag");
        usleep(20000);
    }
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    hresp_free(&r);
    /* Staff's list of all is never cached publicly. */
    ck_assert_int_eq(hcall(&srv, "GET", "/api/activities?status=all", NULL, &staff, &r), 200);
    ck_assert_ptr_nonnull(hresp_header(&r, "Cache-Control", cc, sizeof cc));
    ck_assert_str_eq(cc, "private, no-store");
    hresp_free(&r);
}
END_TEST

START_TEST(drafts_are_seen_by_staff_only)
{
    long draft = make_activity("\"title\":\"Hidden draft\"", false);
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld", draft);
    HEXPECT(&srv, "GET", path, NULL, NULL, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &member, 404, "not_found");
    long st = 0;
    json_t *j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "draft");
    json_decref(j);
    /* Published: anyone; my_enrollment is the caller's own. */
    long pub = make_activity("\"title\":\"Seen activity\"", true);
    snprintf(path, sizeof path, "/api/activities/%ld", pub);
    j = hcall_json(&srv, "GET", path, NULL, &member, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(j, "my_enrollment")));
    json_decref(j);
    char epath[128];
    snprintf(epath, sizeof epath, "/api/activities/%ld/enrollments", pub);
    HEXPECT(&srv, "POST", epath, "{\"answers\":{}}", &member, 201, NULL);
    j = hcall_json(&srv, "GET", path, NULL, &member, &st);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(j, "my_enrollment"), "status")),
        "confirmed");
    json_decref(j);
    j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    ck_assert(json_is_null(json_object_get(j, "my_enrollment")));
    json_decref(j);
}
END_TEST

/* ---- Staff editing ---- */

START_TEST(every_bad_field_is_named_and_nothing_is_written)
{
    long before = count_activities();
    long st = 0;
    /* Required members missing. */
    json_t *j = hcall_json(&srv, "POST", "/api/activities", "{}", &staff, &st);
    CK_FIELD(j, st, "kind", "required");
    CK_FIELD(j, st, "title", "required");
    CK_FIELD(j, st, "mode", "required");
    json_decref(j);
    static const struct {
        const char *member;
        const char *field;
        const char *code;
    } cases[] = {
        {"\"online\":\"yes\"", "online", "invalid_type"},
        {"\"capacity\":0", "capacity", "out_of_range"},
        {"\"capacity\":100001", "capacity", "out_of_range"},
        {"\"capacity\":\"5\"", "capacity", "invalid_type"},
        {"\"per_org_limit\":-1", "per_org_limit", "out_of_range"},
        {"\"host_organisation_id\":0", "host_organisation_id", "out_of_range"},
        {"\"starts_on\":\"2030-02-30\"", "starts_on", "invalid_format"},
        {"\"ends_on\":\"30-01-2030\"", "ends_on", "invalid_format"},
        {"\"start_time\":\"24:00\"", "start_time", "invalid_format"},
        {"\"end_time\":\"9:30\"", "end_time", "invalid_format"},
        {"\"end_time\":\"09:60\"", "end_time", "invalid_format"},
        {"\"registration_opens_at\":\"2030-01-01 09:00\"", "registration_opens_at",
         "invalid_format"},
        {"\"registration_opens_at\":\"2030-01-01X09:00:00Z\"", "registration_opens_at",
         "invalid_format"},
        {"\"registration_opens_at\":\"2030-01-01T09:00:61Z\"", "registration_opens_at",
         "invalid_format"},
        {"\"registration_opens_at\":\"2030-01-01T09:00:00.Z\"", "registration_opens_at",
         "invalid_format"},
        {"\"registration_opens_at\":\"2030-01-01T25:00Z\"", "registration_opens_at",
         "invalid_format"},
        {"\"registration_closes_at\":\"2030-01-01T09:00+0900\"", "registration_closes_at",
         "invalid_format"},
        {"\"registration_closes_at\":\"2030-01-01T09:00*09:00\"", "registration_closes_at",
         "invalid_format"},
        {"\"registration_closes_at\":\"2030-01-01T09:00+24:00\"", "registration_closes_at",
         "invalid_format"},
        {"\"external_url\":\"ftp://example.org/\"", "external_url", "invalid_format"},
        {"\"slug\":\"Bad-Slug\"", "slug", "invalid_format"},
        {"\"slug\":\"double--hyphen\"", "slug", "invalid_format"},
        {"\"slug\":\"-leading\"", "slug", "invalid_format"},
        {"\"slug\":\"trailing-\"", "slug", "invalid_format"},
        {"\"timezone\":\"Mars/Olympus_Mons\"", "timezone", "invalid_format"},
        {"\"kind\":\"party\"", "kind", "invalid_format"},
        {"\"mode\":\"lottery\"", "mode", "invalid_format"},
        {"\"section\":\"members\"", "section", "invalid_format"},
        {"\"section\":null", "section", "required"},
        {"\"online\":null", "online", "required"},
        {"\"title\":null", "title", "required"},
        {"\"title\":\"   \"", "title", "required"},
        {"\"title\":42", "title", "invalid_type"},
        {"\"city\":\"line\\nbreak\"", "city", "invalid_format"},
        {"\"bogus\":1", "bogus", "unknown_member"},
        {"\"status\":\"published\"", "status", "read_only"},
        {"\"seats_left\":3", "seats_left", "read_only"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        j = post_activity(cases[i].member, &st);
        ck_assert_msg(st == 422, "%s: %ld", cases[i].member, st);
        ck_assert_msg(strcmp(hjson_field_code(j, cases[i].field), cases[i].code) == 0,
                      "%s: field %s code \"%s\", want %s", cases[i].member, cases[i].field,
                      hjson_field_code(j, cases[i].field), cases[i].code);
        json_decref(j);
    }
    /* Problems the database finds are named on their field as well. */
    j = post_activity("\"host_organisation_id\":987654", &st);
    CK_FIELD(j, st, "host_organisation_id", "not_found");
    json_decref(j);
    j = post_activity("\"starts_on\":\"2030-05-10\",\"ends_on\":\"2030-05-09\"", &st);
    CK_FIELD(j, st, "ends_on", "end_before_start");
    json_decref(j);
    ck_assert_int_eq(count_activities(), before);
    make_activity("\"slug\":\"edge-unique-slug\"", false);
    j = post_activity("\"slug\":\"edge-unique-slug\"", &st);
    CK_FIELD(j, st, "slug", "taken");
    json_decref(j);
    ck_assert_int_eq(count_activities(), before + 1);
    /* Not staff: refused before the body is read. */
    HEXPECT(&srv, "POST", "/api/activities", "{}", &member, 403, "forbidden");
    HEXPECT(&srv, "POST", "/api/activities", "{}", NULL, 401, "unauthenticated");
    ck_assert_int_eq(count_activities(), before + 1);
}
END_TEST

START_TEST(good_values_of_every_kind_are_stored)
{
    long id = make_activity(
        "\"registration_opens_at\":\"2030-01-01T09:00:00.123456+09:00\","
        "\"registration_closes_at\":\"2030-02-01T09:00Z\",\"timezone\":\"Europe/Paris\","
        "\"external_url\":\"https://example.org/x\",\"capacity\":100000,\"online\":false,"
        "\"host_organisation_id\":1,\"start_time\":\"23:59\",\"slug\":\"good-values-1\"",
        false);
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT count(*) FROM activities WHERE id = %ld AND "
                          "registration_opens_at = '2030-01-01T00:00:00.123456Z' AND "
                          "registration_closes_at = '2030-02-01T09:00Z' AND timezone = "
                          "'Europe/Paris' AND capacity = 100000 AND host_organisation_id = 1 "
                          "AND start_time = '23:59' AND slug = 'good-values-1'",
                          id),
        1);
    /* A title with nothing usable makes a slug of its own. */
    long st = 0;
    json_t *j =
        hcall_json(&srv, "POST", "/api/activities",
                   "{\"kind\":\"forum\",\"title\":\"!!! ???\",\"mode\":\"open\"}", &staff, &st);
    ck_assert_int_eq(st, 201);
    const char *slug = json_string_value(json_object_get(j, "slug"));
    ck_assert_msg(slug && strncmp(slug, "activity-", 9) == 0, "slug %s", slug ? slug : "(none)");
    json_decref(j);
    j = hcall_json(&srv, "POST", "/api/activities",
                   "{\"kind\":\"forum\",\"title\":\"  Urban  Water 2030!  \",\"mode\":\"open\"}",
                   &staff, &st);
    ck_assert_int_eq(st, 201);
    slug = json_string_value(json_object_get(j, "slug"));
    ck_assert_msg(slug && strncmp(slug, "urban-water-2030-", 17) == 0, "slug %s",
                  slug ? slug : "(none)");
    ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Urban  Water 2030!");
    json_decref(j);
}
END_TEST

START_TEST(patch_changes_only_what_it_names)
{
    long id = make_activity("\"summary\":\"Old summary\",\"city\":\"Seoul\"", false);
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    /* Nothing named: nothing changes, the activity is answered. */
    long st = 0;
    json_t *j = hcall_json(&srv, "PATCH", path, "{}", &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "summary")), "Old summary");
    json_decref(j);
    /* null clears a nullable column; a NOT NULL one refuses it. */
    HEXPECT(&srv, "PATCH", path, "{\"summary\":null}", &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activities WHERE id = %ld AND "
                                       "summary IS NULL AND city = 'Seoul'",
                                       id),
                     1);
    j = hcall_json(&srv, "PATCH", path, "{\"kind\":null,\"mode\":null}", &staff, &st);
    CK_FIELD(j, st, "kind", "required");
    CK_FIELD(j, st, "mode", "required");
    json_decref(j);
    /* A date label alone gives the period. */
    HEXPECT(&srv, "PATCH", path, "{\"date_label\":\"May 2031\"}", &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activities WHERE id = %ld AND "
                                       "period_start = '2031-05-01' AND period_end = '2031-05-31'",
                                       id),
                     1);
    /* An unreadable label leaves no period. */
    HEXPECT(&srv, "PATCH", path, "{\"date_label\":\"sometime soon\"}", &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activities WHERE id = %ld AND "
                                       "period_start IS NULL AND period_end IS NULL",
                                       id),
                     1);
    /* Dates win over the label; an end defaults to the start. */
    HEXPECT(&srv, "PATCH", path, "{\"starts_on\":\"2031-07-04\"}", &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activities WHERE id = %ld AND "
                                       "period_start = '2031-07-04' AND period_end = '2031-07-04'",
                                       id),
                     1);
    /* A missing activity is 404, with or without members. */
    HEXPECT(&srv, "PATCH", "/api/activities/987654", "{\"title\":\"X\"}", &staff, 404, "not_found");
    HEXPECT(&srv, "PATCH", "/api/activities/987654", "{}", &staff, 404, "not_found");
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"Y\"}", &member, 403, "forbidden");
    HEXPECT(&srv, "PATCH", path, "[1]", &staff, 400, NULL);
}
END_TEST

START_TEST(publish_and_cancel_from_the_wrong_status)
{
    long id = make_activity("\"title\":\"Status edges\"", false);
    char pub[96], can[96];
    snprintf(pub, sizeof pub, "/api/activities/%ld/publish", id);
    snprintf(can, sizeof can, "/api/activities/%ld/cancel", id);
    /* A draft cannot be cancelled. */
    HEXPECT(&srv, "POST", can, NULL, &staff, 409, "invalid_transition");
    HEXPECT(&srv, "POST", pub, "{\"now\":true}", &staff, 422, "validation_failed");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM activities WHERE id = %ld AND status = 'draft'",
                          id),
        1);
    HEXPECT(&srv, "POST", pub, "{}", &staff, 200, NULL);
    HEXPECT(&srv, "POST", pub, NULL, &staff, 409, "invalid_transition");
    HEXPECT(&srv, "POST", can, NULL, &member, 403, "forbidden");
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", can, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "cancelled");
    json_decref(j);
    HEXPECT(&srv, "POST", can, NULL, &staff, 409, "invalid_transition");
    HEXPECT(&srv, "POST", pub, NULL, &staff, 409, "invalid_transition");
    HEXPECT(&srv, "POST", "/api/activities/987654/publish", NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "POST", "/api/activities/987654/cancel", NULL, &staff, 404, "not_found");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE target_id = '%ld' "
                                       "AND action IN ('activity.published', "
                                       "'activity.cancelled')",
                                       id),
                     2);
}
END_TEST

/* ---- Registration questions ---- */

START_TEST(every_question_rule_is_named)
{
    long id = make_activity("\"title\":\"Question edges\"", false);
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/questions", id);
    long st = 0;
    json_t *j = hcall_json(&srv, "PUT", path, "{}", &staff, &st);
    CK_FIELD(j, st, "questions", "required");
    json_decref(j);
    j = hcall_json(&srv, "PUT", path, "{\"questions\":{}}", &staff, &st);
    CK_FIELD(j, st, "questions", "invalid_type");
    json_decref(j);
    char many[2048] = "{\"questions\":[";
    for (int i = 0; i < 51; i++)
        strcat(many, i ? ",1" : "1");
    strcat(many, "]}");
    j = hcall_json(&srv, "PUT", path, many, &staff, &st);
    CK_FIELD(j, st, "questions", "invalid_type");
    json_decref(j);
    static const struct {
        const char *q;
        const char *field;
        const char *code;
    } cases[] = {
        {"7", "questions[0]", "invalid_type"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"hint\":\"x\"}", "questions[0].hint",
         "unknown_member"},
        {"{\"label\":\"L\"}", "questions[0].kind", "required"},
        {"{\"kind\":null,\"label\":\"L\"}", "questions[0].kind", "required"},
        {"{\"kind\":\"essay\",\"label\":\"L\"}", "questions[0].kind", "invalid_choice"},
        {"{\"kind\":5,\"label\":\"L\"}", "questions[0].kind", "invalid_choice"},
        {"{\"kind\":\"text\"}", "questions[0].label", "required"},
        {"{\"kind\":\"text\",\"label\":\"\"}", "questions[0].label", "invalid_format"},
        {"{\"kind\":\"text\",\"label\":3}", "questions[0].label", "invalid_format"},
        {"{\"kind\":\"text\",\"label\":\"a\\nb\"}", "questions[0].label", "invalid_format"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"choices\":\"a,b\"}", "questions[0].choices",
         "invalid_type"},
        {"{\"kind\":\"single_choice\",\"label\":\"L\"}", "questions[0].choices", "out_of_range"},
        {"{\"kind\":\"multiple_choice\",\"label\":\"L\",\"choices\":[\"a\"]}",
         "questions[0].choices", "out_of_range"},
        {"{\"kind\":\"single_choice\",\"label\":\"L\",\"choices\":[\"a\",\"\"]}",
         "questions[0].choices", "invalid_format"},
        {"{\"kind\":\"single_choice\",\"label\":\"L\",\"choices\":[\"a\",2]}",
         "questions[0].choices", "invalid_format"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"choices\":[\"a\\nb\"]}", "questions[0].choices",
         "invalid_format"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"required\":\"yes\"}", "questions[0].required",
         "invalid_type"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"id\":\"1\"}", "questions[0].id", "invalid_type"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"max_length\":0}", "questions[0].max_length",
         "out_of_range"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"max_length\":10001}", "questions[0].max_length",
         "out_of_range"},
        {"{\"kind\":\"text\",\"label\":\"L\",\"max_length\":\"5\"}", "questions[0].max_length",
         "out_of_range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"questions\":[%s]}", cases[i].q);
        j = hcall_json(&srv, "PUT", path, body, &staff, &st);
        ck_assert_msg(st == 422, "%s: %ld", cases[i].q, st);
        ck_assert_msg(strcmp(hjson_field_code(j, cases[i].field), cases[i].code) == 0,
                      "%s: field %s code \"%s\", want %s", cases[i].q, cases[i].field,
                      hjson_field_code(j, cases[i].field), cases[i].code);
        json_decref(j);
    }
    ck_assert_int_eq(harness_sql_longf(
                         DB, "SELECT count(*) FROM activity_questions WHERE activity_id = %ld", id),
                     0);
    /* A good list is stored in order; null members take their defaults. */
    j = hcall_json(&srv, "PUT", path,
                   "{\"questions\":[{\"kind\":\"text\",\"label\":\"First\",\"required\":null,"
                   "\"choices\":null,\"max_length\":null,\"id\":null},"
                   "{\"kind\":\"yes_no\",\"label\":\"Second\",\"required\":true}]}",
                   &staff, &st);
    ck_assert_int_eq(st, 200);
    json_t *qs = json_object_get(j, "questions");
    ck_assert_int_eq(json_array_size(qs), 2);
    long first = (long)json_integer_value(json_object_get(json_array_get(qs, 0), "id"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(qs, 0), "max_length")),
                     1000);
    json_decref(j);
    /* Keeping the first by id and dropping the second. */
    char body[256];
    snprintf(body, sizeof body,
             "{\"questions\":[{\"id\":%ld,\"kind\":\"text\",\"label\":\"First, renamed\"}]}",
             first);
    HEXPECT(&srv, "PUT", path, body, &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activity_questions WHERE "
                                       "activity_id = %ld AND id = %ld AND label = "
                                       "'First, renamed'",
                                       id, first),
                     1);
    ck_assert_int_eq(harness_sql_longf(
                         DB, "SELECT count(*) FROM activity_questions WHERE activity_id = %ld", id),
                     1);
    /* A question of another activity is refused and nothing changes. */
    long other = make_activity("\"title\":\"Other questions\"", false);
    char opath[96];
    snprintf(opath, sizeof opath, "/api/activities/%ld/questions", other);
    HEXPECT(&srv, "PUT", opath, body, &staff, 422, "validation_failed");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM activity_questions WHERE activity_id = %ld",
                          other),
        0);
    HEXPECT(&srv, "PUT", "/api/activities/987654/questions", "{\"questions\":[]}", &staff, 404,
            "not_found");
    HEXPECT(&srv, "PUT", path, "{\"questions\":[]}", &member, 403, "forbidden");
    HEXPECT(&srv, "PUT", path, "{\"questions\":[]}", &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(
                         DB, "SELECT count(*) FROM activity_questions WHERE activity_id = %ld", id),
                     0);
}
END_TEST

/* ---- Registration edges ---- */

START_TEST(registering_someone_and_staff_actions)
{
    long act = make_activity("\"title\":\"Register edges\",\"capacity\":5", true);
    char path[128];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", act);
    /* A participant may not register someone else. */
    char body[128];
    snprintf(body, sizeof body, "{\"account_id\":%ld}", staff.id);
    HEXPECT(&srv, "POST", path, body, &member, 403, "forbidden");
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", path, "{\"account_id\":987654}", &staff, &st);
    CK_FIELD(j, st, "account_id", "not_found");
    json_decref(j);
    j = hcall_json(&srv, "POST", path, "{\"account_id\":\"7\"}", &staff, &st);
    CK_FIELD(j, st, "account_id", "invalid_type");
    json_decref(j);
    j = hcall_json(&srv, "POST", path, "{\"answers\":[1]}", &member, &st);
    CK_FIELD(j, st, "answers", "invalid_type");
    json_decref(j);
    HEXPECT(&srv, "POST", "/api/activities/987654/enrollments", "{}", &member, 404, "not_found");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", act), 0);
    /* Staff register the member: 201 and logged; again: 200, not logged twice. */
    snprintf(body, sizeof body, "{\"account_id\":%ld}", member.id);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 201);
    ck_assert(json_is_true(json_object_get(j, "created")));
    long enr = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    j = hcall_json(&srv, "POST", path, body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "created")));
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM enrollments WHERE activity_id = %ld "
                                       "AND account_id = %ld AND status = 'confirmed'",
                                       act, member.id),
                     1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'enrollment.registered_for' AND target_id = '%ld'",
                                       act),
                     1);
    /* Staff registering themselves is no registration on someone's behalf. */
    snprintf(body, sizeof body, "{\"account_id\":%ld}", staff.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'enrollment.registered_for' AND target_id = '%ld'",
                                       act),
                     1);
    /* One's own list holds it. */
    j = hcall_json(&srv, "GET", "/api/me/enrollments", NULL, &member, &st);
    ck_assert_int_eq(st, 200);
    bool found = false;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(j, "items"), i, it)
    {
        found |= json_integer_value(json_object_get(it, "id")) == enr;
    }
    ck_assert(found);
    json_decref(j);

    /* The staff list: a status filter narrows it; a bad one is 400. */
    char lpath[160];
    snprintf(lpath, sizeof lpath, "%s?status=confirmed", path);
    j = hcall_json(&srv, "GET", lpath, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    snprintf(lpath, sizeof lpath, "%s?status=waitlisted", path);
    j = hcall_json(&srv, "GET", lpath, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    snprintf(lpath, sizeof lpath, "%s?status=lost", path);
    HEXPECT(&srv, "GET", lpath, NULL, &staff, 400, "bad_request");
    snprintf(lpath, sizeof lpath, "%s?status=", path);
    HEXPECT(&srv, "GET", lpath, NULL, &staff, 400, "bad_request");
    HEXPECT(&srv, "GET", path, NULL, &member, 403, "forbidden");
    HEXPECT(&srv, "GET", "/api/activities/987654/enrollments", NULL, &staff, 404, "not_found");

    /* Staff actions: the action's name, its body, the registration. */
    char apath[128];
    snprintf(apath, sizeof apath, "/api/enrollments/%ld/teleport", enr);
    HEXPECT(&srv, "POST", apath, NULL, &staff, 404, "not_found");
    snprintf(apath, sizeof apath, "/api/enrollments/%ld/approve", enr);
    j = hcall_json(&srv, "POST", apath, "{\"override_limit\":\"yes\"}", &staff, &st);
    CK_FIELD(j, st, "override_limit", "invalid_type");
    json_decref(j);
    snprintf(apath, sizeof apath, "/api/enrollments/%ld/attended", enr);
    j = hcall_json(&srv, "POST", apath, "{\"override_limit\":true}", &staff, &st);
    CK_FIELD(j, st, "override_limit", "unknown_member");
    json_decref(j);
    HEXPECT(&srv, "POST", "/api/enrollments/987654/attended", NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "POST", apath, NULL, &member, 403, "forbidden");
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT count(*) FROM enrollments WHERE id = %ld AND status = "
                          "'confirmed'",
                          enr),
        1);
    j = hcall_json(&srv, "POST", apath, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "attended");
    ck_assert(json_is_false(json_object_get(j, "over_limit")));
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'enrollment.attended' AND target_id = '%ld'",
                                       enr),
                     1);
}
END_TEST

START_TEST(over_long_list_filters_are_400)
{
    static const char *const names[] = {"kind",    "from",   "to",   "online",
                                        "section", "status", "month"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path,
                 "/api/activities?%s=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 names[i]);
        HEXPECT(&srv, "GET", path, NULL, NULL, 400, "bad_request");
    }
}
END_TEST

/* ---- Calendar files, feeds and the cross-activity export ---- */

START_TEST(calendar_files_feeds_and_export_dates)
{
    long draft = make_activity("\"title\":\"Ics draft\",\"starts_on\":\"2031-01-10\"", false);
    long undated = make_activity("\"title\":\"Ics undated\",\"date_label\":\"Spring 2031\"", true);
    long dated = make_activity("\"title\":\"Ics dated\",\"slug\":\"ics-dated\","
                               "\"starts_on\":\"2031-01-10\",\"start_time\":\"09:00\","
                               "\"timezone\":\"Asia/Seoul\"",
                               true);
    char path[128];
    snprintf(path, sizeof path, "/api/activities/%ld/calendar.ics", draft);
    HEXPECT(&srv, "GET", path, NULL, NULL, 404, "not_found");
    HEXPECT(&srv, "GET", "/api/activities/987654/calendar.ics", NULL, NULL, 404, "not_found");
    snprintf(path, sizeof path, "/api/activities/%ld/calendar.ics", undated);
    HEXPECT(&srv, "GET", path, NULL, NULL, 404, "no_dates");
    snprintf(path, sizeof path, "/api/activities/%ld/calendar.ics", dated);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, NULL, &r), 200);
    char hv[200];
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Disposition", hv, sizeof hv));
    ck_assert_str_eq(hv, "attachment; filename=\"ics-dated.ics\"");
    ck_assert_ptr_nonnull(strstr(r.body, "TZID=Asia/Seoul"));
    ck_assert_ptr_nonnull(strstr(r.body, "DTSTART;TZID=Asia/Seoul:20310110T090000"));
    hresp_free(&r);

    /* The export across activities takes whole ISO dates only. */
    static const char *const bad[] = {"from=March%202024", "from=2023-02-30", "to=2023-1-1",
                                      "to=2023-01-01T00", "from=20230101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "/api/exports/participants.csv?%s", bad[i]);
        HEXPECT(&srv, "GET", path, NULL, &staff, 400, "bad_request");
    }
    HEXPECT(&srv, "GET", "/api/exports/participants.csv?from=2031-01-01&to=", NULL, &member, 403,
            "forbidden");
    ck_assert_int_eq(
        hcall(&srv, "GET", "/api/exports/participants.csv?from=2031-01-01&to=", NULL, &staff, &r),
        200);
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Type", hv, sizeof hv));
    ck_assert_ptr_nonnull(strstr(hv, "text/csv"));
    hresp_free(&r);

    /* A private feed: none at first; made, read, revoked, gone. */
    long st = 0;
    json_t *j = hcall_json(&srv, "GET", "/api/me/calendar-token", NULL, &member, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(j, "url")));
    json_decref(j);
    HEXPECT(&srv, "POST", "/api/me/calendar-token", "{\"ttl\":1}", &member, 422,
            "validation_failed");
    j = hcall_json(&srv, "POST", "/api/me/calendar-token", NULL, &member, &st);
    ck_assert_int_eq(st, 200);
    const char *url = json_string_value(json_object_get(j, "url"));
    ck_assert_ptr_nonnull(url);
    const char *feed = strstr(url, "/api/feeds/");
    ck_assert_ptr_nonnull(feed);
    char feed_path[128];
    snprintf(feed_path, sizeof feed_path, "%s", feed);
    json_decref(j);
    j = hcall_json(&srv, "GET", "/api/me/calendar-token", NULL, &member, &st);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "url")), feed_path));
    json_decref(j);
    ck_assert_int_eq(hcall(&srv, "GET", feed_path, NULL, NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "BEGIN:VCALENDAR"));
    ck_assert_ptr_nonnull(hresp_header(&r, "Cache-Control", hv, sizeof hv));
    ck_assert_str_eq(hv, "private, no-cache");
    hresp_free(&r);
    j = hcall_json(&srv, "DELETE", "/api/me/calendar-token", NULL, &member, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(j, "url")));
    json_decref(j);
    /* A revoked feed says so (410), so that calendar apps can tell. */
    HEXPECT(&srv, "GET", feed_path, NULL, NULL, 410, "feed_revoked");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE actor_id = %ld AND "
                                       "action IN ('calendar_feed.created', "
                                       "'calendar_feed.revoked')",
                                       member.id),
                     2);
    /* Feed names of the wrong shape are no feed. */
    HEXPECT(&srv, "GET", "/api/feeds/short.ics", NULL, NULL, 404, "not_found");
    HEXPECT(&srv, "GET", "/api/feeds/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.ical", NULL, NULL,
            404, "not_found");
    HEXPECT(&srv, "GET", "/api/feeds/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.ics", NULL, NULL,
            404, "not_found");
    HEXPECT(&srv, "GET", "/api/me/calendar-token", NULL, NULL, 401, "unauthenticated");
}
END_TEST

/* Each kind of answer refused on answers.<question id> with its code;
 * answers to questions the activity does not ask are dropped. */
START_TEST(every_answer_rule_is_named)
{
    long act = make_activity("\"title\":\"Answer edges\"", true);
    char path[128];
    snprintf(path, sizeof path, "/api/activities/%ld/questions", act);
    long st = 0;
    json_t *j =
        hcall_json(&srv, "PUT", path,
                   "{\"questions\":[{\"kind\":\"text\",\"label\":\"Short\",\"max_length\":5,"
                   "\"required\":true},{\"kind\":\"yes_no\",\"label\":\"Vegetarian\"},"
                   "{\"kind\":\"single_choice\",\"label\":\"Size\",\"choices\":[\"S\",\"M\"]},"
                   "{\"kind\":\"multiple_choice\",\"label\":\"Days\",\"choices\":[\"Mon\",\"Tue\"],"
                   "\"required\":true}]}",
                   &staff, &st);
    ck_assert_int_eq(st, 200);
    long q[4];
    for (size_t i = 0; i < 4; i++)
        q[i] = (long)json_integer_value(
            json_object_get(json_array_get(json_object_get(j, "questions"), i), "id"));
    json_decref(j);
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", act);
    char f[4][32];
    for (size_t i = 0; i < 4; i++)
        snprintf(f[i], sizeof f[i], "answers.%ld", q[i]);
    struct {
        const char *a[4]; /* JSON of each answer, NULL: absent */
        int which;
        const char *code;
    } cases[] = {
        {{NULL, NULL, NULL, "[\"Mon\"]"}, 0, "required"},
        {{"\"\"", NULL, NULL, "[\"Mon\"]"}, 0, "required"},
        {{"null", NULL, NULL, "[\"Mon\"]"}, 0, "required"},
        {{"\"ok\"", NULL, NULL, "[]"}, 3, "required"},
        {{"5", NULL, NULL, "[\"Mon\"]"}, 0, "invalid_type"},
        {{"\"toolong\"", NULL, NULL, "[\"Mon\"]"}, 0, "too_long"},
        {{"\"ok\"", "\"yes\"", NULL, "[\"Mon\"]"}, 1, "invalid_type"},
        {{"\"ok\"", NULL, "\"XL\"", "[\"Mon\"]"}, 2, "invalid_choice"},
        {{"\"ok\"", NULL, "[\"S\"]", "[\"Mon\"]"}, 2, "invalid_choice"},
        {{"\"ok\"", NULL, NULL, "\"Mon\""}, 3, "invalid_choice"},
        {{"\"ok\"", NULL, NULL, "[\"Mon\",\"Sun\"]"}, 3, "invalid_choice"},
        {{"\"ok\"", NULL, NULL, "[1]"}, 3, "invalid_choice"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char body[512];
        int n = snprintf(body, sizeof body, "{\"answers\":{");
        bool first = true;
        for (size_t i = 0; i < 4; i++) {
            if (cases[c].a[i] == NULL)
                continue;
            n += snprintf(body + n, sizeof body - (size_t)n, "%s\"%ld\":%s", first ? "" : ",", q[i],
                          cases[c].a[i]);
            first = false;
        }
        snprintf(body + n, sizeof body - (size_t)n, "}}");
        j = hcall_json(&srv, "POST", path, body, &member, &st);
        ck_assert_msg(st == 422, "%s: %ld", body, st);
        ck_assert_msg(strcmp(hjson_field_code(j, f[cases[c].which]), cases[c].code) == 0,
                      "%s: %s \"%s\", want %s", body, f[cases[c].which],
                      hjson_field_code(j, f[cases[c].which]), cases[c].code);
        json_decref(j);
    }
    /* Text holding a NUL is no JSON text the server reads. */
    char nul[160];
    snprintf(nul, sizeof nul, "{\"answers\":{\"%ld\":\"a\\u0000b\",\"%ld\":[\"Mon\"]}}", q[0],
             q[3]);
    HEXPECT(&srv, "POST", path, nul, &member, 400, "invalid_json");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", act), 0);
    /* Good answers are stored as sent; one to no question is dropped. */
    char body[512];
    snprintf(body, sizeof body,
             "{\"answers\":{\"%ld\":\"hi\",\"%ld\":false,\"%ld\":\"M\",\"%ld\":[\"Tue\","
             "\"Mon\"],\"999999\":\"extra\"}}",
             q[0], q[1], q[2], q[3]);
    HEXPECT(&srv, "POST", path, body, &member, 201, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM enrollments WHERE activity_id = %ld "
                                       "AND answers = '{\"%ld\": \"hi\", \"%ld\": false, \"%ld\": "
                                       "\"M\", \"%ld\": [\"Tue\", \"Mon\"]}'::jsonb",
                                       act, q[0], q[1], q[2], q[3]),
                     1);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_activities_edges_suite(void)
{
    Suite *s = suite_create("activities_edges");
    TCase *tc = tcase_create("activities_edges");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_list_filter_narrows_the_answer);
    tcase_add_test(tc, bad_list_filters_are_400);
    tcase_add_test(tc, list_etag_answers_304_until_a_change);
    tcase_add_test(tc, drafts_are_seen_by_staff_only);
    tcase_add_test(tc, every_bad_field_is_named_and_nothing_is_written);
    tcase_add_test(tc, good_values_of_every_kind_are_stored);
    tcase_add_test(tc, patch_changes_only_what_it_names);
    tcase_add_test(tc, publish_and_cancel_from_the_wrong_status);
    tcase_add_test(tc, every_question_rule_is_named);
    tcase_add_test(tc, registering_someone_and_staff_actions);
    tcase_add_test(tc, over_long_list_filters_are_400);
    tcase_add_test(tc, calendar_files_feeds_and_export_dates);
    tcase_add_test(tc, every_answer_rule_is_named);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
