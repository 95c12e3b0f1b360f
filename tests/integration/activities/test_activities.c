/*
 * test_activities.c - the calendar and enrolment against the real server,
 * PostgreSQL and mail catcher: staff create and publish an activity with a
 * question; 200 concurrent enrolments for 50 seats; cancellation promotes
 * the first waiting; approvals, per-organisation limits, answers checked
 * field by field; the cache follows changes made on another node; CSV
 * exports parsed back by Python's csv module (100k rows with the server's
 * memory watched); iCalendar feeds parsed by python3-icalendar.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/auth.h"
#include "harness.h"
#include "base/util.h"

Suite *make_activities_suite(void);

#define DB "activities"

static struct server srv;
static struct catcher mail;
static long staff_id;

static struct hsession staff;

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_DB_POOL_SIZE=8", "CONVENE_DB_POOL_WAIT_MS=10000", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB,
                "INSERT INTO organisations (name, city, country, kind) VALUES "
                "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city'), "
                "('Bangkok Metropolitan Administration', 'Bangkok', 'Thailand', 'member_city'), "
                "('CityNet Secretariat', 'Seoul', 'Republic of Korea', 'secretariat')");
    harness_make_users(DB, "staff", "Staff", 1, "CityNet Secretariat", "staff", &staff);
    staff_id = staff.id;
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

/* ---- Requests ---- */

/* Creates and publishes an activity; returns its id. */
static long create_activity(const char *extra_json)
{
    char base[1024], extra[1024];
    snprintf(base, sizeof base,
             "{\"kind\":\"workshop\",\"title\":\"Test workshop %d\",\"summary\":\"A test.\","
             "\"city\":\"Seoul\",\"country\":\"Republic of Korea\",\"timezone\":\"Asia/Seoul\","
             "\"starts_on\":\"2030-05-22\",\"ends_on\":\"2030-05-26\",\"start_time\":\"09:00\","
             "\"end_time\":\"17:30\",\"mode\":\"open\"}",
             rand());
    snprintf(extra, sizeof extra, "{%s}", extra_json ? extra_json : "");
    json_t *merged = json_loads(base, 0, NULL);
    json_t *more = json_loads(extra, 0, NULL);
    ck_assert_ptr_nonnull(more);
    json_object_update(merged, more);
    json_decref(more);
    char *body = json_dumps(merged, JSON_COMPACT);
    json_decref(merged);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities", body, &staff, &r), 201);
    free(body);
    json_t *j = json_loads(r.body, 0, NULL);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    hresp_free(&r);
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/publish", id);
    HEXPECT(&srv, "POST", path, NULL, &staff, 200, NULL);
    return id;
}

/* "/api/activities/ID/enrollments" (a static buffer: one use at a time). */
static const char *path_enrol(long activity)
{
    static char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", activity);
    return path;
}

static json_t *enrol(long activity, const struct hsession *u, const char *answers, long *status)
{
    char path[96], body[1024];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", activity);
    snprintf(body, sizeof body, "{\"answers\":%s}", answers ? answers : "{}");
    struct hresp r;
    *status = hcall(&srv, "POST", path, body, u, &r);
    json_t *j = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    return j;
}

/* Runs a staff action on enrolment e with body json (may be NULL);
 * returns the JSON answer and sets *status. */
static json_t *action(long e, const char *what, const char *json, long *status)
{
    char path[96];
    snprintf(path, sizeof path, "/api/enrollments/%ld/%s", e, what);
    return hcall_json(&srv, "POST", path, json, &staff, status);
}

/* The status of account's registration for activity, from the database
 * (caller frees). */
static char *db_status(long activity, long account)
{
    char q[256];
    snprintf(q, sizeof q,
             "SELECT status FROM enrollments WHERE activity_id = %ld AND account_id = %ld",
             activity, account);
    char *out = harness_psql(DB, q);
    ck_assert_ptr_nonnull(out);
    return out;
}

#define ck_assert_db_status(activity, account, want)                                               \
    do {                                                                                           \
        char *got_ = db_status((activity), (account));                                             \
        ck_assert_str_eq(got_, (want));                                                            \
        free(got_);                                                                                \
    } while (0)

/* Enrols u and checks the answer's status and HTTP status; returns the
 * enrolment id. */
static long enrol_expect(long activity, const struct hsession *u, long want_http,
                         const char *want_status)
{
    long st = 0;
    json_t *j = enrol(activity, u, NULL, &st);
    ck_assert_msg(st == want_http, "enrol gave %ld, want %ld", st, want_http);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), want_status);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

/* Makes organisation `name` in `city` unless it exists. */
static void make_org(const char *name, const char *city)
{
    char q[512];
    snprintf(q, sizeof q,
             "INSERT INTO organisations (name, city, country, kind) VALUES ('%s', '%s', "
             "'Testland', 'member_city') ON CONFLICT (name) DO NOTHING",
             name, city);
    harness_sql(DB, q);
}

/* ---- Tests ---- */

START_TEST(staff_create_publish_and_public_list)
{
    struct hresp r;
    /* Participants may not create activities. */
    struct hsession p[1];
    harness_make_users(DB, "nonstaff", "Someone", 1, NULL, "participant", p);
    HEXPECT(&srv, "POST", "/api/activities",
            "{\"kind\":\"workshop\",\"title\":\"x\","
            "\"mode\":\"open\"}",
            p, 403, NULL);
    /* Bad fields are named. */
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities",
                           "{\"kind\":\"party\",\"title\":\"\",\"mode\":\"open\",\"starts_on\":"
                           "\"2030-02-30\",\"timezone\":\"Mars/Olympus\",\"capacity\":0}",
                           &staff, &r),
                     422);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *fields = json_object_get(json_object_get(j, "error"), "fields");
    ck_assert_ptr_nonnull(json_object_get(fields, "kind"));
    ck_assert_ptr_nonnull(json_object_get(fields, "title"));
    ck_assert_ptr_nonnull(json_object_get(fields, "starts_on"));
    ck_assert_ptr_nonnull(json_object_get(fields, "timezone"));
    ck_assert_ptr_nonnull(json_object_get(fields, "capacity"));
    json_decref(j);
    hresp_free(&r);

    long id = create_activity("\"capacity\":30,\"date_label\":\"22-26 May\"");
    ck_assert_int_eq(hcall(&srv, "GET", "/api/activities?kind=workshop", NULL, NULL, &r), 200);
    char etag[64];
    ck_assert_ptr_nonnull(hresp_header(&r, "ETag", etag, sizeof etag));
    j = json_loads(r.body, 0, NULL);
    ck_assert_int_ge(json_integer_value(json_object_get(j, "total")), 1);
    json_t *item = json_array_get(json_object_get(j, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "seats_left")), 30);
    ck_assert_str_eq(json_string_value(json_object_get(item, "mode")), "open");
    json_decref(j);
    hresp_free(&r);
    /* If-None-Match gives 304. */
    char inm[100];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *h[] = {inm, NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/api/activities?kind=workshop", h, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 304);
    hresp_free(&r);
    /* Filters: month, text, online; bad values are 400. */
    ck_assert_int_eq(
        hcall(&srv, "GET", "/api/activities?month=2030-05&q=test%20workshop", NULL, NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "Test workshop"));
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/activities?month=2030-06", NULL, NULL, &r), 200);
    ck_assert_ptr_null(strstr(r.body, "Test workshop"));
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/activities?kind=party", NULL, NULL, 400, NULL);
    HEXPECT(&srv, "GET", "/api/activities?from=yesterday", NULL, NULL, 400, NULL);
    char path[64];
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, NULL, &r), 200);
    j = json_loads(r.body, 0, NULL);
    ck_assert(json_is_null(json_object_get(j, "my_enrollment")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "questions")), 0);
    json_decref(j);
    hresp_free(&r);
}
END_TEST

struct race_arg {
    long activity;
    struct hsession *u;
    long status;
    char result[32];
    long position;
};

static void *race_one(void *p)
{
    struct race_arg *a = p;
    long st = 0;
    json_t *j = enrol(a->activity, a->u, NULL, &st);
    a->status = st;
    snprintf(a->result, sizeof a->result, "%s",
             json_string_value(json_object_get(j, "status"))
                 ? json_string_value(json_object_get(j, "status"))
                 : "");
    a->position = (long)json_integer_value(json_object_get(j, "waitlist_position"));
    json_decref(j);
    return NULL;
}

/* Counts the answers of n racing enrolments into *confirmed and
 * *waitlisted, and checks that none was an error and that each waiting
 * position is between 1 and max_position and given once (marked in seen,
 * n + 1 entries). */
static void tally_race(const struct race_arg *args, int n, long max_position, bool *seen,
                       int *confirmed, int *waitlisted)
{
    int errors = 0;
    for (int i = 0; i < n; i++) {
        if (args[i].status != 201) {
            errors++;
            continue;
        }
        if (strcmp(args[i].result, "confirmed") == 0) {
            (*confirmed)++;
        } else if (strcmp(args[i].result, "waitlisted") == 0) {
            (*waitlisted)++;
            ck_assert(args[i].position >= 1 && args[i].position <= max_position);
            ck_assert_msg(!seen[args[i].position], "position %ld twice", args[i].position);
            seen[args[i].position] = true;
        }
    }
    ck_assert_int_eq(errors, 0);
}

START_TEST(two_hundred_enrol_for_fifty_seats)
{
    enum { N = 200, SEATS = 50 };
    static struct hsession users[N];
    harness_make_users(DB, "racer", "Racer", N, NULL, "participant", users);
    long id = create_activity("\"capacity\":50");
    static struct race_arg args[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct race_arg){.activity = id, .u = &users[i]};
        pthread_create(&t[i], NULL, race_one, &args[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    int confirmed = 0, waitlisted = 0;
    bool seen[N + 1] = {false};
    tally_race(args, N, N - SEATS, seen, &confirmed, &waitlisted);
    ck_assert_int_eq(confirmed, SEATS);
    ck_assert_int_eq(waitlisted, N - SEATS);
    char q[256];
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FILTER (WHERE status = 'confirmed') * 1000 + count(*) FILTER "
            "(WHERE status = 'waitlisted') FROM enrollments WHERE activity_id = %ld",
            id),
        SEATS * 1000 + (N - SEATS));

    /* Enrolling again returns the existing registration. */
    int first_confirmed = -1, first_waiting = -1;
    for (int i = 0; i < N; i++) {
        if (first_confirmed < 0 && strcmp(args[i].result, "confirmed") == 0)
            first_confirmed = i;
        if (strcmp(args[i].result, "waitlisted") == 0 && args[i].position == 1)
            first_waiting = i;
    }
    long st = 0;
    json_t *again = enrol(id, &users[first_confirmed], NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(again, "status")), "confirmed");
    json_decref(again);

    /* A confirmed participant cancels: waiting position 1 is promoted. */
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments/me", id);
    struct hresp r;
    HEXPECT(&srv, "DELETE", path, NULL, &users[first_confirmed], 200, NULL);
    snprintf(q, sizeof q,
             "SELECT status FROM enrollments WHERE activity_id = %ld AND account_id = %ld", id,
             users[first_waiting].id);
    char *status = harness_psql(DB, q);
    ck_assert_str_eq(status, "confirmed");
    free(status);
    ck_assert_db_status(id, users[first_confirmed].id, "cancelled");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT confirmed_count FROM activities WHERE id = %ld", id), SEATS);
    char email[96];
    snprintf(email, sizeof email, "racer-%d@test.example.org", first_waiting + 1);
    json_t *m = harness_wait_mail(&mail, email, "A place opened up", 30000);
    ck_assert_msg(m != NULL, "no promotion mail for %s", email);
    json_decref(m);
    /* Positions closed up: the old number 2 is now 1. */
    for (int i = 0; i < N; i++) {
        if (strcmp(args[i].result, "waitlisted") == 0 && args[i].position == 2) {
            snprintf(path, sizeof path, "/api/activities/%ld", id);
            ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &users[i], &r), 200);
            json_t *j = json_loads(r.body, 0, NULL);
            ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "my_enrollment"),
                                                                "waitlist_position")),
                             1);
            json_decref(j);
            hresp_free(&r);
        }
    }
}
END_TEST

START_TEST(confirmation_mail_carries_a_calendar_file)
{
    struct hsession u[1];
    harness_make_users(DB, "ics", "김민준", 1, "Seoul Metropolitan Government", "participant", u);
    long id = create_activity("\"capacity\":5");
    long st = 0;
    json_decref(enrol(id, u, NULL, &st));
    ck_assert_int_eq(st, 201);
    json_t *m = harness_wait_mail(&mail, "ics-1@test.example.org", "You are registered", 30000);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "text")), "김민준"));
    /* When, in full: weekdays, the year, the times and the zone. */
    const char *when = "Wednesday 22 May – Sunday 26 May 2030, 09:00–17:30 Seoul time (UTC+9)";
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "text")), when));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "html")), when));
    json_decref(m);
    /* Find the .eml and check the attachment with python3-icalendar. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 - '%s' <<'EOF'\n"
             "import email, sys, glob\n"
             "from email import policy\n"
             "from icalendar import Calendar\n"
             "for path in sorted(glob.glob(sys.argv[1] + '/*.eml')):\n"
             "    msg = email.message_from_binary_file(open(path, 'rb'), policy=policy.default)\n"
             "    if 'ics-1@' not in str(msg['To']): continue\n"
             "    for part in msg.walk():\n"
             "        if part.get_content_type() == 'text/calendar':\n"
             "            cal = Calendar.from_ical(part.get_payload(decode=True))\n"
             "            ev = [c for c in cal.walk() if c.name == 'VEVENT'][0]\n"
             "            assert str(ev['dtstart'].params.get('TZID')) == 'Asia/Seoul', "
             "ev['dtstart'].params\n"
             "            assert ev['dtstart'].dt.hour == 9 and ev['dtstart'].dt.day == 22\n"
             "            assert ev['dtstart'].dt.utcoffset().total_seconds() == 9 * 3600\n"
             "            sys.exit(0)\n"
             "sys.exit(1)\n"
             "EOF",
             mail.dir);
    ck_assert_msg(system(cmd) == 0, "no valid calendar attachment in the confirmation");
}
END_TEST

START_TEST(answers_are_checked_field_by_field)
{
    struct hsession u[1];
    harness_make_users(DB, "answers", "Answers", 1, NULL, "participant", u);
    long id = create_activity("\"capacity\":10");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/questions", id);
    struct hresp r;
    ck_assert_int_eq(
        hcall(&srv, "PUT", path,
              "{\"questions\":[{\"kind\":\"text\",\"label\":\"Your project\",\"required\":true,"
              "\"max_length\":20},{\"kind\":\"single_choice\",\"label\":\"Session\","
              "\"required\":true,\"choices\":[\"Morning\",\"Afternoon\"]},{\"kind\":"
              "\"multiple_choice\",\"label\":\"Topics\",\"choices\":[\"Energy\",\"Transport\","
              "\"Waste\"]},{\"kind\":\"yes_no\",\"label\":\"Certificate?\"}]}",
              &staff, &r),
        200);
    json_t *qdoc = json_loads(r.body, 0, NULL);
    json_t *qs = json_object_get(qdoc, "questions");
    long q1 = (long)json_integer_value(json_object_get(json_array_get(qs, 0), "id"));
    long q2 = (long)json_integer_value(json_object_get(json_array_get(qs, 1), "id"));
    long q3 = (long)json_integer_value(json_object_get(json_array_get(qs, 2), "id"));
    long q4 = (long)json_integer_value(json_object_get(json_array_get(qs, 3), "id"));
    json_decref(qdoc);
    hresp_free(&r);
    char answers[512];
    snprintf(answers, sizeof answers,
             "{\"%ld\":\"a text that is much too long for this\",\"%ld\":\"Evening\","
             "\"%ld\":[\"Energy\",\"Space\"],\"%ld\":\"maybe\"}",
             q1, q2, q3, q4);
    long st = 0;
    json_t *j = enrol(id, u, answers, &st);
    ck_assert_int_eq(st, 422);
    json_t *fields = json_object_get(json_object_get(j, "error"), "fields");
    char key[32];
    long ids[] = {q1, q2, q3, q4};
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "answers.%ld", ids[i]);
        ck_assert_msg(json_object_get(fields, key) != NULL, "no error for %s", key);
    }
    json_decref(j);
    /* Missing required answers are named too. */
    j = enrol(id, u, "{}", &st);
    ck_assert_int_eq(st, 422);
    snprintf(key, sizeof key, "answers.%ld", q2);
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(json_object_get(j, "error"), "fields"), key));
    json_decref(j);
    snprintf(answers, sizeof answers,
             "{\"%ld\":\"Low-carbon buses\",\"%ld\":\"Morning\",\"%ld\":[\"Energy\","
             "\"Waste\"],\"%ld\":true}",
             q1, q2, q3, q4);
    j = enrol(id, u, answers, &st);
    ck_assert_int_eq(st, 201);
    json_decref(j);
    /* Staff registering someone on their behalf answer the required
     * questions too: 422 on each question's field, nothing saved. */
    struct hsession other[1];
    harness_make_users(DB, "behalf", "Behalf", 1, NULL, "participant", other);
    char body[600];
    snprintf(body, sizeof body, "{\"account_id\":%ld,\"answers\":{\"%ld\":\"\"}}", other[0].id, q1);
    j = hcall_json(&srv, "POST", path_enrol(id), body, &staff, &st);
    ck_assert_int_eq(st, 422);
    snprintf(key, sizeof key, "answers.%ld", q1);
    ck_assert_str_eq(hjson_field_code(j, key), "required");
    snprintf(key, sizeof key, "answers.%ld", q2);
    ck_assert_str_eq(hjson_field_code(j, key), "required");
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM enrollments WHERE account_id = %ld",
                                       other[0].id),
                     0);
    snprintf(body, sizeof body, "{\"account_id\":%ld,\"answers\":%s}", other[0].id, answers);
    j = hcall_json(&srv, "POST", path_enrol(id), body, &staff, &st);
    ck_assert_int_eq(st, 201);
    json_decref(j);
    ck_assert_db_status(id, other[0].id, "confirmed");
    /* Unverified accounts may not enrol. */
    struct hsession v[1];
    harness_make_users(DB, "unverified", "Unverified", 1, NULL, "participant", v);
    harness_sql(DB, "UPDATE accounts SET email_verified_at = NULL WHERE email LIKE 'unverified-%'");
    j = enrol(id, v, answers, &st);
    ck_assert_int_eq(st, 403);
    json_decref(j);
    j = enrol(id, NULL, answers, &st);
    ck_assert_int_eq(st, 401);
    json_decref(j);
}
END_TEST

START_TEST(modes_approval_invitation_external)
{
    struct hsession u[3];
    harness_make_users(DB, "modes", "Modes", 3, NULL, "participant", u);
    long approval = create_activity("\"capacity\":1,\"mode\":\"approval\"");
    long st = 0;
    json_t *j = enrol(approval, &u[0], NULL, &st);
    ck_assert_int_eq(st, 201);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "pending_approval");
    long e0 = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    j = enrol(approval, &u[1], NULL, &st);
    long e1 = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char path[96];
    struct hresp r;
    snprintf(path, sizeof path, "/api/enrollments/%ld/approve", e0);
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &u[2], &r), 403); /* not staff */
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &staff, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"confirmed\""));
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &staff, &r), 409); /* already approved */
    hresp_free(&r);
    json_t *m = harness_wait_mail(&mail, "modes-1@test.example.org", "confirmed", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    /* The only seat is taken: approving the second puts them on the list. */
    snprintf(path, sizeof path, "/api/enrollments/%ld/approve", e1);
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &staff, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"waitlisted\""));
    hresp_free(&r);
    /* Staff marks attendance, then the list shows it. */
    snprintf(path, sizeof path, "/api/enrollments/%ld/attended", e0);
    HEXPECT(&srv, "POST", path, NULL, &staff, 200, NULL);
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments?status=attended", approval);
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, &staff, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "modes-1@test.example.org"));
    hresp_free(&r);
    /* Reject the waiting one. */
    snprintf(path, sizeof path, "/api/enrollments/%ld/reject", e1);
    HEXPECT(&srv, "POST", path, NULL, &staff, 200, NULL);
    m = harness_wait_mail(&mail, "modes-2@test.example.org", "About your registration", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);

    long invitation = create_activity("\"mode\":\"invitation\"");
    j = enrol(invitation, &u[2], NULL, &st);
    ck_assert_int_eq(st, 403);
    ck_assert_str_eq(hjson_err_code(j), "invitation_only");
    json_decref(j);
    /* Staff registers someone on their behalf. */
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", invitation);
    char body[128];
    snprintf(body, sizeof body, "{\"account_id\":%ld}", u[2].id);
    ck_assert_int_eq(hcall(&srv, "POST", path, body, &staff, &r), 201);
    ck_assert_ptr_nonnull(strstr(r.body, "\"confirmed\""));
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", path, body, &u[0], &r), 403); /* not staff */
    hresp_free(&r);

    long external =
        create_activity("\"mode\":\"external\",\"external_url\":\"https://example.org\"");
    j = enrol(external, &u[0], NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "registration_external");
    json_decref(j);
    /* Closed registration window. */
    long closed = create_activity("\"registration_closes_at\":\"2020-01-01T00:00:00Z\"");
    j = enrol(closed, &u[0], NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "registration_closed");
    json_decref(j);
    /* Not open yet. */
    long early = create_activity("\"registration_opens_at\":\"2099-01-01T00:00:00Z\"");
    j = enrol(early, &u[0], NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "registration_closed");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT count(*) FROM enrollments WHERE activity_id IN (%ld, %ld, %ld)",
                          external, closed, early),
        0);
}
END_TEST

/* Moves activity id to start at now() + `offset` (an SQL interval, may be
 * negative) in UTC, ending a day later, and sets the staff closing time
 * (an SQL expression or NULL). */
static void set_start(long id, const char *offset, const char *closes)
{
    char q[640];
    snprintf(q, sizeof q,
             "UPDATE activities SET timezone = 'UTC', starts_on = t.l::date, start_time = "
             "t.l::time, ends_on = t.l::date + 1, registration_opens_at = NULL, "
             "registration_closes_at = %s FROM (SELECT (now() + interval '%s') AT TIME ZONE "
             "'UTC' AS l) t WHERE id = %ld",
             closes, offset, id);
    harness_sql(DB, q);
}

/* The availability of activity id in the answer of GET path (NULL when it
 * is not listed; caller frees). */
static char *listed_availability(const char *path, long id)
{
    long st = 0;
    json_t *j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    char *out = NULL;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(j, "items"), i, item)
    {
        if (json_integer_value(json_object_get(item, "id")) == id)
            out = strdup(json_string_value(json_object_get(item, "availability")));
    }
    json_decref(j);
    return out;
}

/* What listed_availability must become: for harness_wait_until. */
struct listed_wait {
    const char *path;
    long id;
    const char *want; /* NULL: not listed */
};

static bool listed_as(void *arg)
{
    const struct listed_wait *w = arg;
    char *a = listed_availability(w->path, w->id);
    bool ok = (a == NULL && w->want == NULL) || (a != NULL && w->want && strcmp(a, w->want) == 0);
    free(a);
    return ok;
}

START_TEST(registration_closes_when_the_activity_starts)
{
    struct hsession u[3];
    harness_make_users(DB, "starts", "Starts", 3, NULL, "participant", u);
    long started = create_activity("\"capacity\":10");
    long soon = create_activity("\"capacity\":10");
    long rolling = create_activity("\"capacity\":10");
    set_start(started, "-1 minute", "NULL");
    set_start(soon, "30 seconds", "NULL");
    set_start(rolling, "-1 minute", "now() + interval '1 day'");

    /* Exactly at the start the window is shut; one second before it is
     * open (the function convene_enroll checks). */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activities a WHERE id = %ld AND "
                                       "convene_registration_window_open(a, "
                                       "convene_activity_starts_at(a) - interval '1 second') "
                                       "AND NOT convene_registration_window_open(a, "
                                       "convene_activity_starts_at(a))",
                                       soon),
                     1);

    long st = 0;
    json_t *j = enrol(started, &u[0], NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "registration_closed");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", started),
        0);
    enrol_expect(soon, &u[0], 201, "confirmed");
    /* Staff kept a rolling course open after its start. */
    enrol_expect(rolling, &u[1], 201, "confirmed");
    ck_assert_db_status(rolling, u[1].id, "confirmed");
    /* Staff may still register someone on their behalf after the start. */
    char path[96], body[64];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", started);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", u[2].id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);

    /* The calendar says so: closed while it runs, open before, and once it
     * has ended it is past. */
    char *a = listed_availability("/api/activities?when=upcoming&per_page=100", started);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a, "closed");
    free(a);
    a = listed_availability("/api/activities?when=upcoming&per_page=100", soon);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a, "open");
    free(a);
    a = listed_availability("/api/activities?when=upcoming&per_page=100", rolling);
    ck_assert_str_eq(a, "open");
    free(a);
    ck_assert_ptr_null(listed_availability("/api/activities?when=past&per_page=100", started));
    char q[200];
    snprintf(q, sizeof q,
             "UPDATE activities SET starts_on = current_date - 3, ends_on = current_date - 2 "
             "WHERE id = %ld",
             started);
    harness_sql(DB, q);
    /* The catalogue is cached and dropped on NOTIFY, which arrives a moment
     * after the commit: wait for the state. */
    struct listed_wait past = {"/api/activities?when=past&per_page=100", started, "ended"};
    ck_assert_msg(harness_wait_until(listed_as, &past, 10000),
                  "an activity that has ended is not listed as past and ended");
    struct listed_wait gone = {"/api/activities?when=upcoming&per_page=100", started, NULL};
    ck_assert_msg(harness_wait_until(listed_as, &gone, 10000),
                  "an activity that has ended is still listed as upcoming");
    HEXPECT(&srv, "GET", "/api/activities?when=soon", NULL, NULL, 400, "bad_request");
}
END_TEST

/* psql's first line for sql on the seed test's database (caller frees). */
static char *seed_db(const char *sql)
{
    char *out = harness_psql("activities_seed", sql);
    ck_assert_ptr_nonnull(out);
    return out;
}

#define ck_seed_eq(sql, want)                                                                      \
    do {                                                                                           \
        char *got_ = seed_db(sql);                                                                 \
        ck_assert_str_eq(got_, (want));                                                            \
        free(got_);                                                                                \
    } while (0)

START_TEST(seed_year_shifts_the_calendar)
{
    char url[512], env_url[600], err[2048];
    snprintf(url, sizeof url, "%s", harness_fresh_db("activities_seed"));
    snprintf(env_url, sizeof env_url, "CONVENE_DATABASE_URL=%s", url);
    const char *env[] = {env_url, "CONVENE_ARGON2_MEMLIMIT=8M", "CONVENE_ARGON2_OPSLIMIT=1", NULL};
    const char *bad[] = {"seed", "--year", "20x0", NULL};
    ck_assert_int_eq(harness_run_convene(bad, env, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--year"));
    const char *bad2[] = {"seed", "--year=1999", NULL};
    ck_assert_int_eq(harness_run_convene(bad2, env, err, sizeof err), 2);

    /* The default: CityNet's real 2023 dates, no demo registrations. */
    const char *plain[] = {"seed", NULL};
    ck_assert_msg(harness_run_convene(plain, env, err, sizeof err) == 0, "seed: %s", err);
    ck_seed_eq("SELECT starts_on || ' ' || (SELECT count(*) FROM enrollments) FROM activities "
               "WHERE slug = 'international-forum-low-carbon-cities-3-2023'",
               "2023-08-29 0");

    /* --year 2090, twice: the same calendar in 2090, added once. */
    const char *shifted[] = {"seed", "--year", "2090", NULL};
    for (int round = 0; round < 2; round++) {
        ck_assert_msg(harness_run_convene(shifted, env, err, sizeof err) == 0, "seed: %s", err);
        ck_seed_eq("SELECT count(*) FILTER (WHERE slug LIKE '%-2090') || ' ' || "
                   "count(*) FILTER (WHERE slug LIKE '%-2023') || ' ' || "
                   "count(*) FILTER (WHERE slug LIKE '%-2090' AND (title || coalesce(summary, '') "
                   "|| coalesce(date_label, '')) LIKE '%2023%') FROM activities",
                   "26 26 0");
        /* Exact dates, a label's period, a quarter, registration windows. */
        ck_seed_eq("SELECT starts_on || ' ' || ends_on || ' ' || period_start || ' ' || period_end "
                   "FROM activities WHERE slug = 'international-forum-low-carbon-cities-3-2090'",
                   "2090-08-29 2090-08-29 2090-08-29 2090-08-29");
        ck_seed_eq("SELECT date_label || ' ' || period_start || ' ' || period_end FROM activities "
                   "WHERE slug = 'sustainable-tourism-lessons-from-seoul-2090'",
                   "January – March 2090-01-01 2090-03-31");
        ck_seed_eq("SELECT period_start || ' ' || period_end FROM activities "
                   "WHERE slug = 'national-chapter-indonesia-congress-2090'",
                   "2090-07-01 2090-09-30");
        ck_seed_eq("SELECT string_agg(slug || '=' || (item->>'availability'), ' ' ORDER BY slug) "
                   "FROM activity_items JOIN activities USING (id) WHERE slug IN ("
                   "'international-forum-low-carbon-cities-3-2090', "
                   "'training-low-carbon-built-environments-sdgs-2090', "
                   "'urban-safety-inclusive-spaces-masterclass-2090', "
                   "'international-forum-low-carbon-cities-3-2023')",
                   "international-forum-low-carbon-cities-3-2023=ended "
                   "international-forum-low-carbon-cities-3-2090=open "
                   "training-low-carbon-built-environments-sdgs-2090=approval "
                   "urban-safety-inclusive-spaces-masterclass-2090=waiting_list");
        /* The demo's full masterclass: three seats taken, one waiting. */
        ck_seed_eq("SELECT a.capacity || ' ' || a.confirmed_count || ' ' || "
                   "string_agg(e.status, ',' ORDER BY e.status) FROM activities a JOIN "
                   "enrollments e ON e.activity_id = a.id WHERE a.slug = "
                   "'urban-safety-inclusive-spaces-masterclass-2090' GROUP BY a.id",
                   "3 3 confirmed,confirmed,confirmed,waitlisted");
        ck_seed_eq("SELECT count(*) FROM activity_questions q JOIN activities a ON a.id = "
                   "q.activity_id WHERE a.slug LIKE 'training-low-carbon-built-environments%'",
                   "6");
    }
}
END_TEST

START_TEST(per_organisation_limit_holds)
{
    struct hsession u[3];
    harness_make_users(DB, "orglimit", "Org", 3, "Bangkok Metropolitan Administration",
                       "participant", u);
    long id = create_activity("\"capacity\":10,\"per_org_limit\":2");
    long st = 0;
    const char *want[] = {"confirmed", "confirmed", "waitlisted"};
    for (int i = 0; i < 3; i++) {
        json_t *j = enrol(id, &u[i], NULL, &st);
        ck_assert_int_eq(st, 201);
        ck_assert_str_eq(json_string_value(json_object_get(j, "status")), want[i]);
        json_decref(j);
    }
}
END_TEST

/* Issue 9.5: someone held back only by their organisation's limit does not
 * block the people after them (capacity 10, limit 1: A and B of city 3, C
 * of city 4 -> A confirmed, B waitlisted, C confirmed). */
START_TEST(org_limit_does_not_block_others)
{
    make_org("City 3", "Three");
    make_org("City 4", "Four");
    struct hsession a[2], c[1];
    harness_make_users(DB, "fairab", "City three", 2, "City 3", "participant", a);
    harness_make_users(DB, "fairc", "City four", 1, "City 4", "participant", c);
    long id = create_activity("\"capacity\":10,\"per_org_limit\":1");
    enrol_expect(id, &a[0], 201, "confirmed");
    enrol_expect(id, &a[1], 201, "waitlisted");
    enrol_expect(id, &c[0], 201, "confirmed");
    ck_assert_db_status(id, c[0].id, "confirmed");
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT confirmed_count FROM activities WHERE id = %ld", id), 2);
    /* The catalogue counts the seats the same way. */
    char path[64];
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    long st = 0;
    json_t *j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "seats_left")), 8);
    json_decref(j);
}
END_TEST

struct pool_work {
    long activity;
    struct hsession *users;
    struct race_arg *args;
    int n;
    int next;
    pthread_mutex_t lock;
};

/* One of a bounded set of client threads: takes the next user until all
 * have enrolled. */
static void *pool_worker(void *p)
{
    struct pool_work *w = p;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        int i = w->next++;
        pthread_mutex_unlock(&w->lock);
        if (i >= w->n)
            return NULL;
        w->args[i] = (struct race_arg){.activity = w->activity, .u = &w->users[i]};
        race_one(&w->args[i]);
    }
}

/* Issue 9.5 under load: 200 concurrent enrolments (32 client threads) for
 * 100 seats with 2 per organisation across 45 organisations: every seat an
 * organisation may take is taken (min(capacity, sum of min(limit,
 * requests))), the others wait in one order, nobody gets an error. */
START_TEST(two_hundred_enrol_under_organisation_limits)
{
    enum { N = 200, ORGS = 45, LIMIT = 2, SEATS = 100, THREADS = 32 };
    static struct hsession users[N];
    for (int o = 0; o < ORGS; o++) {
        char name[32];
        snprintf(name, sizeof name, "Fair org %d", o);
        make_org(name, "Fairville");
    }
    harness_make_users(DB, "fair", "Fair", N, NULL, "participant", users);
    harness_sql(DB,
                "UPDATE accounts SET organisation_id = (SELECT id FROM organisations WHERE name = "
                "'Fair org ' || (substring(email from '^fair-([0-9]+)@')::int % 45)) "
                "WHERE email ~ '^fair-[0-9]+@'");
    int requests[ORGS] = {0};
    for (int i = 0; i < N; i++)
        requests[(i + 1) % ORGS]++;
    int expected = 0;
    for (int o = 0; o < ORGS; o++)
        expected += requests[o] < LIMIT ? requests[o] : LIMIT;
    if (expected > SEATS)
        expected = SEATS;
    long id = create_activity("\"capacity\":100,\"per_org_limit\":2");
    static struct race_arg args[N];
    struct pool_work w = {.activity = id, .users = users, .args = args, .n = N};
    pthread_mutex_init(&w.lock, NULL);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, pool_worker, &w);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_destroy(&w.lock);
    int confirmed = 0, waitlisted = 0;
    bool seen[N + 1] = {false};
    tally_race(args, N, N, seen, &confirmed, &waitlisted);
    ck_assert_int_eq(expected, 90);
    ck_assert_int_eq(confirmed, expected);
    ck_assert_int_eq(waitlisted, N - expected);
    for (int pos = 1; pos <= N - expected; pos++)
        ck_assert_msg(seen[pos], "no one at position %d", pos);
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT (SELECT confirmed_count FROM activities WHERE id = %ld) * 1000 + "
                          "count(*) FILTER (WHERE status = 'confirmed') FROM enrollments WHERE "
                          "activity_id = %ld",
                          id, id),
        expected * 1000 + expected);
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM enrollments WHERE "
            "activity_id = %ld AND status = 'confirmed' GROUP BY organisation_id) c",
            id),
        LIMIT);
}
END_TEST

/* A freed seat goes to the first person in order whose organisation is
 * under its limit; staff promote past the limit only on purpose. */
START_TEST(cancel_promotes_the_first_eligible)
{
    make_org("Org X", "Xville");
    make_org("Org Y", "Yville");
    make_org("Org Z", "Zville");
    struct hsession x[2], y[1], z[1];
    harness_make_users(DB, "elx", "X", 2, "Org X", "participant", x);
    harness_make_users(DB, "ely", "Y", 1, "Org Y", "participant", y);
    harness_make_users(DB, "elz", "Z", 1, "Org Z", "participant", z);
    long id = create_activity("\"capacity\":2,\"per_org_limit\":1");
    enrol_expect(id, &x[0], 201, "confirmed");
    enrol_expect(id, &y[0], 201, "confirmed");
    long ex1 = enrol_expect(id, &x[1], 201, "waitlisted"); /* first in line, org X full */
    enrol_expect(id, &z[0], 201, "waitlisted");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments/me", id);
    long st = 0;
    json_decref(hcall_json(&srv, "DELETE", path, NULL, &y[0], &st));
    ck_assert_int_eq(st, 200);
    ck_assert_db_status(id, y[0].id, "cancelled");
    ck_assert_db_status(id, z[0].id, "confirmed");
    ck_assert_db_status(id, x[1].id, "waitlisted");
    json_t *m = harness_wait_mail(&mail, "elz-1@test.example.org", "A place opened up", 30000);
    ck_assert_msg(m != NULL, "no promotion mail for the first eligible person");
    json_decref(m);
    /* The one held back is now first in line. */
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    json_t *j = hcall_json(&srv, "GET", path, NULL, &x[1], &st);
    ck_assert_int_eq(json_integer_value(
                         json_object_get(json_object_get(j, "my_enrollment"), "waitlist_position")),
                     1);
    json_decref(j);
    /* Staff promotion respects the limit unless overridden. */
    j = action(ex1, "promote", NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "organisation_limit_reached");
    json_decref(j);
    ck_assert_db_status(id, x[1].id, "waitlisted");
    j = action(ex1, "promote", "{\"override_limit\":true}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
    ck_assert(json_is_true(json_object_get(j, "over_limit")));
    json_decref(j);
    ck_assert_db_status(id, x[1].id, "confirmed");
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE action = 'enrollment.promoted_over_limit' "
            "AND target_id = '%ld'",
            ex1),
        1);
}
END_TEST

/* More seats (a PATCH of the capacity) go to the waiting list at once. */
START_TEST(capacity_raise_promotes)
{
    struct hsession u[3];
    harness_make_users(DB, "raise", "Raise", 3, NULL, "participant", u);
    long id = create_activity("\"capacity\":1");
    enrol_expect(id, &u[0], 201, "confirmed");
    enrol_expect(id, &u[1], 201, "waitlisted");
    enrol_expect(id, &u[2], 201, "waitlisted");
    char path[64];
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    long st = 0;
    json_t *j = hcall_json(&srv, "PATCH", path, "{\"capacity\":2}", &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "seats_left")), 0);
    json_decref(j);
    ck_assert_db_status(id, u[1].id, "confirmed");
    ck_assert_db_status(id, u[2].id, "waitlisted");
    json_t *m = harness_wait_mail(&mail, "raise-2@test.example.org", "A place opened up", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
}
END_TEST

/* Issue 9.6: no organisation, no place under a per-organisation limit;
 * approval respects the limit unless staff override it (audit-logged). */
START_TEST(organisation_limit_on_enrol_and_approval)
{
    struct hsession none[1], same[2];
    harness_make_users(DB, "noorg", "Nobody", 1, NULL, "participant", none);
    harness_make_users(DB, "sameorg", "Same", 2, "Bangkok Metropolitan Administration",
                       "participant", same);
    long limited = create_activity("\"capacity\":5,\"per_org_limit\":1");
    long st = 0;
    json_t *j = enrol(limited, none, NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "organisation_required");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", limited),
        0);
    /* Without a limit the same account may enrol. */
    long open = create_activity("\"capacity\":5");
    enrol_expect(open, none, 201, "confirmed");

    long approval = create_activity("\"capacity\":5,\"per_org_limit\":1,\"mode\":\"approval\"");
    long e0 = enrol_expect(approval, &same[0], 201, "pending_approval");
    long e1 = enrol_expect(approval, &same[1], 201, "pending_approval");
    j = action(e0, "approve", NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
    ck_assert(json_is_false(json_object_get(j, "over_limit")));
    json_decref(j);
    j = action(e1, "approve", NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "organisation_limit_reached");
    json_decref(j);
    ck_assert_db_status(approval, same[1].id, "pending_approval");
    /* The override is a boolean, and only approve and promote take it. */
    j = action(e1, "approve", "{\"override_limit\":\"yes\"}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "override_limit"), "invalid_type");
    json_decref(j);
    j = action(e1, "reject", "{\"override_limit\":true}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "override_limit"), "unknown_member");
    json_decref(j);
    ck_assert_db_status(approval, same[1].id, "pending_approval");
    j = action(e1, "approve", "{\"override_limit\":true}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
    ck_assert(json_is_true(json_object_get(j, "over_limit")));
    json_decref(j);
    ck_assert_db_status(approval, same[1].id, "confirmed");
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE action = 'enrollment.approved_over_limit' "
            "AND target_id = '%ld' AND actor_id = %ld",
            e1, staff_id),
        1);
}
END_TEST

/* Staff actions promote, waitlist (move back) and cancel, each with its
 * database state, and refusals with their codes. */
START_TEST(staff_promote_waitlist_and_cancel)
{
    struct hsession u[2];
    harness_make_users(DB, "moves", "Moves", 2, NULL, "participant", u);
    long id = create_activity("\"capacity\":1");
    long ea = enrol_expect(id, &u[0], 201, "confirmed");
    long eb = enrol_expect(id, &u[1], 201, "waitlisted");
    char q[256];
    snprintf(q, sizeof q, "SELECT confirmed_count FROM activities WHERE id = %ld", id);
    long st = 0;
    /* Promote: staff may go past the capacity. */
    json_t *j = action(eb, "promote", NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
    json_decref(j);
    ck_assert_db_status(id, u[1].id, "confirmed");
    ck_assert_int_eq(harness_sql_long(DB, q), 2);
    j = action(eb, "promote", NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "invalid_transition");
    json_decref(j);
    /* Waitlist: A goes back to the end of the list; no free seat. */
    j = action(ea, "waitlist", NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "waitlisted");
    json_decref(j);
    ck_assert_db_status(id, u[0].id, "waitlisted");
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    json_t *m = harness_wait_mail(&mail, "moves-1@test.example.org", "waiting list", 30000);
    ck_assert_msg(m != NULL, "no waiting-list mail after the move back");
    json_decref(m);
    /* Cancel B: the seat goes to A, first in line. */
    j = action(eb, "cancel", NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "cancelled");
    json_decref(j);
    ck_assert_db_status(id, u[1].id, "cancelled");
    ck_assert_db_status(id, u[0].id, "confirmed");
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    j = action(eb, "cancel", NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "invalid_transition");
    json_decref(j);
    j = action(999999999, "cancel", NULL, &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE target_type = 'enrollment' AND target_id IN "
            "('%ld', '%ld') AND action IN ('enrollment.promote', 'enrollment.waitlist', "
            "'enrollment.cancel')",
            ea, eb),
        3);
}
END_TEST

/* Mails of template tmpl queued to address (from the outbox). */
static long outbox_count(const char *address, const char *tmpl)
{
    char q[256];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM mail_outbox WHERE to_address = '%s' AND template = '%s'",
             address, tmpl);
    return harness_sql_long(DB, q);
}

/* Moving someone back to the waiting list never hands them their own seat
 * back: refused (409 no_one_waiting, nothing changed or mailed) when they
 * would be the one promoted; otherwise one waiting-list mail for them and
 * the seat to the first eligible person. */
START_TEST(waitlist_never_hands_the_seat_back)
{
    struct hsession u[3];
    harness_make_users(DB, "wlback", "Wlback", 3, NULL, "participant", u);
    long id = create_activity("\"capacity\":1");
    long ea = enrol_expect(id, &u[0], 201, "confirmed");
    char count_q[128], audit_q[256];
    snprintf(count_q, sizeof count_q, "SELECT confirmed_count FROM activities WHERE id = %ld", id);
    snprintf(audit_q, sizeof audit_q,
             "SELECT count(*) FROM audit_log WHERE action = 'enrollment.waitlist' AND "
             "target_id = '%ld'",
             ea);
    long st = 0;
    /* Nobody else waits: the seat would come straight back. */
    json_t *j = action(ea, "waitlist", NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "no_one_waiting");
    json_decref(j);
    ck_assert_db_status(id, u[0].id, "confirmed");
    ck_assert_int_eq(harness_sql_long(DB, count_q), 1);
    ck_assert_int_eq(outbox_count("wlback-1@test.example.org", "enrollment_waitlisted"), 0);
    ck_assert_int_eq(outbox_count("wlback-1@test.example.org", "enrollment_promoted"), 0);
    ck_assert_int_eq(harness_sql_long(DB, audit_q), 0);
    /* With B waiting, A goes back and B gets the seat: one mail each. */
    long eb = enrol_expect(id, &u[1], 201, "waitlisted");
    j = action(ea, "waitlist", NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "waitlisted");
    json_decref(j);
    ck_assert_db_status(id, u[0].id, "waitlisted");
    ck_assert_db_status(id, u[1].id, "confirmed");
    ck_assert_int_eq(harness_sql_long(DB, count_q), 1);
    ck_assert_int_eq(outbox_count("wlback-1@test.example.org", "enrollment_waitlisted"), 1);
    ck_assert_int_eq(outbox_count("wlback-1@test.example.org", "enrollment_promoted"), 0);
    ck_assert_int_eq(outbox_count("wlback-2@test.example.org", "enrollment_promoted"), 1);
    ck_assert_int_eq(harness_sql_long(DB, audit_q), 1);
    (void)eb;
    /* A pending registration with a seat free for it: also refused. */
    long approval = create_activity("\"capacity\":2,\"mode\":\"approval\"");
    long ec = enrol_expect(approval, &u[2], 201, "pending_approval");
    j = action(ec, "waitlist", NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "no_one_waiting");
    json_decref(j);
    ck_assert_db_status(approval, u[2].id, "pending_approval");
    ck_assert_int_eq(outbox_count("wlback-3@test.example.org", "enrollment_waitlisted"), 0);
}
END_TEST

/* Publishing or cancelling an activity that does not exist is 404, not a
 * refused transition; its registrations list is 404 too. */
START_TEST(unknown_activity_is_not_found)
{
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", "/api/activities/999999999/publish", NULL, &staff, &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    j = hcall_json(&srv, "POST", "/api/activities/999999999/cancel", NULL, &staff, &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    j = hcall_json(&srv, "GET", "/api/activities/999999999/enrollments", NULL, &staff, &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE target_type = 'activity' "
                             "AND target_id = '999999999'"),
        0);
    /* An existing activity in the wrong status is still 409. */
    long id = create_activity("\"capacity\":2");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/publish", id);
    j = hcall_json(&srv, "POST", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "invalid_transition");
    json_decref(j);
    /* And its empty registrations list is 200. */
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", id);
    j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    /* A draft cannot be cancelled (409), and stays a draft. */
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities",
                           "{\"kind\":\"workshop\",\"title\":\"Draft only\",\"mode\":\"open\"}",
                           &staff, &r),
                     201);
    j = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    long draft = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    snprintf(path, sizeof path, "/api/activities/%ld/cancel", draft);
    j = hcall_json(&srv, "POST", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "invalid_transition");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM activities WHERE id = %ld AND status = 'draft'",
                          draft),
        1);
}
END_TEST

/* The registrations list checks the caller before its query: a stranger
 * gets 401 and a participant 403 even for a bad status or page. */
START_TEST(enrolment_list_checks_the_caller_first)
{
    struct hsession p[1];
    harness_make_users(DB, "listfirst", "Listfirst", 1, NULL, "participant", p);
    long id = create_activity("\"capacity\":2");
    /* A status too long to be one is a bad status, never "no filter". */
    const char *queries[] = {"?status=nope", "?page=0", "?per_page=abc",
                             "?status=confirmedXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"};
    for (size_t i = 0; i < ARRAY_LEN(queries); i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/activities/%ld/enrollments%s", id, queries[i]);
        long st = 0;
        json_t *j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
        ck_assert_int_eq(st, 401);
        ck_assert_str_eq(hjson_err_code(j), "unauthenticated");
        json_decref(j);
        j = hcall_json(&srv, "GET", path, NULL, p, &st);
        ck_assert_int_eq(st, 403);
        ck_assert_str_eq(hjson_err_code(j), "forbidden");
        json_decref(j);
        j = hcall_json(&srv, "GET", path, NULL, &staff, &st);
        ck_assert_int_eq(st, 400);
        ck_assert_str_eq(hjson_err_code(j), "bad_request");
        json_decref(j);
    }
}
END_TEST

/* A staff action answers the database error when the activity's calendar
 * data cannot be read, instead of going ahead without the attachment. */
START_TEST(action_stops_when_the_activity_cannot_be_read)
{
    struct hsession u[1];
    harness_make_users(DB, "infofail", "Infofail", 1, NULL, "participant", u);
    long id = create_activity("\"capacity\":2");
    /* Registered in the database, so the activity's data is not cached. */
    char q[512];
    snprintf(q, sizeof q,
             "WITH e AS (INSERT INTO enrollments (activity_id, account_id, status, answers) "
             "VALUES (%ld, %ld, 'confirmed', '{}') RETURNING id), "
             "c AS (UPDATE activities SET confirmed_count = confirmed_count + 1 WHERE id = %ld) "
             "SELECT id FROM e",
             id, u[0].id, id);
    long e = harness_sql_long(DB, q);
    /* The activity data read breaks: a column it needs is gone. */
    harness_sql(DB, "ALTER TABLE activity_questions RENAME COLUMN max_length TO max_length_gone");
    long st = 0;
    json_t *j = action(e, "attended", NULL, &st);
    harness_sql(DB, "ALTER TABLE activity_questions RENAME COLUMN max_length_gone TO max_length");
    ck_assert_int_eq(st, 500);
    ck_assert_str_eq(hjson_err_code(j), "server_error");
    json_decref(j);
    ck_assert_db_status(id, u[0].id, "confirmed");
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT count(*) FROM audit_log WHERE action = 'enrollment.attended' AND "
                          "target_id = '%ld'",
                          e),
        0);
    /* With the data readable again the action goes ahead. */
    j = action(e, "attended", NULL, &st);
    ck_assert_int_eq(st, 200);
    json_decref(j);
    ck_assert_db_status(id, u[0].id, "attended");
}
END_TEST

/* A question id that is not a whole number is invalid_type, not
 * not_found; nothing is written. */
START_TEST(question_id_of_the_wrong_type)
{
    long id = create_activity("\"capacity\":2");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/questions", id);
    const char *bodies[] = {
        "{\"questions\":[{\"id\":\"abc\",\"kind\":\"text\",\"label\":\"Diet\"}]}",
        "{\"questions\":[{\"id\":1.5,\"kind\":\"text\",\"label\":\"Diet\"}]}",
    };
    for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
        long st = 0;
        json_t *j = hcall_json(&srv, "PUT", path, bodies[i], &staff, &st);
        ck_assert_int_eq(st, 422);
        ck_assert_str_eq(hjson_field_code(j, "questions[0].id"), "invalid_type");
        json_decref(j);
    }
    ck_assert_int_eq(harness_sql_longf(
                         DB, "SELECT count(*) FROM activity_questions WHERE activity_id = %ld", id),
                     0);
}
END_TEST

/* Cancelling one's registration when there is none is 404; twice is 409. */
START_TEST(cancel_when_not_registered)
{
    struct hsession u[1];
    harness_make_users(DB, "notreg", "Notreg", 1, NULL, "participant", u);
    long id = create_activity("\"capacity\":3");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments/me", id);
    long st = 0;
    json_t *j = hcall_json(&srv, "DELETE", path, NULL, u, &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    enrol_expect(id, u, 201, "confirmed");
    json_decref(hcall_json(&srv, "DELETE", path, NULL, u, &st));
    ck_assert_int_eq(st, 200);
    j = hcall_json(&srv, "DELETE", path, NULL, u, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "invalid_transition");
    json_decref(j);
    ck_assert_db_status(id, u[0].id, "cancelled");
}
END_TEST

/* Issue 9.8 and strict bodies: bad staff input is 422 on its field with
 * its code, and nothing is written. */
START_TEST(bad_staff_input_is_422_on_the_field)
{
    long id = create_activity("\"capacity\":3");
    char path[96], qpath[96], cpath[96];
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    snprintf(qpath, sizeof qpath, "/api/activities/%ld/questions", id);
    snprintf(cpath, sizeof cpath, "/api/activities/%ld/cancel", id);
    struct {
        const char *method, *path, *body, *field, *code;
    } cases[] = {
        {"PATCH", path, "{\"slug\":null}", "slug", "required"},
        {"PATCH", path, "{\"section\":null}", "section", "required"},
        {"PATCH", path, "{\"kind\":null}", "kind", "required"},
        {"PATCH", path, "{\"online\":null}", "online", "required"},
        {"PATCH", path, "{\"status\":\"published\"}", "status", "read_only"},
        {"PATCH", path, "{\"bogus\":1}", "bogus", "unknown_member"},
        {"PATCH", path, "{\"registration_opens_at\":\"not a time\"}", "registration_opens_at",
         "invalid_format"},
        {"PUT", qpath,
         "{\"questions\":[{\"kind\":\"text\",\"label\":\"x\",\"choices\":{\"a\":1}}]}",
         "questions[0].choices", "invalid_type"},
        {"PUT", qpath, "{\"questions\":[{\"kind\":\"text\",\"label\":\"x\",\"bogus\":1}]}",
         "questions[0].bogus", "unknown_member"},
        {"PUT", qpath, "{\"questions\":[{\"kind\":\"text\"}]}", "questions[0].label", "required"},
        {"PUT", qpath, "{\"questions\":[],\"bogus\":1}", "bogus", "unknown_member"},
        {"POST", cpath, "{\"bogus\":1}", "bogus", "unknown_member"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"Strict one\",\"mode\":\"open\",\"status\":"
         "\"published\"}",
         "status", "read_only"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"Strict one\",\"mode\":\"open\",\"bogus\":1}", "bogus",
         "unknown_member"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"Strict one\",\"mode\":\"open\",\"host\":{\"id\":1}}",
         "host", "unknown_member"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long st = 0;
        json_t *j = hcall_json(&srv, cases[i].method, cases[i].path, cases[i].body, &staff, &st);
        ck_assert_msg(st == 422, "%s %s gave %ld", cases[i].method, cases[i].body, st);
        ck_assert_str_eq(hjson_err_code(j), "validation_failed");
        ck_assert_msg(strcmp(hjson_field_code(j, cases[i].field), cases[i].code) == 0,
                      "%s: field %s has code '%s', want %s", cases[i].body, cases[i].field,
                      hjson_field_code(j, cases[i].field), cases[i].code);
        json_decref(j);
    }
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM activities WHERE title = 'Strict one' OR (id = %ld AND "
            "(slug IS NULL OR section <> 'citynet' OR status <> 'published'))",
            id),
        0);
    ck_assert_int_eq(harness_sql_longf(
                         DB, "SELECT count(*) FROM activity_questions WHERE activity_id = %ld", id),
                     0);
    /* host_organisation_id is the member that sets the host. */
    long st = 0;
    char body[256];
    snprintf(
        body, sizeof body, "{\"host_organisation_id\":%ld}",
        harness_sql_long(DB, "SELECT id FROM organisations WHERE name = 'CityNet Secretariat'"));
    json_t *j = hcall_json(&srv, "PATCH", path, body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "host"), "name")),
                     "CityNet Secretariat");
    json_decref(j);
    /* Enrolment and calendar-token bodies are strict too. */
    char epath[96];
    snprintf(epath, sizeof epath, "/api/activities/%ld/enrollments", id);
    j = hcall_json(&srv, "POST", epath, "{\"answers\":{},\"bogus\":1}", &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "bogus"), "unknown_member");
    json_decref(j);
    j = hcall_json(&srv, "POST", "/api/me/calendar-token", "{\"bogus\":1}", &staff, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "bogus"), "unknown_member");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", id), 0);
}
END_TEST

START_TEST(cache_follows_changes_on_another_node)
{
    long id = create_activity("\"capacity\":3");
    struct server second;
    const char *env[] = {"CONVENE_MAIL_SENDERS=0", NULL};
    ck_assert_int_eq(harness_server_start(&second, DB, env), 0);
    struct hresp r;
    /* Warm both caches. */
    ck_assert_int_eq(hcall(&second, "GET", "/api/activities?q=renamed", NULL, NULL, &r), 200);
    ck_assert_ptr_null(strstr(r.body, "Renamed on node one"));
    hresp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/activities/%ld", id);
    HEXPECT(&srv, "PATCH", path, "{\"title\":\"Renamed on node one\"}", &staff, 200, NULL);
    double deadline = harness_now_ms() + 1000;
    bool seen = false;
    while (!seen && harness_now_ms() < deadline) {
        ck_assert_int_eq(hcall(&second, "GET", "/api/activities?q=renamed", NULL, NULL, &r), 200);
        seen = strstr(r.body, "Renamed on node one") != NULL;
        hresp_free(&r);
        usleep(20000);
    }
    ck_assert_msg(seen, "node two still serves the old title after 1 s");
    ck_assert_int_eq(harness_server_stop(&second), 0);
}
END_TEST

/* Cancelling an activity tells everyone still registered (confirmed,
 * waiting, pending approval) exactly once, leaves the registrations as
 * they were, and writes nothing to those who cancelled or were rejected. */
START_TEST(cancelling_an_activity_tells_everyone)
{
    enum { N = 5 };
    struct hsession u[N];
    harness_make_users(DB, "cancelme", "Cancel", N, NULL, "participant", u);
    long id = create_activity("\"capacity\":1,\"mode\":\"approval\"");
    long e[N];
    for (int i = 0; i < N; i++)
        e[i] = enrol_expect(id, &u[i], 201, "pending_approval");
    long st = 0;
    json_decref(action(e[0], "approve", NULL, &st)); /* confirmed */
    ck_assert_int_eq(st, 200);
    json_decref(action(e[1], "approve", NULL, &st)); /* no seat left: waiting */
    ck_assert_int_eq(st, 200);
    json_decref(action(e[3], "reject", NULL, &st));
    ck_assert_int_eq(st, 200);
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments/me", id);
    json_decref(hcall_json(&srv, "DELETE", path, NULL, &u[4], &st));
    ck_assert_int_eq(st, 200);
    const char *before[N] = {"confirmed", "waitlisted", "pending_approval", "rejected",
                             "cancelled"};
    for (int i = 0; i < N; i++)
        ck_assert_db_status(id, u[i].id, before[i]);

    snprintf(path, sizeof path, "/api/activities/%ld/cancel", id);
    json_t *j = hcall_json(&srv, "POST", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "cancelled");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB,
                          "SELECT (details->>'told')::int FROM audit_log WHERE action = "
                          "'activity.cancelled' AND target_id = '%ld'",
                          id),
        3);
    for (int i = 0; i < N; i++) {
        ck_assert_db_status(id, u[i].id, before[i]);
        ck_assert_int_eq(
            harness_sql_longf(
                DB,
                "SELECT count(*) FROM mail_outbox WHERE template = 'activity_cancelled' AND "
                "to_address = 'cancelme-%d@test.example.org'",
                i + 1),
            i < 3 ? 1 : 0);
    }
    for (int i = 1; i <= 3; i++) {
        char email[64];
        snprintf(email, sizeof email, "cancelme-%d@test.example.org", i);
        json_t *m = harness_wait_mail(&mail, email, "Cancelled:", 30000);
        ck_assert_msg(m != NULL, "no cancellation mail for %s", email);
        json_decref(m);
    }
    /* Cancelling again, or enrolling now, is refused with its code. */
    j = hcall_json(&srv, "POST", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "invalid_transition");
    json_decref(j);
    j = enrol(id, &u[4], NULL, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "activity_cancelled");
    json_decref(j);
    ck_assert_db_status(id, u[4].id, "cancelled");
}
END_TEST

static void download(const char *path, const struct hsession *u, const char *file)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -sf -o '%s' -H 'Cookie: %s' '%s%s'", file, u ? u->cookie : "",
             srv.base, path);
    ck_assert_msg(system(cmd) == 0, "download of %s failed", path);
}

START_TEST(participants_csv_is_safe_and_parses)
{
    struct hsession u[4];
    harness_make_users(DB, "csv", "Csv", 4, "Seoul Metropolitan Government", "participant", u);
    harness_sql(DB, "UPDATE accounts SET name = '김민준' WHERE email = 'csv-1@test.example.org'");
    harness_sql(DB, "UPDATE accounts SET name = 'สมชาย ใจดี', position = '=HYPERLINK(\"http://x\")' "
                    "WHERE email = 'csv-2@test.example.org'");
    harness_sql(DB,
                "UPDATE accounts SET name = 'अमित \"Quote\" शर्मा', position = 'line one\nline two' "
                "WHERE email = 'csv-3@test.example.org'");
    harness_sql(DB, "UPDATE accounts SET name = '+cmd|calc', position = '@SUM(A1)' "
                    "WHERE email = 'csv-4@test.example.org'");
    long id = create_activity("\"capacity\":10");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/questions", id);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "PUT", path,
                           "{\"questions\":[{\"kind\":\"text\",\"label\":\"Motto\"}]}", &staff, &r),
                     200);
    json_t *qdoc = json_loads(r.body, 0, NULL);
    long q = (long)json_integer_value(
        json_object_get(json_array_get(json_object_get(qdoc, "questions"), 0), "id"));
    json_decref(qdoc);
    hresp_free(&r);
    for (int i = 0; i < 4; i++) {
        char answers[96];
        snprintf(answers, sizeof answers, "{\"%ld\":\"-minus first\"}", q);
        long st = 0;
        json_decref(enrol(id, &u[i], answers, &st));
        ck_assert_int_eq(st, 201);
    }
    snprintf(path, sizeof path, "/api/activities/%ld/participants.csv", id);
    struct hsession anon = {0};
    HEXPECT(&srv, "GET", path, NULL, &u[0], 403, NULL);
    HEXPECT(&srv, "GET", path, NULL, &anon, 401, NULL);
    download(path, &staff, "participants.csv");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_csv.py' participants.csv 4 Name '김민준' "
             "'สมชาย ใจดี' 'अमित \"Quote\" शर्मा' \"'=HYPERLINK(\\\"http://x\\\")\" "
             "\"'+cmd|calc\" \"'@SUM(A1)\" \"'-minus first\" 'line one\nline two'",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "CSV check failed");
}
END_TEST

/* Checks a CSV file with Python's csv module: the byte order mark, no
 * cell (header included) starting with a formula character, and each of
 * the expected cells present. */
static void check_csv_cells(const char *file, const char *const *want, size_t n)
{
    /* The expected cells as a Python list, hex-encoded to survive quoting. */
    strbuf list;
    strbuf_init(&list, 0);
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(&list, i ? ", bytes.fromhex('" : "bytes.fromhex('");
        for (const unsigned char *p = (const unsigned char *)want[i]; *p; p++)
            strbuf_printf(&list, "%02x", *p);
        strbuf_puts(&list, "').decode()");
    }
    strbuf cmd;
    strbuf_init(&cmd, 0);
    strbuf_printf(&cmd,
                  "/usr/bin/python3 - '%s' <<'EOF'\n"
                  "import csv, io, sys\n"
                  "raw = open(sys.argv[1], 'rb').read()\n"
                  "assert raw.startswith(b'\\xef\\xbb\\xbf'), 'no BOM'\n"
                  "rows = list(csv.reader(io.StringIO(raw[3:].decode('utf-8'), newline=''), "
                  "strict=True))\n"
                  "cells = [c for r in rows for c in r]\n"
                  "bad = [c for c in cells if c and c[0] in '=+-@\\t\\r']\n"
                  "assert not bad, 'formula cells: %%r' %% bad\n"
                  "want = [%s]\n"
                  "missing = [w for w in want if w not in cells]\n"
                  "assert not missing, 'missing: %%r in %%r' %% (missing, rows)\n"
                  "EOF",
                  file, strbuf_cstr(&list));
    int rc = system(strbuf_cstr(&cmd));
    strbuf_free(&cmd);
    strbuf_free(&list);
    ck_assert_msg(rc == 0, "CSV check of %s failed", file);
}

/* Every column a person or staff can write is neutralised: email,
 * organisation, city, country, position, answers, the question's label in
 * the header, and in the cross-activity export the title and date label. */
START_TEST(every_csv_column_is_formula_safe)
{
    harness_sql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES ('=Org formula', "
                    "'+City formula', '-Country formula', 'partner')");
    struct hsession u[1];
    harness_make_users(DB, "csvf", "Csvf", 1, "=Org formula", "participant", u);
    harness_sql(
        DB,
        "UPDATE accounts SET name = '@Name formula', email = '=csvf@test.example.org', "
        "position = '-Position formula', country = NULL WHERE email = 'csvf-1@test.example.org'");
    long id = create_activity("\"title\":\"=Title formula\",\"date_label\":\"@Date label\","
                              "\"starts_on\":\"2032-02-02\",\"ends_on\":\"2032-02-03\"");
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/questions", id);
    long st = 0;
    json_t *qdoc = hcall_json(&srv, "PUT", path,
                              "{\"questions\":[{\"kind\":\"text\",\"label\":\"+Question label\"}]}",
                              &staff, &st);
    ck_assert_int_eq(st, 200);
    long q = (long)json_integer_value(
        json_object_get(json_array_get(json_object_get(qdoc, "questions"), 0), "id"));
    json_decref(qdoc);
    char answers[96];
    snprintf(answers, sizeof answers, "{\"%ld\":\"-Answer formula\"}", q);
    json_decref(enrol(id, u, answers, &st));
    ck_assert_int_eq(st, 201);
    snprintf(path, sizeof path, "/api/activities/%ld/participants.csv", id);
    download(path, &staff, "formula.csv");
    const char *person[] = {"'+Question label",   "'@Name formula",  "'=csvf@test.example.org",
                            "'=Org formula",      "'+City formula",  "'-Country formula",
                            "'-Position formula", "'-Answer formula"};
    check_csv_cells("formula.csv", person, ARRAY_LEN(person));
    download("/api/exports/participants.csv?from=2032-02-01&to=2032-02-28", &staff,
             "formula-all.csv");
    const char *all[] = {"'=Title formula",         "'@Date label",      "'@Name formula",
                         "'=csvf@test.example.org", "'=Org formula",     "'+City formula",
                         "'-Country formula",       "'-Position formula"};
    check_csv_cells("formula-all.csv", all, ARRAY_LEN(all));
}
END_TEST

/* A COPY that fails after the header must not look like a whole file: the
 * chunked body ends without its terminating chunk and the connection
 * closes, which curl reports as error 18; the server carries on. */
START_TEST(failed_export_is_a_truncated_transfer)
{
    struct hsession u[3];
    harness_make_users(DB, "copyfail", "Copy", 3, NULL, "participant", u);
    harness_sql(
        DB, "UPDATE accounts SET name = 'copy-bomb' WHERE email = 'copyfail-3@test.example.org'");
    long id = create_activity("\"capacity\":10");
    for (int i = 0; i < 3; i++)
        enrol_expect(id, &u[i], 201, "confirmed");
    /* The failure is made in the database: formatting that one row raises. */
    harness_sql(
        DB,
        "CREATE OR REPLACE FUNCTION convene_csv_safe(s text) RETURNS text LANGUAGE plpgsql "
        "IMMUTABLE AS $$ BEGIN IF s = 'copy-bomb' THEN RAISE EXCEPTION 'forced export failure'; "
        "END IF; RETURN CASE WHEN left(s, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' "
        "|| s ELSE s END; END $$");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "curl -s -o copyfail.csv -H 'Cookie: %s' '%s/api/activities/%ld/participants.csv'",
             staff.cookie, srv.base, id);
    int rc = system(cmd);
    harness_sql(
        DB,
        "CREATE OR REPLACE FUNCTION convene_csv_safe(s text) RETURNS text LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE AS $$ SELECT CASE WHEN left(s, 1) IN ('=', '+', '-', '@', E'\\t', "
        "E'\\r') THEN '''' || s ELSE s END $$");
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 18,
                  "curl should report a truncated transfer (18), got %d", WEXITSTATUS(rc));
    /* What did arrive is the header: the file is visibly incomplete. */
    FILE *fp = fopen("copyfail.csv", "rb");
    ck_assert_ptr_nonnull(fp);
    char head[64] = "";
    size_t got = fread(head, 1, sizeof head - 1, fp);
    fclose(fp);
    ck_assert_int_gt((int)got, 3);
    ck_assert_ptr_nonnull(strstr(head, "\"Name\""));
    /* The server is fine: the same export works once the row can be written. */
    ck_assert(harness_server_alive(&srv));
    snprintf(cmd, sizeof cmd,
             "curl -sf -o copyok.csv -H 'Cookie: %s' '%s/api/activities/%ld/participants.csv'",
             staff.cookie, srv.base, id);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_csv.py' copyok.csv 3 Name copy-bomb",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "the export after the failure is not whole");
}
END_TEST

struct watch {
    pid_t pid;
    volatile bool stop;
    long peak;
};

static void *watch_rss(void *p)
{
    struct watch *w = p;
    while (!w->stop) {
        long kb = harness_rss_kb(w->pid);
        if (kb > w->peak)
            w->peak = kb;
        usleep(5000);
    }
    return NULL;
}

START_TEST(hundred_thousand_rows_stream_in_constant_memory)
{
    long id = create_activity("\"capacity\":100000");
    char q[2048];
    snprintf(q, sizeof q,
             "INSERT INTO accounts (email, password_hash, name, position, organisation_id, "
             "email_verified_at) SELECT 'bulk-' || i || '@test.example.org', 'x', "
             "(ARRAY['김민준 ', 'สมชาย ใจดี ', 'अमित शर्मा ', '=cmd '])[1 + i %% 4] || i, "
             "'Officer, \"grade\" ' || i, (SELECT id FROM organisations WHERE name = "
             "'Seoul Metropolitan Government'), now() FROM generate_series(1, 100000) i; "
             "INSERT INTO enrollments (activity_id, account_id, organisation_id, status) "
             "SELECT %ld, id, organisation_id, 'confirmed' FROM accounts WHERE email LIKE "
             "'bulk-%%'",
             id);
    harness_sql(DB, q);
    /* Warm up the path once so the measurement sees steady state. */
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/participants.csv", id);
    download(path, &staff, "bulk-warm.csv");
    long before = harness_rss_kb(srv.pid);
    struct watch w = {.pid = srv.pid};
    pthread_t t;
    pthread_create(&t, NULL, watch_rss, &w);
    double t0 = harness_now_ms();
    download(path, &staff, "bulk.csv");
    double ms = harness_now_ms() - t0;
    w.stop = true;
    pthread_join(t, NULL);
    fprintf(stderr, "100k CSV: %.0f ms; server RSS %ld KiB -> peak %ld KiB (+%ld KiB)\n", ms,
            before, w.peak, w.peak - before);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer's quarantine keeps freed memory resident: the
     * figure means nothing here; the plain build checks it. */
    fprintf(stderr, "(RSS not checked under AddressSanitizer)\n");
#else
    ck_assert_msg(w.peak - before < 10 * 1024, "RSS grew by %ld KiB", w.peak - before);
#endif
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_csv.py' bulk.csv 100000 Name '김민준 4' "
             "'สมชาย ใจดี 1' 'अमित शर्मा 2' \"'=cmd 3\" 'Officer, \"grade\" 99999'",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "100k CSV check failed");
}
END_TEST

START_TEST(cross_activity_export_covers_a_date_range)
{
    struct hsession u[1];
    harness_make_users(DB, "range", "Range", 1, NULL, "participant", u);
    long a = create_activity("\"title\":\"Range inside\",\"starts_on\":\"2031-03-10\","
                             "\"ends_on\":\"2031-03-12\"");
    long b = create_activity("\"title\":\"Range outside\",\"starts_on\":\"2031-09-10\","
                             "\"ends_on\":\"2031-09-12\"");
    long st = 0;
    json_decref(enrol(a, u, NULL, &st));
    ck_assert_int_eq(st, 201);
    json_decref(enrol(b, u, NULL, &st));
    ck_assert_int_eq(st, 201);
    HEXPECT(&srv, "GET", "/api/exports/participants.csv?from=March%202031", NULL, &staff, 400,
            NULL);
    download("/api/exports/participants.csv?from=2031-03-01&to=2031-03-31", &staff, "range.csv");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_csv.py' range.csv 1 Activity 'Range inside' "
             "range-1@test.example.org",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "range CSV check failed");
}
END_TEST

START_TEST(calendar_feeds_parse)
{
    struct hsession u[1];
    harness_make_users(DB, "feed", "Feed", 1, NULL, "participant", u);
    long id = create_activity("\"capacity\":5,\"title\":\"Feed workshop สมชาย\"");
    long st = 0;
    json_decref(enrol(id, u, NULL, &st));
    ck_assert_int_eq(st, 201);
    /* Timed events in a zone with daylight saving: UTC in the feed, each
     * with its own offset (Dublin is UTC+1 in July, UTC+0 in January). */
    create_activity("\"title\":\"Dublin summer\",\"timezone\":\"Europe/Dublin\","
                    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-07-01\"");
    create_activity("\"title\":\"Dublin winter\",\"timezone\":\"Europe/Dublin\","
                    "\"starts_on\":\"2030-01-15\",\"ends_on\":\"2030-01-15\"");
    struct hresp feed;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/calendar.ics", NULL, NULL, &feed), 200);
    ck_assert_ptr_nonnull(strstr(feed.body, "DTSTART:20300701T080000Z"));
    ck_assert_ptr_nonnull(strstr(feed.body, "DTSTART:20300115T090000Z"));
    ck_assert_ptr_nonnull(strstr(feed.body, "DTSTART:20300522T000000Z")); /* 09:00 Seoul */
    hresp_free(&feed);
    download("/api/calendar.ics", NULL, "public.ics");
    char cmd[1024];
    /* One activity as a file of its own, in its own zone. */
    char one[96];
    snprintf(one, sizeof one, "/api/activities/%ld/calendar.ics", id);
    download(one, NULL, "one.ics");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_ics.py' one.ics 1 'Feed workshop สมชาย' && "
             "grep -q 'DTSTART;TZID=Asia/Seoul:20300522T090000' one.ics",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "single activity calendar check failed");
    HEXPECT(&srv, "GET", "/api/activities/999999/calendar.ics", NULL, NULL, 404, NULL);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_ics.py' public.ics 1 'Feed workshop สมชาย'",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "public feed check failed");
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/me/calendar-token", NULL, u, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    const char *url = json_string_value(json_object_get(j, "url"));
    ck_assert_ptr_nonnull(url);
    const char *feed_path = strstr(url, "/api/feeds/");
    ck_assert_ptr_nonnull(feed_path);
    char fp[128];
    snprintf(fp, sizeof fp, "%s", feed_path);
    json_decref(j);
    hresp_free(&r);
    download(fp, NULL, "mine.ics");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/tools/check_ics.py' mine.ics 1 'Feed workshop สมชาย'",
             getenv("CONVENE_SOURCE_DIR"));
    ck_assert_msg(system(cmd) == 0, "private feed check failed");
    /* Revoked: the old link is gone (410), so calendar apps can say so. */
    HEXPECT(&srv, "DELETE", "/api/me/calendar-token", NULL, u, 200, NULL);
    st = 0;
    j = hcall_json(&srv, "GET", fp, NULL, NULL, &st);
    ck_assert_int_eq(st, 410);
    ck_assert_str_eq(hjson_err_code(j), "feed_revoked");
    json_decref(j);
    /* Unknown (well-formed) token: 404 too. */
    j = hcall_json(&srv, "GET", "/api/feeds/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics", NULL,
                   NULL, &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/feeds/short.ics", NULL, NULL, 404, NULL);
    /* A valid token with nothing registered: an empty calendar, 200. */
    struct hsession lone[1];
    harness_make_users(DB, "feedlone", "Feedlone", 1, NULL, "participant", lone);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/me/calendar-token", NULL, lone, &r), 200);
    j = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    snprintf(fp, sizeof fp, "%s",
             strstr(json_string_value(json_object_get(j, "url")), "/api/feeds/"));
    json_decref(j);
    ck_assert_int_eq(hcall(&srv, "GET", fp, NULL, NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "BEGIN:VCALENDAR"));
    ck_assert_ptr_null(strstr(r.body, "BEGIN:VEVENT"));
    hresp_free(&r);
    /* A renewed address replaces the old one: the old one is gone (410),
     * the new one works. */
    ck_assert_int_eq(hcall(&srv, "POST", "/api/me/calendar-token", NULL, lone, &r), 200);
    j = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    char renewed[128];
    snprintf(renewed, sizeof renewed, "%s",
             strstr(json_string_value(json_object_get(j, "url")), "/api/feeds/"));
    json_decref(j);
    ck_assert_str_ne(renewed, fp);
    HEXPECT(&srv, "GET", fp, NULL, NULL, 410, "feed_revoked");
    ck_assert_int_eq(hcall(&srv, "GET", renewed, NULL, NULL, &r), 200);
    hresp_free(&r);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM calendar_tokens_revoked"), 2);
}
END_TEST

/* Bad input never gets a 5xx: a sweep of malformed requests, as staff (who
 * can reach every handler) and anonymously. */
START_TEST(bad_input_never_gets_a_server_error)
{
    long id = create_activity("\"capacity\":2");
    char p1[96], p2[96], p3[96], p4[96];
    snprintf(p1, sizeof p1, "/api/activities/%ld", id);
    snprintf(p2, sizeof p2, "/api/activities/%ld/enrollments", id);
    snprintf(p3, sizeof p3, "/api/activities/%ld/questions", id);
    snprintf(p4, sizeof p4, "/api/activities/%ld/enrollments?status=nope&page=-1", id);
    /* What anonymous callers and staff get for each: the exact status and
     * error code (a 4xx that is not the intended one is a bug too). */
    struct {
        const char *method, *path, *body;
        long anon_status;
        const char *anon_code;
        long staff_status;
        const char *staff_code;
    } cases[] = {
        {"POST", "/api/activities", "{\"kind\":1,\"title\":[],\"mode\":{}}", 401, "unauthenticated",
         422, "validation_failed"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"x\",\"mode\":\"open\","
         "\"capacity\":99999999999999999999}",
         401, "unauthenticated", 400, "invalid_json"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"x\",\"mode\":\"open\","
         "\"registration_opens_at\":\"not a time\"}",
         401, "unauthenticated", 422, "validation_failed"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"x\",\"mode\":\"open\","
         "\"starts_on\":\"2030-05-02\",\"ends_on\":\"2030-05-01\"}",
         401, "unauthenticated", 422, "validation_failed"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"x\",\"mode\":\"open\","
         "\"host_organisation_id\":987654321}",
         401, "unauthenticated", 422, "validation_failed"},
        {"POST", "/api/activities",
         "{\"kind\":\"workshop\",\"title\":\"x\\u0000y\",\"mode\":"
         "\"open\"}",
         401, "unauthenticated", 400, "invalid_json"},
        {"PATCH", p1, "{\"slug\":\"Bad Slug!\",\"online\":\"yes\",\"start_time\":\"25:61\"}", 401,
         "unauthenticated", 422, "validation_failed"},
        {"PATCH", p1, "[]", 401, "unauthenticated", 400, "invalid_json"},
        {"PATCH", "/api/activities/999999999", "{\"title\":\"ghost\"}", 401, "unauthenticated", 404,
         "not_found"},
        {"PUT", p3,
         "{\"questions\":[{\"kind\":\"single_choice\",\"label\":\"x\",\"choices\":"
         "[1,2]},{\"id\":\"abc\"},7]}",
         401, "unauthenticated", 422, "validation_failed"},
        {"PUT", p3, "{\"questions\":[{\"id\":123456789,\"kind\":\"text\",\"label\":\"x\"}]}", 401,
         "unauthenticated", 422, "validation_failed"},
        {"PUT", p3, "{\"questions\":\"none\"}", 401, "unauthenticated", 422, "validation_failed"},
        {"POST", p2, "{\"answers\":[1,2,3]}", 401, "unauthenticated", 422, "validation_failed"},
        {"POST", p2, "{\"account_id\":-5}", 401, "unauthenticated", 422, "validation_failed"},
        {"POST", p2, "{\"account_id\":99999999}", 401, "unauthenticated", 422, "validation_failed"},
        {"POST", "/api/activities/999999999/enrollments", "{}", 401, "unauthenticated", 404,
         "not_found"},
        {"POST", "/api/enrollments/999999999/approve", NULL, 401, "unauthenticated", 404,
         "not_found"},
        {"POST", "/api/enrollments/1/explode", NULL, 404, "not_found", 404, "not_found"},
        {"GET", p4, NULL, 401, "unauthenticated", 400, "bad_request"},
        {"GET", "/api/activities?per_page=1000", NULL, 400, "bad_request", 400, "bad_request"},
        {"GET", "/api/activities?page=0", NULL, 400, "bad_request", 400, "bad_request"},
        {"GET", "/api/activities?q=%ff%fe", NULL, 400, "bad_request", 400, "bad_request"},
        {"GET", "/api/activities?month=2030-13", NULL, 400, "bad_request", 400, "bad_request"},
        {"GET", "/api/activities/99999999999999999999", NULL, 404, "not_found", 404, "not_found"},
        {"GET", "/api/activities/1/participants.csv.exe", NULL, 404, "not_found", 404, "not_found"},
        {"GET", "/api/exports/participants.csv?from=2030-02-30", NULL, 400, "bad_request", 400,
         "bad_request"},
        {"GET", "/api/feeds/%2e%2e%2f%2e%2e%2fetc%2fpasswd.ics", NULL, 404, "not_found", 404,
         "not_found"},
        {"DELETE", "/api/activities/999999999/enrollments/me", NULL, 401, "unauthenticated", 404,
         "not_found"},
        {"POST", "/api/auth/login",
         "{\"email\":\"a\",\"password\":\"b\",\"extra\":{\"deep\":[[[[]]]]}}", 422,
         "validation_failed", 422, "validation_failed"},
        {"POST", "/api/auth/signup",
         "{\"email\":\"\\ud800@x.org\",\"password\":\"x\",\"name\":\"y\"}", 400, "invalid_json",
         400, "invalid_json"},
        {"PATCH", "/api/me", "{\"locale\":\"en-\\u00e9\",\"organisation_id\":1.5}", 401,
         "unauthenticated", 422, "validation_failed"},
        {"DELETE", "/api/me/sessions/0", NULL, 401, "unauthenticated", 404, "not_found"},
        {"PUT", "/api/admin/accounts/1/roles/", NULL, 404, "not_found", 404, "not_found"},
    };
    /* Every answer is checked before the test fails, and each wrong one is
     * listed on stderr. */
    int wrong = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int who = 0; who < 2; who++) {
            struct hresp r;
            long st =
                hcall(&srv, cases[i].method, cases[i].path, cases[i].body, who ? &staff : NULL, &r);
            long want = who ? cases[i].staff_status : cases[i].anon_status;
            const char *want_code = who ? cases[i].staff_code : cases[i].anon_code;
            ck_assert_msg(st < 500, "%s %s as %s gave %ld: %s", cases[i].method, cases[i].path,
                          who ? "staff" : "anonymous", st, r.body);
            if (st != want || strcmp(herr_code(&r), want_code) != 0) {
                fprintf(stderr, "sweep: %s %s as %s gave %ld %s, not %ld %s: %.300s\n",
                        cases[i].method, cases[i].path, who ? "staff" : "anonymous", st,
                        herr_code(&r), want, want_code, r.body);
                wrong++;
            }
            hresp_free(&r);
        }
    }
    ck_assert_msg(wrong == 0, "%d answers differ from the table (listed on stderr)", wrong);
}
END_TEST

/* Last: the server stops cleanly (under AddressSanitizer a leak, such as a
 * JSON value passed to audit_log and never freed, makes the exit status
 * non-zero). */
START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_activities_suite(void)
{
    Suite *s = suite_create("activities");
    TCase *tc = tcase_create("activities");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, staff_create_publish_and_public_list);
    tcase_add_test(tc, two_hundred_enrol_for_fifty_seats);
    tcase_add_test(tc, confirmation_mail_carries_a_calendar_file);
    tcase_add_test(tc, answers_are_checked_field_by_field);
    tcase_add_test(tc, modes_approval_invitation_external);
    tcase_add_test(tc, registration_closes_when_the_activity_starts);
    tcase_add_test(tc, seed_year_shifts_the_calendar);
    tcase_add_test(tc, per_organisation_limit_holds);
    tcase_add_test(tc, org_limit_does_not_block_others);
    tcase_add_test(tc, two_hundred_enrol_under_organisation_limits);
    tcase_add_test(tc, cancel_promotes_the_first_eligible);
    tcase_add_test(tc, capacity_raise_promotes);
    tcase_add_test(tc, organisation_limit_on_enrol_and_approval);
    tcase_add_test(tc, staff_promote_waitlist_and_cancel);
    tcase_add_test(tc, waitlist_never_hands_the_seat_back);
    tcase_add_test(tc, unknown_activity_is_not_found);
    tcase_add_test(tc, enrolment_list_checks_the_caller_first);
    tcase_add_test(tc, action_stops_when_the_activity_cannot_be_read);
    tcase_add_test(tc, question_id_of_the_wrong_type);
    tcase_add_test(tc, cancel_when_not_registered);
    tcase_add_test(tc, bad_staff_input_is_422_on_the_field);
    tcase_add_test(tc, cache_follows_changes_on_another_node);
    tcase_add_test(tc, cancelling_an_activity_tells_everyone);
    tcase_add_test(tc, participants_csv_is_safe_and_parses);
    tcase_add_test(tc, every_csv_column_is_formula_safe);
    tcase_add_test(tc, failed_export_is_a_truncated_transfer);
    tcase_add_test(tc, hundred_thousand_rows_stream_in_constant_memory);
    tcase_add_test(tc, cross_activity_export_covers_a_date_range);
    tcase_add_test(tc, calendar_feeds_parse);
    tcase_add_test(tc, bad_input_never_gets_a_server_error);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
