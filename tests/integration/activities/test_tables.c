/*
 * test_tables.c - what the staff and admin tables ask of the API, against
 * the real server, PostgreSQL and a mail catcher: the registrations list
 * filtered by status and searched (name, email, organisation) with its
 * counts per status; approving and moving several registrations at once,
 * one refusal reported in its row while the others are done (database
 * state, audit rows and mails checked); the audit log with names and its
 * filters (person, action, days; 400 on bad values); the outbox's and the
 * accounts' counts;
 * the staff activity list with registration counts, pending approvals
 * first; CSV exports in the pages' words beside the codes.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "harness.h"

Suite *make_tables_suite(void);

#define DB "tables"

static struct server srv;
static struct catcher mail;
static struct hsession staff, admin, participant;
/* Registrations of activity `act` (capacity 2, by approval): t-1 confirmed,
 * t-2, t-3, t-4 pending approval, t-5 cancelled. t-6 is pending in
 * `other`. t-1..t-3 are in "Seoul Metropolitan Government". */
static struct hsession people[6];
static long act, other;
static long enr[6];

static long create_activity(const char *title, const char *extra)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"workshop\",\"title\":\"%s\",\"timezone\":\"Asia/Seoul\","
             "\"starts_on\":\"2031-05-22\",\"mode\":\"approval\"%s}",
             title, extra);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities", body, &staff, &r), 201);
    json_t *j = json_loads(r.body, 0, NULL);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    hresp_free(&r);
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/publish", id);
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &staff, &r), 200);
    hresp_free(&r);
    return id;
}

static long insert_enrollment(long activity, long account, const char *status)
{
    return harness_sql_longf(DB,
                             "INSERT INTO enrollments (activity_id, account_id, status, "
                             "organisation_id) SELECT %ld, id, '%s', organisation_id FROM "
                             "accounts WHERE id = %ld RETURNING id",
                             activity, status, account);
}

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES ('Seoul "
                    "Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city')");
    harness_make_users(DB, "staff", "Staff", 1, NULL, "staff", &staff);
    harness_sql(
        DB, "UPDATE accounts SET name = 'Kim Min-jun' WHERE email = 'staff-1@test.example.org'");
    harness_make_users(DB, "admin", "Admin", 1, NULL, "admin", &admin);
    harness_make_users(DB, "part", "Part", 1, NULL, "participant", &participant);
    harness_make_users(DB, "t", "Tables", 3, "Seoul Metropolitan Government", "participant",
                       people);
    harness_make_users(DB, "u", "Other", 3, NULL, "participant", people + 3);
    harness_sql(DB, "UPDATE accounts SET name = 'Ana Reyes' WHERE email = 't-2@test.example.org'");
    act = create_activity("Urban Heat Resilience Workshop", ",\"capacity\":2");
    other = create_activity("Another workshop", "");
    static const char *const st[] = {"confirmed", "pending_approval", "pending_approval",
                                     "pending_approval", "cancelled"};
    for (int i = 0; i < 5; i++)
        enr[i] = insert_enrollment(act, people[i].id, st[i]);
    enr[5] = insert_enrollment(other, people[5].id, "pending_approval");
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE activities SET confirmed_count = 1 WHERE id = %ld", act);
    harness_sql(DB, sql);
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

static const char *list_path(const char *query)
{
    static char p[1024];
    snprintf(p, sizeof p, "/api/activities/%ld/enrollments%s", act, query);
    return p;
}

static long count_of(json_t *j, const char *status)
{
    json_t *counts = json_object_get(j, "counts");
    ck_assert_msg(json_is_object(counts), "no counts");
    json_t *n = json_object_get(counts, status);
    ck_assert_msg(json_is_integer(n), "no count for %s", status);
    return (long)json_integer_value(n);
}

static const char *status_of(long enrollment)
{
    static char s[32];
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT status FROM enrollments WHERE id = %ld", enrollment);
    char *v = harness_sql_text(DB, sql);
    snprintf(s, sizeof s, "%s", v ? v : "");
    free(v);
    return s;
}

/* ---- The list: status, search, counts ---- */

START_TEST(list_filters_by_status_with_counts)
{
    long st;
    json_t *j = hcall_json(&srv, "GET", list_path("?status=pending_approval"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 3);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, i), "status")),
                         "pending_approval");
    /* The counts cover every status whatever is asked. */
    ck_assert_int_eq(count_of(j, "pending_approval"), 3);
    ck_assert_int_eq(count_of(j, "confirmed"), 1);
    ck_assert_int_eq(count_of(j, "cancelled"), 1);
    ck_assert_int_eq(count_of(j, "waitlisted"), 0);
    ck_assert_int_eq(count_of(j, "attended"), 0);
    ck_assert_int_eq(count_of(j, "rejected"), 0);
    json_decref(j);

    /* Search by name, email and organisation (any case); counts follow it. */
    j = hcall_json(&srv, "GET", list_path("?q=ana%20REYES"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")),
        enr[1]);
    ck_assert_int_eq(count_of(j, "pending_approval"), 1);
    ck_assert_int_eq(count_of(j, "confirmed"), 0);
    json_decref(j);
    j = hcall_json(&srv, "GET", list_path("?q=u-2@test"), NULL, &staff, &st);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
    j = hcall_json(&srv, "GET", list_path("?q=seoul%20metropolitan&status=pending_approval"), NULL,
                   &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
    ck_assert_int_eq(count_of(j, "confirmed"), 1);
    json_decref(j);
    j = hcall_json(&srv, "GET", list_path("?q=nobody-at-all"), NULL, &staff, &st);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);

    /* Bad values are 400, never "no filter". */
    HEXPECT(&srv, "GET", list_path("?status=waiting"), NULL, &staff, 400, "bad_request");
    char longq[700] = "?q=";
    memset(longq + 3, 'x', 650);
    longq[653] = '\0';
    HEXPECT(&srv, "GET", list_path(longq), NULL, &staff, 400, "bad_request");
    HEXPECT(&srv, "GET", list_path("?q=%ff"), NULL, &staff, 400, "bad_request");
    HEXPECT(&srv, "GET", list_path(""), NULL, &participant, 403, "forbidden");
}
END_TEST

/* ---- Several at once ---- */

static const char *bulk_path(long activity)
{
    static char p[128];
    snprintf(p, sizeof p, "/api/activities/%ld/enrollments/bulk", activity);
    return p;
}

static json_t *result_for(json_t *j, long id)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(j, "results"), i, row)
    {
        if (json_integer_value(json_object_get(row, "id")) == id)
            return row;
    }
    ck_abort_msg("no result for %ld", id);
    return NULL;
}

static const char *row_error(json_t *row)
{
    return json_string_value(json_object_get(json_object_get(row, "error"), "code"));
}

START_TEST(bulk_approve_reports_each_row)
{
    /* One seat is free: t-2 gets it, t-3 goes to the waiting list (approved
     * into a full activity); t-1 is already confirmed (invalid_transition)
     * and t-6's registration is in another activity (not_found). */
    char body[256];
    snprintf(body, sizeof body, "{\"action\":\"approve\",\"ids\":[%ld,%ld,%ld,%ld]}", enr[1],
             enr[0], enr[2], enr[5]);
    long st;
    json_t *j = hcall_json(&srv, "POST", bulk_path(act), body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "done")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "failed")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(j, "results")), 4);
    json_t *row = result_for(j, enr[1]);
    ck_assert(json_is_true(json_object_get(row, "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(row, "status")), "confirmed");
    row = result_for(j, enr[2]);
    ck_assert(json_is_true(json_object_get(row, "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(row, "status")), "waitlisted");
    row = result_for(j, enr[0]);
    ck_assert(json_is_false(json_object_get(row, "ok")));
    ck_assert_str_eq(row_error(row), "invalid_transition");
    row = result_for(j, enr[5]);
    ck_assert(json_is_false(json_object_get(row, "ok")));
    ck_assert_str_eq(row_error(row), "not_found");
    json_decref(j);

    /* The database: the refusals changed nothing, the others are done. */
    ck_assert_str_eq(status_of(enr[0]), "confirmed");
    ck_assert_str_eq(status_of(enr[1]), "confirmed");
    ck_assert_str_eq(status_of(enr[2]), "waitlisted");
    ck_assert_str_eq(status_of(enr[3]), "pending_approval");
    ck_assert_str_eq(status_of(enr[5]), "pending_approval");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT confirmed_count FROM activities WHERE id = %ld", act), 2);
    /* An audit row per change done, marked as bulk; the mails queued. */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'enrollment.approve' AND (details->>'bulk')::boolean "
                                       "AND target_id IN ('%ld', '%ld') AND actor_id = %ld",
                                       enr[1], enr[2], staff.id),
                     2);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action LIKE "
                                       "'enrollment.%%' AND target_id IN ('%ld', '%ld')",
                                       enr[0], enr[5]),
                     0);
    json_t *m = harness_wait_mail(&mail, "t-2@test.example.org", NULL, 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    ck_assert_int_eq(harness_sql_longf(DB, "SELECT count(*) FROM mail_outbox WHERE to_address = "
                                           "'t-3@test.example.org' AND template = "
                                           "'enrollment_waitlisted'"),
                     1);

    /* Moving back to the list: t-1 (confirmed) goes and its seat goes to
     * t-3, the first waiting; t-5's cancelled registration cannot move. */
    snprintf(body, sizeof body, "{\"action\":\"waitlist\",\"ids\":[%ld,%ld]}", enr[0], enr[4]);
    j = hcall_json(&srv, "POST", bulk_path(act), body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "done")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(result_for(j, enr[0]), "status")),
                     "waitlisted");
    ck_assert_str_eq(row_error(result_for(j, enr[4])), "invalid_transition");
    json_decref(j);
    ck_assert_str_eq(status_of(enr[0]), "waitlisted");
    ck_assert_str_eq(status_of(enr[2]), "confirmed");
    ck_assert_str_eq(status_of(enr[4]), "cancelled");
}
END_TEST

START_TEST(bulk_refusals)
{
    char body[160];
    snprintf(body, sizeof body, "{\"action\":\"approve\",\"ids\":[%ld]}", enr[3]);
    HEXPECT(&srv, "POST", bulk_path(act), body, &participant, 403, "forbidden");
    HEXPECT(&srv, "POST", bulk_path(act), body, NULL, 401, NULL);
    HEXPECT(&srv, "POST", bulk_path(999999), body, &staff, 404, "not_found");
    struct {
        const char *body, *field, *code;
    } bad[] = {
        {"{\"action\":\"reject\",\"ids\":[1]}", "action", "invalid_choice"},
        {"{\"action\":7,\"ids\":[1]}", "action", "invalid_type"},
        {"{\"ids\":[1]}", "action", "required"},
        {"{\"action\":\"approve\",\"ids\":[]}", "ids", "too_short"},
        {"{\"action\":\"approve\"}", "ids", "required"},
        {"{\"action\":\"approve\",\"ids\":\"1\"}", "ids", "invalid_type"},
        {"{\"action\":\"approve\",\"ids\":[\"1\"]}", "ids", "invalid_type"},
        {"{\"action\":\"approve\",\"ids\":[0]}", "ids", "invalid_type"},
        {"{\"action\":\"approve\",\"ids\":[5,5]}", "ids", "invalid_format"},
        {"{\"action\":\"approve\",\"ids\":[1],\"why\":1}", "why", "unknown_member"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct hresp r;
        ck_assert_int_eq(hcall(&srv, "POST", bulk_path(act), bad[i].body, &staff, &r), 422);
        ck_assert_str_eq(herr_code(&r), "validation_failed");
        ck_assert_msg(strcmp(herr_field_code(&r, bad[i].field), bad[i].code) == 0, "%s: %s is %s",
                      bad[i].body, bad[i].field, herr_field_code(&r, bad[i].field));
        hresp_free(&r);
    }
    strbuf b;
    strbuf_init(&b, 0);
    strbuf_puts(&b, "{\"action\":\"approve\",\"ids\":[");
    for (int i = 1; i <= 201; i++)
        strbuf_printf(&b, "%s%d", i > 1 ? "," : "", i);
    strbuf_puts(&b, "]}");
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", bulk_path(act), strbuf_cstr(&b), &staff, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "ids"), "too_long");
    hresp_free(&r);
    strbuf_free(&b);
    /* Nothing changed. */
    ck_assert_str_eq(status_of(enr[3]), "pending_approval");
}
END_TEST

/* ---- The audit log ---- */

static const char *audit_path(const char *query)
{
    static char p[512];
    snprintf(p, sizeof p, "/api/admin/audit%s", query);
    return p;
}

START_TEST(audit_has_names_and_filters)
{
    /* A role change: an entry about an account. */
    char path[128];
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/judge", people[3].id);
    HEXPECT(&srv, "PUT", path, NULL, &admin, 200, NULL);
    long st;
    json_t *j = hcall_json(&srv, "GET", audit_path("?action=enrollment.approve&person=ana%20reyes"),
                           NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    json_t *e = json_array_get(json_object_get(j, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "actor_name")), "Kim Min-jun");
    ck_assert_str_eq(json_string_value(json_object_get(e, "person_name")), "Ana Reyes");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "person_id")), people[1].id);
    ck_assert_str_eq(json_string_value(json_object_get(e, "activity_title")),
                     "Urban Heat Resilience Workshop");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "activity_id")), act);
    json_decref(j);

    /* The person as the actor or as the one concerned. */
    char q[128];
    snprintf(q, sizeof q, "?person_id=%ld", people[3].id);
    j = hcall_json(&srv, "GET", audit_path(q), NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    e = json_array_get(json_object_get(j, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "action")), "role.granted");
    ck_assert_str_eq(json_string_value(json_object_get(e, "person_name")), "Other 1");
    ck_assert_str_eq(json_string_value(json_object_get(e, "actor_name")), "Admin 1");
    json_decref(j);
    j = hcall_json(&srv, "GET", audit_path("?person=KIM%20MIN&action=enrollment."), NULL, &admin,
                   &st);
    long by_staff = harness_sql_longf(DB,
                                      "SELECT count(*) FROM audit_log WHERE actor_id = %ld AND "
                                      "action LIKE 'enrollment.%%'",
                                      staff.id);
    ck_assert_int_gt(by_staff, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), by_staff);
    json_decref(j);

    /* Days (UTC): today holds them all, a day far ahead none. */
    char *today = harness_sql_text(DB, "SELECT (now() AT TIME ZONE 'UTC')::date::text");
    snprintf(q, sizeof q, "?from=%s&to=%s&action=role.", today, today);
    free(today);
    j = hcall_json(&srv, "GET", audit_path(q), NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 1);
    json_decref(j);
    j = hcall_json(&srv, "GET", audit_path("?from=2099-01-01"), NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    j = hcall_json(&srv, "GET", audit_path("?to=2000-01-01"), NULL, &admin, &st);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);

    static const char *const bad[] = {
        "?from=2026-13-01",       "?from=yesterday",
        "?to=2026-1-1",           "?from=2026-05-02&to=2026-05-01",
        "?action=Role%20granted", "?action=role.granted%27",
        "?person_id=abc",         "?person_id=0",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        HEXPECT(&srv, "GET", audit_path(bad[i]), NULL, &admin, 400, "bad_request");
    HEXPECT(&srv, "GET", audit_path(""), NULL, &staff, 403, "forbidden");
}
END_TEST

/* ---- Outbox counts, the staff activity list ---- */

START_TEST(outbox_counts_every_status)
{
    long st;
    json_t *j = hcall_json(&srv, "GET", "/api/admin/outbox?status=failed", NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    long sum = count_of(j, "pending") + count_of(j, "sending") + count_of(j, "sent") +
               count_of(j, "failed");
    ck_assert_int_eq(count_of(j, "failed"), json_integer_value(json_object_get(j, "total")));
    json_decref(j);
    /* No mail is queued meanwhile (nothing else runs): the sum is every row. */
    ck_assert_int_eq(sum, harness_sql_long(DB, "SELECT count(*) FROM mail_outbox"));
}
END_TEST

START_TEST(accounts_count_roles)
{
    long st;
    /* "Tables" matches t-1 and t-3 (t-2 is Ana Reyes now), participants;
     * the counts ignore ?role=. */
    json_t *j = hcall_json(&srv, "GET", "/api/accounts?q=tables&role=staff", NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    ck_assert_int_eq(count_of(j, "participant"), 2);
    ck_assert_int_eq(count_of(j, "staff"), 0);
    ck_assert_int_eq(count_of(j, "judge"), 0);
    ck_assert_int_eq(count_of(j, "admin"), 0);
    json_decref(j);
    j = hcall_json(&srv, "GET", "/api/admin/accounts", NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(
        count_of(j, "staff"),
        harness_sql_long(DB, "SELECT count(*) FROM account_roles WHERE role = 'staff'"));
    ck_assert_int_eq(count_of(j, "admin"), 1);
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/accounts?role=boss", NULL, &staff, 400, "bad_request");
}
END_TEST

START_TEST(staff_list_counts_registrations_pending_first)
{
    /* `other` has one pending registration; `act` one (t-4) after the bulk
     * approval. Give `other` two more so it comes first. */
    insert_enrollment(other, people[0].id, "pending_approval");
    insert_enrollment(other, people[1].id, "pending_approval");
    long st;
    json_t *j =
        hcall_json(&srv, "GET", "/api/activities?status=all&sort=pending", NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    json_t *first = json_array_get(json_object_get(j, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "id")), other);
    json_t *counts = json_object_get(first, "enrollment_counts");
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "pending_approval")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(counts, "confirmed")), 0);
    json_t *second = json_array_get(json_object_get(j, "items"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(second, "id")), act);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(second, "enrollment_counts"), "pending_approval")),
                     1);
    json_decref(j);
    /* The public list has no counts; sort=pending is for staff. */
    j = hcall_json(&srv, "GET", "/api/activities", NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_ptr_null(
        json_object_get(json_array_get(json_object_get(j, "items"), 0), "enrollment_counts"));
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/activities?sort=pending", NULL, NULL, 400, "bad_request");
    HEXPECT(&srv, "GET", "/api/activities?status=all&sort=busy", NULL, &staff, 400, "bad_request");
}
END_TEST

/* ---- CSV in words ---- */

START_TEST(csv_uses_the_pages_words)
{
    char path[128];
    snprintf(path, sizeof path, "/api/activities/%ld/participants.csv", act);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &staff, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"Status\",\"Status code\",\"Registered at (UTC)\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"On the waiting list\",\"waitlisted\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Waiting for approval\",\"pending_approval\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Confirmed\",\"confirmed\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Cancelled\",\"cancelled\""));
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "GET",
                           "/api/exports/participants.csv?from=2031-05-01&to=2031-05-31", NULL,
                           &staff, &r),
                     200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"Kind\",\"Kind code\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Workshop\",\"workshop\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"On the waiting list\",\"waitlisted\""));
    hresp_free(&r);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_tables_suite(void)
{
    Suite *s = suite_create("tables");
    TCase *tc = tcase_create("tables");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, list_filters_by_status_with_counts);
    tcase_add_test(tc, bulk_approve_reports_each_row);
    tcase_add_test(tc, bulk_refusals);
    tcase_add_test(tc, audit_has_names_and_filters);
    tcase_add_test(tc, outbox_counts_every_status);
    tcase_add_test(tc, accounts_count_roles);
    tcase_add_test(tc, staff_list_counts_registrations_pending_first);
    tcase_add_test(tc, csv_uses_the_pages_words);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
