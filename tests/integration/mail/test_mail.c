/*
 * test_mail.c - the mail outbox end to end: rows written by SQL or by
 * mail_enqueue, the real server's sender threads, and a real SMTP sink
 * (deploy/mailcatcher.py, started here on free ports). Checks delivery
 * within 2 s of the commit (LISTEN/NOTIFY), the headers and both bodies,
 * non-Latin names, CR/LF injection, SMTP down and back (no mail lost, none
 * twice), permanent failures, retries by the admin helper, attachments,
 * claims left by a killed sender, a lost database connection and a prompt
 * stop.
 *
 * The server runs on a data directory of its own (symlinks to the real
 * sql/, web/ and templates, plus test templates), with
 * CONVENE_MAIL_BACKOFF_MS=300 so retries come fast. Tests wait for the
 * state they assert (a row's status, a message in the catcher); a check
 * that something does NOT happen waits for a later mail to arrive (proof
 * that the senders ran) and for several back-off periods.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "harness.h"
#include "mail/mail.h"

Suite *make_mail_suite(void);

#define DB        "mail"
#define MAIL_FROM "convene@mail.example.org"
#define BASE_URL  "https://convene.example.org"

#define BACKOFF_MS 300

static struct server srv;
static char data_dir[256];
static struct catcher mail;       /* refuses recipients starting "reject" */
static struct server catcher_web; /* only .base is used, for hget */

/* ---- Small helpers ---- */

static char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs SQL (UTF-8) on the test database; first line of output or NULL. */
static char *sqlf(const char *fmt, ...)
{
    char body[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    char sql[8300];
    snprintf(sql, sizeof sql, "SET client_encoding = 'UTF8';\n%s", body);
    return harness_psql(DB, sql);
}

/* Inserts an outbox row from a VALUES list of (template, to_address,
 * to_name, vars) and extra columns; returns its id. */
static long insert_row(const char *columns, const char *values)
{
    char *out = sqlf("INSERT INTO mail_outbox (%s) VALUES (%s) RETURNING id;", columns, values);
    ck_assert_msg(out != NULL, "insert failed: %s", values);
    long id = strtol(out, NULL, 10);
    free(out);
    ck_assert_int_gt(id, 0);
    return id;
}

/* "status|attempts|last_error" of a row (caller frees). */
static char *row_state(long id)
{
    char *out = sqlf("SELECT status || '|' || attempts || '|' || coalesce(last_error, '') "
                     "FROM mail_outbox WHERE id = %ld;",
                     id);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* Waits until row id has `status`; returns its state line (caller frees). */
static char *wait_status(long id, const char *status, int timeout_ms)
{
    double end = harness_now_ms() + timeout_ms;
    size_t n = strlen(status);
    for (;;) {
        char *st = row_state(id);
        if (strncmp(st, status, n) == 0 && st[n] == '|')
            return st;
        if (harness_now_ms() > end)
            ck_abort_msg("row %ld did not become %s in %d ms: %s", id, status, timeout_ms, st);
        free(st);
        usleep(20000);
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Number of finished .eml files in the catcher's directory. */
static int count_eml(void)
{
    DIR *d = opendir(mail.dir);
    if (d == NULL)
        return 0;
    int n = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 4 && strcmp(e->d_name + len - 4, ".eml") == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- The mail catcher ---- */

static void catcher_start(void)
{
    ck_assert_msg(harness_catcher_start(&mail) == 0, "mailcatcher did not start");
}

static void catcher_stop(void)
{
    harness_catcher_stop(&mail);
}

/* All messages the catcher holds, oldest first (caller decrefs). */
static json_t *catcher_messages(void)
{
    struct hresp r;
    ck_assert_int_eq(hget(&catcher_web, "/api/messages", &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    ck_assert_ptr_nonnull(j);
    return j;
}

static bool envelope_has(const json_t *m, const char *addr)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(m, "envelope_to"), i, v)
    {
        if (strcasecmp(json_string_value(v), addr) == 0)
            return true;
    }
    return false;
}

/* How many messages were delivered to addr. */
static int count_to(const char *addr)
{
    json_t *all = catcher_messages();
    int n = 0;
    size_t i;
    const json_t *m;
    json_array_foreach(all, i, m)
    {
        if (envelope_has(m, addr))
            n++;
    }
    json_decref(all);
    return n;
}

/* Waits until a message for addr arrives; returns it (caller decrefs) and,
 * when arrived_ms is not NULL, the time it was first seen. Polls the files
 * (cheap) and asks the catcher only when their number changed. */
static json_t *wait_message_to(const char *addr, int timeout_ms, double *arrived_ms)
{
    double end = harness_now_ms() + timeout_ms;
    int seen = -1;
    for (;;) {
        int n = count_eml();
        if (n != seen) {
            double at = harness_now_ms();
            seen = n;
            json_t *all = catcher_messages();
            size_t i;
            json_t *m;
            json_array_foreach(all, i, m)
            {
                if (envelope_has(m, addr)) {
                    json_incref(m);
                    json_decref(all);
                    if (arrived_ms)
                        *arrived_ms = at;
                    return m;
                }
            }
            json_decref(all);
        }
        if (harness_now_ms() > end)
            ck_abort_msg("no mail for %s within %d ms", addr, timeout_ms);
        usleep(10000);
    }
}

/* The raw .eml of a message from the API (caller frees). */
static char *raw_of(const json_t *m)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", mail.dir, json_string_value(json_object_get(m, "file")));
    char *raw = read_file(path);
    ck_assert_ptr_nonnull(raw);
    return raw;
}

/* The value of the first header `name` in the header block of raw (folded
 * lines joined with their CRLF); "" when absent. Static buffer. */
static const char *raw_header(const char *raw, const char *name)
{
    static char out[2048];
    out[0] = '\0';
    size_t n = strlen(name);
    const char *end = strstr(raw, "\r\n\r\n");
    for (const char *p = raw; p && (!end || p < end);
         p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            const char *e = v;
            for (;;) {
                const char *crlf = strstr(e, "\r\n");
                if (crlf == NULL || (crlf[2] != ' ' && crlf[2] != '\t')) {
                    e = crlf ? crlf : e + strlen(e);
                    break;
                }
                e = crlf + 2;
            }
            snprintf(out, sizeof out, "%.*s", (int)(e - v), v);
            return out;
        }
    }
    return out;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* ---- Fixture ---- */

static void link_into(const char *dir, const char *target, const char *name)
{
    char path[1200];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert(n > 0 && (size_t)n < sizeof path);
    ck_assert_int_eq(symlink(target, path), 0);
}

/* A data directory with the real sql/, web/ and English templates, plus
 * test templates: `greeting` (name in the subject, a line holding only a
 * dot, a long non-ASCII line) in en and ko. */
static void make_data_dir(void)
{
    const char *src = getenv("CONVENE_SOURCE_DIR");
    char p[600], q[600];
    snprintf(data_dir, sizeof data_dir, "/tmp/convene-mailtest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(data_dir));
    snprintf(p, sizeof p, "%s/sql", src);
    link_into(data_dir, p, "sql");
    snprintf(p, sizeof p, "%s/web", src);
    link_into(data_dir, p, "web");
    snprintf(p, sizeof p, "%s/mail-templates", data_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/mail-templates/en", data_dir);
    mkdir(p, 0755);
    snprintf(q, sizeof q, "%s/mail-templates/ko", data_dir);
    mkdir(q, 0755);

    char from[600];
    snprintf(from, sizeof from, "%s/mail-templates/en", src);
    DIR *d = opendir(from);
    ck_assert_ptr_nonnull(d);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || e->d_name[1] == '.'))
            continue;
        char t[900];
        snprintf(t, sizeof t, "%s/%s", from, e->d_name);
        link_into(p, t, e->d_name);
    }
    closedir(d);

    char f[700];
    snprintf(f, sizeof f, "%s/greeting.subject.txt", p);
    write_file(f, "Welcome, {{name}}\n");
    snprintf(f, sizeof f, "%s/greeting.txt", p);
    write_file(f, "Hello {{name}},\n"
                  ".\n"
                  "The line above holds a single dot.\n"
                  "Long line: {{name}} {{name}} {{name}} {{name}} {{name}} {{name}} "
                  "{{name}} {{name}} {{name}} {{name}} end.\n"
                  "Activities: {{base_url}}/activities\n");
    snprintf(f, sizeof f, "%s/greeting.html", p);
    write_file(f, "<p>Hello {{name}},</p>\n<p>Activities: <a "
                  "href=\"{{base_url}}/activities\">{{base_url}}/activities</a></p>\n");
    snprintf(f, sizeof f, "%s/greeting.subject.txt", q);
    write_file(f, "환영합니다, {{name}}\n");
    snprintf(f, sizeof f, "%s/greeting.txt", q);
    write_file(f, "{{name}}님, 안녕하세요.\n");
    snprintf(f, sizeof f, "%s/greeting.html", q);
    write_file(f, "<p>{{name}}님, 안녕하세요.</p>\n");
}

/* Starts a server with the suite's settings on s. */
static void start_server(struct server *s)
{
    char smtp_url[96], dd[300];
    snprintf(smtp_url, sizeof smtp_url, "%s", harness_catcher_env(&mail));
    snprintf(dd, sizeof dd, "CONVENE_DATA_DIR=%s", data_dir);
    const char *env[] = {smtp_url,
                         dd,
                         "CONVENE_MAIL_FROM=" MAIL_FROM,
                         "CONVENE_BASE_URL=" BASE_URL,
                         "CONVENE_MAIL_BACKOFF_MS=300",
                         "CONVENE_MAIL_MAX_ATTEMPTS=20",
                         "CONVENE_MAIL_SENDERS=2",
                         NULL};
    ck_assert_int_eq(harness_server_start(s, DB, env), 0);
}

static void setup(void)
{
    make_data_dir();
    memset(&mail, 0, sizeof mail);
    mail.reject_rcpt = "^reject";
    catcher_start();
    snprintf(catcher_web.base, sizeof catcher_web.base, "http://127.0.0.1:%d", mail.http_port);
    harness_fresh_db(DB);
    start_server(&srv);
}

static void teardown(void)
{
    harness_server_stop(&srv);
    catcher_stop();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", data_dir, mail.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_mail: could not remove %s\n", data_dir);
}

/* Inserts a greeting to addr and waits until it is delivered: proof that
 * the senders have been through the outbox since the caller's change. */
static void sentinel_delivered(const char *addr)
{
    char values[256];
    snprintf(values, sizeof values, "'greeting', '%s', '{\"name\": \"Sentinel\"}'", addr);
    long id = insert_row("template, to_address, vars", values);
    free(wait_status(id, "sent", 30000));
}

/* Waits at least ms (a check that something does NOT happen needs time
 * for it to have happened: several back-off periods). */
static void hold_for(int ms)
{
    double end = harness_now_ms() + ms;
    while (harness_now_ms() < end)
        usleep(20000);
}

/* ---- (a) delivery after commit, headers and parts ---- */

START_TEST(delivered_within_two_seconds_with_headers)
{
    insert_row("template, to_address, to_name, vars",
               "'verify_email', 'amara@example.org', 'Amara Okafor', "
               "'{\"name\": \"Amara\", \"link\": \"" BASE_URL "/verify-email?token=abc123\", "
               "\"expires_minutes\": 60, \"expires_hours\": 24}'");
    double committed = harness_now_ms();
    double arrived = 0;
    json_t *m = wait_message_to("amara@example.org", 5000, &arrived);
    double latency = arrived - committed;
    fprintf(stderr, "mail: delivered %.0f ms after the INSERT committed\n", latency);
    ck_assert_msg(latency < 2000, "mail took %.0f ms after commit", latency);

    char *raw = raw_of(m);
    ck_assert_str_eq(raw_header(raw, "From"), MAIL_FROM);
    ck_assert_str_eq(raw_header(raw, "To"), "Amara Okafor <amara@example.org>");
    /* The wording belongs to the template; it is plain ASCII either way. */
    ck_assert_ptr_nonnull(strstr(raw_header(raw, "Subject"), "onfirm your email address"));
    ck_assert_ptr_null(strstr(raw_header(raw, "Subject"), "=?"));
    ck_assert_str_eq(raw_header(raw, "MIME-Version"), "1.0");
    /* "Mon, 24 Apr 2023 09:00:00 +0000" */
    const char *date = raw_header(raw, "Date");
    ck_assert_int_eq(strlen(date), 31);
    ck_assert_ptr_nonnull(strstr(date, " +0000"));
    char mid[128];
    snprintf(mid, sizeof mid, "%s", raw_header(raw, "Message-ID"));
    ck_assert_int_eq(strlen(mid), 1 + 32 + 1 + strlen("mail.example.org") + 1);
    ck_assert_int_eq(mid[0], '<');
    ck_assert_ptr_nonnull(strstr(mid, "@mail.example.org>"));
    ck_assert_ptr_nonnull(strstr(raw_header(raw, "Content-Type"), "multipart/alternative"));
    ck_assert_ptr_nonnull(strstr(raw, "text/plain; charset=UTF-8"));
    ck_assert_ptr_nonnull(strstr(raw, "text/html; charset=UTF-8"));
    /* Every line ends with CRLF. */
    for (const char *p = strchr(raw, '\n'); p; p = strchr(p + 1, '\n'))
        ck_assert_msg(p > raw && p[-1] == '\r', "bare LF at offset %ld", (long)(p - raw));

    ck_assert_str_eq(jstr(m, "envelope_from"), MAIL_FROM);
    ck_assert_int_eq(json_array_size(json_object_get(m, "envelope_to")), 1);
    const char *text = jstr(m, "text");
    ck_assert_ptr_nonnull(strstr(text, "Hello Amara,"));
    ck_assert_ptr_nonnull(strstr(text, BASE_URL "/verify-email?token=abc123"));
    ck_assert_ptr_nonnull(strstr(text, "CityNet network of cities: " BASE_URL)); /* layout */
    const char *html = jstr(m, "html");
    ck_assert_ptr_nonnull(strstr(html, "href=\"" BASE_URL "/verify-email?token=abc123\""));

    char *st = sqlf("SELECT status || '|' || attempts || '|' || message_id || '|' || "
                    "(sent_at IS NOT NULL) FROM mail_outbox WHERE to_address = "
                    "'amara@example.org';");
    char want[256];
    snprintf(want, sizeof want, "sent|1|%s|true", mid);
    ck_assert_str_eq(st, want);
    free(st);
    free(raw);
    json_decref(m);
}
END_TEST

/* ---- (b) names in Korean, Thai and Devanagari ---- */

START_TEST(non_latin_names_arrive_intact)
{
    static const struct {
        const char *addr, *name;
    } people[] = {
        {"minjun@example.org", "김민준"},
        {"somchai@example.org", "สมชาย ใจดี"},
        {"amit@example.org", "अमित शर्मा"},
    };
    for (size_t i = 0; i < 3; i++) {
        char values[1024];
        snprintf(values, sizeof values, "'greeting', '%s', '%s', '{\"name\": \"%s\"}', 'th'",
                 people[i].addr, people[i].name, people[i].name);
        insert_row("template, to_address, to_name, vars, locale", values);
    }
    for (size_t i = 0; i < 3; i++) {
        json_t *m = wait_message_to(people[i].addr, 5000, NULL);
        char want[512];
        snprintf(want, sizeof want, "%s <%s>", people[i].name, people[i].addr);
        ck_assert_str_eq(jstr(m, "to"), want);
        snprintf(want, sizeof want, "Welcome, %s", people[i].name); /* th falls back to en */
        ck_assert_str_eq(jstr(m, "subject"), want);
        snprintf(want, sizeof want, "Hello %s,\r\n.\r\nThe line above holds a single dot.",
                 people[i].name);
        ck_assert_msg(strstr(jstr(m, "text"), want), "text body: %s", jstr(m, "text"));
        snprintf(want, sizeof want, "%s %s end.", people[i].name, people[i].name);
        ck_assert_ptr_nonnull(strstr(jstr(m, "text"), want)); /* long line survives QP */
        ck_assert_ptr_nonnull(strstr(jstr(m, "text"), BASE_URL "/activities"));
        snprintf(want, sizeof want, "<p>Hello %s,</p>", people[i].name);
        ck_assert_ptr_nonnull(strstr(jstr(m, "html"), want));
        /* The raw headers are ASCII: encoded-words, not raw UTF-8. */
        char *raw = raw_of(m);
        const char *to = raw_header(raw, "To");
        ck_assert_ptr_nonnull(strstr(to, "=?UTF-8?B?"));
        for (const char *p = raw; *p && p < strstr(raw, "\r\n\r\n"); p++)
            ck_assert_msg((unsigned char)*p < 0x80, "raw 8-bit byte in the headers");
        free(raw);
        json_decref(m);
    }

    /* A translation is used when there is one. */
    insert_row("template, to_address, to_name, vars, locale",
               "'greeting', 'seoyeon@example.org', '박서연', '{\"name\": \"박서연\"}', 'ko'");
    json_t *m = wait_message_to("seoyeon@example.org", 5000, NULL);
    ck_assert_str_eq(jstr(m, "subject"), "환영합니다, 박서연");
    ck_assert_ptr_nonnull(strstr(jstr(m, "text"), "박서연님, 안녕하세요."));
    json_decref(m);
}
END_TEST

/* ---- (c) CR/LF injection ---- */

START_TEST(crlf_in_names_never_reaches_headers)
{
    struct db_conn *c = db_connect(harness_pg_url(DB), 5, NULL, 0);
    ck_assert_ptr_nonnull(c);
    long before = harness_sql_long(DB, "SELECT count(*) FROM mail_outbox;");
    ck_assert_int_eq(mail_enqueue(c, "verify_email", "en", "victim@example.org",
                                  "Mallory\r\nBcc: evil@example.org", NULL, NULL),
                     -1);
    ck_assert_int_eq(mail_enqueue(c, "verify_email", "en",
                                  "victim@example.org\r\nBcc: evil@example.org", "Mallory", NULL,
                                  NULL),
                     -1);
    ck_assert_int_eq(mail_enqueue(c, "verify_email", "en", "victim@example.org>,<evil@example.org",
                                  NULL, NULL, NULL),
                     -1);
    ck_assert_int_eq(mail_enqueue(c, "../etc", "en", "victim@example.org", NULL, NULL, NULL), -1);
    ck_assert_int_eq(mail_enqueue(c, "greeting", "../../x", "victim@example.org", NULL, NULL, NULL),
                     -1);
    db_close(c);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox;"), before);

    /* Rows that bypass mail_enqueue (SQL functions insert directly) meet
     * the same rules in the table itself (migration 0007): a CR/LF in the
     * name or the address cannot be queued at all. */
    char *refused = sqlf("INSERT INTO mail_outbox (template, to_address, to_name, vars) VALUES "
                         "('greeting', 'victim1@example.org', E'Mallory\\r\\nBcc: "
                         "evil@example.org', '{\"name\": \"M\"}') RETURNING id;");
    ck_assert_msg(refused == NULL, "a CR/LF name was queued: %s", refused);
    refused = sqlf("INSERT INTO mail_outbox (template, to_address, vars) VALUES ('greeting', "
                   "E'victim2@example.org\\r\\nRCPT TO:<evil@example.org>', '{\"name\": \"M\"}') "
                   "RETURNING id;");
    ck_assert_msg(refused == NULL, "a CR/LF address was queued: %s", refused);
    refused = sqlf("INSERT INTO mail_outbox (template, to_address, vars) VALUES ('greeting', "
                   "'victim2@example.org>,<evil@example.org', '{}') RETURNING id;");
    ck_assert_msg(refused == NULL, "a second recipient was queued: %s", refused);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox;"), before);
    /* What the table cannot see (a CR/LF in a value that a template puts in
     * the subject) the sender refuses. */
    long by_subject =
        insert_row("template, to_address, vars", "'greeting', 'victim3@example.org', "
                                                 "'{\"name\": \"M\\r\\nBcc: evil@example.org\"}'");
    char *st = wait_status(by_subject, "failed", 30000);
    ck_assert_msg(strstr(st, "template:"), "%s", st);
    free(st);

    /* Nothing was sent to anyone involved, and no message anywhere carries
     * a Bcc header or an extra recipient. */
    json_t *all = catcher_messages();
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m)
    {
        ck_assert(!envelope_has(m, "evil@example.org"));
        ck_assert(!envelope_has(m, "victim1@example.org"));
        ck_assert(!envelope_has(m, "victim2@example.org"));
        ck_assert(!envelope_has(m, "victim3@example.org"));
        ck_assert_int_eq(json_array_size(json_object_get(m, "envelope_to")), 1);
        char *raw = raw_of(m);
        ck_assert_str_eq(raw_header(raw, "Bcc"), "");
        ck_assert_ptr_null(strstr(raw, "evil@example.org"));
        free(raw);
    }
    json_decref(all);
}
END_TEST

/* ---- (d) SMTP down, then back ---- */

/* True once row id is waiting for another try after at least two failed
 * SMTP attempts. */
static bool retried_while_down(long id)
{
    char *st = row_state(id);
    bool waiting = strncmp(st, "pending|", 8) == 0 || strncmp(st, "sending|", 8) == 0;
    bool yes = waiting && atoi(strchr(st, '|') + 1) >= 2 && strstr(st, "|smtp: ") != NULL;
    free(st);
    return yes;
}

START_TEST(smtp_down_then_back_delivers_each_once)
{
    catcher_stop();
    double t0 = harness_now_ms();
    long ids[3];
    for (int i = 0; i < 3; i++) {
        char values[256];
        snprintf(values, sizeof values,
                 "'greeting', 'down%d@example.org', NULL, '{\"name\": \"Down %d\"}'", i, i);
        ids[i] = insert_row("template, to_address, to_name, vars", values);
    }
    /* One more whose attempts run out while SMTP is down (max 20). */
    long last = insert_row("template, to_address, vars, attempts",
                           "'greeting', 'lastchance@example.org', '{\"name\": \"L\"}', 19");
    char *st = wait_status(last, "failed", 30000);
    ck_assert_msg(strstr(st, "|20|gave up after 20 attempts: smtp:"), "%s", st);
    free(st);

    /* While SMTP is down the mails wait and are retried. */
    for (int i = 0; i < 3; i++)
        WAIT_UNTIL(retried_while_down(ids[i]), 15000);
    for (int i = 0; i < 3; i++) {
        st = row_state(ids[i]);
        ck_assert_msg(strncmp(st, "pending|", 8) == 0 || strncmp(st, "sending|", 8) == 0, "%s", st);
        ck_assert_msg(atoi(strchr(st, '|') + 1) >= 2, "not retried: %s", st);
        ck_assert_msg(strstr(st, "|smtp: "), "no last_error: %s", st);
        free(st);
    }

    int files_before = count_eml();
    catcher_start();
    double back = harness_now_ms();
    double latest = back;
    for (int i = 0; i < 3; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "down%d@example.org", i);
        double at = 0;
        json_decref(wait_message_to(addr, 15000, &at));
        if (at > latest)
            latest = at;
    }
    fprintf(stderr, "mail: SMTP down %.1f s; all 3 delivered %.0f ms after it came back\n",
            (back - t0) / 1000.0, latest - back);
    for (int i = 0; i < 3; i++)
        free(wait_status(ids[i], "sent", 30000));
    ck_assert_int_eq(count_eml(), files_before + 3);
    /* Later (the senders went through the outbox again and several
     * back-off periods passed): still exactly one each. */
    hold_for(4 * BACKOFF_MS);
    sentinel_delivered("after-outage@example.org");
    ck_assert_int_eq(count_eml(), files_before + 4);
    for (int i = 0; i < 3; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "down%d@example.org", i);
        ck_assert_int_eq(count_to(addr), 1);
    }
    ck_assert_int_eq(count_to("lastchance@example.org"), 0);
}
END_TEST

/* ---- (e) permanent failures; the admin helpers ---- */

START_TEST(unknown_template_fails_once_and_admin_can_retry)
{
    long id =
        insert_row("template, to_address, vars", "'no_such_template', 'nobody@example.org', '{}'");
    char *st = wait_status(id, "failed", 30000);
    ck_assert_msg(strncmp(st, "failed|1|template: ", 19) == 0, "%s", st);
    ck_assert_msg(strstr(st, "no_such_template"), "%s", st);
    free(st);
    long rejected = insert_row("template, to_address, vars",
                               "'greeting', 'reject-me@example.org', '{\"name\": \"R\"}'");
    st = wait_status(rejected, "failed", 30000);
    ck_assert_str_eq(st, "failed|1|smtp: recipient refused (550)");
    free(st);
    /* Not retried: several back-off periods later, after the senders went
     * through the outbox again, it is still failed after one attempt. */
    hold_for(4 * BACKOFF_MS);
    sentinel_delivered("after-failures@example.org");
    st = row_state(id);
    ck_assert_msg(strncmp(st, "failed|1|", 9) == 0, "%s", st);
    free(st);

    struct db_conn *c = db_connect(harness_pg_url(DB), 5, NULL, 0);
    ck_assert_ptr_nonnull(c);
    json_t *list = mail_outbox_list(c, "failed", 100, 0);
    ck_assert_ptr_nonnull(list);
    ck_assert_int_ge(json_integer_value(json_object_get(list, "total")), 2);
    json_t *first = json_array_get(json_object_get(list, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "id")), rejected); /* newest first */
    ck_assert_str_eq(jstr(first, "status"), "failed");
    ck_assert_str_eq(jstr(first, "template"), "greeting");
    ck_assert_str_eq(jstr(first, "to_address"), "reject-me@example.org");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "attempts")), 1);
    ck_assert(json_is_null(json_object_get(first, "sent_at")));
    ck_assert_int_eq(strlen(jstr(first, "created_at")), 24); /* 2023-04-24T09:00:00.000Z */
    json_decref(list);
    list = mail_outbox_list(c, NULL, 1, 0);
    ck_assert_int_eq(json_array_size(json_object_get(list, "items")), 1);
    ck_assert_int_gt(json_integer_value(json_object_get(list, "total")), 5);
    json_decref(list);
    ck_assert_ptr_null(mail_outbox_list(c, "bogus", 10, 0));
    ck_assert_ptr_null(mail_outbox_list(c, NULL, 0, 0));

    /* Retry puts it back; the template is still missing, so it fails
     * again, after one fresh attempt. The second retry must find the row
     * pending: both run in one transaction, so no sender can take the row
     * (and fail it again) between them; the NOTIFY goes out at commit. */
    ck_assert_int_eq(db_begin(c), 0);
    ck_assert_int_eq(mail_outbox_retry(c, id), 1);
    ck_assert_int_eq(mail_outbox_retry(c, id), 0); /* no longer failed */
    ck_assert_int_eq(db_commit(c), 0);
    ck_assert_int_eq(mail_outbox_retry(c, 999999), 0);
    long sent = harness_sql_long(DB, "SELECT min(id) FROM mail_outbox WHERE status = 'sent';");
    ck_assert_int_gt(sent, 0);
    ck_assert_int_eq(mail_outbox_retry(c, sent), 0); /* sent mail is not retried */
    db_close(c);
    st = wait_status(id, "failed", 30000);
    ck_assert_msg(strncmp(st, "failed|1|template: ", 19) == 0, "%s", st);
    free(st);
}
END_TEST

/* ---- (f) attachments ---- */

START_TEST(ics_attachment_arrives_as_multipart_mixed)
{
    const char *ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CityNet//Convene//EN\r\n"
                      "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:act-42@convene.example.org\r\n"
                      "DTSTART:20230424T090000Z\r\nSUMMARY:Urban Resilience Workshop\r\n"
                      "END:VEVENT\r\nEND:VCALENDAR\r\n";
    struct db_conn *c = db_connect(harness_pg_url(DB), 5, NULL, 0);
    ck_assert_ptr_nonnull(c);
    json_t *vars = json_pack("{s:s}", "name", "Nguyễn Văn An");
    json_t *att = json_pack("[{s:s, s:s, s:s}]", "filename", "invite.ics", "content_type",
                            "text/calendar; charset=UTF-8; method=REQUEST", "data", ics);
    json_t *bad = json_pack("[{s:s, s:s, s:s}]", "filename", "../invite.ics", "content_type",
                            "text/calendar", "data", ics);
    json_t *bad_type = json_pack("[{s:s, s:s, s:s}]", "filename", "invite.ics", "content_type",
                                 "text/calendar\r\nBcc: evil@example.org", "data", ics);
    ck_assert_int_eq(
        mail_enqueue(c, "greeting", "en", "an@example.org", "Nguyễn Văn An", vars, bad), -1);
    ck_assert_int_eq(
        mail_enqueue(c, "greeting", "en", "an@example.org", "Nguyễn Văn An", vars, bad_type), -1);
    /* In a transaction: nothing leaves before the commit, even after the
     * senders delivered a mail committed later. */
    ck_assert_int_eq(db_begin(c), 0);
    ck_assert_int_eq(
        mail_enqueue(c, "greeting", NULL, "an@example.org", "Nguyễn Văn An", vars, att), 0);
    sentinel_delivered("before-commit@example.org");
    ck_assert_int_eq(count_to("an@example.org"), 0);
    ck_assert_int_eq(db_commit(c), 0);
    db_close(c);
    json_decref(vars);
    json_decref(att);
    json_decref(bad);
    json_decref(bad_type);

    json_t *m = wait_message_to("an@example.org", 5000, NULL);
    ck_assert_str_eq(jstr(m, "content_type"), "multipart/mixed");
    ck_assert_str_eq(jstr(m, "to"), "Nguyễn Văn An <an@example.org>");
    ck_assert_ptr_nonnull(strstr(jstr(m, "text"), "Hello Nguyễn Văn An,"));
    ck_assert_ptr_nonnull(strstr(jstr(m, "html"), "<p>Hello Nguyễn Văn An,</p>"));
    json_t *atts = json_object_get(m, "attachments");
    ck_assert_int_eq(json_array_size(atts), 1);
    json_t *a = json_array_get(atts, 0);
    ck_assert_str_eq(jstr(a, "filename"), "invite.ics");
    ck_assert_str_eq(jstr(a, "content_type"), "text/calendar");
    ck_assert_str_eq(jstr(a, "data"), ics);
    char *raw = raw_of(m);
    ck_assert_ptr_nonnull(strstr(raw_header(raw, "Content-Type"), "multipart/mixed"));
    ck_assert_ptr_nonnull(strstr(raw, "multipart/alternative"));
    ck_assert_ptr_nonnull(strstr(raw, "method=REQUEST"));
    free(raw);
    json_decref(m);
}
END_TEST

/* ---- Claims, connections, stop ---- */

START_TEST(stale_claims_come_back_live_ones_do_not)
{
    /* As if a sender was killed mid-send 5 minutes ago ... */
    long stale = insert_row("template, to_address, vars, status, attempts, locked_until",
                            "'greeting', 'stale@example.org', '{\"name\": \"S\"}', 'sending', 1, "
                            "now() - interval '1 second'");
    /* ... and as if another node is sending this one right now. */
    long live = insert_row("template, to_address, vars, status, attempts, locked_until",
                           "'greeting', 'live@example.org', '{\"name\": \"L\"}', 'sending', 1, "
                           "now() + interval '1 hour'");
    json_decref(wait_message_to("stale@example.org", 15000, NULL));
    char *st = wait_status(stale, "sent", 30000);
    ck_assert_str_eq(st, "sent|2|");
    free(st);
    /* The live claim is left alone while the senders keep working. */
    hold_for(4 * BACKOFF_MS);
    sentinel_delivered("after-claims@example.org");
    st = row_state(live);
    ck_assert_str_eq(st, "sending|1|");
    free(st);
    ck_assert_int_eq(count_to("live@example.org"), 0);
    free(sqlf("DELETE FROM mail_outbox WHERE id = %ld;", live));
}
END_TEST

START_TEST(senders_reconnect_after_losing_the_database)
{
    char *pids = sqlf("SELECT string_agg(pid::text, ',') FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid();");
    ck_assert_ptr_nonnull(pids);
    char *n = sqlf("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                   "WHERE pid IN (%s);",
                   pids);
    ck_assert_ptr_nonnull(n);
    ck_assert_int_ge(atoi(n), 2); /* at least the two senders */
    free(n);
    /* The old connections are gone before the mail is written. */
    char gone[2200];
    snprintf(gone, sizeof gone, "SELECT count(*) FROM pg_stat_activity WHERE pid IN (%s);", pids);
    free(pids);
    WAIT_UNTIL(harness_sql_long(DB, gone) == 0, 10000);
    insert_row("template, to_address, vars",
               "'greeting', 'reconnect@example.org', '{\"name\": \"R\"}'");
    double t0 = harness_now_ms();
    double at = 0;
    json_decref(wait_message_to("reconnect@example.org", 15000, &at));
    fprintf(stderr, "mail: delivered %.0f ms after the senders lost their connections\n", at - t0);
    ck_assert(harness_server_alive(&srv));
}
END_TEST

START_TEST(server_stops_promptly_with_senders)
{
    /* A server of the test's own: the suite's server belongs to the runner,
     * which checks its exit at teardown. */
    struct server s2;
    start_server(&s2);
    double t0 = harness_now_ms();
    ck_assert_int_eq(harness_server_stop(&s2), 0);
    double ms = harness_now_ms() - t0;
    fprintf(stderr, "mail: server with 2 idle senders stopped in %.0f ms\n", ms);
    ck_assert_msg(ms < 3000, "stop took %.0f ms", ms);
}
END_TEST

Suite *make_mail_suite(void)
{
    Suite *s = suite_create("mail");
    TCase *tc = tcase_create("outbox");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, delivered_within_two_seconds_with_headers);
    tcase_add_test(tc, non_latin_names_arrive_intact);
    tcase_add_test(tc, crlf_in_names_never_reaches_headers);
    tcase_add_test(tc, smtp_down_then_back_delivers_each_once);
    tcase_add_test(tc, unknown_template_fails_once_and_admin_can_retry);
    tcase_add_test(tc, ics_attachment_arrives_as_multipart_mixed);
    tcase_add_test(tc, stale_claims_come_back_live_ones_do_not);
    tcase_add_test(tc, senders_reconnect_after_losing_the_database);
    tcase_add_test(tc, server_stops_promptly_with_senders);
    suite_add_tcase(s, tc);
    return s;
}
