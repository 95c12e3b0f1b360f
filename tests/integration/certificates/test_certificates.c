/*
 * test_certificates.c - certificates of attendance against the real
 * server, PostgreSQL and mail catcher: issuing only to participants marked
 * attended and once each (a second POST issues 0), the switch per
 * activity, the participant's own download (others 404; its text read
 * back with pdftotext), the public verification, revocation (shown, the
 * download refused, audited) and reinstatement, the mail with the PDF
 * attached delivered to the catcher, a mail naming no certificate failing
 * for good, and the layout (colours, logo upload, preview).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "harness.h"

Suite *make_certificates_suite(void);

#define DB "certificates"

static struct server srv;
static struct catcher mail;
static struct hsession staff, outsider;
/* Registrations of activity `act`: p-1 (Thai name), p-2, p-3 attended;
 * p-4 confirmed; p-5 cancelled. */
static struct hsession people[5];
static long act, other_act;

#define THAI_NAME "สมชาย ใจดี"

static long create_activity(const char *title)
{
    struct hresp r;
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"training_programme\",\"title\":\"%s\",\"timezone\":"
             "\"Asia/Seoul\",\"starts_on\":\"2031-05-22\",\"ends_on\":\"2031-05-24\","
             "\"mode\":\"open\"}",
             title);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/activities", body, &staff, &r), 201);
    json_t *j = json_loads(r.body, 0, NULL);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    hresp_free(&r);
    return id;
}

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_MAIL_BACKOFF_MS=100", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_make_users(DB, "staff", "Staff", 1, NULL, "staff", &staff);
    harness_make_users(DB, "out", "Outsider", 1, NULL, "participant", &outsider);
    harness_make_users(DB, "p", "Person", 5, NULL, "participant", people);
    act = create_activity("Water Resilience Training");
    other_act = create_activity("Another Training");
    harness_sql(DB, "INSERT INTO organisations (name, kind) VALUES "
                    "('Seoul Metropolitan Government', 'member_city')");
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE activities SET host_organisation_id = (SELECT id FROM organisations WHERE "
             "name = 'Seoul Metropolitan Government') WHERE id = %ld",
             act);
    harness_sql(DB, sql);
    static const char *const st[] = {"attended", "attended", "attended", "confirmed", "cancelled"};
    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO enrollments (activity_id, account_id, status) "
                 "VALUES (%ld, %ld, '%s')",
                 act, people[i].id, st[i]);
        harness_sql(DB, sql);
    }
    snprintf(sql, sizeof sql, "UPDATE accounts SET name = '" THAI_NAME "' WHERE id = %ld",
             people[0].id);
    harness_sql(DB, sql);
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

static const char *apath(long id, const char *tail)
{
    static char p[256];
    snprintf(p, sizeof p, "/api/activities/%ld%s", id, tail);
    return p;
}

/* The code of person i's certificate for act (static buffer; "" none). */
static const char *code_of(int i)
{
    static char code[64];
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT coalesce((SELECT code FROM certificates WHERE activity_id = %ld AND "
             "account_id = %ld), '')",
             act, people[i].id);
    char *t = harness_sql_text(DB, sql);
    snprintf(code, sizeof code, "%s", t ? t : "");
    free(t);
    return code;
}

static long issue(const struct hsession *who, long id, long want_status)
{
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", apath(id, "/certificates"), NULL, who, &st);
    ck_assert_int_eq(st, want_status);
    long n = st == 200 ? (long)json_integer_value(json_object_get(j, "issued")) : -1;
    json_decref(j);
    return n;
}

/* ---- Switch and issuing ---- */

START_TEST(issuing_needs_the_switch_and_staff)
{
    HEXPECT(&srv, "POST", apath(act, "/certificates"), NULL, &staff, 409, "certificates_disabled");
    HEXPECT(&srv, "POST", apath(act, "/certificates"), NULL, &people[0], 403, "forbidden");
    HEXPECT(&srv, "POST", apath(act, "/certificates"), NULL, NULL, 401, NULL);
    HEXPECT(&srv, "POST", "/api/activities/999999/certificates", NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "PUT", apath(act, "/certificate-settings"), "{\"enabled\":\"yes\"}", &staff, 422,
            "validation_failed");
    HEXPECT(&srv, "PUT", apath(act, "/certificate-settings"), "{\"enabled\":true,\"x\":1}", &staff,
            422, "validation_failed");
    HEXPECT(&srv, "PUT", apath(act, "/certificate-settings"), "{\"enabled\":true}", &people[0], 403,
            "forbidden");
    HEXPECT(&srv, "PUT", "/api/activities/999999/certificate-settings", "{\"enabled\":true}",
            &staff, 404, "not_found");
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM certificates"), 0);

    long st;
    json_t *j = hcall_json(&srv, "PUT", apath(act, "/certificate-settings"), "{\"enabled\":true}",
                           &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(json_object_get(j, "enabled")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "attended")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pending")), 3);
    json_decref(j);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = "
                                          "'certificates.enabled'"),
                     1);
}
END_TEST

START_TEST(issues_to_attended_participants_once)
{
    ck_assert_int_eq(issue(&staff, act, 200), 3);
    /* Only the three attended, each once, with distinct 128-bit codes. */
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM certificates"), 3);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(DISTINCT c.code) FROM certificates c JOIN "
                                       "enrollments e ON e.activity_id = c.activity_id AND "
                                       "e.account_id = c.account_id WHERE e.status = 'attended' "
                                       "AND c.activity_id = %ld AND c.code ~ '^[0-9a-f]{32}$'",
                                       act),
                     3);
    ck_assert_str_eq(code_of(3), "");
    ck_assert_str_eq(code_of(4), "");
    /* What the certificate says was taken when it was issued. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT participant_name || '|' || activity_title || '|' || dates_label || '|' || "
             "host FROM certificates WHERE account_id = %ld",
             people[0].id);
    char *t = harness_sql_text(DB, sql);
    ck_assert_str_eq(t, THAI_NAME "|Water Resilience Training|22-24 May 2031|Seoul Metropolitan "
                                  "Government");
    free(t);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = "
                                          "'certificates.issued' AND details->>'issued' = '3'"),
                     1);
    /* One mail each, with the PDF attached by reference. */
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE template = "
                                          "'certificate_issued' AND attachments->0->>'source' = "
                                          "'certificate' AND attachments->0->>'content_type' = "
                                          "'application/pdf'"),
                     3);

    /* Again: nobody new, nothing issued, nothing mailed. */
    ck_assert_int_eq(issue(&staff, act, 200), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM certificates"), 3);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE template = "
                                          "'certificate_issued'"),
                     3);

    /* p-4 is marked attended later: the next POST issues exactly one. */
    snprintf(sql, sizeof sql,
             "UPDATE enrollments SET status = 'attended' WHERE activity_id = %ld AND "
             "account_id = %ld",
             act, people[3].id);
    harness_sql(DB, sql);
    ck_assert_int_eq(issue(&staff, act, 200), 1);
    ck_assert_int_ne(strlen(code_of(3)), 0);
    ck_assert_int_eq(issue(&staff, act, 200), 0);

    long st;
    json_t *j = hcall_json(&srv, "GET", apath(act, "/certificates"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 4);
    json_decref(j);
    HEXPECT(&srv, "GET", apath(act, "/certificates"), NULL, &people[0], 403, "forbidden");
    HEXPECT(&srv, "GET", "/api/activities/999999/certificates", NULL, &staff, 404, "not_found");
}
END_TEST

/* ---- Download ---- */

START_TEST(download_is_the_owners_only)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", apath(act, "/certificate.pdf"), NULL, &people[0], &r), 200);
    char type[64];
    ck_assert_str_eq(hresp_header(&r, "Content-Type", type, sizeof type), "application/pdf");
    ck_assert(r.len > 1000 && memcmp(r.body, "%PDF-", 5) == 0);
    /* The name is in the PDF's text as written, with the verification URL. */
    if (system("command -v pdftotext >/dev/null 2>&1") == 0) {
        char path[] = "/tmp/convene-cert-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, r.body, r.len), (ssize_t)r.len);
        close(fd);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s -", path);
        FILE *p = popen(cmd, "r");
        strbuf text;
        strbuf_init(&text, 0);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0)
            strbuf_append(&text, buf, n);
        pclose(p);
        unlink(path);
        ck_assert_msg(strstr(strbuf_cstr(&text), THAI_NAME) != NULL, "no name in: %s",
                      strbuf_cstr(&text));
        ck_assert(strstr(strbuf_cstr(&text), "Water Resilience Training") != NULL);
        ck_assert(strstr(strbuf_cstr(&text), code_of(0)) != NULL);
        strbuf_free(&text);
    }
    hresp_free(&r);

    /* Confirmed but not attended, cancelled, an outsider: 404. */
    HEXPECT(&srv, "GET", apath(act, "/certificate.pdf"), NULL, &people[4], 404, "not_found");
    HEXPECT(&srv, "GET", apath(act, "/certificate.pdf"), NULL, &outsider, 404, "not_found");
    HEXPECT(&srv, "GET", apath(other_act, "/certificate.pdf"), NULL, &people[0], 404, "not_found");
    HEXPECT(&srv, "GET", "/api/activities/999999/certificate.pdf", NULL, &people[0], 404,
            "not_found");
    HEXPECT(&srv, "GET", apath(act, "/certificate.pdf"), NULL, NULL, 401, NULL);
}
END_TEST

/* ---- Verification and revocation ---- */

START_TEST(verification_is_public)
{
    char path[128];
    snprintf(path, sizeof path, "/api/certificates/%s", code_of(1));
    long st;
    json_t *j = hcall_json(&srv, "GET", path, NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "participant_name")), "Person 2");
    ck_assert_str_eq(json_string_value(json_object_get(j, "activity_title")),
                     "Water Resilience Training");
    ck_assert_str_eq(json_string_value(json_object_get(j, "dates")), "22-24 May 2031");
    ck_assert(json_is_string(json_object_get(j, "issued_on")));
    ck_assert(json_is_false(json_object_get(j, "revoked")));
    json_decref(j);
    /* An unknown code and a malformed one are both simply not found. */
    HEXPECT(&srv, "GET", "/api/certificates/0123456789abcdef0123456789abcdef", NULL, NULL, 404,
            "not_found");
    HEXPECT(&srv, "GET", "/api/certificates/nope", NULL, NULL, 404, "not_found");
}
END_TEST

START_TEST(revocation_is_shown_and_audited)
{
    char path[160], vpath[128];
    snprintf(path, sizeof path, "/api/certificates/%s/revocation", code_of(2));
    snprintf(vpath, sizeof vpath, "/api/certificates/%s", code_of(2));
    HEXPECT(&srv, "POST", path, NULL, &people[2], 403, "forbidden");
    HEXPECT(&srv, "POST", path, NULL, NULL, 401, NULL);
    HEXPECT(&srv, "POST", "/api/certificates/0123456789abcdef0123456789abcdef/revocation", NULL,
            &staff, 404, "not_found");
    long st;
    json_t *j = hcall_json(&srv, "POST", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(json_object_get(j, "revoked")));
    json_decref(j);
    j = hcall_json(&srv, "GET", vpath, NULL, NULL, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(json_object_get(j, "revoked")));
    ck_assert(json_is_string(json_object_get(j, "revoked_on")));
    json_decref(j);
    HEXPECT(&srv, "GET", apath(act, "/certificate.pdf"), NULL, &people[2], 410,
            "certificate_revoked");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'certificate.revoked' AND target_id = '%s'",
                                       code_of(2)),
                     1);
    /* A revoked certificate still counts: issuing does not replace it. */
    ck_assert_int_eq(issue(&staff, act, 200), 0);

    /* Reinstated. */
    j = hcall_json(&srv, "DELETE", path, NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "revoked")));
    json_decref(j);
    HEXPECT(&srv, "GET", apath(act, "/certificate.pdf"), NULL, &people[2], 200, NULL);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = "
                                          "'certificate.reinstated'"),
                     1);
}
END_TEST

/* ---- Mail ---- */

START_TEST(mail_carries_the_pdf)
{
    json_t *m = harness_wait_mail(&mail, people[0].email, "certificate", 30000);
    ck_assert_msg(m != NULL, "no certificate mail for %s", people[0].email);
    json_t *atts = json_object_get(m, "attachments");
    ck_assert_int_eq(json_array_size(atts), 1);
    json_t *a = json_array_get(atts, 0);
    ck_assert_str_eq(json_string_value(json_object_get(a, "content_type")), "application/pdf");
    ck_assert(str_starts_with(json_string_value(json_object_get(a, "filename")), "certificate-"));
    ck_assert_int_gt(json_integer_value(json_object_get(a, "size")), 10000);
    ck_assert(strstr(json_string_value(json_object_get(m, "text")), code_of(0)) != NULL);
    /* The attachment is a PDF: base64 of "%PDF-" opens its body. */
    char file[512];
    snprintf(file, sizeof file, "%s/%s", mail.dir, json_string_value(json_object_get(m, "file")));
    FILE *f = fopen(file, "rb");
    ck_assert(f != NULL);
    strbuf raw;
    strbuf_init(&raw, 0);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&raw, buf, n);
    fclose(f);
    ck_assert(strstr(strbuf_cstr(&raw), "Content-Type: multipart/mixed") != NULL);
    ck_assert(strstr(strbuf_cstr(&raw), "\r\nJVBERi0") != NULL);
    strbuf_free(&raw);
    json_decref(m);
    /* Every certificate mail goes out. */
    WAIT_UNTIL(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE template = "
                                    "'certificate_issued' AND status = 'sent'") == 4,
               30000);
}
END_TEST

START_TEST(mail_naming_no_certificate_fails_for_good)
{
    harness_sql(DB, "INSERT INTO mail_outbox (template, to_address, vars, attachments) VALUES "
                    "('certificate_issued', 'lost@test.example.org', "
                    "'{\"name\":\"L\",\"activity_title\":\"T\",\"dates\":\"D\",\"number\":\"N\","
                    "\"verify_link\":\"http://x.test/v\",\"link\":\"http://x.test/a\","
                    "\"download_link\":\"http://x.test/d\"}', "
                    "'[{\"filename\":\"certificate-x.pdf\",\"content_type\":\"application/pdf\","
                    "\"source\":\"certificate\",\"ref\":\"ffffffffffffffffffffffffffffffff\"}]')");
    WAIT_UNTIL(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE to_address = "
                                    "'lost@test.example.org' AND status = 'failed' AND "
                                    "last_error LIKE '%no such certificate%'") == 1,
               30000);
    ck_assert_int_eq(harness_count_mail(&mail, "lost@test.example.org"), 0);
}
END_TEST

/* ---- Layout ---- */

#define BOUNDARY  "convene-cert-boundary-41"
#define FORM_TYPE "multipart/form-data; boundary=" BOUNDARY

static long upload_logo(const char *filename, const char *data, size_t n, struct hresp *r)
{
    strbuf b;
    strbuf_init(&b, 0);
    strbuf_printf(&b,
                  "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
                  "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                  filename);
    strbuf_append(&b, data, n);
    strbuf_puts(&b, "\r\n--" BOUNDARY "--\r\n");
    long st = hcall_body(&srv, "PUT", "/api/certificates/layout/logo", FORM_TYPE, b.data, b.len,
                         &staff, NULL, r);
    strbuf_free(&b);
    return st;
}

START_TEST(layout_logo_and_preview)
{
    long st;
    json_t *j = hcall_json(&srv, "GET", "/api/certificates/layout", NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "primary_colour")), "#0b4f6c");
    ck_assert(json_is_null(json_object_get(j, "logo")));
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/certificates/layout", NULL, &people[0], 403, "forbidden");

    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "PUT", "/api/certificates/layout",
                           "{\"primary_colour\":\"blue\",\"accent_colour\":\"#c9a227\"}", &staff,
                           &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "primary_colour"), "invalid_format");
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "PUT", "/api/certificates/layout",
                           "{\"accent_colour\":\"#c9a227\"}", &staff, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "primary_colour"), "required");
    hresp_free(&r);
    j = hcall_json(&srv, "PUT", "/api/certificates/layout",
                   "{\"primary_colour\":\"#112233\",\"accent_colour\":\"#aa8800\","
                   "\"signatory_name\":\"김민준\",\"signatory_title\":\"Secretary General\","
                   "\"text\":\"took part in\"}",
                   &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "signatory_name")), "김민준");
    json_decref(j);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM certificate_layout WHERE "
                                          "primary_colour = '#112233'"),
                     1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = "
                                          "'certificate.layout_changed'"),
                     1);

    static const char svg[] = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                              "width=\"120\" height=\"40\"><rect width=\"120\" height=\"40\" "
                              "fill=\"#112233\"/></svg>\n";
    ck_assert_int_eq(upload_logo("logo.svg", svg, strlen(svg), &r), 200);
    j = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "logo"), "content_type")),
                     "image/svg+xml");
    json_decref(j);
    hresp_free(&r);
    ck_assert_int_eq(upload_logo("logo.gif", "GIF89a....", 10, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "file"), "unsupported_type");
    hresp_free(&r);

    ck_assert_int_eq(hcall(&srv, "GET", "/api/certificates/preview.pdf", NULL, &staff, &r), 200);
    ck_assert(r.len > 1000 && memcmp(r.body, "%PDF-", 5) == 0);
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/certificates/preview.pdf", NULL, &people[0], 403, "forbidden");
    ck_assert_int_eq(hcall(&srv, "GET", "/api/certificates/preview.png", NULL, &staff, &r), 200);
    ck_assert(r.len > 1000 && memcmp(r.body, "\x89PNG", 4) == 0);
    hresp_free(&r);

    /* Downloads use the layout as it is now, with the logo. */
    HEXPECT(&srv, "GET", apath(act, "/certificate.pdf"), NULL, &people[0], 200, NULL);
    HEXPECT(&srv, "DELETE", "/api/certificates/layout/logo", NULL, &staff, 200, NULL);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM certificate_layout WHERE logo IS NULL"), 1);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_certificates_suite(void)
{
    Suite *s = suite_create("certificates");
    TCase *tc = tcase_create("certificates");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, issuing_needs_the_switch_and_staff);
    tcase_add_test(tc, issues_to_attended_participants_once);
    tcase_add_test(tc, download_is_the_owners_only);
    tcase_add_test(tc, verification_is_public);
    tcase_add_test(tc, revocation_is_shown_and_audited);
    tcase_add_test(tc, mail_carries_the_pdf);
    tcase_add_test(tc, mail_naming_no_certificate_fails_for_good);
    tcase_add_test(tc, layout_logo_and_preview);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
