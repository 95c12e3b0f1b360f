/*
 * accounts.c - the accounts API: sign-up and email verification, log-in and
 * log-out, forgotten and changed passwords, the caller's profile and
 * sessions, the organisation list, and the admin views of accounts, roles,
 * the audit log and the mail outbox.
 *
 * Every email is queued in the outbox inside the transaction of the action
 * that causes it; none is sent from a request.
 */
#include "accounts/accounts.h"
#include "api/api.h"
#include "api/app.h"
#include "api/audit.h"
#include "api/auth.h"
#include "base/config.h"
#include "db/db.h"
#include "http/http.h"
#include "base/log.h"
#include "mail/mail.h"
#include "mail/mailfmt.h"
#include "api/ratelimit.h"
#include "base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_TOKEN_MINUTES    (48 * 60)
#define RESET_TOKEN_MINUTES     60
#define LOGIN_WINDOW_S          (15 * 60)
#define LOGIN_FAILS_PER_ACCOUNT 10
#define HOUR_S                  3600

static int st_org_list = -1, st_org_exists = -1, st_signup = -1, st_account_by_email = -1,
           st_token_insert = -1, st_verify = -1, st_login_lookup = -1, st_set_hash = -1,
           st_reset = -1, st_session_revoke = -1, st_sessions = -1, st_profile = -1,
           st_hash_by_id = -1, st_revoke_others = -1, st_admin_accounts = -1, st_role_grant = -1,
           st_role_revoke = -1, st_audit_list = -1, st_account_exists = -1;

void accounts_statements(void)
{
    st_org_list = db_register(
        "org_list", "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'city', "
                    "city, 'country', country, 'kind', kind) ORDER BY name), '[]')::text "
                    "FROM organisations");
    st_org_exists = db_register("org_exists", "SELECT 1 FROM organisations WHERE id = $1");
    st_signup = db_register(
        "acct_signup",
        "WITH ins AS (INSERT INTO accounts (email, password_hash, name, organisation_id, "
        " position, country, locale) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        " ON CONFLICT (email) DO NOTHING RETURNING id), "
        "r AS (INSERT INTO account_roles (account_id, role) SELECT id, 'participant' FROM ins) "
        "SELECT id FROM ins");
    st_account_by_email = db_register(
        "acct_by_email", "SELECT id, name, locale, email_verified_at IS NOT NULL, email "
                         "FROM accounts WHERE email = $1 AND disabled_at IS NULL");
    st_token_insert =
        db_register("acct_token_insert",
                    "INSERT INTO one_time_tokens (token_hash, account_id, purpose, expires_at) "
                    "VALUES ($1::bytea, $2, $3, now() + make_interval(mins => $4::int))");
    st_verify = db_register(
        "acct_verify",
        "WITH t AS (UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1::bytea "
        " AND purpose = 'verify_email' AND used_at IS NULL AND expires_at > now() "
        " RETURNING account_id) "
        "UPDATE accounts a SET email_verified_at = coalesce(a.email_verified_at, now()) "
        "FROM t WHERE a.id = t.account_id RETURNING a.id");
    st_login_lookup = db_register(
        "acct_login_lookup",
        "SELECT id, password_hash FROM accounts WHERE email = $1 AND disabled_at IS NULL");
    st_set_hash =
        db_register("acct_set_hash", "UPDATE accounts SET password_hash = $2 WHERE id = $1");
    st_reset = db_register(
        "acct_reset",
        "WITH t AS (UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1::bytea "
        " AND purpose = 'reset_password' AND used_at IS NULL AND expires_at > now() "
        " RETURNING account_id), "
        "a AS (UPDATE accounts a SET password_hash = $2, "
        " email_verified_at = coalesce(a.email_verified_at, now()) FROM t "
        " WHERE a.id = t.account_id AND a.disabled_at IS NULL "
        " RETURNING a.id, a.email, a.name, a.locale), "
        "o AS (UPDATE one_time_tokens SET used_at = now() WHERE account_id IN (SELECT id FROM a) "
        " AND purpose = 'reset_password' AND used_at IS NULL AND token_hash <> $1::bytea), "
        "s AS (UPDATE sessions SET revoked_at = now() WHERE account_id IN (SELECT id FROM a) "
        " AND revoked_at IS NULL) "
        "SELECT id, email, name, locale FROM a");
    st_session_revoke = db_register("acct_session_revoke",
                                    "UPDATE sessions SET revoked_at = now() WHERE id = $1 "
                                    "AND account_id = $2 AND revoked_at IS NULL RETURNING id");
    st_sessions = db_register(
        "acct_sessions",
        "SELECT coalesce(json_agg(json_build_object('id', id, 'created_at', created_at, "
        " 'last_seen_at', last_seen_at, 'expires_at', expires_at, 'user_agent', user_agent, "
        " 'ip', ip, 'current', id = $2) ORDER BY last_seen_at DESC), '[]')::text "
        "FROM sessions WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > now() "
        " AND last_seen_at > now() - make_interval(mins => $3::int)");
    st_profile =
        db_register("acct_profile",
                    "UPDATE accounts SET name = coalesce($2, name), "
                    " position = CASE WHEN $7::boolean THEN NULL ELSE coalesce($3, position) END, "
                    " country = CASE WHEN $8::boolean THEN NULL ELSE coalesce($4, country) END, "
                    " locale = coalesce($5, locale), "
                    " organisation_id = CASE WHEN $9::boolean THEN NULL "
                    "   ELSE coalesce($6::bigint, organisation_id) END WHERE id = $1");
    st_hash_by_id =
        db_register("acct_hash_by_id", "SELECT password_hash, email, name, locale FROM accounts "
                                       "WHERE id = $1");
    st_revoke_others = db_register("acct_revoke_others",
                                   "UPDATE sessions SET revoked_at = now() WHERE account_id = $1 "
                                   "AND id <> $2 AND revoked_at IS NULL");
    st_admin_accounts = db_register(
        "admin_accounts",
        "WITH m AS (SELECT a.*, count(*) OVER () AS total FROM accounts a "
        " WHERE $1::text IS NULL OR a.email ILIKE '%' || $1 || '%' OR a.name ILIKE '%' || $1 "
        " || '%' ORDER BY a.id LIMIT $2 OFFSET $3) "
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
        " 'id', m.id, 'email', m.email, 'name', m.name, 'organisation_id', m.organisation_id, "
        " 'organisation', (SELECT json_build_object('id', o.id, 'name', o.name) "
        "   FROM organisations o WHERE o.id = m.organisation_id), "
        " 'email_verified', m.email_verified_at IS NOT NULL, 'disabled', m.disabled_at IS NOT "
        " NULL, 'created_at', m.created_at, "
        " 'roles', coalesce((SELECT json_agg(role ORDER BY role) FROM account_roles r "
        "   WHERE r.account_id = m.id), '[]'::json)) ORDER BY m.id), '[]'), "
        " 'total', coalesce(max(m.total), (SELECT count(*) FROM accounts a WHERE $1::text IS "
        "   NULL OR a.email ILIKE '%' || $1 || '%' OR a.name ILIKE '%' || $1 || '%')))::text "
        "FROM m");
    st_role_grant = db_register(
        "admin_role_grant",
        "INSERT INTO account_roles (account_id, role, granted_by) SELECT id, $2, $3 FROM "
        "accounts WHERE id = $1 ON CONFLICT DO NOTHING RETURNING account_id");
    st_role_revoke = db_register(
        "admin_role_revoke",
        "DELETE FROM account_roles WHERE account_id = $1 AND role = $2 RETURNING account_id");
    st_audit_list = db_register(
        "admin_audit",
        "WITH m AS (SELECT l.*, a.email AS actor_email FROM audit_log l "
        " LEFT JOIN accounts a ON a.id = l.actor_id "
        " WHERE $1::text IS NULL OR l.action LIKE $1 || '%' "
        " ORDER BY l.id DESC LIMIT $2 OFFSET $3) "
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object('id', m.id, "
        " 'at', m.at, 'actor_id', m.actor_id, 'actor_email', m.actor_email, 'action', "
        " m.action, 'target_type', m.target_type, 'target_id', m.target_id, 'ip', m.ip, "
        " 'request_id', m.request_id, 'details', m.details) ORDER BY m.id DESC), '[]'), "
        " 'total', (SELECT count(*) FROM audit_log l WHERE $1::text IS NULL "
        "   OR l.action LIKE $1 || '%'))::text FROM m");
    st_account_exists = db_register("acct_exists", "SELECT 1 FROM accounts WHERE id = $1");
}

/* ---- Small helpers ---- */

static const struct config *config_of(struct http_req *req)
{
    return api_app(req)->cfg;
}

static void lower_ascii(const char *in, char *out, size_t outlen)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void reply_limited(struct http_req *req, int retry_after)
{
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry_after);
    http_add_header(req, "Retry-After", ra);
    http_reply_error(req, 429, "rate_limited",
                     "Too many attempts; please wait %d seconds and try again.", retry_after);
}

/*
 * Counts an attempt against key; answers 429 (or the database error) and
 * returns false when the caller must stop.
 */
static bool within_limit(struct http_req *req, struct db_conn *c, const char *key, int limit,
                         int window_s)
{
    int retry = 0;
    int rc = ratelimit_hit(c, key, limit, window_s, &retry);
    if (rc < 0) {
        api_reply_db_error(req, c);
        return false;
    }
    if (rc == 0) {
        reply_limited(req, retry);
        return false;
    }
    return true;
}

/* Reads and checks an email member; records a field error. Trimmed. */
static const char *read_email(struct http_req *req, json_t *body, struct api_fields *f)
{
    const char *email = api_string(req, body, "email", f, API_REQUIRED | API_TRIM, 3, 254);
    if (email && !mailfmt_valid_address(email)) {
        api_field_error(f, "email", "invalid_format", "This does not look like an email address.");
        return NULL;
    }
    return email;
}

static bool valid_locale(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 12)
        return false;
    size_t i = 0;
    while (i < n && s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return false;
    if (i == n)
        return true;
    if (s[i] != '-' || n - i - 1 < 2 || n - i - 1 > 8)
        return false;
    for (i++; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    }
    return true;
}

/* Reads an optional locale, lowercased, into out ("en" when absent). */
static bool read_locale(struct http_req *req, json_t *body, struct api_fields *f, char *out,
                        size_t outlen, bool *present)
{
    const char *loc = api_string(req, body, "locale", f, API_TRIM, 2, 12);
    *present = loc != NULL;
    snprintf(out, outlen, "%s", "en");
    if (loc == NULL)
        return true;
    lower_ascii(loc, out, outlen);
    if (!valid_locale(out)) {
        api_field_error(f, "locale", "invalid_format", "Use a language code such as en, ko or th.");
        return false;
    }
    return true;
}

/* Creates a one-time token for account_id and returns the link to the
 * page `page` carrying it (caller frees). NULL on a database error. */
static char *make_token_link(struct http_req *req, struct db_conn *c, long account_id,
                             const char *purpose, int minutes, const char *page)
{
    char token[48], hash[72], id[24], mins[16];
    auth_random_token(token);
    auth_token_hash_hex(token, hash);
    snprintf(id, sizeof id, "%ld", account_id);
    snprintf(mins, sizeof mins, "%d", minutes);
    const char *params[] = {hash, id, purpose, mins};
    struct db_result *r = db_run(c, st_token_insert, 4, params);
    if (r == NULL)
        return NULL;
    db_result_free(r);
    return xasprintf("%s/%s?token=%s", config_of(req)->base_url, page, token);
}

/* Queues a mail; vars is stolen. 0 or -1. */
static int queue_mail(struct db_conn *c, const char *tmpl, const char *locale, const char *to,
                      const char *name, json_t *vars)
{
    int rc = mail_enqueue(c, tmpl, locale, to, name, vars, NULL);
    json_decref(vars);
    return rc;
}

/* Answers the JSON of GET /api/me for account_id with status. */
static void reply_me(struct http_req *req, struct db_conn *c, long account_id, int status,
                     const char *csrf)
{
    json_t *me = auth_me_json(c, account_id);
    if (me == NULL) {
        api_reply_db_error(req, c);
        return;
    }
    if (csrf)
        http_reply_json(req, status, json_pack("{s:o,s:s}", "account", me, "csrf_token", csrf));
    else
        http_reply_json(req, status, me);
}

static void fail_tx(struct http_req *req, struct db_conn *c)
{
    api_reply_db_error(req, c);
    db_rollback(c);
}

/* ---- Organisations ---- */

static void h_organisations(struct http_req *req)
{
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    struct db_result *r = db_run(c, st_org_list, 0, NULL);
    if (r == NULL) {
        api_reply_db_error(req, c);
    } else {
        const char *items = db_value(r, 0, 0);
        char *body = xasprintf("{\"items\":%s}", items);
        http_add_header(req, "Cache-Control", "public, max-age=300");
        http_reply(req, 200, "application/json", body, strlen(body));
        free(body);
        db_result_free(r);
    }
    db_release(c);
}

/* ---- Sign-up and verification ---- */

static const char *signup_message =
    "If this address can be used, we have sent a message to it; follow its link to continue.";

static void h_signup(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    struct api_fields f;
    api_fields_init(&f);
    const char *email = read_email(req, body, &f);
    const char *password = api_string(req, body, "password", &f, API_REQUIRED, 0, 1024);
    const char *name = api_string(req, body, "name", &f, API_REQUIRED | API_TRIM, 1, 200);
    const char *position = api_string(req, body, "position", &f, API_TRIM, 0, 200);
    const char *country = api_string(req, body, "country", &f, API_TRIM, 0, 100);
    long org = 0;
    bool has_org = api_integer(body, "organisation_id", &f, 0, 1, 1L << 53, &org);
    char locale[16];
    bool has_locale;
    read_locale(req, body, &f, locale, sizeof locale, &has_locale);
    if (password) {
        const char *problem = auth_password_problem(password, email, name);
        if (problem)
            api_field_error(&f, "password", "weak_password", problem);
    }
    struct db_conn *c = NULL;
    if (api_fields_ok(&f) && has_org) {
        c = api_acquire(req);
        if (c == NULL)
            goto out;
        char org_s[24];
        snprintf(org_s, sizeof org_s, "%ld", org);
        const char *p[] = {org_s};
        struct db_result *r = db_run(c, st_org_exists, 1, p);
        if (r == NULL) {
            api_reply_db_error(req, c);
            goto out;
        }
        if (db_nrows(r) == 0)
            api_field_error(&f, "organisation_id", "not_found", "No such organisation.");
        db_result_free(r);
    }
    if (api_fields_reply(req, &f))
        goto out;
    if (c == NULL && (c = api_acquire(req)) == NULL)
        goto out;

    char key[300], lower[260];
    snprintf(key, sizeof key, "signup:ip:%s", http_remote_addr(req));
    if (!within_limit(req, c, key, 30, HOUR_S))
        goto out;
    /* Per address too: nobody can make us mail one inbox over and over. */
    lower_ascii(email, lower, sizeof lower);
    snprintf(key, sizeof key, "signup:acct:%s", lower);
    if (!within_limit(req, c, key, 5, HOUR_S))
        goto out;
    /* Hash before looking anything up: known and new addresses cost the
     * same time. */
    char hash[crypto_pwhash_STRBYTES];
    if (auth_hash_password(password, hash) != 0) {
        http_reply_unavailable(req);
        goto out;
    }
    char org_s[24];
    snprintf(org_s, sizeof org_s, "%ld", org);
    const char *params[] = {email, hash, name, has_org ? org_s : NULL, position, country, locale};
    if (db_begin(c) != 0) {
        api_reply_db_error(req, c);
        goto out;
    }
    struct db_result *r = db_run(c, st_signup, 7, params);
    if (r == NULL) {
        fail_tx(req, c);
        goto out;
    }
    bool created = db_nrows(r) == 1;
    long id = created ? strtol(db_value(r, 0, 0), NULL, 10) : 0;
    db_result_free(r);
    int rc = 0;
    if (created) {
        char *link =
            make_token_link(req, c, id, "verify_email", VERIFY_TOKEN_MINUTES, "verify-email.html");
        rc = link ? 0 : -1;
        if (rc == 0)
            rc = queue_mail(c, "verify_email", locale, email, name,
                            json_pack("{s:s,s:s,s:i}", "name", name, "link", link, "expires_hours",
                                      VERIFY_TOKEN_MINUTES / 60));
        free(link);
        if (rc == 0) {
            char ids[24];
            snprintf(ids, sizeof ids, "%ld", id);
            rc = audit_log(c, req, id, "account.signup", "account", ids, NULL);
        }
    } else {
        /* The address is taken: tell its owner, not the caller. */
        const char *p[] = {email};
        struct db_result *ex = db_run(c, st_account_by_email, 1, p);
        if (ex == NULL) {
            rc = -1;
        } else if (db_nrows(ex) == 1) {
            json_t *vars = json_pack("{s:s,s:s}", "name", db_value(ex, 0, 1), "link",
                                     config_of(req)->base_url);
            char *reset = xasprintf("%s/forgot-password.html", config_of(req)->base_url);
            json_object_set_new(vars, "reset_link", json_string(reset));
            free(reset);
            rc = queue_mail(c, "account_exists", db_value(ex, 0, 2), db_value(ex, 0, 4),
                            db_value(ex, 0, 1), vars);
        }
        db_result_free(ex);
    }
    if (rc != 0 || db_commit(c) != 0) {
        fail_tx(req, c);
        goto out;
    }
    http_reply_json(req, 202,
                    json_pack("{s:s,s:s}", "status", "accepted", "message", signup_message));
out:
    db_release(c);
    json_decref(body);
}

static void h_verify(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    struct api_fields f;
    api_fields_init(&f);
    const char *token = api_string(req, body, "token", &f, API_REQUIRED | API_TRIM, 1, 128);
    struct db_conn *c = NULL;
    if (token == NULL) {
        api_fields_free(&f);
        http_reply_error(req, 400, "invalid_token", "This link is not valid.");
        goto out;
    }
    if ((c = api_acquire(req)) == NULL)
        goto out;
    char hash[72];
    auth_token_hash_hex(token, hash);
    const char *params[] = {hash};
    struct db_result *r = db_run(c, st_verify, 1, params);
    if (r == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    bool ok = db_nrows(r) == 1;
    long id = ok ? strtol(db_value(r, 0, 0), NULL, 10) : 0;
    db_result_free(r);
    if (!ok) {
        http_reply_error(req, 400, "invalid_token",
                         "This link is not valid any more (used or expired). You can ask for a "
                         "new one.");
        goto out;
    }
    char ids[24];
    snprintf(ids, sizeof ids, "%ld", id);
    audit_log(c, req, id, "account.verified", "account", ids, NULL);
    http_reply_json(req, 200, json_pack("{s:s}", "status", "verified"));
out:
    api_fields_free(&f);
    db_release(c);
    json_decref(body);
}

/*
 * The common start of requests that name an email address and send it a
 * link (resend verification, forgotten password): reads the address, counts
 * the attempt per client address and per address (`what` names the
 * counters), and opens a transaction. Returns the address (borrowed from
 * body) with *out holding the connection, or NULL after answering.
 */
static const char *begin_email_request(struct http_req *req, json_t *body, const char *what,
                                       int per_account, struct db_conn **out)
{
    *out = NULL;
    struct api_fields f;
    api_fields_init(&f);
    const char *email = read_email(req, body, &f);
    if (api_fields_reply(req, &f))
        return NULL;
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return NULL;
    *out = c;
    char lower[260], key[300];
    lower_ascii(email, lower, sizeof lower);
    snprintf(key, sizeof key, "%s:ip:%s", what, http_remote_addr(req));
    if (!within_limit(req, c, key, 30, HOUR_S))
        return NULL;
    snprintf(key, sizeof key, "%s:acct:%s", what, lower);
    if (!within_limit(req, c, key, per_account, HOUR_S))
        return NULL;
    if (db_begin(c) != 0) {
        api_reply_db_error(req, c);
        return NULL;
    }
    return email;
}

static void h_verify_resend(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    struct db_conn *c = NULL;
    const char *email = begin_email_request(req, body, "resend", 3, &c);
    if (email == NULL)
        goto out;
    const char *p[] = {email};
    struct db_result *r = db_run(c, st_account_by_email, 1, p);
    if (r == NULL) {
        fail_tx(req, c);
        goto out;
    }
    int rc = 0;
    if (db_nrows(r) == 1 && str_eq(db_value(r, 0, 3), "f")) {
        long id = strtol(db_value(r, 0, 0), NULL, 10);
        char *link =
            make_token_link(req, c, id, "verify_email", VERIFY_TOKEN_MINUTES, "verify-email.html");
        rc = link ? queue_mail(c, "verify_email", db_value(r, 0, 2), db_value(r, 0, 4),
                               db_value(r, 0, 1),
                               json_pack("{s:s,s:s,s:i}", "name", db_value(r, 0, 1), "link", link,
                                         "expires_hours", VERIFY_TOKEN_MINUTES / 60))
                  : -1;
        free(link);
    }
    db_result_free(r);
    if (rc != 0 || db_commit(c) != 0) {
        fail_tx(req, c);
        goto out;
    }
    http_reply_json(req, 202,
                    json_pack("{s:s,s:s}", "status", "accepted", "message", signup_message));
out:
    db_release(c);
    json_decref(body);
}

/* ---- Log-in and log-out ---- */

static void h_login(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    struct api_fields f;
    api_fields_init(&f);
    const char *email = api_string(req, body, "email", &f, API_REQUIRED | API_TRIM, 1, 254);
    const char *password = api_string(req, body, "password", &f, API_REQUIRED, 1, 1024);
    struct db_conn *c = NULL;
    if (api_fields_reply(req, &f))
        goto out;
    if ((c = api_acquire(req)) == NULL)
        goto out;
    char lower[260], acct_key[300], ip_key[96];
    lower_ascii(email, lower, sizeof lower);
    snprintf(acct_key, sizeof acct_key, "login:acct:%s", lower);
    snprintf(ip_key, sizeof ip_key, "login:ip:%s", http_remote_addr(req));
    int retry = 0;
    int rc = ratelimit_check(c, acct_key, LOGIN_FAILS_PER_ACCOUNT, LOGIN_WINDOW_S, &retry);
    if (rc < 0) {
        api_reply_db_error(req, c);
        goto out;
    }
    if (rc == 0) {
        audit_log(c, req, 0, "login.rate_limited", "email", lower, NULL);
        reply_limited(req, retry);
        goto out;
    }
    if (!within_limit(req, c, ip_key, (int)config_of(req)->login_limit_ip, LOGIN_WINDOW_S))
        goto out;

    const char *p[] = {email};
    struct db_result *r = db_run(c, st_login_lookup, 1, p);
    if (r == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    long id = db_nrows(r) == 1 ? strtol(db_value(r, 0, 0), NULL, 10) : 0;
    char *stored = id ? xstrdup(db_value(r, 0, 1)) : NULL;
    db_result_free(r);
    /* Give the connection back while hashing: it takes a while. */
    db_release(c);
    c = NULL;
    bool rehash = false;
    int ok = auth_verify_password(stored, password, &rehash);
    free(stored);
    if (ok < 0) {
        http_reply_unavailable(req);
        goto out;
    }
    char new_hash[crypto_pwhash_STRBYTES];
    bool have_new = ok == 1 && rehash && auth_hash_password(password, new_hash) == 0;
    if ((c = api_acquire(req)) == NULL)
        goto out;
    if (ok != 1) {
        ratelimit_hit(c, acct_key, LOGIN_FAILS_PER_ACCOUNT, LOGIN_WINDOW_S, &retry);
        audit_log(c, req, id, "login.failed", "email", lower, NULL);
        http_reply_error(req, 401, "invalid_credentials", "The email or password is not right.");
        goto out;
    }
    char ids[24];
    snprintf(ids, sizeof ids, "%ld", id);
    if (have_new) {
        const char *hp[] = {ids, new_hash};
        db_result_free(db_run(c, st_set_hash, 2, hp));
    }
    char csrf[48];
    if (auth_session_create(req, c, id, csrf) != 0) {
        api_reply_db_error(req, c);
        goto out;
    }
    ratelimit_clear(c, acct_key);
    audit_log(c, req, id, "login.succeeded", "account", ids, NULL);
    reply_me(req, c, id, 200, csrf);
out:
    db_release(c);
    json_decref(body);
}

static void h_logout(struct http_req *req)
{
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, 0, 0);
    if (me) {
        char sid[24], aid[24];
        snprintf(sid, sizeof sid, "%ld", me->session_id);
        snprintf(aid, sizeof aid, "%ld", me->id);
        const char *p[] = {sid, aid};
        struct db_result *r = db_run(c, st_session_revoke, 2, p);
        if (r == NULL) {
            api_reply_db_error(req, c);
        } else {
            db_result_free(r);
            auth_clear_cookie(req);
            http_reply_empty(req, 204);
        }
    }
    db_release(c);
}

/* ---- Passwords ---- */

static void h_forgot(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    struct db_conn *c = NULL;
    const char *email = begin_email_request(req, body, "reset", 5, &c);
    if (email == NULL)
        goto out;
    const char *p[] = {email};
    struct db_result *r = db_run(c, st_account_by_email, 1, p);
    if (r == NULL) {
        fail_tx(req, c);
        goto out;
    }
    int rc = 0;
    if (db_nrows(r) == 1) {
        long id = strtol(db_value(r, 0, 0), NULL, 10);
        char *link = make_token_link(req, c, id, "reset_password", RESET_TOKEN_MINUTES,
                                     "reset-password.html");
        rc = link ? queue_mail(c, "password_reset", db_value(r, 0, 2), db_value(r, 0, 4),
                               db_value(r, 0, 1),
                               json_pack("{s:s,s:s,s:i}", "name", db_value(r, 0, 1), "link", link,
                                         "expires_minutes", RESET_TOKEN_MINUTES))
                  : -1;
        free(link);
        if (rc == 0) {
            char ids[24];
            snprintf(ids, sizeof ids, "%ld", id);
            rc = audit_log(c, req, 0, "password.reset_requested", "account", ids, NULL);
        }
    }
    db_result_free(r);
    if (rc != 0 || db_commit(c) != 0) {
        fail_tx(req, c);
        goto out;
    }
    http_reply_json(req, 202,
                    json_pack("{s:s,s:s}", "status", "accepted", "message",
                              "If an account uses this address, we have sent it a link to "
                              "choose a new password."));
out:
    db_release(c);
    json_decref(body);
}

static void h_reset(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    struct api_fields f;
    api_fields_init(&f);
    const char *token = api_string(req, body, "token", &f, API_REQUIRED | API_TRIM, 1, 128);
    const char *password = api_string(req, body, "password", &f, API_REQUIRED, 0, 1024);
    if (password) {
        const char *problem = auth_password_problem(password, NULL, NULL);
        if (problem)
            api_field_error(&f, "password", "weak_password", problem);
    }
    struct db_conn *c = NULL;
    if (api_fields_reply(req, &f))
        goto out;
    char hash[crypto_pwhash_STRBYTES];
    if (auth_hash_password(password, hash) != 0) {
        http_reply_unavailable(req);
        goto out;
    }
    if ((c = api_acquire(req)) == NULL)
        goto out;
    char token_hash[72];
    auth_token_hash_hex(token, token_hash);
    const char *params[] = {token_hash, hash};
    if (db_begin(c) != 0) {
        api_reply_db_error(req, c);
        goto out;
    }
    struct db_result *r = db_run(c, st_reset, 2, params);
    if (r == NULL) {
        fail_tx(req, c);
        goto out;
    }
    if (db_nrows(r) != 1) {
        db_result_free(r);
        db_rollback(c);
        http_reply_error(req, 400, "invalid_token",
                         "This link is not valid any more (used or expired). You can ask for a "
                         "new one.");
        goto out;
    }
    long id = strtol(db_value(r, 0, 0), NULL, 10);
    /* Now that the account is known, refuse its email or name as the new
     * password; nothing is committed yet. */
    const char *problem = auth_password_problem(password, db_value(r, 0, 1), db_value(r, 0, 2));
    if (problem) {
        db_result_free(r);
        db_rollback(c);
        struct api_fields g;
        api_fields_init(&g);
        api_field_error(&g, "password", "weak_password", problem);
        api_fields_reply(req, &g);
        goto out;
    }
    int rc = queue_mail(c, "password_changed", db_value(r, 0, 3), db_value(r, 0, 1),
                        db_value(r, 0, 2), json_pack("{s:s}", "name", db_value(r, 0, 2)));
    db_result_free(r);
    char ids[24];
    snprintf(ids, sizeof ids, "%ld", id);
    if (rc == 0)
        rc = audit_log(c, req, id, "password.reset", "account", ids, NULL);
    if (rc != 0 || db_commit(c) != 0) {
        fail_tx(req, c);
        goto out;
    }
    http_reply_json(req, 200, json_pack("{s:s}", "status", "password_changed"));
out:
    api_fields_free(&f);
    db_release(c);
    json_decref(body);
}

static void h_change_password(struct http_req *req)
{
    json_t *body = NULL;
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, 0, 0);
    if (me == NULL || http_json_body(req, &body) != 0)
        goto out;
    struct api_fields f;
    api_fields_init(&f);
    const char *current = api_string(req, body, "current_password", &f, API_REQUIRED, 1, 1024);
    const char *next = api_string(req, body, "new_password", &f, API_REQUIRED, 0, 1024);
    if (next) {
        const char *problem = auth_password_problem(next, me->email, me->name);
        if (problem)
            api_field_error(&f, "new_password", "weak_password", problem);
    }
    if (api_fields_reply(req, &f))
        goto out;
    char ids[24];
    snprintf(ids, sizeof ids, "%ld", me->id);
    const char *p[] = {ids};
    struct db_result *r = db_run(c, st_hash_by_id, 1, p);
    if (r == NULL || db_nrows(r) != 1) {
        db_result_free(r);
        api_reply_db_error(req, c);
        goto out;
    }
    char *stored = xstrdup(db_value(r, 0, 0));
    db_result_free(r);
    int ok = auth_verify_password(stored, current, NULL);
    free(stored);
    char hash[crypto_pwhash_STRBYTES];
    if (ok < 0 || (ok == 1 && auth_hash_password(next, hash) != 0)) {
        http_reply_unavailable(req);
        goto out;
    }
    if (ok == 0) {
        struct api_fields g;
        api_fields_init(&g);
        api_field_error(&g, "current_password", "wrong_password",
                        "This is not your current password.");
        api_fields_reply(req, &g);
        goto out;
    }
    char sid[24];
    snprintf(sid, sizeof sid, "%ld", me->session_id);
    const char *hp[] = {ids, hash};
    const char *rp[] = {ids, sid};
    if (db_begin(c) != 0) {
        api_reply_db_error(req, c);
        goto out;
    }
    struct db_result *a = db_run(c, st_set_hash, 2, hp);
    struct db_result *b = a ? db_run(c, st_revoke_others, 2, rp) : NULL;
    int rc = a && b ? 0 : -1;
    db_result_free(a);
    db_result_free(b);
    if (rc == 0)
        rc = queue_mail(c, "password_changed", me->locale, me->email, me->name,
                        json_pack("{s:s}", "name", me->name));
    if (rc == 0)
        rc = audit_log(c, req, me->id, "password.changed", "account", ids, NULL);
    if (rc != 0 || db_commit(c) != 0) {
        fail_tx(req, c);
        goto out;
    }
    http_reply_json(req, 200, json_pack("{s:s}", "status", "password_changed"));
out:
    db_release(c);
    json_decref(body);
}

/* ---- The caller ---- */

static void h_me(struct http_req *req)
{
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, 0, 0);
    if (me) {
        /* The page needs the CSRF token again after a reload; only
         * same-origin scripts can read this answer. */
        json_t *j = auth_me_json(c, me->id);
        if (j == NULL) {
            api_reply_db_error(req, c);
        } else {
            json_object_set_new(j, "csrf_token", json_string(me->csrf));
            http_reply_json(req, 200, j);
        }
    }
    db_release(c);
}

static void h_me_update(struct http_req *req)
{
    json_t *body = NULL;
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, 0, 0);
    if (me == NULL || http_json_body(req, &body) != 0)
        goto out;
    struct api_fields f;
    api_fields_init(&f);
    const char *name = api_string(req, body, "name", &f, API_TRIM, 1, 200);
    const char *position = api_string(req, body, "position", &f, API_TRIM, 0, 200);
    const char *country = api_string(req, body, "country", &f, API_TRIM, 0, 100);
    long org = 0;
    bool has_org = api_integer(body, "organisation_id", &f, 0, 1, 1L << 53, &org);
    char locale[16];
    bool has_locale;
    read_locale(req, body, &f, locale, sizeof locale, &has_locale);
    char org_s[24];
    snprintf(org_s, sizeof org_s, "%ld", org);
    if (api_fields_ok(&f) && has_org) {
        const char *p[] = {org_s};
        struct db_result *r = db_run(c, st_org_exists, 1, p);
        if (r == NULL) {
            api_fields_free(&f);
            api_reply_db_error(req, c);
            goto out;
        }
        if (db_nrows(r) == 0)
            api_field_error(&f, "organisation_id", "not_found", "No such organisation.");
        db_result_free(r);
    }
    if (api_fields_reply(req, &f))
        goto out;
    char ids[24];
    snprintf(ids, sizeof ids, "%ld", me->id);
    /* A member sent as null clears it; an absent one is left alone. */
    const char *params[] = {ids,
                            name,
                            position,
                            country,
                            has_locale ? locale : NULL,
                            has_org ? org_s : NULL,
                            json_is_null(json_object_get(body, "position")) ? "true" : "false",
                            json_is_null(json_object_get(body, "country")) ? "true" : "false",
                            json_is_null(json_object_get(body, "organisation_id")) ? "true"
                                                                                   : "false"};
    struct db_result *r = db_run(c, st_profile, 9, params);
    if (r == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    db_result_free(r);
    reply_me(req, c, me->id, 200, NULL);
out:
    db_release(c);
    json_decref(body);
}

static void h_sessions(struct http_req *req)
{
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, 0, 0);
    if (me) {
        char ids[24], sid[24], idle[24];
        snprintf(ids, sizeof ids, "%ld", me->id);
        snprintf(sid, sizeof sid, "%ld", me->session_id);
        snprintf(idle, sizeof idle, "%ld", config_of(req)->session_idle_min);
        const char *p[] = {ids, sid, idle};
        struct db_result *r = db_run(c, st_sessions, 3, p);
        if (r == NULL) {
            api_reply_db_error(req, c);
        } else {
            char *body = xasprintf("{\"items\":%s}", db_value(r, 0, 0));
            http_reply(req, 200, "application/json", body, strlen(body));
            free(body);
            db_result_free(r);
        }
    }
    db_release(c);
}

static void h_session_revoke(struct http_req *req)
{
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, 0, 0);
    if (me) {
        char aid[24];
        snprintf(aid, sizeof aid, "%ld", me->id);
        const char *p[] = {http_param(req, "id"), aid};
        struct db_result *r = db_run(c, st_session_revoke, 2, p);
        if (r == NULL) {
            api_reply_db_error(req, c);
        } else {
            if (db_nrows(r) == 0) {
                api_reply_not_found(req, "session");
            } else {
                audit_log(c, req, me->id, "session.revoked", "session", http_param(req, "id"),
                          NULL);
                if (strtol(http_param(req, "id"), NULL, 10) == me->session_id)
                    auth_clear_cookie(req);
                http_reply_empty(req, 204);
            }
            db_result_free(r);
        }
    }
    db_release(c);
}

/* ---- Admin ---- */

/*
 * Answers a paginated list from `stmt` (parameters: the optional text filter
 * `param` of at most filter_size - 1 bytes, the limit and the offset) for
 * callers holding one of `roles`.
 */
static void filtered_list(struct http_req *req, unsigned roles, const char *param,
                          size_t filter_size, int stmt, const char *what)
{
    struct api_page pg;
    if (!api_page(req, 50, &pg))
        return;
    char filter[600];
    if (filter_size > sizeof filter)
        filter_size = sizeof filter;
    int n = http_query(req, param, filter, filter_size);
    if (n == -2) {
        http_reply_error(req, 400, "bad_request", "%s is too long or not valid UTF-8.", param);
        return;
    }
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    if (auth_require(req, c, roles, 0)) {
        char lim[24], off[24];
        snprintf(lim, sizeof lim, "%ld", pg.per_page);
        snprintf(off, sizeof off, "%ld", pg.offset);
        const char *p[] = {n > 0 ? filter : NULL, lim, off};
        api_reply_row_json(req, c, db_run(c, stmt, 3, p), 200, what);
    }
    db_release(c);
}

static void h_admin_accounts(struct http_req *req)
{
    filtered_list(req, ROLE_ADMIN, "q", 600, st_admin_accounts, "accounts");
}

/* Staff find the people they register on someone's behalf. */
static void h_staff_accounts(struct http_req *req)
{
    filtered_list(req, ROLE_STAFF | ROLE_ADMIN, "q", 600, st_admin_accounts, "accounts");
}

static void change_role(struct http_req *req, bool grant)
{
    const char *role = http_param(req, "role");
    if (auth_role_from_name(role) == 0) {
        api_reply_not_found(req, "role (use participant, judge, staff or admin)");
        return;
    }
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, ROLE_ADMIN, 0);
    if (me == NULL)
        goto out;
    const char *target = http_param(req, "id");
    if (!grant && str_eq(role, "admin") && strtol(target, NULL, 10) == me->id) {
        http_reply_error(req, 409, "conflict", "You cannot remove your own admin role.");
        goto out;
    }
    const char *ep[] = {target};
    struct db_result *ex = db_run(c, st_account_exists, 1, ep);
    if (ex == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    bool exists = db_nrows(ex) == 1;
    db_result_free(ex);
    if (!exists) {
        api_reply_not_found(req, "account");
        goto out;
    }
    char by[24];
    snprintf(by, sizeof by, "%ld", me->id);
    const char *gp[] = {target, role, by};
    const char *rp[] = {target, role};
    struct db_result *r =
        grant ? db_run(c, st_role_grant, 3, gp) : db_run(c, st_role_revoke, 2, rp);
    if (r == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    bool changed = db_nrows(r) == 1;
    db_result_free(r);
    if (changed)
        audit_log(c, req, me->id, grant ? "role.granted" : "role.revoked", "account", target,
                  json_pack("{s:s}", "role", role));
    json_t *account = auth_me_json(c, strtol(target, NULL, 10));
    if (account == NULL)
        api_reply_db_error(req, c);
    else
        http_reply_json(req, 200, account);
out:
    db_release(c);
}

static void h_role_grant(struct http_req *req)
{
    change_role(req, true);
}

static void h_role_revoke(struct http_req *req)
{
    change_role(req, false);
}

static void h_admin_audit(struct http_req *req)
{
    filtered_list(req, ROLE_ADMIN, "action", 64, st_audit_list, "audit log");
}

static void h_admin_outbox(struct http_req *req)
{
    struct api_page pg;
    if (!api_page(req, 50, &pg))
        return;
    char status[16];
    int sn = http_query(req, "status", status, sizeof status);
    if (sn >= 0 && !str_eq(status, "pending") && !str_eq(status, "sending") &&
        !str_eq(status, "sent") && !str_eq(status, "failed")) {
        http_reply_error(req, 400, "bad_request",
                         "status must be pending, sending, sent or failed.");
        return;
    }
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    if (auth_require(req, c, ROLE_ADMIN, 0)) {
        json_t *list =
            mail_outbox_list(c, sn > 0 ? status : NULL, (int)pg.per_page, (int)pg.offset);
        if (list == NULL)
            api_reply_db_error(req, c);
        else
            http_reply_json(req, 200, list);
    }
    db_release(c);
}

static void h_admin_outbox_retry(struct http_req *req)
{
    struct db_conn *c = api_acquire(req);
    if (c == NULL)
        return;
    const struct account *me = auth_require(req, c, ROLE_ADMIN, 0);
    if (me) {
        long id = strtol(http_param(req, "id"), NULL, 10);
        if (mail_outbox_retry(c, id) != 0) {
            http_reply_error(req, 404, "not_found", "No failed mail with this id.");
        } else {
            audit_log(c, req, me->id, "mail.retried", "mail", http_param(req, "id"), NULL);
            http_reply_json(req, 200, json_pack("{s:s}", "status", "pending"));
        }
    }
    db_release(c);
}

int accounts_routes(struct http_server *s)
{
    int rc = 0;
    rc |= http_route(s, "GET", "/api/organisations", h_organisations);
    rc |= http_route(s, "POST", "/api/auth/signup", h_signup);
    rc |= http_route(s, "POST", "/api/auth/verify", h_verify);
    rc |= http_route(s, "POST", "/api/auth/verify/resend", h_verify_resend);
    rc |= http_route(s, "POST", "/api/auth/login", h_login);
    rc |= http_route(s, "POST", "/api/auth/logout", h_logout);
    rc |= http_route(s, "POST", "/api/auth/password/forgot", h_forgot);
    rc |= http_route(s, "POST", "/api/auth/password/reset", h_reset);
    rc |= http_route(s, "GET", "/api/me", h_me);
    rc |= http_route(s, "PATCH", "/api/me", h_me_update);
    rc |= http_route(s, "POST", "/api/me/password", h_change_password);
    rc |= http_route(s, "GET", "/api/me/sessions", h_sessions);
    rc |= http_route(s, "DELETE", "/api/me/sessions/{id:int}", h_session_revoke);
    rc |= http_route(s, "GET", "/api/admin/accounts", h_admin_accounts);
    rc |= http_route(s, "GET", "/api/accounts", h_staff_accounts);
    rc |= http_route(s, "PUT", "/api/admin/accounts/{id:int}/roles/{role}", h_role_grant);
    rc |= http_route(s, "DELETE", "/api/admin/accounts/{id:int}/roles/{role}", h_role_revoke);
    rc |= http_route(s, "GET", "/api/admin/audit", h_admin_audit);
    rc |= http_route(s, "GET", "/api/admin/outbox", h_admin_outbox);
    rc |= http_route(s, "POST", "/api/admin/outbox/{id:int}/retry", h_admin_outbox_retry);
    return rc ? -1 : 0;
}
