/*
 * test_checkin.c - check-in at the door against the real server and
 * PostgreSQL: marking and undoing a day (status, days, counts, audit rows),
 * the days-needed rule on a three-day activity, the seat counters and the
 * waiting list untouched by check-in and its undo, registrations that are
 * not confirmed refused with not_confirmed (nothing recorded), only staff
 * and admins, strict bodies, and 300 registrations listed with their
 * counts.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

Suite *make_checkin_suite(void);

#define DB    "checkin"
#define CROWD 300

static struct server srv;
static struct hsession staff, admin, participant, judge;
/* p-1 .. p-8: people who register through the API in the tests. */
static struct hsession people[8];
/* c-1 .. c-300: the crowd of the 300-registration activity. */
static struct hsession crowd[CROWD];

static void start_all(void)
{
    harness_fresh_db(DB);
    const char *env[] = {"CONVENE_DB_POOL_SIZE=8", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_make_users(DB, "staff", "Staff", 1, NULL, "staff", &staff);
    harness_make_users(DB, "admin", "Admin", 1, NULL, "admin", &admin);
    harness_make_users(DB, "part", "Part", 1, NULL, "participant", &participant);
    harness_make_users(DB, "judge", "Judge", 1, NULL, "judge", &judge);
    harness_make_users(DB, "p", "Person", 8, NULL, "participant", people);
    harness_make_users(DB, "c", "Crowd", CROWD, NULL, "participant", crowd);
}

static void stop_all(void)
{
    harness_server_stop(&srv);
}

/* Creates and publishes an activity from the JSON fields (without mode and
 * kind); returns its id. */
static long new_activity(const char *fields)
{
    char body[512], p[96];
    snprintf(body, sizeof body, "{\"kind\":\"workshop\",\"timezone\":\"Asia/Seoul\",%s}", fields);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities", body, &staff, &r), 201);
    json_t *j = json_loads(r.body, 0, NULL);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    hresp_free(&r);
    snprintf(p, sizeof p, "/api/activities/%ld/publish", id);
    HEXPECT(&srv, "POST", p, NULL, &staff, 200, NULL);
    return id;
}

/* Registers who for activity act through the API; returns the registration
 * id and puts its status in status (at least 24 bytes). */
static long enrol(long act, const struct hsession *who, char *status)
{
    char p[96];
    snprintf(p, sizeof p, "/api/activities/%ld/enrollments", act);
    long st;
    json_t *j = hcall_json(&srv, "POST", p, "{\"answers\":{}}", who, &st);
    ck_assert_int_eq(st, 201);
    snprintf(status, 24, "%s", json_string_value(json_object_get(j, "status")));
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

static const char *day_path(long enr, int day)
{
    static char p[96];
    snprintf(p, sizeof p, "/api/enrollments/%ld/attendance/%d", enr, day);
    return p;
}

static const char *checkin_path(long act)
{
    static char p[96];
    snprintf(p, sizeof p, "/api/activities/%ld/checkin", act);
    return p;
}

/* PUT (present) or DELETE one day as staff; asserts 200 and returns the
 * answer (new reference). */
static json_t *mark(long enr, int day, bool present)
{
    long st;
    json_t *j = hcall_json(&srv, present ? "PUT" : "DELETE", day_path(enr, day), NULL, &staff, &st);
    ck_assert_msg(st == 200, "%s day %d of %ld: %ld", present ? "PUT" : "DELETE", day, enr, st);
    return j;
}

static const char *str_of(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static long arrived(json_t *answer, int day)
{
    json_t *counts = json_object_get(answer, "counts");
    return (long)json_integer_value(json_array_get(json_object_get(counts, "arrived"), day - 1));
}

static long count_of(json_t *answer, const char *key)
{
    return (long)json_integer_value(json_object_get(json_object_get(answer, "counts"), key));
}

static long db_status_is(long enr, const char *status)
{
    return harness_sql_longf(
        DB, "SELECT count(*) FROM enrollments WHERE id = %ld AND status = '%s'", enr, status);
}

static long audit_rows(const char *action, long enr)
{
    return harness_sql_longf(DB,
                             "SELECT count(*) FROM audit_log WHERE action = '%s' AND target_type = "
                             "'enrollment' AND target_id = '%ld'",
                             action, enr);
}

/* The activity's seat counter equals its registrations holding a seat. */
static void assert_seats(long act, long expected)
{
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT confirmed_count FROM activities WHERE id = %ld", act),
        expected);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM enrollments WHERE activity_id = %ld "
                                       "AND status IN ('confirmed', 'attended')",
                                       act),
                     expected);
}

/* ---- One day: mark and undo ---- */

START_TEST(one_day_mark_and_undo)
{
    long act = new_activity("\"title\":\"Door test\",\"starts_on\":\"2031-05-22\","
                            "\"mode\":\"open\",\"capacity\":10");
    char st[24];
    long a = enrol(act, &people[0], st);
    ck_assert_str_eq(st, "confirmed");
    long b = enrol(act, &people[1], st);
    assert_seats(act, 2);

    json_t *j = mark(a, 1, true);
    ck_assert_str_eq(str_of(j, "status"), "attended");
    ck_assert(json_is_true(json_object_get(j, "changed")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "days")), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(j, "days"), 0)), 1);
    ck_assert_int_eq(count_of(j, "expected"), 2);
    ck_assert_int_eq(count_of(j, "attended"), 1);
    ck_assert_int_eq(arrived(j, 1), 1);
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "attended"), 1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM attendance WHERE enrollment_id = %ld "
                                       "AND day = 1 AND marked_by = %ld",
                                       a, staff.id),
                     1);
    assert_seats(act, 2);
    ck_assert_int_eq(audit_rows("enrollment.checked_in", a), 1);

    /* Again: nothing changes, nothing more in the audit log. */
    j = mark(a, 1, true);
    ck_assert(json_is_false(json_object_get(j, "changed")));
    ck_assert_str_eq(str_of(j, "status"), "attended");
    json_decref(j);
    ck_assert_int_eq(audit_rows("enrollment.checked_in", a), 1);

    /* The list shows it. */
    long code;
    j = hcall_json(&srv, "GET", checkin_path(act), NULL, &staff, &code);
    ck_assert_int_eq(code, 200);
    json_t *days = json_object_get(json_object_get(j, "activity"), "days");
    ck_assert_int_eq(json_array_size(days), 1);
    ck_assert_str_eq(str_of(json_array_get(days, 0), "date"), "2031-05-22");
    ck_assert_int_eq(arrived(j, 1), 1);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    json_t *first = json_array_get(items, 0); /* Person 1 sorts first */
    ck_assert_int_eq(json_integer_value(json_object_get(first, "id")), a);
    ck_assert_str_eq(str_of(first, "status"), "attended");
    ck_assert_str_eq(str_of(first, "email"), "p-1@test.example.org");
    json_decref(j);

    /* Undo. */
    j = mark(a, 1, false);
    ck_assert_str_eq(str_of(j, "status"), "confirmed");
    ck_assert(json_is_true(json_object_get(j, "changed")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "days")), 0);
    ck_assert_int_eq(count_of(j, "attended"), 0);
    ck_assert_int_eq(arrived(j, 1), 0);
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "confirmed"), 1);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM attendance WHERE enrollment_id = %ld", a), 0);
    ck_assert_int_eq(audit_rows("enrollment.checkin_undone", a), 1);
    assert_seats(act, 2);
    j = mark(a, 1, false);
    ck_assert(json_is_false(json_object_get(j, "changed")));
    json_decref(j);
    ck_assert_int_eq(audit_rows("enrollment.checkin_undone", a), 1);

    /* A one-day activity has no day 2; day 0 is no day either. */
    HEXPECT(&srv, "PUT", day_path(b, 2), NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "PUT", day_path(b, 0), NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "PUT", day_path(b, 367), NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "PUT", "/api/enrollments/99999999/attendance/1", NULL, &staff, 404, "not_found");
    ck_assert_int_eq(db_status_is(b, "confirmed"), 1);
    /* Strict: a body with a member is refused. */
    HEXPECT(&srv, "PUT", day_path(b, 1), "{\"present\":true}", &staff, 422, "validation_failed");
    ck_assert_int_eq(db_status_is(b, "confirmed"), 1);
    HEXPECT(&srv, "PUT", day_path(b, 1), "{}", &staff, 200, NULL);
    ck_assert_int_eq(db_status_is(b, "attended"), 1);
}
END_TEST

/* ---- Several days: how many make attended ---- */

START_TEST(days_needed_rule_on_three_days)
{
    long act = new_activity("\"title\":\"Three days\",\"starts_on\":\"2031-06-01\","
                            "\"ends_on\":\"2031-06-03\",\"mode\":\"open\",\"capacity\":5");
    char st[24];
    long a = enrol(act, &people[2], st);
    long b = enrol(act, &people[3], st);
    assert_seats(act, 2);

    /* Default: all three days. */
    json_decref(mark(a, 1, true));
    json_t *j = mark(a, 2, true);
    ck_assert_str_eq(str_of(j, "status"), "confirmed");
    ck_assert_int_eq(json_array_size(json_object_get(j, "days")), 2);
    json_decref(j);
    j = mark(a, 3, true);
    ck_assert_str_eq(str_of(j, "status"), "attended");
    ck_assert_int_eq(arrived(j, 1), 1);
    ck_assert_int_eq(arrived(j, 3), 1);
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "counts"), "arrived")), 3);
    json_decref(j);
    json_decref(mark(b, 1, true));
    json_decref(mark(b, 3, true));
    ck_assert_int_eq(db_status_is(b, "confirmed"), 1);
    HEXPECT(&srv, "PUT", day_path(a, 4), NULL, &staff, 404, "not_found");

    /* The list: three dated days, needed 3, days_needed null (all). */
    long code;
    j = hcall_json(&srv, "GET", checkin_path(act), NULL, &staff, &code);
    ck_assert_int_eq(code, 200);
    json_t *info = json_object_get(j, "activity");
    ck_assert_int_eq(json_array_size(json_object_get(info, "days")), 3);
    ck_assert_str_eq(str_of(json_array_get(json_object_get(info, "days"), 2), "date"),
                     "2031-06-03");
    ck_assert(json_is_null(json_object_get(info, "days_needed")));
    ck_assert_int_eq(json_integer_value(json_object_get(info, "needed")), 3);
    ck_assert_int_eq(arrived(j, 1), 2);
    ck_assert_int_eq(arrived(j, 2), 1);
    ck_assert_int_eq(arrived(j, 3), 2);
    json_decref(j);

    /* Two days make attended: b (days 1 and 3) becomes attended at once. */
    j = hcall_json(&srv, "PUT", checkin_path(act), "{\"days_needed\":2}", &staff, &code);
    ck_assert_int_eq(code, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "days_needed")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "needed")), 2);
    ck_assert_int_eq(count_of(j, "attended"), 2);
    json_decref(j);
    ck_assert_int_eq(db_status_is(b, "attended"), 1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'activity.checkin_days_set' AND target_id = '%ld' AND "
                                       "details->>'days_needed' = '2'",
                                       act),
                     1);
    /* a: three days, one undone: still two, still attended; another
     * undone: confirmed. */
    j = mark(a, 3, false);
    ck_assert_str_eq(str_of(j, "status"), "attended");
    json_decref(j);
    j = mark(a, 2, false);
    ck_assert_str_eq(str_of(j, "status"), "confirmed");
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "confirmed"), 1);
    assert_seats(act, 2);

    /* One day is enough: a is attended again; null goes back to all days
     * (b has two of three: confirmed). */
    j = hcall_json(&srv, "PUT", checkin_path(act), "{\"days_needed\":1}", &staff, &code);
    ck_assert_int_eq(code, 200);
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "attended"), 1);
    j = hcall_json(&srv, "PUT", checkin_path(act), "{\"days_needed\":null}", &staff, &code);
    ck_assert_int_eq(code, 200);
    ck_assert(json_is_null(json_object_get(j, "days_needed")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "needed")), 3);
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "confirmed"), 1);
    ck_assert_int_eq(db_status_is(b, "confirmed"), 1);
    assert_seats(act, 2);

    /* Bad settings: 422 on the field, nothing changed. */
    static const struct {
        const char *body, *code;
    } bad[] = {
        {"{\"days_needed\":4}", "invalid_choice"},
        {"{\"days_needed\":0}", NULL},
        {"{\"days_needed\":\"2\"}", "invalid_type"},
        {"{}", "required"},
        {"{\"days_needed\":2.5}", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hresp r;
        ck_assert_int_eq(hcall(&srv, "PUT", checkin_path(act), bad[i].body, &staff, &r), 422);
        const char *fc = herr_field_code(&r, "days_needed");
        ck_assert_msg(fc[0] != '\0', "%s: no error on days_needed: %s", bad[i].body, r.body);
        if (bad[i].code)
            ck_assert_str_eq(fc, bad[i].code);
        hresp_free(&r);
    }
    struct hresp r;
    ck_assert_int_eq(
        hcall(&srv, "PUT", checkin_path(act), "{\"days_needed\":2,\"all\":true}", &staff, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "all"), "unknown_member");
    hresp_free(&r);
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT count(*) FROM checkin_settings WHERE activity_id = %ld AND "
                          "days_needed IS NULL",
                          act),
        1);
    HEXPECT(&srv, "PUT", "/api/activities/99999999/checkin", "{\"days_needed\":1}", &staff, 404,
            "not_found");
    HEXPECT(&srv, "GET", "/api/activities/99999999/checkin", NULL, &staff, 404, "not_found");
}
END_TEST

/* ---- Seats and the waiting list ---- */

START_TEST(seats_and_waiting_list_untouched_by_undo)
{
    long act = new_activity("\"title\":\"Two seats\",\"starts_on\":\"2031-07-01\","
                            "\"mode\":\"open\",\"capacity\":2");
    char st[24];
    long a = enrol(act, &people[4], st);
    long b = enrol(act, &people[5], st);
    long w = enrol(act, &people[6], st);
    ck_assert_str_eq(st, "waitlisted");
    assert_seats(act, 2);
    json_decref(mark(a, 1, true));
    json_decref(mark(b, 1, true));
    assert_seats(act, 2);
    json_t *j = mark(a, 1, false);
    ck_assert_str_eq(str_of(j, "status"), "confirmed");
    /* Expected: the two holding seats; the waiting person is not. */
    ck_assert_int_eq(count_of(j, "expected"), 2);
    ck_assert_int_eq(count_of(j, "attended"), 1);
    json_decref(j);
    /* The undo freed no seat: nobody was promoted, no mail queued. */
    assert_seats(act, 2);
    ck_assert_int_eq(db_status_is(w, "waitlisted"), 1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM mail_outbox WHERE template = "
                                       "'enrollment_promoted' AND to_address = '%s'",
                                       people[6].email),
                     0);
    char p[96];
    snprintf(p, sizeof p, "/api/activities/%ld", act);
    long code;
    j = hcall_json(&srv, "GET", p, NULL, &staff, &code);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "seats_left")), 0);
    json_decref(j);
}
END_TEST

/* A registration marked attended by the whole-activity action has no days:
 * undoing a day it does not have changes nothing (no status change without
 * an audit row); marking a day of it lets the days decide. */
START_TEST(whole_activity_attended_kept_until_a_day_changes)
{
    long act = new_activity("\"title\":\"Old way\",\"starts_on\":\"2031-07-10\","
                            "\"ends_on\":\"2031-07-11\",\"mode\":\"open\"");
    char st[24], p[96];
    long a = enrol(act, &people[7], st);
    snprintf(p, sizeof p, "/api/enrollments/%ld/attended", a);
    HEXPECT(&srv, "POST", p, NULL, &staff, 200, NULL);
    ck_assert_int_eq(db_status_is(a, "attended"), 1);
    json_t *j = mark(a, 1, false);
    ck_assert(json_is_false(json_object_get(j, "changed")));
    ck_assert_str_eq(str_of(j, "status"), "attended");
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "attended"), 1);
    ck_assert_int_eq(audit_rows("enrollment.checkin_undone", a), 0);
    /* One day of two marked: the days decide now (all days needed). */
    j = mark(a, 1, true);
    ck_assert_str_eq(str_of(j, "status"), "confirmed");
    json_decref(j);
    ck_assert_int_eq(db_status_is(a, "confirmed"), 1);
    assert_seats(act, 1);
}
END_TEST

/* ---- Refusals ---- */

START_TEST(not_confirmed_refused_with_code)
{
    long act = new_activity("\"title\":\"Statuses\",\"starts_on\":\"2031-08-01\","
                            "\"mode\":\"open\",\"capacity\":1");
    char st[24];
    long a = enrol(act, &people[0], st);
    long w = enrol(act, &people[1], st);
    long c = enrol(act, &people[2], st);
    long rj = enrol(act, &people[3], st);
    ck_assert_str_eq(st, "waitlisted");
    char p[96];
    snprintf(p, sizeof p, "/api/activities/%ld/enrollments/me", act);
    HEXPECT(&srv, "DELETE", p, NULL, &people[2], 200, NULL);
    snprintf(p, sizeof p, "/api/enrollments/%ld/reject", rj);
    HEXPECT(&srv, "POST", p, NULL, &staff, 200, NULL);
    long pend_act = new_activity("\"title\":\"Approval\",\"starts_on\":\"2031-08-01\","
                                 "\"mode\":\"approval\"");
    long pend = enrol(pend_act, &people[4], st);
    ck_assert_str_eq(st, "pending_approval");

    static const char *const statuses[] = {"waitlisted", "cancelled", "rejected",
                                           "pending_approval"};
    long ids[] = {w, c, rj, pend};
    for (int i = 0; i < 4; i++) {
        for (int m = 0; m < 2; m++) {
            long code;
            json_t *j =
                hcall_json(&srv, m ? "DELETE" : "PUT", day_path(ids[i], 1), NULL, &staff, &code);
            ck_assert_int_eq(code, 409);
            ck_assert_str_eq(hjson_err_code(j), "not_confirmed");
            ck_assert_str_eq(str_of(json_object_get(j, "error"), "status"), statuses[i]);
            json_decref(j);
        }
        ck_assert_int_eq(db_status_is(ids[i], statuses[i]), 1);
        ck_assert_int_eq(harness_sql_longf(DB,
                                           "SELECT count(*) FROM attendance WHERE "
                                           "enrollment_id = %ld",
                                           ids[i]),
                         0);
        ck_assert_int_eq(audit_rows("enrollment.checked_in", ids[i]), 0);
    }
    /* A cancelled activity takes no check-in. */
    json_decref(mark(a, 1, true));
    snprintf(p, sizeof p, "/api/activities/%ld/cancel", act);
    HEXPECT(&srv, "POST", p, NULL, &staff, 200, NULL);
    HEXPECT(&srv, "DELETE", day_path(a, 1), NULL, &staff, 409, "activity_cancelled");
}
END_TEST

START_TEST(only_staff_and_admins)
{
    long act = new_activity("\"title\":\"Who may\",\"starts_on\":\"2031-09-01\","
                            "\"mode\":\"open\"");
    char st[24];
    long a = enrol(act, &people[7], st);
    const struct hsession *refused[] = {&participant, &judge, &people[7]};
    for (size_t i = 0; i < 3; i++) {
        HEXPECT(&srv, "GET", checkin_path(act), NULL, refused[i], 403, "forbidden");
        HEXPECT(&srv, "PUT", checkin_path(act), "{\"days_needed\":1}", refused[i], 403,
                "forbidden");
        HEXPECT(&srv, "PUT", day_path(a, 1), NULL, refused[i], 403, "forbidden");
        HEXPECT(&srv, "DELETE", day_path(a, 1), NULL, refused[i], 403, "forbidden");
    }
    HEXPECT(&srv, "GET", checkin_path(act), NULL, NULL, 401, NULL);
    HEXPECT(&srv, "PUT", day_path(a, 1), NULL, NULL, 401, NULL);
    /* Staff without the CSRF token: refused. */
    struct hsession forged = hsession_cookie_only(&staff);
    HEXPECT(&srv, "PUT", day_path(a, 1), NULL, &forged, 403, NULL);
    ck_assert_int_eq(db_status_is(a, "confirmed"), 1);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM checkin_settings WHERE activity_id = %ld", act),
        0);
    /* Admins may. */
    HEXPECT(&srv, "PUT", day_path(a, 1), NULL, &admin, 200, NULL);
    ck_assert_int_eq(db_status_is(a, "attended"), 1);
    HEXPECT(&srv, "GET", checkin_path(act), NULL, &admin, 200, NULL);
}
END_TEST

/* ---- 300 registrations ---- */

START_TEST(three_hundred_listed_with_counts)
{
    long act = new_activity("\"title\":\"Big forum\",\"starts_on\":\"2031-10-01\","
                            "\"ends_on\":\"2031-10-02\",\"mode\":\"open\"");
    /* 280 confirmed, 10 waiting, 10 cancelled, written at once; the seat
     * counter kept as the enrolment functions keep it. */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO enrollments (activity_id, account_id, status, waitlist_seq) "
             "SELECT %ld, a.id, CASE WHEN n <= 280 THEN 'confirmed' WHEN n <= 290 THEN "
             "'waitlisted' ELSE 'cancelled' END, CASE WHEN n > 280 AND n <= 290 THEN n END "
             "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts "
             "WHERE email LIKE 'c-%%@test.example.org') a; "
             "UPDATE activities SET confirmed_count = 280 WHERE id = %ld",
             act, act);
    harness_sql(DB, sql);
    /* 40 arrive on day 1 (through the API), 5 of them on day 2 too. */
    long first =
        harness_sql_longf(DB, "SELECT min(id) FROM enrollments WHERE activity_id = %ld", act);
    for (long i = 0; i < 40; i++)
        json_decref(mark(first + i, 1, true));
    json_t *j = NULL;
    for (long i = 0; i < 5; i++) {
        json_decref(j);
        j = mark(first + i, 2, true);
    }
    ck_assert_str_eq(str_of(j, "status"), "attended");
    ck_assert_int_eq(arrived(j, 1), 40);
    ck_assert_int_eq(arrived(j, 2), 5);
    json_decref(j);

    long code;
    j = hcall_json(&srv, "GET", checkin_path(act), NULL, &staff, &code);
    ck_assert_int_eq(code, 200);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), CROWD);
    ck_assert_int_eq(count_of(j, "expected"), 280);
    ck_assert_int_eq(count_of(j, "attended"), 5);
    ck_assert_int_eq(arrived(j, 1), 40);
    ck_assert_int_eq(arrived(j, 2), 5);
    /* Every item carries what the door needs; sorted by name. */
    int waiting = 0, cancelled = 0, with_days = 0;
    const char *prev = "";
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        ck_assert_ptr_nonnull(str_of(it, "name"));
        ck_assert_ptr_nonnull(str_of(it, "email"));
        ck_assert(json_object_get(it, "organisation") != NULL);
        ck_assert(json_is_array(json_object_get(it, "days")));
        ck_assert(json_is_integer(json_object_get(it, "id")));
        ck_assert_msg(strcasecmp(prev, str_of(it, "name")) <= 0, "not sorted: %s before %s", prev,
                      str_of(it, "name"));
        prev = str_of(it, "name");
        waiting += strcmp(str_of(it, "status"), "waitlisted") == 0;
        cancelled += strcmp(str_of(it, "status"), "cancelled") == 0;
        with_days += json_array_size(json_object_get(it, "days")) > 0;
    }
    ck_assert_int_eq(waiting, 10);
    ck_assert_int_eq(cancelled, 10);
    ck_assert_int_eq(with_days, 40);
    json_decref(j);
    assert_seats(act, 280);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_checkin_suite(void)
{
    Suite *s = suite_create("checkin");
    TCase *tc = tcase_create("checkin");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_day_mark_and_undo);
    tcase_add_test(tc, days_needed_rule_on_three_days);
    tcase_add_test(tc, seats_and_waiting_list_untouched_by_undo);
    tcase_add_test(tc, whole_activity_attended_kept_until_a_day_changes);
    tcase_add_test(tc, not_confirmed_refused_with_code);
    tcase_add_test(tc, only_staff_and_admins);
    tcase_add_test(tc, three_hundred_listed_with_counts);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
