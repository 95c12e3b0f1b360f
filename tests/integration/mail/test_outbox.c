/*
 * test_outbox.c - the outbox's refusals and failure modes:
 *   - mail_enqueue, mail_outbox_list and mail_outbox_retry called directly
 *     on the test cluster refuse bad arguments without writing a row;
 *   - rows that can never be sent (a bad address, vars that are no object,
 *     bad attachments, an unknown template) fail on the first attempt with
 *     the reason, and are never retried;
 *   - an SMTP server that is not there: retried until the attempts run
 *     out, then failed with the last error;
 *   - a row claimed more often than allowed (sends that never reported
 *     back) is failed without another send.
 * The senders run in a real server (no mail catcher: nothing listens on
 * its SMTP port, so nothing can be delivered).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "harness.h"
#include "mail/mail.h"

Suite *make_outbox_suite(void);

#define DB "outbox"

/* The variables verify_email needs, as an SQL literal. */
#define VERIFY_VARS                                                                                \
    "'{\"name\": \"D\", \"link\": \"https://example.org/v?token=x\", \"expires_hours\": 24}'"

static struct server srv;
static struct db_conn *c;

static void start_server(void)
{
    harness_fresh_db(DB);
    char smtp[64];
    /* A port nothing listens on: every connection is refused. */
    snprintf(smtp, sizeof smtp, "CONVENE_SMTP_URL=smtp://127.0.0.1:%d", harness_free_port());
    const char *env[] = {smtp, "CONVENE_MAIL_BACKOFF_MS=50", "CONVENE_MAIL_MAX_ATTEMPTS=3",
                         "CONVENE_MAIL_SENDERS=1", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
}

static void stop_server(void)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}

static void connect_db(void)
{
    char err[512];
    c = db_connect(harness_pg_url(DB), 5, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
}

static void disconnect_db(void)
{
    db_close(c);
}

static long rows(void)
{
    return harness_sql_long(DB, "SELECT count(*) FROM mail_outbox");
}

/* Inserts a row with the given columns and values; returns its id. */
static long insert_row(const char *cols, const char *values)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "INSERT INTO mail_outbox (%s) VALUES (%s) RETURNING id", cols,
             values);
    return harness_sql_long(DB, sql);
}

static bool has_status(long id, const char *status)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mail_outbox WHERE id = %ld AND status = '%s'",
             id, status);
    return harness_sql_long(DB, sql) == 1;
}

/* The row's last_error (caller frees). */
static char *last_error(long id)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT last_error FROM mail_outbox WHERE id = %ld", id);
    char *s = harness_psql(DB, sql);
    ck_assert_ptr_nonnull(s);
    return s;
}

static long attempts(long id)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT attempts FROM mail_outbox WHERE id = %ld", id);
    return harness_sql_long(DB, sql);
}

/* ---- Direct calls ---- */

START_TEST(enqueue_refuses_without_writing)
{
    long before = rows();
    json_t *vars = json_pack("{s:s}", "name", "Ada");
    json_t *list = json_array();
    json_t *bad_att = json_pack("[{s:s,s:s,s:s}]", "filename", "../etc/passwd", "content_type",
                                "text/plain", "data", "x");
    ck_assert_int_eq(mail_enqueue(c, "Bad-Name", "en", "a@example.org", NULL, vars, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "", "en", "a@example.org", NULL, vars, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, NULL, "en", "a@example.org", NULL, vars, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "e n", "a@example.org", NULL, vars, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "", "a@example.org", NULL, vars, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "en", "not an address", NULL, vars, NULL), -1);
    ck_assert_int_eq(
        mail_enqueue(c, "greeting", "en", "a@example.org", "Ada\r\nBcc: x@y.z", vars, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "en", "a@example.org", "Ada \xC3", vars, NULL),
                     -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "en", "a@example.org", NULL, list, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "en", "a@example.org", NULL, vars, bad_att), -1);
    ck_assert_int_eq(rows(), before);
    /* Defaults: no locale is "en", an empty name is none, no vars are {}. */
    ck_assert_int_eq(mail_enqueue(c, "greeting", NULL, "a@example.org", "", NULL, list), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE locale = 'en' "
                                          "AND to_name IS NULL AND vars = '{}'::jsonb AND "
                                          "attachments = '[]'::jsonb"),
                     1);
    json_decref(vars);
    json_decref(list);
    json_decref(bad_att);
}
END_TEST

START_TEST(list_and_retry_refuse_bad_arguments)
{
    ck_assert_ptr_null(mail_outbox_list(c, "lost", 10, 0));
    ck_assert_ptr_null(mail_outbox_list(c, "", 10, 0));
    ck_assert_ptr_null(mail_outbox_list(c, NULL, 0, 0));
    ck_assert_ptr_null(mail_outbox_list(c, NULL, 501, 0));
    ck_assert_ptr_null(mail_outbox_list(c, NULL, 10, -1));
    static const char *statuses[] = {"pending", "sending", "failed"};
    for (size_t i = 0; i < 3; i++) {
        json_t *p = mail_outbox_list(c, statuses[i], 1, 0);
        ck_assert_msg(p != NULL, "%s", statuses[i]);
        json_decref(p);
    }
    json_t *page = mail_outbox_list(c, "sent", 500, 0);
    ck_assert_ptr_nonnull(page);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(page, "items")), 0);
    json_decref(page);
    /* Retry takes failed rows only. */
    long pending = insert_row("template, to_address, next_attempt_at",
                              "'greeting', 'p@example.org', now() + interval '1 day'");
    ck_assert_int_eq(mail_outbox_retry(c, pending), 0);
    ck_assert_int_eq(mail_outbox_retry(c, 999999999), 0);
    long failed = insert_row("template, to_address, vars, status, attempts, last_error, "
                             "next_attempt_at",
                             "'verify_email', 'f@example.org', " VERIFY_VARS ", 'failed', 3, "
                             "'boom', now() + interval '1 day'");
    page = mail_outbox_list(c, "failed", 1, 0);
    ck_assert_ptr_nonnull(page);
    ck_assert_int_eq(json_integer_value(json_object_get(page, "total")),
                     harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status = "
                                          "'failed'"));
    ck_assert_int_eq(json_array_size(json_object_get(page, "items")), 1);
    json_t *item = json_array_get(json_object_get(page, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "id")), failed);
    ck_assert_str_eq(json_string_value(json_object_get(item, "last_error")), "boom");
    json_decref(page);
    /* Paging past the end: an empty page, the same total. */
    page = mail_outbox_list(c, NULL, 10, 10);
    ck_assert_ptr_nonnull(page);
    ck_assert_int_eq(json_array_size(json_object_get(page, "items")), 0);
    ck_assert_int_ge(json_integer_value(json_object_get(page, "total")), 2);
    json_decref(page);
    /* Made pending again with its attempts reset; the senders then take it
     * (and, with no SMTP server, fail it again after three attempts). */
    ck_assert_int_eq(mail_outbox_retry(c, failed), 1);
    WAIT_UNTIL(has_status(failed, "failed") && attempts(failed) == 3, 30000);
    char *err = last_error(failed);
    ck_assert_msg(strstr(err, "gave up after 3 attempts: smtp:") != NULL, "%s", err);
    free(err);
}
END_TEST

/* ---- Rows the senders can never send ---- */

START_TEST(unsendable_rows_fail_at_once)
{
    static const struct {
        const char *cols, *values, *error;
    } cases[] = {
        {"template, to_address", "'greeting', 'not-an-address'", "invalid recipient address"},
        {"template, to_address, vars", "'greeting', 'v@example.org', '[1, 2]'",
         "vars is not a JSON object"},
        {"template, to_address, attachments",
         "'greeting', 'b@example.org', '{\"not\": \"a list\"}'", "attachments"},
        {"template, to_address, attachments",
         "'greeting', 'a@example.org', '[{\"filename\": \".hidden\", \"content_type\": "
         "\"text/plain\", \"data\": \"x\"}]'",
         "attachment 0: missing or unsafe filename"},
        {"template, to_address", "'no_such_template', 't@example.org'", "template:"},
        {"template, to_address, vars", "'verify_email', 'l@example.org', '{\"name\": \"L\"}'",
         "missing variable 'link'"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    /* The table refuses the first three since 0007 ... */
    for (size_t i = 0; i < 3; i++) {
        char sql[2048];
        snprintf(sql, sizeof sql, "INSERT INTO mail_outbox (%s) VALUES (%s)", cases[i].cols,
                 cases[i].values);
        char *r = harness_psql(DB, sql);
        ck_assert_msg(r == NULL, "the table took case %zu", i);
    }
    /* ... but rows queued before it was checked (NOT VALID) may hold
     * anything: the sender is the second line. */
    harness_sql(DB, "ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_to_address_check, "
                    "DROP CONSTRAINT mail_outbox_vars_check, "
                    "DROP CONSTRAINT mail_outbox_attachments_check");
    long ids[N];
    for (size_t i = 0; i < N; i++)
        ids[i] = insert_row(cases[i].cols, cases[i].values);
    for (size_t i = 0; i < N; i++) {
        WAIT_UNTIL(has_status(ids[i], "failed"), 20000);
        ck_assert_int_eq(attempts(ids[i]), 1);
        char *err = last_error(ids[i]);
        ck_assert_msg(strstr(err, cases[i].error) != NULL, "case %zu: %s", i, err);
        free(err);
    }
}
END_TEST

START_TEST(smtp_down_gives_up_after_max_attempts)
{
    long id = insert_row("template, to_address, vars",
                         "'verify_email', 'down@example.org', " VERIFY_VARS);
    WAIT_UNTIL(has_status(id, "failed"), 30000);
    ck_assert_int_eq(attempts(id), 3);
    char *err = last_error(id);
    ck_assert_msg(strstr(err, "gave up after 3 attempts: smtp:") != NULL, "%s", err);
    free(err);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mail_outbox WHERE id = %ld AND sent_at IS NULL",
             id);
    ck_assert_int_eq(harness_sql_long(DB, sql), 1);
}
END_TEST

/* ---- /metrics ---- */

/* The value of the line of /metrics that starts with series, or -1 when it
 * is absent. */
static long metric(const char *series)
{
    struct hresp r;
    long v = -1;
    if (hget(&srv, "/metrics", &r) == 0 && r.status == 200) {
        size_t n = strlen(series);
        for (const char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
            if (strncmp(p, series, n) == 0 && p[n] == ' ') {
                v = strtol(p + n + 1, NULL, 10);
                break;
            }
        }
    }
    hresp_free(&r);
    return v;
}

#define FAILED  "convene_outbox_mails{status=\"failed\"}"
#define SENDING "convene_outbox_mails{status=\"sending\"}"
#define PENDING "convene_outbox_mails{status=\"pending\"}"
#define OLDEST  "convene_outbox_oldest_due_seconds"

START_TEST(metrics_report_the_outbox)
{
    /* The figures are there from the first scrape (cached for 5 s). */
    WAIT_UNTIL(metric(FAILED) >= 0, 10000);
    ck_assert_int_ge(metric(PENDING), 0);
    ck_assert_int_ge(metric("convene_outbox_mails{status=\"sent\"}"), 0);
    ck_assert_int_ge(metric(OLDEST), 0);
    ck_assert_int_eq(metric("convene_outbox_read_failures_total"), 0);
    long failed = harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status = 'failed'");
    WAIT_UNTIL(metric(FAILED) == failed, 10000);

    /* Mail queued with no SMTP server: given up after three attempts, and
     * the failed gauge counts it. */
    long id = insert_row("template, to_address, vars",
                         "'verify_email', 'gauge@example.org', " VERIFY_VARS);
    WAIT_UNTIL(has_status(id, "failed"), 30000);
    WAIT_UNTIL(metric(FAILED) == failed + 1, 10000);

    /* A mail claimed by another node (locked for an hour) and due for two
     * hours: the oldest due age and the sending gauge see it. */
    long stuck = insert_row("template, to_address, vars, status, locked_until, next_attempt_at",
                            "'verify_email', 'stuck@example.org', " VERIFY_VARS
                            ", 'sending', now() + interval '1 hour', now() - interval '2 hours'");
    WAIT_UNTIL(metric(OLDEST) >= 7200 && metric(SENDING) >= 1, 10000);
    ck_assert_int_lt(metric(OLDEST), 7200 + 60);
    char sql[120];
    snprintf(sql, sizeof sql, "DELETE FROM mail_outbox WHERE id = %ld", stuck);
    harness_sql(DB, sql);
    WAIT_UNTIL(metric(OLDEST) < 7200, 10000);
    ck_assert_int_eq(metric("convene_outbox_read_failures_total"), 0);
}
END_TEST

START_TEST(interrupted_sends_are_not_repeated_forever)
{
    /* Claimed three times already and never reported back: the next
     * claim is over the limit of three and fails it without a send. */
    long id =
        insert_row("template, to_address, status, attempts, locked_until",
                   "'greeting', 'crash@example.org', 'sending', 3, now() - interval '1 hour'");
    WAIT_UNTIL(has_status(id, "failed"), 30000);
    char *err = last_error(id);
    ck_assert_msg(strstr(err, "gave up after 3 attempts (interrupted sends)") != NULL, "%s", err);
    free(err);
}
END_TEST

Suite *make_outbox_suite(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("outbox");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_add_checked_fixture(tc, connect_db, disconnect_db);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, enqueue_refuses_without_writing);
    tcase_add_test(tc, list_and_retry_refuse_bad_arguments);
    tcase_add_test(tc, unsendable_rows_fail_at_once);
    tcase_add_test(tc, smtp_down_gives_up_after_max_attempts);
    tcase_add_test(tc, interrupted_sends_are_not_repeated_forever);
    tcase_add_test(tc, metrics_report_the_outbox);
    suite_add_tcase(s, tc);
    return s;
}
