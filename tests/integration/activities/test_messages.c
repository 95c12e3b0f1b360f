/*
 * test_messages.c - staff messages to the participants of an activity,
 * against the real server, PostgreSQL and mail catcher: the recipients
 * chosen by status, the mails caught (in the layout, the staff text
 * escaped in HTML), the history row and the audit row, a double POST and
 * concurrent POSTs with one idempotency key sending once, and the
 * refusals (401/403, 404, 400 on the query, 422 per field, no_recipients).
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "harness.h"

Suite *make_messages_suite(void);

#define DB "messages"

static struct server srv;
static struct catcher mail;
static struct hsession staff, participant;
/* Registrations of activity `act`: m-1, m-2 confirmed; m-3 waitlisted;
 * m-4 pending approval; m-5 attended; m-6 cancelled; m-7 confirmed but
 * disabled. */
static struct hsession people[7];
static long act;

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_DB_POOL_SIZE=8", "CONVENE_DB_POOL_WAIT_MS=10000", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_make_users(DB, "staff", "Staff", 1, NULL, "staff", &staff);
    harness_make_users(DB, "part", "Part", 1, NULL, "participant", &participant);
    harness_make_users(DB, "m", "Member", 7, NULL, "participant", people);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities",
                           "{\"kind\":\"workshop\",\"title\":\"Heat workshop\",\"timezone\":"
                           "\"Asia/Seoul\",\"starts_on\":\"2031-05-22\",\"mode\":\"open\"}",
                           &staff, &r),
                     201);
    json_t *j = json_loads(r.body, 0, NULL);
    act = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    hresp_free(&r);
    static const char *const st[] = {"confirmed", "confirmed", "waitlisted", "pending_approval",
                                     "attended",  "cancelled", "confirmed"};
    for (int i = 0; i < 7; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO enrollments (activity_id, account_id, status, waitlist_seq) "
                 "VALUES (%ld, %ld, '%s', %s)",
                 act, people[i].id, st[i], i == 2 ? "1" : "NULL");
        harness_sql(DB, sql);
    }
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE accounts SET disabled_at = now() WHERE id = %ld",
             people[6].id);
    harness_sql(DB, sql);
    /* One recipient reads Korean: the outbox row carries the language (the
     * layout falls back to English while there is no Korean set). */
    snprintf(sql, sizeof sql, "UPDATE accounts SET locale = 'ko' WHERE id = %ld", people[4].id);
    harness_sql(DB, sql);
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

static const char *path(const char *tail)
{
    static char p[256];
    snprintf(p, sizeof p, "/api/activities/%ld/messages%s", act, tail);
    return p;
}

static const char *email_of(int i)
{
    static char e[64];
    snprintf(e, sizeof e, "m-%d@test.example.org", i + 1);
    return e;
}

/* Outbox rows queued for messages with this subject. */
static long outbox_rows(const char *subject)
{
    return harness_sql_longf(DB,
                             "SELECT count(*) FROM mail_outbox WHERE template = "
                             "'activity_message' AND vars->>'message_subject' = '%s'",
                             subject);
}

/* ---- Recipients ---- */

START_TEST(recipients_by_status)
{
    long st;
    json_t *j = hcall_json(&srv, "GET", path("/recipients?status=confirmed"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    /* m-7 is confirmed but disabled: not a recipient. */
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(j, "names")), 2);
    json_decref(j);
    j = hcall_json(&srv, "GET", path("/recipients?status=confirmed&status=waitlisted"), NULL,
                   &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 3);
    json_decref(j);
    j = hcall_json(&srv, "GET",
                   path("/recipients?status=confirmed&status=waitlisted&status=pending_approval"
                        "&status=attended&status=confirmed"),
                   NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 5);
    json_decref(j);
    j = hcall_json(&srv, "GET", path("/recipients?status=pending_approval"), NULL, &staff, &st);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "names"), 0)), "Member 4");
    json_decref(j);
    HEXPECT(&srv, "GET", path("/recipients"), NULL, &staff, 400, "bad_request");
    HEXPECT(&srv, "GET", path("/recipients?status=cancelled"), NULL, &staff, 400, "bad_request");
    HEXPECT(&srv, "GET", path("/recipients?status=confirmed&status="), NULL, &staff, 400,
            "bad_request");
    HEXPECT(&srv, "GET", "/api/activities/999999/messages/recipients?status=confirmed", NULL,
            &staff, 404, "not_found");
}
END_TEST

/* ---- Sending ---- */

START_TEST(send_queues_mail_in_the_layout_and_audits)
{
    long st;
    json_t *j = hcall_json(&srv, "POST", path(""),
                           "{\"statuses\":[\"attended\",\"confirmed\"],\"subject\":\"Venue "
                           "change <b>now</b>\",\"body\":\"The venue moved.\\n<script>alert(1)"
                           "</script> & more\",\"key\":\"send-1\"}",
                           &staff, &st);
    ck_assert_msg(st == 201, "status %ld", st);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "recipients")), 3);
    json_decref(j);
    /* The history row, the outbox rows (with each recipient's language)
     * and the audit row. */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM activity_messages WHERE id = %ld "
                                       "AND activity_id = %ld AND recipients = 3 AND statuses = "
                                       "'{confirmed,attended}' AND sent_by = %ld",
                                       id, act, staff.id),
                     1);
    ck_assert_int_eq(outbox_rows("Venue change <b>now</b>"), 3);
    ck_assert_int_eq(harness_sql_longf(DB, "SELECT count(*) FROM mail_outbox WHERE template = "
                                           "'activity_message' AND locale = 'ko' AND to_address = "
                                           "'m-5@test.example.org'"),
                     1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'activity.message_sent' AND target_type = 'activity' "
                                       "AND target_id = '%ld' AND actor_id = %ld AND "
                                       "(details->>'recipients')::int = 3 AND "
                                       "(details->>'message_id')::bigint = %ld",
                                       act, staff.id, id),
                     1);
    /* The mails as caught: confirmed and attended, not the others. */
    for (int i = 0; i < 5; i++) {
        if (i == 2 || i == 3)
            continue;
        json_t *m = harness_wait_mail(&mail, email_of(i), "Venue change", 30000);
        ck_assert_msg(m != NULL, "no mail to %s", email_of(i));
        const char *html = json_string_value(json_object_get(m, "html"));
        const char *text = json_string_value(json_object_get(m, "text"));
        ck_assert_ptr_nonnull(html);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
        ck_assert_ptr_null(strstr(html, "<script>"));
        ck_assert_ptr_nonnull(strstr(html, "CityNet · Convene")); /* the layout */
        ck_assert_ptr_nonnull(strstr(html, "Heat workshop"));
        /* The text part as written (no escaping), each line as sent. */
        ck_assert_msg(strstr(text, "The venue moved.") != NULL &&
                          strstr(text, "<script>alert(1)</script> & more") != NULL,
                      "text part: %s", text);
        ck_assert_ptr_nonnull(strstr(text, "http://convene.test/activity.html?id="));
        json_decref(m);
    }
    json_t *all = harness_catcher_messages(&mail);
    ck_assert_int_eq(harness_count_mail_in(all, email_of(2)), 0);
    ck_assert_int_eq(harness_count_mail_in(all, email_of(3)), 0);
    ck_assert_int_eq(harness_count_mail_in(all, email_of(5)), 0);
    ck_assert_int_eq(harness_count_mail_in(all, email_of(6)), 0);
    json_decref(all);
    /* The history. */
    j = hcall_json(&srv, "GET", path(""), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    json_t *first = json_array_get(json_object_get(j, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "id")), id);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "recipients")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(first, "subject")),
                     "Venue change <b>now</b>");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(first, "statuses"), 1)),
                     "attended");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(first, "sent_by"), "id")),
                     staff.id);
    json_decref(j);
}
END_TEST

START_TEST(same_key_sends_once)
{
    const char *body = "{\"statuses\":[\"waitlisted\"],\"subject\":\"Twice clicked\","
                       "\"body\":\"Hello\",\"key\":\"dbl-1\"}";
    long st;
    json_t *a = hcall_json(&srv, "POST", path(""), body, &staff, &st);
    ck_assert_int_eq(st, 201);
    json_t *b = hcall_json(&srv, "POST", path(""), body, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "id")),
                     json_integer_value(json_object_get(b, "id")));
    ck_assert_int_eq(json_integer_value(json_object_get(b, "recipients")), 1);
    json_decref(a);
    json_decref(b);
    /* The header carries the same key. */
    char cookie[360], csrf[120];
    snprintf(cookie, sizeof cookie, "Cookie: %s", staff.cookie);
    snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s", staff.csrf);
    const char *h[] = {"Content-Type: application/json", cookie, csrf, "Idempotency-Key: dbl-1",
                       NULL};
    const char *nokey = "{\"statuses\":[\"waitlisted\"],\"subject\":\"Twice clicked\","
                        "\"body\":\"Hello\"}";
    struct hresp r;
    ck_assert_int_eq(hreq(&srv, "POST", path(""), h, nokey, strlen(nokey), &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
    ck_assert_int_eq(outbox_rows("Twice clicked"), 1);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM activity_messages WHERE idem_key = 'dbl-1'"),
        1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'activity.message_sent' AND details->>'message_id' = "
                                       "(SELECT id::text FROM activity_messages WHERE idem_key = "
                                       "'dbl-1')"),
                     1);
    /* The same key for another message is refused; nothing is queued. */
    HEXPECT(&srv, "POST", path(""),
            "{\"statuses\":[\"waitlisted\"],\"subject\":\"Other\",\"body\":\"Hello\","
            "\"key\":\"dbl-1\"}",
            &staff, 409, "idempotency_key_reused");
    ck_assert_int_eq(outbox_rows("Other"), 0);
    /* Header and member that differ. */
    const char *h2[] = {"Content-Type: application/json", cookie, csrf, "Idempotency-Key: dbl-2",
                        NULL};
    ck_assert_int_eq(hreq(&srv, "POST", path(""), h2, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 422);
    ck_assert_str_eq(herr_field_code(&r, "key"), "invalid_format");
    hresp_free(&r);
    /* The mail went out once. */
    json_t *m = harness_wait_mail(&mail, email_of(2), "Twice clicked", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    ck_assert_int_eq(harness_count_mail(&mail, email_of(2)), 1);
}
END_TEST

struct race {
    const char *path, *body;
    long status;
    long id;
};

static void *race_one(void *p)
{
    struct race *r = p;
    json_t *j = hcall_json(&srv, "POST", r->path, r->body, &staff, &r->status);
    r->id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return NULL;
}

START_TEST(concurrent_posts_with_one_key_send_once)
{
    enum { N = 8 };
    struct race rs[N];
    pthread_t t[N];
    const char *body = "{\"statuses\":[\"confirmed\",\"waitlisted\"],\"subject\":\"Raced\","
                       "\"body\":\"Once only\",\"key\":\"race-1\"}";
    char p[256];
    snprintf(p, sizeof p, "%s", path(""));
    for (int i = 0; i < N; i++) {
        rs[i] = (struct race){.path = p, .body = body};
        pthread_create(&t[i], NULL, race_one, &rs[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    int created = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_msg(rs[i].status == 201 || rs[i].status == 200, "status %ld", rs[i].status);
        created += rs[i].status == 201;
        ck_assert_int_eq(rs[i].id, rs[0].id);
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(outbox_rows("Raced"), 3);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM activity_messages WHERE idem_key = 'race-1'"),
        1);
}
END_TEST

/* ---- Refusals ---- */

START_TEST(only_staff)
{
    const char *body = "{\"statuses\":[\"confirmed\"],\"subject\":\"x\",\"body\":\"y\"}";
    HEXPECT(&srv, "GET", path("/recipients?status=confirmed"), NULL, &participant, 403,
            "forbidden");
    HEXPECT(&srv, "POST", path(""), body, &participant, 403, "forbidden");
    HEXPECT(&srv, "GET", path(""), NULL, &participant, 403, "forbidden");
    HEXPECT(&srv, "GET", path(""), NULL, NULL, 401, NULL);
    HEXPECT(&srv, "POST", path(""), body, NULL, 401, NULL);
    ck_assert_int_eq(outbox_rows("x"), 0);
}
END_TEST

START_TEST(bad_input_is_422_on_the_field)
{
    static const struct {
        const char *body, *field, *code;
    } cases[] = {
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"\",\"body\":\"y\"}", "subject", NULL},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"   \",\"body\":\"y\"}", "subject", NULL},
        {"{\"statuses\":[\"confirmed\"],\"body\":\"y\"}", "subject", "required"},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"a\\nb\",\"body\":\"y\"}", "subject",
         "invalid_format"},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":\"\"}", "body", NULL},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":7}", "body", "invalid_type"},
        {"{\"statuses\":[],\"subject\":\"s\",\"body\":\"y\"}", "statuses", "required"},
        {"{\"subject\":\"s\",\"body\":\"y\"}", "statuses", "required"},
        {"{\"statuses\":\"confirmed\",\"subject\":\"s\",\"body\":\"y\"}", "statuses",
         "invalid_type"},
        {"{\"statuses\":[\"cancelled\"],\"subject\":\"s\",\"body\":\"y\"}", "statuses",
         "invalid_choice"},
        {"{\"statuses\":[\"confirmed\",3],\"subject\":\"s\",\"body\":\"y\"}", "statuses",
         "invalid_choice"},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":\"y\",\"key\":\"a b\"}", "key",
         "invalid_format"},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":\"y\",\"key\":5}", "key",
         "invalid_type"},
        {"{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":\"y\",\"to\":\"all\"}", "to",
         "unknown_member"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct hresp r;
        long st = hcall(&srv, "POST", path(""), cases[i].body, &staff, &r);
        ck_assert_msg(st == 422, "%s: %ld", cases[i].body, st);
        const char *code = herr_field_code(&r, cases[i].field);
        ck_assert_msg(code[0] != '\0', "%s: no error on %s: %s", cases[i].body, cases[i].field,
                      r.body);
        if (cases[i].code)
            ck_assert_msg(strcmp(code, cases[i].code) == 0, "%s: %s, want %s", cases[i].body, code,
                          cases[i].code);
        hresp_free(&r);
    }
    /* Lengths: 200 characters (not bytes) of subject and 10,000 of body. */

    strbuf b;
    strbuf_init(&b, 60000);
    strbuf_puts(&b, "{\"statuses\":[\"confirmed\"],\"subject\":\"");
    for (int i = 0; i < 201; i++)
        strbuf_puts(&b, "é");
    strbuf_puts(&b, "\",\"body\":\"y\"}");
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", path(""), strbuf_cstr(&b), &staff, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "subject"), "too_long");
    hresp_free(&r);
    strbuf_free(&b);
    strbuf_init(&b, 60000);
    strbuf_puts(&b, "{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":\"");
    for (int i = 0; i < 10001; i++)
        strbuf_puts(&b, "x");
    strbuf_puts(&b, "\"}");
    ck_assert_int_eq(hcall(&srv, "POST", path(""), strbuf_cstr(&b), &staff, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "body"), "too_long");
    hresp_free(&r);
    strbuf_free(&b);
    /* 200 characters of é (400 bytes) are fine: the limit is in characters. */
    strbuf_init(&b, 60000);
    strbuf_puts(&b, "{\"statuses\":[\"pending_approval\"],\"subject\":\"");
    for (int i = 0; i < 200; i++)
        strbuf_puts(&b, "é");
    strbuf_puts(&b, "\",\"body\":\"y\"}");
    ck_assert_int_eq(hcall(&srv, "POST", path(""), strbuf_cstr(&b), &staff, &r), 201);
    hresp_free(&r);
    strbuf_free(&b);
    /* Nobody with the statuses (m-6 is cancelled, and cancelled is no
     * choice; an activity without registrations): 422 no_recipients. */
    char other[96];
    struct hresp c;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities",
                           "{\"kind\":\"workshop\",\"title\":\"Empty one\",\"mode\":\"open\"}",
                           &staff, &c),
                     201);
    json_t *j = json_loads(c.body, 0, NULL);
    snprintf(other, sizeof other, "/api/activities/%lld/messages",
             (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    hresp_free(&c);
    HEXPECT(&srv, "POST", other,
            "{\"statuses\":[\"confirmed\"],\"subject\":\"Nobody\",\"body\":\"y\"}", &staff, 422,
            "no_recipients");
    ck_assert_int_eq(outbox_rows("Nobody"), 0);
    HEXPECT(&srv, "POST", "/api/activities/999999/messages",
            "{\"statuses\":[\"confirmed\"],\"subject\":\"s\",\"body\":\"y\"}", &staff, 404,
            "not_found");
    HEXPECT(&srv, "GET", "/api/activities/999999/messages", NULL, &staff, 404, "not_found");
    /* The empty activity's history is an empty list. */
    j = hcall_json(&srv, "GET", other, NULL, &staff, &(long){0});
    ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_messages_suite(void)
{
    Suite *s = suite_create("messages");
    TCase *tc = tcase_create("messages");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, recipients_by_status);
    tcase_add_test(tc, send_queues_mail_in_the_layout_and_audits);
    tcase_add_test(tc, same_key_sends_once);
    tcase_add_test(tc, concurrent_posts_with_one_key_send_once);
    tcase_add_test(tc, only_staff);
    tcase_add_test(tc, bad_input_is_422_on_the_field);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
