/*
 * certificates.c - certificates of attendance per activity: the staff
 * switch, issuing to every participant marked attended who has none yet
 * (one request, however many), the staff list, the participant's own
 * download, the public verification by code and revocation (audited).
 *
 * Issuing is two statements in one transaction (sql/migrations/
 * 0019_certificates.sql): convene_certificates_due locks the activity's
 * switch and counts the certificates due, the server draws that many codes
 * of 128 random bits (libsodium), and convene_issue_certificates writes the
 * certificates and their mails. No PDF is made while issuing: a mail names
 * its certificate and the mail sender renders it when it sends
 * (certificates_mail_source), a download renders it when asked. Rendering
 * takes milliseconds (bench/run.sh certificates); rendering 500 inside the
 * request would hold a connection and the client for seconds and store
 * 500 PDFs that can be drawn again at any time.
 */
#include "certificates/certificates.h"
#include "certificates/internal.h"

#include "api/api.h"
#include "api/app.h"
#include "api/auth.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "db/db.h"
#include "http/http.h"
#include "mail/mail.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of randomness in a code (hex: twice as many characters). */
#define CODE_BYTES 16
#define CODE_CHARS (2 * CODE_BYTES)

static int st_settings = -1, st_settings_put = -1, st_due = -1, st_issue = -1, st_list = -1,
           st_own = -1, st_by_code = -1, st_verify = -1, st_revoke = -1;

/* The columns cert_render reads, from certificates c. */
#define CERT_COLUMNS                                                                               \
    "c.participant_name, c.activity_title, c.dates_label, c.host, c.number, "                      \
    "to_char(c.issued_at AT TIME ZONE 'UTC', 'FMDD FMMonth YYYY') AS issued_on, c.code"

void certificates_statements(void)
{
    layout_statements();
    st_settings = db_register(
        "cert_settings",
        "SELECT json_build_object('activity_id', a.id, 'enabled', coalesce(s.enabled, false), "
        "'attended', (SELECT count(*) FROM enrollments e WHERE e.activity_id = a.id "
        "AND e.status = 'attended'), "
        "'issued', (SELECT count(*) FROM certificates c WHERE c.activity_id = a.id), "
        "'pending', (SELECT count(*) FROM convene_certificates_pending(a.id)))::text "
        "FROM activities a LEFT JOIN activity_certificates s ON s.activity_id = a.id "
        "WHERE a.id = $1");
    st_settings_put =
        db_register("cert_settings_put",
                    "INSERT INTO activity_certificates (activity_id, enabled, updated_by) "
                    "SELECT id, $2, $3 FROM activities WHERE id = $1 "
                    "ON CONFLICT (activity_id) DO UPDATE SET enabled = EXCLUDED.enabled, "
                    "updated_at = now(), updated_by = EXCLUDED.updated_by RETURNING activity_id");
    st_due = db_register("cert_due", "SELECT convene_certificates_due($1)");
    st_issue =
        db_register("cert_issue", "SELECT convene_issue_certificates($1, $2::text[], $3, $4)");
    st_list = db_register(
        "cert_list",
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
        "'code', c.code, 'number', c.number, 'account_id', c.account_id, "
        "'participant_name', c.participant_name, "
        "'issued_on', to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
        "'revoked', c.revoked_at IS NOT NULL) ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), "
        "'[]'))::text FROM activities a LEFT JOIN certificates c ON c.activity_id = a.id "
        "WHERE a.id = $1 GROUP BY a.id");
    st_own = db_register("cert_own", "SELECT " CERT_COLUMNS ", c.revoked_at IS NOT NULL "
                                     "FROM certificates c "
                                     "WHERE c.activity_id = $1 AND c.account_id = $2");
    st_by_code = db_register("cert_by_code",
                             "SELECT " CERT_COLUMNS " FROM certificates c WHERE c.code = $1");
    st_verify = db_register("cert_verify", "SELECT convene_certificate_json(c)::text "
                                           "FROM certificates c WHERE c.code = $1");
    st_revoke = db_register(
        "cert_revoke",
        "UPDATE certificates c SET revoked_at = CASE WHEN $2 THEN coalesce(revoked_at, now()) END, "
        "revoked_by = CASE WHEN $2 THEN coalesce(revoked_by, $3) END "
        "WHERE code = $1 RETURNING convene_certificate_json(c)::text");
}

/* True when s is a code as the server makes them (so anything else is a
 * 404 without a query). */
static bool code_ok(const char *s)
{
    if (s == NULL || strlen(s) != CODE_CHARS)
        return false;
    for (size_t i = 0; i < CODE_CHARS; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* ---- The mail sender's source ---- */

int certificates_mail_source(struct db_conn *c, const char *ref, void *ud, struct strbuf *out,
                             char *err, size_t errlen)
{
    if (!code_ok(ref)) {
        errf(err, errlen, "not a certificate code");
        return MAIL_SOURCE_GONE;
    }
    const char *p[] = {ref};
    struct db_result *cert = db_run(c, st_by_code, 1, p);
    struct db_result *layout = cert ? cert_layout_row(c) : NULL;
    int rc = -1;
    if (cert == NULL || layout == NULL)
        errf(err, errlen, "database: %s", db_error_message(c));
    else if (db_nrows(cert) != 1) {
        errf(err, errlen, "no such certificate");
        rc = MAIL_SOURCE_GONE;
    } else
        rc = cert_render(cert, layout, ud, 0, out, err, errlen);
    db_result_free(cert);
    db_result_free(layout);
    return rc;
}

/* ---- Per activity (staff) ---- */

void certificates_settings_get(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *p[] = {http_param(req, "id")};
    api_reply_row_json(req, x.c, db_run(x.c, st_settings, 1, p), 200, "activity");
out:
    api_end(&x);
}

void certificates_settings_put(struct http_req *req)
{
    static const char *const allowed[] = {"enabled", NULL};
    static const char *const read_only[] = {"activity_id", "attended", "issued", "pending", NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, read_only) != 0)
        goto out;
    json_t *v = json_object_get(x.body, "enabled");
    if (v == NULL || json_is_null(v))
        api_field_error(&x.f, "enabled", "required", "Say whether certificates are on.");
    else if (!json_is_boolean(v))
        api_field_error(&x.f, "enabled", "invalid_type", "Must be true or false.");
    if (api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    bool on = json_is_true(v);
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    const char *p[] = {id, on ? "true" : "false", api_num(req, x.me->id)};
    struct db_result *r = db_run(x.c, st_settings_put, 3, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    int n = db_nrows(r);
    db_result_free(r);
    if (n != 1) {
        db_rollback(x.c);
        api_reply_not_found(req, "activity");
        goto out;
    }
    details = json_pack("{s:b}", "enabled", on);
    if (api_audit_commit(&x, on ? "certificates.enabled" : "certificates.disabled", "activity", id,
                         details) != 0)
        goto out;
    const char *q[] = {id};
    api_reply_row_json(req, x.c, db_run(x.c, st_settings, 1, q), 200, "activity");
out:
    json_decref(details);
    api_end(&x);
}

/* n fresh codes as a PostgreSQL array literal "{c1,c2,...}" (request-
 * scoped). */
static const char *fresh_codes(struct http_req *req, long n)
{
    char *arr = http_alloc(req, (size_t)n * (CODE_CHARS + 1) + 3);
    char *w = arr;
    *w++ = '{';
    for (long i = 0; i < n; i++) {
        unsigned char bin[CODE_BYTES];
        randombytes_buf(bin, sizeof bin);
        if (i > 0)
            *w++ = ',';
        sodium_bin2hex(w, CODE_CHARS + 1, bin, sizeof bin);
        w += CODE_CHARS;
    }
    *w++ = '}';
    *w = '\0';
    return arr;
}

void certificates_issue(struct http_req *req)
{
    static const char *const nothing[] = {NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, nothing, NULL) != 0 || api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    const char *p[] = {id};
    struct db_result *r = db_run(x.c, st_due, 1, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    long due = strtol(db_value(r, 0, 0), NULL, 10);
    db_result_free(r);
    long issued = 0;
    if (due > 0) {
        const char *q[] = {id, fresh_codes(req, due), api_num(req, x.me->id),
                           api_app(req)->cfg->base_url};
        r = db_run(x.c, st_issue, 4, q);
        if (r == NULL) {
            api_fail_tx(&x);
            goto out;
        }
        issued = strtol(db_value(r, 0, 0), NULL, 10);
        db_result_free(r);
    }
    if (issued > 0) {
        details = json_pack("{s:I}", "issued", (json_int_t)issued);
        if (api_audit_commit(&x, "certificates.issued", "activity", id, details) != 0)
            goto out;
    } else if (db_commit(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    http_reply_json(req, 200, json_pack("{s:I}", "issued", (json_int_t)issued));
out:
    json_decref(details);
    api_end(&x);
}

void certificates_list(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *p[] = {http_param(req, "id")};
    api_reply_row_json(req, x.c, db_run(x.c, st_list, 1, p), 200, "activity");
out:
    api_end(&x);
}

/* ---- The participant's own ---- */

void certificates_download_own(struct http_req *req)
{
    struct db_result *cert = NULL, *layout = NULL;
    strbuf pdf;
    strbuf_init(&pdf, 0);
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0)
        goto out;
    const char *p[] = {http_param(req, "id"), api_num(req, x.me->id)};
    cert = db_run(x.c, st_own, 2, p);
    if (cert == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    if (db_nrows(cert) != 1) {
        api_reply_not_found(req, "certificate");
        goto out;
    }
    if (str_eq(db_value(cert, 0, 7), "t")) {
        http_reply_error(req, 410, "certificate_revoked", "This certificate has been revoked.");
        goto out;
    }
    layout = cert_layout_row(x.c);
    if (layout == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    api_db_release(&x); /* no connection is held while drawing */
    char err[256];
    if (cert_render(cert, layout, api_app(req)->cfg->base_url, 0, &pdf, err, sizeof err) != 0) {
        log_error("certificate %s: %s", db_value(cert, 0, 6), err);
        http_reply_error(req, 500, "server_error", "The certificate could not be drawn.");
        goto out;
    }
    char name[64];
    snprintf(name, sizeof name, "certificate-%.20s.pdf", db_value(cert, 0, 4));
    cert_reply_pdf(req, &pdf, name, 0);
out:
    db_result_free(cert);
    db_result_free(layout);
    strbuf_free(&pdf);
    api_end(&x);
}

/* ---- Verification and revocation ---- */

void certificates_verify(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_CALLER) != 0)
        goto out;
    const char *code = http_param(req, "code");
    if (!code_ok(code)) {
        api_reply_not_found(req, "certificate");
        goto out;
    }
    const char *p[] = {code};
    api_reply_row_json(req, x.c, db_run(x.c, st_verify, 1, p), 200, "certificate");
out:
    api_end(&x);
}

void certificates_revoke(struct http_req *req)
{
    static const char *const nothing[] = {NULL};
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, nothing, NULL) != 0 || api_check(&x) != 0)
        goto out;
    const char *code = http_param(req, "code");
    if (!code_ok(code)) {
        api_reply_not_found(req, "certificate");
        goto out;
    }
    bool revoke = str_eq(http_method(req), "POST");
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    const char *p[] = {code, revoke ? "true" : "false", api_num(req, x.me->id)};
    struct db_result *r = db_run(x.c, st_revoke, 3, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    if (db_nrows(r) != 1) {
        db_result_free(r);
        db_rollback(x.c);
        api_reply_not_found(req, "certificate");
        goto out;
    }
    const char *text = http_strdup(req, db_value(r, 0, 0));
    db_result_free(r);
    if (api_audit_commit(&x, revoke ? "certificate.revoked" : "certificate.reinstated",
                         "certificate", code, NULL) != 0)
        goto out;
    http_reply(req, 200, "application/json", text, strlen(text));
out:
    api_end(&x);
}
