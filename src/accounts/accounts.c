/*
 * accounts.c - the accounts API: sign-up and email verification, log-in and
 * log-out, forgotten and changed passwords, the caller's profile and
 * sessions, the organisation list and confirmed affiliations, and the admin
 * views of accounts, roles, the audit log and the mail outbox.
 *
 * Every handler has one shape: open the context (request, connection,
 * caller, strict body) with api_begin and api_body, read and check the
 * members, count the attempt against its rate limits before any password
 * hash, run the SQL, answer once, and close the context with api_end at the
 * one `out:` label.
 *
 * Every email is queued in the outbox inside the transaction of the action
 * that causes it; none is sent from a request. json_t arguments are
 * borrowed (audit_log, mail_enqueue): the caller keeps and drops its own
 * reference; only http_reply_json and http_reply_error_with take one.
 */
#include "accounts/accounts.h"
#include "api/api.h"
#include "api/app.h"
#include "api/audit.h"
#include "formats/datelabel.h"
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

#define VERIFY_TOKEN_MINUTES (48 * 60)
#define RESET_TOKEN_MINUTES  60
#define HOUR_S               3600
#define LOGIN_WINDOW_S       (15 * 60)
/* Wrong passwords for one account from one client address per window: the
 * owner elsewhere is not locked out by someone guessing. */
#define LOGIN_FAILS_PER_PAIR 10
/* And from everywhere together: a ceiling for guessing spread over many
 * addresses, high enough that one address cannot reach it alone. */
#define LOGIN_FAILS_PER_ACCOUNT 100
/* Password resets (valid token or not) and password changes per window. */
#define RESET_PER_ADDRESS     20
#define CHANGE_PW_PER_ACCOUNT 10

static int st_org_list = -1, st_signup = -1, st_account_by_email = -1, st_token_insert = -1,
           st_verify = -1, st_login_lookup = -1, st_set_hash = -1, st_reset_lookup = -1,
           st_reset = -1, st_session_revoke = -1, st_sessions = -1, st_profile = -1,
           st_hash_by_id = -1, st_revoke_others = -1, st_admin_accounts = -1, st_role_grant = -1,
           st_role_revoke = -1, st_audit_list = -1, st_account_exists = -1, st_confirm_org = -1;

void accounts_statements(void)
{
    st_org_list = db_register(
        "org_list", "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'city', "
                    "city, 'country', country, 'kind', kind) ORDER BY name), '[]')::text "
                    "FROM organisations");
    /* Column 0: whether the organisation exists (or none was given);
     * column 1: the new account's id, NULL when the address is taken. */
    st_signup = db_register(
        "acct_signup",
        "WITH org AS (SELECT $4::bigint IS NULL OR EXISTS (SELECT 1 FROM organisations "
        "  WHERE id = $4::bigint) AS ok), "
        "ins AS (INSERT INTO accounts (email, password_hash, name, organisation_id, "
        " position, country, locale) SELECT $1, $2, $3, $4::bigint, $5, $6, $7 "
        " WHERE (SELECT ok FROM org) ON CONFLICT (email) DO NOTHING RETURNING id), "
        "r AS (INSERT INTO account_roles (account_id, role) SELECT id, 'participant' FROM ins) "
        "SELECT (SELECT ok FROM org), (SELECT id FROM ins)");
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
    /* A cheap look at a reset token before any hash is computed. */
    st_reset_lookup =
        db_register("acct_reset_lookup",
                    "SELECT a.id, a.email, a.name FROM one_time_tokens t JOIN accounts a "
                    " ON a.id = t.account_id WHERE t.token_hash = $1::bytea AND t.purpose = "
                    " 'reset_password' AND t.used_at IS NULL AND t.expires_at > now() "
                    " AND a.disabled_at IS NULL");
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
    /* Column 0: whether the organisation exists (or none was given); 1 and
     * 2: the organisation before and after, when it changed. The trigger
     * of 0004_accounts_hardening.sql clears the confirmation and refuses
     * the change while a limited registration is live. */
    st_profile =
        db_register("acct_profile",
                    "WITH old AS (SELECT organisation_id FROM accounts WHERE id = $1), "
                    "org AS (SELECT $6::bigint IS NULL OR EXISTS (SELECT 1 FROM organisations "
                    "  WHERE id = $6::bigint) AS ok), "
                    "u AS (UPDATE accounts SET name = coalesce($2, name), "
                    " position = CASE WHEN $7::boolean THEN NULL ELSE coalesce($3, position) END, "
                    " country = CASE WHEN $8::boolean THEN NULL ELSE coalesce($4, country) END, "
                    " locale = coalesce($5, locale), "
                    " organisation_id = CASE WHEN $9::boolean THEN NULL "
                    "   ELSE coalesce($6::bigint, organisation_id) END "
                    " WHERE id = $1 AND (SELECT ok FROM org) RETURNING organisation_id) "
                    "SELECT (SELECT ok FROM org), (SELECT organisation_id FROM old), "
                    " (SELECT organisation_id FROM u), "
                    " EXISTS (SELECT 1 FROM u WHERE u.organisation_id IS DISTINCT FROM "
                    "   (SELECT organisation_id FROM old))");
    st_hash_by_id =
        db_register("acct_hash_by_id", "SELECT password_hash, email, name, locale FROM accounts "
                                       "WHERE id = $1");
    st_revoke_others = db_register("acct_revoke_others",
                                   "UPDATE sessions SET revoked_at = now() WHERE account_id = $1 "
                                   "AND id <> $2 AND revoked_at IS NULL");
    /* counts: the accounts holding each role, with the search but without
     * the role and affiliation filters (the facet of the role filter). */
    st_admin_accounts = db_register(
        "admin_accounts",
        "WITH b AS (SELECT a.* FROM accounts a "
        " WHERE ($1::text IS NULL OR a.email ILIKE '%' || $1 || '%' OR a.name ILIKE '%' || $1 "
        " || '%')), "
        "f AS (SELECT a.* FROM b a WHERE ($4::text IS NULL OR EXISTS (SELECT 1 FROM "
        "   account_roles r WHERE r.account_id = a.id AND r.role = $4)) "
        " AND ($5::boolean IS NULL OR (a.organisation_confirmed_at IS NOT NULL) = $5)), "
        "m AS (SELECT f.*, count(*) OVER () AS total FROM f ORDER BY f.id LIMIT $2 OFFSET $3) "
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
        " 'id', m.id, 'email', m.email, 'name', m.name, 'organisation_id', m.organisation_id, "
        " 'organisation', (SELECT json_build_object('id', o.id, 'name', o.name) "
        "   FROM organisations o WHERE o.id = m.organisation_id), "
        " 'organisation_confirmed', m.organisation_confirmed_at IS NOT NULL, "
        " 'email_verified', m.email_verified_at IS NOT NULL, 'disabled', m.disabled_at IS NOT "
        " NULL, 'created_at', m.created_at, "
        " 'roles', coalesce((SELECT json_agg(role ORDER BY role) FROM account_roles r "
        "   WHERE r.account_id = m.id), '[]'::json)) ORDER BY m.id), '[]'), "
        " 'total', coalesce(max(m.total), (SELECT count(*) FROM f)), "
        " 'counts', (SELECT json_object_agg(k.role, (SELECT count(*) FROM b JOIN account_roles r "
        "   ON r.account_id = b.id AND r.role = k.role) ORDER BY k.n) FROM unnest(ARRAY["
        "   'participant', 'judge', 'staff', 'admin']) WITH ORDINALITY AS k(role, n)))::text "
        "FROM m");
    st_role_grant = db_register(
        "admin_role_grant",
        "INSERT INTO account_roles (account_id, role, granted_by) SELECT id, $2, $3 FROM "
        "accounts WHERE id = $1 ON CONFLICT DO NOTHING RETURNING account_id");
    st_role_revoke = db_register(
        "admin_role_revoke",
        "DELETE FROM account_roles WHERE account_id = $1 AND role = $2 RETURNING account_id");
    /* The audit log with names (audit_entries): $1 the action or its
     * beginning, $4 a name or address of the actor or the person it is
     * about, $5 an account as either, $6 and $7 the first and last UTC day. */
    st_audit_list = db_register(
        "admin_audit",
        "WITH f AS (SELECT * FROM audit_entries m "
        " WHERE ($1::text IS NULL OR left(m.action, length($1)) = $1) "
        " AND ($4::text IS NULL OR strpos(lower(concat_ws(' ', m.actor_name, m.actor_email, "
        "   m.person_name, m.person_email)), lower($4)) > 0) "
        " AND ($5::bigint IS NULL OR m.actor_id = $5 OR m.person_id = $5) "
        " AND ($6::date IS NULL OR m.at >= $6::date::timestamp AT TIME ZONE 'UTC') "
        " AND ($7::date IS NULL OR m.at < ($7::date + 1)::timestamp AT TIME ZONE 'UTC')), "
        "m AS (SELECT * FROM f ORDER BY f.id DESC LIMIT $2 OFFSET $3) "
        "SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('id', "
        " m.id, 'at', m.at, 'actor_id', m.actor_id, 'actor_name', m.actor_name, "
        " 'actor_email', m.actor_email, 'action', m.action, 'target_type', m.target_type, "
        " 'target_id', m.target_id, 'person_id', m.person_id, 'person_name', m.person_name, "
        " 'person_email', m.person_email, 'activity_id', m.activity_id, 'activity_title', "
        " m.activity_title, 'ip', m.ip, 'request_id', m.request_id, 'details', m.details) "
        " ORDER BY m.id DESC) FROM m), '[]'), 'total', (SELECT count(*) FROM f))::text");
    st_account_exists = db_register("acct_exists", "SELECT 1 FROM accounts WHERE id = $1");
    /* Column 0: whether this call confirmed it; 1: the organisation. */
    st_confirm_org = db_register("acct_confirm_org",
                                 "SELECT convene_confirm_organisation($1::bigint, $2::bigint), "
                                 " (SELECT organisation_id FROM accounts WHERE id = $1::bigint)");
}

/* ---- Small helpers ---- */

static const struct config *config_of(struct http_req *req)
{
    return api_app(req)->cfg;
}

/*
 * The rate-limit key part for an email address: lower case (the accounts
 * table compares addresses ignoring case), without the surrounding spaces
 * that API_TRIM already removed, so "Ann@X.org" and " ann@x.org " count as
 * one account.
 */
static void email_key(const char *in, char *out, size_t outlen)
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
 * Counts an attempt against key (one atomic statement) before any costly
 * work; answers 429 with Retry-After (or the database error) and returns
 * false when the caller must stop.
 */
static bool within_limit(struct api_ctx *x, const char *key, int limit, int window_s)
{
    int retry = 0;
    int rc = ratelimit_hit(x->c, key, limit, window_s, &retry);
    if (rc < 0)
        api_reply_db_error(x->req, x->c);
    else if (rc == 0)
        reply_limited(x->req, retry);
    return rc == 1;
}

static void reply_invalid_token(struct http_req *req)
{
    http_reply_error(req, 400, "invalid_token",
                     "This link is not valid any more (used or expired). You can ask for a "
                     "new one.");
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
static void read_locale(struct http_req *req, json_t *body, struct api_fields *f, char *out,
                        size_t outlen, bool *present)
{
    const char *loc = api_string(req, body, "locale", f, API_TRIM, 2, 12);
    *present = loc != NULL;
    snprintf(out, outlen, "%s", "en");
    if (loc == NULL)
        return;
    email_key(loc, out, outlen);
    if (!valid_locale(out))
        api_field_error(f, "locale", "invalid_format", "Use a language code such as en, ko or th.");
}

/* Creates a one-time token for account_id and returns the link to the
 * page `page` carrying it (caller frees). NULL on a database error. */
static char *make_token_link(struct http_req *req, struct db_conn *c, long account_id,
                             const char *purpose, int minutes, const char *page, const char *next)
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
    if (next == NULL)
        return xasprintf("%s/%s?token=%s", config_of(req)->base_url, page, token);
    char *escaped = str_query_escape(next);
    char *link =
        xasprintf("%s/%s?token=%s&next=%s", config_of(req)->base_url, page, token, escaped);
    free(escaped);
    return link;
}

/*
 * Queues the mail `tmpl` with a link (a fresh one-time token of `purpose`
 * for account_id, valid `minutes`, leading to `page`, with `next`, the
 * page to return to afterwards, when not NULL) for the account in row 0 of
 * r (st_account_by_email columns). 0 or -1.
 */
static int queue_link_mail(struct api_ctx *x, const struct db_result *r, const char *tmpl,
                           const char *purpose, int minutes, const char *page,
                           const char *minutes_var, const char *next)
{
    long id = strtol(db_value(r, 0, 0), NULL, 10);
    char *link = make_token_link(x->req, x->c, id, purpose, minutes, page, next);
    if (link == NULL)
        return -1;
    int amount = str_eq(minutes_var, "expires_hours") ? minutes / 60 : minutes;
    json_t *vars =
        json_pack("{s:s,s:s,s:i}", "name", db_value(r, 0, 1), "link", link, minutes_var, amount);
    int rc = mail_enqueue(x->c, tmpl, db_value(r, 0, 2), db_value(r, 0, 4), db_value(r, 0, 1), vars,
                          NULL);
    json_decref(vars);
    free(link);
    return rc;
}

/* Answers the JSON of GET /api/me for account_id with status (and the
 * CSRF token, when given, beside it). */
static void reply_me(struct http_req *req, struct db_conn *c, long account_id, int status,
                     const char *csrf)
{
    json_t *me = auth_me_json(c, account_id);
    if (me == NULL)
        api_reply_db_error(req, c);
    else if (csrf)
        http_reply_json(req, status, json_pack("{s:o,s:s}", "account", me, "csrf_token", csrf));
    else
        http_reply_json(req, status, me);
}

/* ---- Organisations ---- */

void accounts_organisations(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_CALLER) != 0)
        goto out;
    struct db_result *r = db_run(x.c, st_org_list, 0, NULL);
    if (r != NULL)
        http_add_header(req, "Cache-Control", "public, max-age=300");
    api_reply_member_json(req, x.c, r, "items");
out:
    api_end(&x);
}

/* ---- Sign-up and verification ---- */

static const char *signup_message =
    "If this address can be used, we have sent a message to it; follow its link to continue.";

static const char *const signup_members[] = {
    "email", "password", "name", "organisation_id", "position", "country", "locale", "next", NULL};

/*
 * The transaction of a sign-up whose password is hashed: creates the
 * account and mails a verification link (leading back to `next` when not
 * NULL), or, when the address is taken, tells its owner instead. *org_ok
 * is false when organisation_id names no organisation (nothing written).
 * 0, or -1 with the transaction failed.
 */
static int signup_tx(struct api_ctx *x, const char *const params[7], const char *next, bool *org_ok)
{
    struct db_result *r = db_run(x->c, st_signup, 7, params);
    if (r == NULL)
        return -1;
    *org_ok = str_eq(db_value(r, 0, 0), "t");
    const char *id = db_value(r, 0, 1);
    bool created = id != NULL;
    char ids[24];
    snprintf(ids, sizeof ids, "%s", created ? id : "");
    db_result_free(r);
    if (!*org_ok)
        return 0;
    /* Either way: the row the mail goes to (the new account, or the one
     * that holds the address). */
    const char *p[] = {params[0]};
    struct db_result *acct = db_run(x->c, st_account_by_email, 1, p);
    int rc = acct ? 0 : -1;
    if (rc == 0 && db_nrows(acct) == 1) {
        if (created) {
            rc = queue_link_mail(x, acct, "verify_email", "verify_email", VERIFY_TOKEN_MINUTES,
                                 "verify-email.html", "expires_hours", next);
            if (rc == 0)
                rc = audit_log(x->c, x->req, strtol(ids, NULL, 10), "account.signup", "account",
                               ids, NULL);
        } else {
            /* The address is taken: tell its owner, not the caller. */
            const char *base = config_of(x->req)->base_url;
            char *reset = xasprintf("%s/forgot-password.html", base);
            json_t *vars = json_pack("{s:s,s:s,s:s}", "name", db_value(acct, 0, 1), "link", base,
                                     "reset_link", reset);
            rc = mail_enqueue(x->c, "account_exists", db_value(acct, 0, 2), db_value(acct, 0, 4),
                              db_value(acct, 0, 1), vars, NULL);
            json_decref(vars);
            free(reset);
        }
    }
    db_result_free(acct);
    return rc;
}

void accounts_signup(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_DB) != 0 || api_body(&x, false, signup_members, NULL) != 0)
        goto out;
    const char *email = read_email(req, x.body, &x.f);
    const char *password = api_string(req, x.body, "password", &x.f, API_REQUIRED, 0, 1024);
    const char *name = api_string(req, x.body, "name", &x.f, API_REQUIRED | API_TRIM, 1, 200);
    const char *position = api_string(req, x.body, "position", &x.f, API_TRIM, 0, 200);
    const char *country = api_string(req, x.body, "country", &x.f, API_TRIM, 0, 100);
    /* The page sign-up started from (an activity): the mail link returns
     * there, whichever browser opens it. */
    const char *next = api_string(req, x.body, "next", &x.f, 0, 1, 300);
    if (next != NULL && !str_is_site_path(next)) {
        api_field_error(&x.f, "next", "invalid_format", "Must be a path on this site.");
        next = NULL;
    }
    long org = 0;
    bool has_org = api_integer(x.body, "organisation_id", &x.f, 0, 1, 1L << 53, &org);
    char locale[16], org_s[24], key[300], lower[260];
    bool has_locale;
    read_locale(req, x.body, &x.f, locale, sizeof locale, &has_locale);
    const char *problem = password ? auth_password_problem(password, email, name) : NULL;
    if (problem)
        api_field_error(&x.f, "password", "weak_password", problem);
    if (api_check(&x) != 0 || api_db(&x) != 0)
        goto out;
    /* Per client address, and per address signed up: nobody can make us
     * mail one inbox over and over. */
    snprintf(key, sizeof key, "signup:ip:%s", http_remote_addr(req));
    if (!within_limit(&x, key, 30, HOUR_S))
        goto out;
    email_key(email, lower, sizeof lower);
    snprintf(key, sizeof key, "signup:acct:%s", lower);
    if (!within_limit(&x, key, 5, HOUR_S))
        goto out;
    /* Hash before looking anything up: known and new addresses cost the
     * same time. */
    char hash[crypto_pwhash_STRBYTES];
    if (auth_hash_password(password, hash) != 0) {
        http_reply_unavailable(req);
        goto out;
    }
    snprintf(org_s, sizeof org_s, "%ld", org);
    const char *params[] = {email, hash, name, has_org ? org_s : NULL, position, country, locale};
    bool org_ok = true;
    if (db_begin(x.c) != 0 || signup_tx(&x, params, next, &org_ok) != 0 || db_commit(x.c) != 0) {
        api_fail_tx(&x);
    } else if (!org_ok) {
        api_field_error(&x.f, "organisation_id", "not_found", "No such organisation.");
        api_check(&x);
    } else {
        http_reply_json(req, 202,
                        json_pack("{s:s,s:s}", "status", "accepted", "message", signup_message));
    }
out:
    api_end(&x);
}

static const char *const token_members[] = {"token", NULL};
/* Routes that take no body accept none or an empty object. */
static const char *const no_members[] = {NULL};

void accounts_verify(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_DB) != 0 || api_body(&x, false, token_members, NULL) != 0)
        goto out;
    if (api_check(&x) != 0)
        goto out;
    /* A missing or malformed token is a bad link, not a form to correct. */
    const char *token = api_string(req, x.body, "token", &x.f, API_REQUIRED | API_TRIM, 1, 128);
    if (token == NULL) {
        reply_invalid_token(req);
        goto out;
    }
    if (api_db(&x) != 0)
        goto out;
    char hash[72];
    auth_token_hash_hex(token, hash);
    const char *params[] = {hash};
    struct db_result *r = NULL;
    if (db_begin(x.c) != 0 || (r = db_run(x.c, st_verify, 1, params)) == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    const char *id = db_nrows(r) == 1 ? db_value(r, 0, 0) : NULL;
    if (id &&
        (audit_log(x.c, req, strtol(id, NULL, 10), "account.verified", "account", id, NULL) != 0 ||
         db_commit(x.c) != 0))
        api_fail_tx(&x);
    else if (id)
        http_reply_json(req, 200, json_pack("{s:s}", "status", "verified"));
    else {
        db_rollback(x.c);
        reply_invalid_token(req);
    }
    db_result_free(r);
out:
    api_end(&x);
}

static const char *const email_members[] = {"email", NULL};

/*
 * The common start of requests that name an email address and send it a
 * link (resend verification, forgotten password): reads the address, counts
 * the attempt per client address and per address (`what` names the
 * counters), opens a transaction and looks the account up. Returns the
 * lookup (st_account_by_email; no row for an unknown address), or NULL
 * after answering.
 */
static struct db_result *begin_email_request(struct api_ctx *x, const char *what, int per_account)
{
    const char *email = read_email(x->req, x->body, &x->f);
    if (api_check(x) != 0 || api_db(x) != 0)
        return NULL;
    char lower[260], key[300];
    email_key(email, lower, sizeof lower);
    snprintf(key, sizeof key, "%s:ip:%s", what, http_remote_addr(x->req));
    if (!within_limit(x, key, 30, HOUR_S))
        return NULL;
    snprintf(key, sizeof key, "%s:acct:%s", what, lower);
    if (!within_limit(x, key, per_account, HOUR_S))
        return NULL;
    const char *p[] = {email};
    struct db_result *r = NULL;
    if (db_begin(x->c) != 0 || (r = db_run(x->c, st_account_by_email, 1, p)) == NULL)
        api_fail_tx(x);
    return r;
}

void accounts_verify_resend(struct http_req *req)
{
    struct api_ctx x;
    struct db_result *r = NULL;
    if ((api_begin(&x, req, 0, API_NO_DB) != 0 || api_body(&x, false, email_members, NULL) != 0) ||
        (r = begin_email_request(&x, "resend", 3)) == NULL)
        goto out;
    int rc = 0;
    if (db_nrows(r) == 1 && str_eq(db_value(r, 0, 3), "f"))
        rc = queue_link_mail(&x, r, "verify_email", "verify_email", VERIFY_TOKEN_MINUTES,
                             "verify-email.html", "expires_hours", NULL);
    if (rc != 0 || db_commit(x.c) != 0)
        api_fail_tx(&x);
    else
        http_reply_json(req, 202,
                        json_pack("{s:s,s:s}", "status", "accepted", "message", signup_message));
out:
    db_result_free(r);
    api_end(&x);
}

/* ---- Log-in and log-out ---- */

static const char *const login_members[] = {"email", "password", NULL};

/*
 * Tells the owner of the account with address `email` (key: its normalised
 * form) that someone is guessing its password: once per log-in window,
 * counted and queued in one transaction. Best effort: a failure is logged
 * by the database layer and rolled back; the caller answers 429 anyway.
 */
static void warn_owner(struct api_ctx *x, const char *email, const char *key_part)
{
    char key[300];
    snprintf(key, sizeof key, "login:warned:%s", key_part);
    const char *p[] = {email};
    struct db_result *r = NULL;
    int retry = 0, rc = -1;
    if (db_begin(x->c) != 0)
        return;
    r = db_run(x->c, st_account_by_email, 1, p);
    if (r && db_nrows(r) == 1 && ratelimit_hit(x->c, key, 1, LOGIN_WINDOW_S, &retry) == 1) {
        json_t *vars = json_pack("{s:s,s:i}", "name", db_value(r, 0, 1), "window_minutes",
                                 LOGIN_WINDOW_S / 60);
        rc = mail_enqueue(x->c, "account_under_attack", db_value(r, 0, 2), db_value(r, 0, 4),
                          db_value(r, 0, 1), vars, NULL);
        json_decref(vars);
        if (rc == 0)
            rc = audit_log(x->c, x->req, 0, "login.owner_warned", "account", db_value(r, 0, 0),
                           NULL);
    }
    if (rc != 0 || db_commit(x->c) != 0)
        db_rollback(x->c);
    db_result_free(r);
}

/*
 * Counts a log-in attempt before any hash, each counter one atomic upsert:
 * per client address, per account and address together, then per account
 * alone (only attempts that passed the first two count there, so one
 * address cannot use up the account's ceiling). Returns 1 to go on, 0
 * after answering 429 (and warning the owner when an account limit was
 * hit), -1 after answering a database error.
 */
static int count_login(struct api_ctx *x, const char *email, const char *lower)
{
    const char *addr = http_remote_addr(x->req);
    char ip_key[96], pair_key[400], acct_key[300];
    snprintf(ip_key, sizeof ip_key, "login:ip:%s", addr);
    snprintf(pair_key, sizeof pair_key, "login:pair:%s|%s", lower, addr);
    snprintf(acct_key, sizeof acct_key, "login:acct:%s", lower);
    int retry = 0;
    int rc =
        ratelimit_hit(x->c, ip_key, (int)config_of(x->req)->login_limit_ip, LOGIN_WINDOW_S, &retry);
    bool account_limited = false;
    if (rc == 1) {
        rc = ratelimit_hit(x->c, pair_key, LOGIN_FAILS_PER_PAIR, LOGIN_WINDOW_S, &retry);
        if (rc == 1)
            rc = ratelimit_hit(x->c, acct_key, LOGIN_FAILS_PER_ACCOUNT, LOGIN_WINDOW_S, &retry);
        account_limited = rc == 0;
    }
    if (rc < 0) {
        api_reply_db_error(x->req, x->c);
    } else if (rc == 0) {
        if (account_limited)
            warn_owner(x, email, lower);
        audit_log(x->c, x->req, 0, "login.rate_limited", "email", lower, NULL);
        reply_limited(x->req, retry);
    }
    return rc;
}

/* After a successful log-in: the owner's own failures from this address
 * are forgiven, and this attempt is taken off the account's ceiling. */
static void uncount_login(struct api_ctx *x, const char *lower)
{
    char key[400];
    snprintf(key, sizeof key, "login:pair:%s|%s", lower, http_remote_addr(x->req));
    ratelimit_clear(x->c, key);
    snprintf(key, sizeof key, "login:acct:%s", lower);
    ratelimit_refund(x->c, key);
}

void accounts_login(struct http_req *req)
{
    struct api_ctx x;
    char *stored = NULL;
    if (api_begin(&x, req, 0, API_NO_DB) != 0 || api_body(&x, false, login_members, NULL) != 0)
        goto out;
    const char *email = api_string(req, x.body, "email", &x.f, API_REQUIRED | API_TRIM, 1, 254);
    const char *password = api_string(req, x.body, "password", &x.f, API_REQUIRED, 1, 1024);
    if (api_check(&x) != 0 || api_db(&x) != 0)
        goto out;
    char lower[260];
    email_key(email, lower, sizeof lower);
    if (count_login(&x, email, lower) != 1)
        goto out;
    const char *p[] = {email};
    struct db_result *r = db_run(x.c, st_login_lookup, 1, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    long id = db_nrows(r) == 1 ? strtol(db_value(r, 0, 0), NULL, 10) : 0;
    stored = id ? xstrdup(db_value(r, 0, 1)) : NULL;
    db_result_free(r);
    /* Give the connection back while hashing: it takes a while. */
    api_db_release(&x);
    bool rehash = false;
    int ok = auth_verify_password(stored, password, &rehash);
    char new_hash[crypto_pwhash_STRBYTES];
    bool have_new = ok == 1 && rehash && auth_hash_password(password, new_hash) == 0;
    if (ok < 0) {
        http_reply_unavailable(req);
        goto out;
    }
    if (api_db(&x) != 0)
        goto out;
    char ids[24], csrf[48];
    snprintf(ids, sizeof ids, "%ld", id);
    const char *hp[] = {ids, new_hash};
    if (ok != 1) {
        audit_log(x.c, req, id, "login.failed", "email", lower, NULL);
        http_reply_error(req, 401, "invalid_credentials", "The email or password is not right.");
    } else if (auth_session_create(req, x.c, id, csrf) != 0) {
        api_reply_db_error(req, x.c);
    } else {
        if (have_new)
            db_result_free(db_run(x.c, st_set_hash, 2, hp));
        uncount_login(&x, lower);
        audit_log(x.c, req, id, "login.succeeded", "account", ids, NULL);
        reply_me(req, x.c, id, 200, csrf);
    }
out:
    free(stored);
    api_end(&x);
}

void accounts_logout(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0 || api_body(&x, true, no_members, NULL) != 0 ||
        api_check(&x) != 0)
        goto out;
    char sid[24], aid[24];
    snprintf(sid, sizeof sid, "%ld", x.me->session_id);
    snprintf(aid, sizeof aid, "%ld", x.me->id);
    const char *p[] = {sid, aid};
    struct db_result *r = db_run(x.c, st_session_revoke, 2, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
    } else {
        auth_clear_cookie(req);
        http_reply_empty(req, 204);
    }
    db_result_free(r);
out:
    api_end(&x);
}

/* ---- Passwords ---- */

void accounts_forgot(struct http_req *req)
{
    struct api_ctx x;
    struct db_result *r = NULL;
    if ((api_begin(&x, req, 0, API_NO_DB) != 0 || api_body(&x, false, email_members, NULL) != 0) ||
        (r = begin_email_request(&x, "reset", 5)) == NULL)
        goto out;
    int rc = 0;
    if (db_nrows(r) == 1) {
        rc = queue_link_mail(&x, r, "password_reset", "reset_password", RESET_TOKEN_MINUTES,
                             "reset-password.html", "expires_minutes", NULL);
        if (rc == 0)
            rc = audit_log(x.c, req, 0, "password.reset_requested", "account", db_value(r, 0, 0),
                           NULL);
    }
    if (rc != 0 || db_commit(x.c) != 0)
        api_fail_tx(&x);
    else
        http_reply_json(req, 202,
                        json_pack("{s:s,s:s}", "status", "accepted", "message",
                                  "If an account uses this address, we have sent it a link to "
                                  "choose a new password."));
out:
    db_result_free(r);
    api_end(&x);
}

/* Queues the notice that an account's password changed. 0 or -1. */
static int queue_password_changed(struct db_conn *c, const char *locale, const char *email,
                                  const char *name)
{
    json_t *vars = json_pack("{s:s}", "name", name);
    int rc = mail_enqueue(c, "password_changed", locale, email, name, vars, NULL);
    json_decref(vars);
    return rc;
}

static const char *const reset_members[] = {"token", "password", NULL};

/*
 * The transaction of a reset whose new password is hashed: uses the token
 * (once: a concurrent reset with the same token finds it used), ends the
 * sessions, mails a notice. 1 when done, 0 when the token was used in the
 * meantime (rolled back), -1 with the transaction failed.
 */
static int reset_tx(struct api_ctx *x, const char *token_hash, const char *hash)
{
    const char *params[] = {token_hash, hash};
    struct db_result *r = db_run(x->c, st_reset, 2, params);
    if (r == NULL)
        return -1;
    int rc = db_nrows(r) == 1 ? 1 : 0;
    if (rc == 1 && (queue_password_changed(x->c, db_value(r, 0, 3), db_value(r, 0, 1),
                                           db_value(r, 0, 2)) != 0 ||
                    audit_log(x->c, x->req, strtol(db_value(r, 0, 0), NULL, 10), "password.reset",
                              "account", db_value(r, 0, 0), NULL) != 0))
        rc = -1;
    db_result_free(r);
    return rc;
}

void accounts_reset(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_DB) != 0 || api_body(&x, false, reset_members, NULL) != 0)
        goto out;
    const char *token = api_string(req, x.body, "token", &x.f, API_REQUIRED | API_TRIM, 1, 128);
    const char *password = api_string(req, x.body, "password", &x.f, API_REQUIRED, 0, 1024);
    const char *problem = password ? auth_password_problem(password, NULL, NULL) : NULL;
    if (problem)
        api_field_error(&x.f, "password", "weak_password", problem);
    if (api_check(&x) != 0 || api_db(&x) != 0)
        goto out;
    /* Counted per client address before anything costs: random tokens
     * cannot keep the hashing slots busy. */
    char key[96];
    snprintf(key, sizeof key, "reset:ip:%s", http_remote_addr(req));
    if (!within_limit(&x, key, RESET_PER_ADDRESS, LOGIN_WINDOW_S))
        goto out;
    /* The token first (one indexed look-up); only a valid one is worth a
     * hash. Its account's address and name are refused as the password. */
    char token_hash[72];
    auth_token_hash_hex(token, token_hash);
    const char *tp[] = {token_hash};
    struct db_result *r = db_run(x.c, st_reset_lookup, 1, tp);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    bool valid = db_nrows(r) == 1;
    problem = valid ? auth_password_problem(password, db_value(r, 0, 1), db_value(r, 0, 2)) : NULL;
    db_result_free(r);
    if (!valid) {
        reply_invalid_token(req);
        goto out;
    }
    if (problem) {
        api_field_error(&x.f, "password", "weak_password", problem);
        api_check(&x);
        goto out;
    }
    api_db_release(&x);
    char hash[crypto_pwhash_STRBYTES];
    if (auth_hash_password(password, hash) != 0) {
        http_reply_unavailable(req);
        goto out;
    }
    if (api_db(&x) != 0)
        goto out;
    int rc = db_begin(x.c) == 0 ? reset_tx(&x, token_hash, hash) : -1;
    if (rc == 1 && db_commit(x.c) == 0) {
        http_reply_json(req, 200, json_pack("{s:s}", "status", "password_changed"));
    } else if (rc == 0) {
        db_rollback(x.c);
        reply_invalid_token(req);
    } else {
        api_fail_tx(&x);
    }
out:
    api_end(&x);
}

static const char *const change_password_members[] = {"current_password", "new_password", NULL};

/* The transaction of a password change: the new hash, the caller's other
 * sessions ended, a notice mailed, an audit row. 0 or -1 (failed). */
static int change_password_tx(struct api_ctx *x, const char *hash)
{
    char ids[24], sid[24];
    snprintf(ids, sizeof ids, "%ld", x->me->id);
    snprintf(sid, sizeof sid, "%ld", x->me->session_id);
    const char *hp[] = {ids, hash};
    const char *rp[] = {ids, sid};
    struct db_result *a = db_run(x->c, st_set_hash, 2, hp);
    struct db_result *b = a ? db_run(x->c, st_revoke_others, 2, rp) : NULL;
    int rc = a && b ? 0 : -1;
    db_result_free(a);
    db_result_free(b);
    if (rc == 0)
        rc = queue_password_changed(x->c, x->me->locale, x->me->email, x->me->name);
    if (rc == 0)
        rc = audit_log(x->c, x->req, x->me->id, "password.changed", "account", ids, NULL);
    return rc;
}

void accounts_change_password(struct http_req *req)
{
    struct api_ctx x;
    char *stored = NULL;
    if (api_begin(&x, req, 0, 0) != 0 || api_body(&x, false, change_password_members, NULL) != 0)
        goto out;
    const char *current = api_string(req, x.body, "current_password", &x.f, API_REQUIRED, 1, 1024);
    const char *next = api_string(req, x.body, "new_password", &x.f, API_REQUIRED, 0, 1024);
    const char *problem = next ? auth_password_problem(next, x.me->email, x.me->name) : NULL;
    if (problem)
        api_field_error(&x.f, "new_password", "weak_password", problem);
    if (api_check(&x) != 0)
        goto out;
    /* Guessing the current password through a stolen session is counted
     * per account and address before any hash. */
    char key[128], ids[24];
    snprintf(key, sizeof key, "password:change:%ld|%s", x.me->id, http_remote_addr(req));
    if (!within_limit(&x, key, CHANGE_PW_PER_ACCOUNT, LOGIN_WINDOW_S))
        goto out;
    snprintf(ids, sizeof ids, "%ld", x.me->id);
    const char *p[] = {ids};
    struct db_result *r = db_run(x.c, st_hash_by_id, 1, p);
    if (r == NULL || db_nrows(r) != 1) {
        db_result_free(r);
        api_reply_db_error(req, x.c);
        goto out;
    }
    stored = xstrdup(db_value(r, 0, 0));
    db_result_free(r);
    api_db_release(&x);
    int ok = auth_verify_password(stored, current, NULL);
    char hash[crypto_pwhash_STRBYTES];
    if (ok < 0 || (ok == 1 && auth_hash_password(next, hash) != 0)) {
        http_reply_unavailable(req);
    } else if (ok == 0) {
        api_field_error(&x.f, "current_password", "wrong_password",
                        "This is not your current password.");
        api_check(&x);
    } else if (api_db(&x) != 0) {
        /* answered */
    } else if (db_begin(x.c) != 0 || change_password_tx(&x, hash) != 0 || db_commit(x.c) != 0) {
        api_fail_tx(&x);
    } else {
        http_reply_json(req, 200, json_pack("{s:s}", "status", "password_changed"));
    }
out:
    free(stored);
    api_end(&x);
}

/* ---- The caller ---- */

void accounts_me(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0)
        goto out;
    /* The page needs the CSRF token again after a reload; only same-origin
     * scripts can read this answer. */
    json_t *j = auth_me_json(x.c, x.me->id);
    if (j == NULL) {
        api_reply_db_error(req, x.c);
    } else {
        json_object_set_new(j, "csrf_token", json_string(x.me->csrf));
        http_reply_json(req, 200, j);
    }
out:
    api_end(&x);
}

/* GET /api/session: whether the caller is logged in, always 200, so a
 * visitor's page learns it without an error answer (and the browser logs
 * none). Logged in, the answer carries the account as GET /api/me shows it
 * and the CSRF token; logged out, only {"authenticated": false}. */
void accounts_session(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_CALLER_OPTIONAL) != 0)
        goto out;
    http_add_header(req, "Cache-Control", "no-store");
    if (x.me == NULL) {
        http_reply_json(req, 200, json_pack("{s:b}", "authenticated", 0));
        goto out;
    }
    json_t *j = auth_me_json(x.c, x.me->id);
    if (j == NULL)
        api_reply_db_error(req, x.c);
    else
        http_reply_json(
            req, 200,
            json_pack("{s:b,s:o,s:s}", "authenticated", 1, "account", j, "csrf_token", x.me->csrf));
out:
    api_end(&x);
}

static const char *const me_members[] = {"name",   "position", "country", "organisation_id",
                                         "locale", NULL};
/* What GET /api/me shows but PATCH cannot change. */
static const char *const me_read_only[] = {
    "id",         "email",      "roles", "organisation", "organisation_confirmed", "email_verified",
    "created_at", "csrf_token", NULL};

static const char *null_flag(json_t *body, const char *key)
{
    return json_is_null(json_object_get(body, key)) ? "true" : "false";
}

/*
 * The transaction of a profile change: the update (refused by the database
 * while a limited registration is live), and an audit row when the
 * organisation changed. *org_ok is false when organisation_id names no
 * organisation (nothing written). 0, or -1 with the transaction failed.
 */
static int profile_tx(struct api_ctx *x, const char *const params[9], bool *org_ok)
{
    struct db_result *r = db_run(x->c, st_profile, 9, params);
    if (r == NULL)
        return -1;
    *org_ok = str_eq(db_value(r, 0, 0), "t");
    int rc = 0;
    if (str_eq(db_value(r, 0, 3), "t")) {
        const char *from = db_value(r, 0, 1), *to = db_value(r, 0, 2);
        json_t *details = json_pack("{s:o,s:o}", "from",
                                    from ? json_integer(strtoll(from, NULL, 10)) : json_null(),
                                    "to", to ? json_integer(strtoll(to, NULL, 10)) : json_null());
        rc = audit_log(x->c, x->req, x->me->id, "account.organisation_changed", "account",
                       params[0], details);
        json_decref(details);
    }
    db_result_free(r);
    return rc;
}

void accounts_me_update(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0 || api_body(&x, false, me_members, me_read_only) != 0)
        goto out;
    const char *name = api_string(req, x.body, "name", &x.f, API_TRIM, 1, 200);
    const char *position = api_string(req, x.body, "position", &x.f, API_TRIM, 0, 200);
    const char *country = api_string(req, x.body, "country", &x.f, API_TRIM, 0, 100);
    long org = 0;
    bool has_org = api_integer(x.body, "organisation_id", &x.f, 0, 1, 1L << 53, &org);
    char locale[16], org_s[24], ids[24];
    bool has_locale;
    read_locale(req, x.body, &x.f, locale, sizeof locale, &has_locale);
    if (api_check(&x) != 0)
        goto out;
    snprintf(org_s, sizeof org_s, "%ld", org);
    snprintf(ids, sizeof ids, "%ld", x.me->id);
    /* A member sent as null clears it; an absent one is left alone. */
    const char *params[] = {ids,
                            name,
                            position,
                            country,
                            has_locale ? locale : NULL,
                            has_org ? org_s : NULL,
                            null_flag(x.body, "position"),
                            null_flag(x.body, "country"),
                            null_flag(x.body, "organisation_id")};
    bool org_ok = true;
    if (db_begin(x.c) != 0 || profile_tx(&x, params, &org_ok) != 0 || db_commit(x.c) != 0) {
        api_fail_tx(&x);
    } else if (!org_ok) {
        api_field_error(&x.f, "organisation_id", "not_found", "No such organisation.");
        api_check(&x);
    } else {
        reply_me(req, x.c, x.me->id, 200, NULL);
    }
out:
    api_end(&x);
}

void accounts_sessions(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0)
        goto out;
    char ids[24], sid[24], idle[24];
    snprintf(ids, sizeof ids, "%ld", x.me->id);
    snprintf(sid, sizeof sid, "%ld", x.me->session_id);
    snprintf(idle, sizeof idle, "%ld", config_of(req)->session_idle_min);
    const char *p[] = {ids, sid, idle};
    api_reply_member_json(req, x.c, db_run(x.c, st_sessions, 3, p), "items");
out:
    api_end(&x);
}

void accounts_session_revoke(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0 || api_body(&x, true, no_members, NULL) != 0 ||
        api_check(&x) != 0)
        goto out;
    char aid[24];
    snprintf(aid, sizeof aid, "%ld", x.me->id);
    const char *id = http_param(req, "id");
    const char *p[] = {id, aid};
    struct db_result *r = db_run(x.c, st_session_revoke, 2, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
    } else if (db_nrows(r) == 0) {
        api_reply_not_found(req, "session");
    } else {
        audit_log(x.c, req, x.me->id, "session.revoked", "session", id, NULL);
        if (strtol(id, NULL, 10) == x.me->session_id)
            auth_clear_cookie(req);
        http_reply_empty(req, 204);
    }
    db_result_free(r);
out:
    api_end(&x);
}

/* ---- Staff and admin ---- */

/*
 * Answers a paginated list from `stmt` (parameters: the optional text filter
 * `param` of at most filter_size - 1 bytes, the limit and the offset) for
 * callers holding one of `roles`.
 */
/*
 * Reads query parameter name, which must be one of choices (NULL-ended)
 * when present, into *out (NULL when absent). 0, or -1 after answering
 * 400 bad_request listing the choices (an empty value included).
 */
static int query_choice(struct http_req *req, const char *name, const char *const *choices,
                        const char **out)
{
    char value[32];
    *out = NULL;
    int n = http_query(req, name, value, sizeof value);
    if (n == HTTP_QUERY_ABSENT)
        return 0;
    for (size_t i = 0; n >= 0 && choices[i] != NULL; i++) {
        if (str_eq(value, choices[i])) {
            *out = choices[i];
            return 0;
        }
    }
    char list[128] = "";
    for (size_t i = 0; choices[i] != NULL; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 choices[i]);
    http_reply_error(req, 400, "bad_request", "%s must be one of: %s.", name, list);
    return -1;
}

/* With account_filters (st_admin_accounts, both lists of accounts): ?role=
 * (a role's name) and ?organisation_confirmed= (true or false) too, 400 for
 * any other value. */
static void filtered_list(struct http_req *req, unsigned roles, const char *param,
                          size_t filter_size, int stmt, const char *what, bool account_filters)
{
    /* The caller first: a stranger learns nothing from the query's checks. */
    struct api_ctx x;
    struct api_page pg;
    if (api_begin(&x, req, roles, 0) != 0 || api_page_query(req, 50, &pg) != 0)
        goto out;
    char filter[600];
    if (filter_size > sizeof filter)
        filter_size = sizeof filter;
    int n = http_query(req, param, filter, filter_size);
    if (n == -2) {
        http_reply_error(req, 400, "bad_request", "%s is too long or not valid UTF-8.", param);
        goto out;
    }
    static const char *const role_names[] = {"participant", "judge", "staff", "admin", NULL};
    static const char *const booleans[] = {"true", "false", NULL};
    const char *role = NULL, *confirmed = NULL;
    if (account_filters && (query_choice(req, "role", role_names, &role) != 0 ||
                            query_choice(req, "organisation_confirmed", booleans, &confirmed) != 0))
        goto out;
    const char *p[] = {n > 0 ? filter : NULL, api_num(req, pg.per_page), api_num(req, pg.offset),
                       role, confirmed};
    api_reply_row_json(req, x.c, db_run(x.c, stmt, account_filters ? 5 : 3, p), 200, what);
out:
    api_end(&x);
}

void accounts_admin_accounts(struct http_req *req)
{
    filtered_list(req, ROLE_ADMIN, "q", 600, st_admin_accounts, "accounts", true);
}

/* Staff find the people they register on someone's behalf. */
void accounts_staff_accounts(struct http_req *req)
{
    filtered_list(req, ROLE_STAFF | ROLE_ADMIN, "q", 600, st_admin_accounts, "accounts", true);
}

/* Staff confirm that a person belongs to the organisation they declared. */
void accounts_confirm_organisation(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, no_members, NULL) != 0 || api_check(&x) != 0)
        goto out;
    const char *target = http_param(req, "id");
    char by[24];
    snprintf(by, sizeof by, "%ld", x.me->id);
    const char *p[] = {target, by};
    struct db_result *r = NULL;
    int rc = db_begin(x.c) == 0 && (r = db_run(x.c, st_confirm_org, 2, p)) != NULL ? 0 : -1;
    if (rc == 0 && str_eq(db_value(r, 0, 0), "t")) {
        json_t *details =
            json_pack("{s:I}", "organisation_id", (json_int_t)strtoll(db_value(r, 0, 1), NULL, 10));
        rc = audit_log(x.c, req, x.me->id, "account.organisation_confirmed", "account", target,
                       details);
        json_decref(details);
    }
    db_result_free(r);
    if (rc != 0 || db_commit(x.c) != 0)
        api_fail_tx(&x);
    else
        reply_me(req, x.c, strtol(target, NULL, 10), 200, NULL);
out:
    api_end(&x);
}

/* PUT grants the role, DELETE revokes it; answers the account. */
void accounts_role(struct http_req *req)
{
    bool grant = str_eq(http_method(req), "PUT");
    struct api_ctx x;
    const char *role = http_param(req, "role");
    const char *target = http_param(req, "id");
    if (api_begin(&x, req, ROLE_ADMIN, 0) != 0 || api_body(&x, true, no_members, NULL) != 0 ||
        api_check(&x) != 0)
        goto out;
    if (auth_role_from_name(role) == 0) {
        api_reply_not_found(req, "role (use participant, judge, staff or admin)");
        goto out;
    }
    if (!grant && str_eq(role, "admin") && strtol(target, NULL, 10) == x.me->id) {
        http_reply_error(req, 409, "conflict", "You cannot remove your own admin role.");
        goto out;
    }
    char by[24];
    snprintf(by, sizeof by, "%ld", x.me->id);
    const char *ep[] = {target};
    const char *gp[] = {target, role, by};
    struct db_result *ex = db_run(x.c, st_account_exists, 1, ep);
    bool found = ex && db_nrows(ex) == 1;
    struct db_result *r = NULL;
    if (found)
        r = grant ? db_run(x.c, st_role_grant, 3, gp) : db_run(x.c, st_role_revoke, 2, gp);
    int rc = ex && (!found || r) ? 0 : -1;
    if (rc == 0 && found && db_nrows(r) == 1) {
        json_t *details = json_pack("{s:s}", "role", role);
        rc = audit_log(x.c, req, x.me->id, grant ? "role.granted" : "role.revoked", "account",
                       target, details);
        json_decref(details);
    }
    if (rc != 0)
        api_reply_db_error(req, x.c);
    else if (!found)
        api_reply_not_found(req, "account");
    else
        reply_me(req, x.c, strtol(target, NULL, 10), 200, NULL);
    db_result_free(ex);
    db_result_free(r);
out:
    api_end(&x);
}

/* Reads ?name= as a whole ISO date into out (size 11; "" when absent or
 * empty: no bound). 0,
 * or -1 after answering 400 naming it. */
static int query_day(struct http_req *req, const char *name, char *out, size_t size)
{
    char a[11], b[11];
    int n = http_query(req, name, out, size);
    if (n == HTTP_QUERY_ABSENT || n == 0) {
        out[0] = '\0';
        return 0;
    }
    /* A whole ISO date parses to itself; labels like "March 2024" do not. */
    if (n == 10 && datelabel_parse(out, 2000, a, b) == 0 && str_eq(a, out))
        return 0;
    http_reply_error(req, 400, "bad_request", "%s must be a date like 2026-11-29.", name);
    return -1;
}

/* ?action= the action or its beginning (letters, digits, _ and .), ?person=
 * a name or address (actor or the person concerned), ?person_id= an account
 * as either, ?from= and ?to= UTC days; 400 for any bad value. */
void accounts_admin_audit(struct http_req *req)
{
    struct api_ctx x;
    struct api_page pg;
    if (api_begin(&x, req, ROLE_ADMIN, 0) != 0 || api_page_query(req, 50, &pg) != 0)
        goto out;
    char action[64], person[600], from[11], to[11];
    long person_id = 0;
    if (api_query_string(req, "action", action, sizeof action) != 0 ||
        api_query_string(req, "person", person, sizeof person) != 0 ||
        api_query_long(req, "person_id", 1, 1L << 53, &person_id) != 0 ||
        query_day(req, "from", from, sizeof from) != 0 || query_day(req, "to", to, sizeof to) != 0)
        goto out;
    if (action[0] != '\0' &&
        strspn(action, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(action)) {
        http_reply_error(req, 400, "bad_request",
                         "action must be an action or its beginning, such as enrollment.");
        goto out;
    }
    if (from[0] && to[0] && strcmp(from, to) > 0) {
        http_reply_error(req, 400, "bad_request", "from must not be after to.");
        goto out;
    }
    const char *p[] = {action[0] ? action : NULL,
                       api_num(req, pg.per_page),
                       api_num(req, pg.offset),
                       person[0] ? person : NULL,
                       person_id ? api_num(req, person_id) : NULL,
                       from[0] ? from : NULL,
                       to[0] ? to : NULL};
    api_reply_row_json(req, x.c, db_run(x.c, st_audit_list, 7, p), 200, "audit log");
out:
    api_end(&x);
}

void accounts_admin_outbox(struct http_req *req)
{
    struct api_ctx x;
    struct api_page pg;
    if (api_begin(&x, req, ROLE_ADMIN, 0) != 0 || api_page_query(req, 50, &pg) != 0)
        goto out;
    char status[16];
    int sn = http_query(req, "status", status, sizeof status);
    if (sn == -2 || (sn >= 0 && !str_eq(status, "pending") && !str_eq(status, "sending") &&
                     !str_eq(status, "sent") && !str_eq(status, "failed"))) {
        http_reply_error(req, 400, "bad_request",
                         "status must be pending, sending, sent or failed.");
        goto out;
    }
    json_t *list = mail_outbox_list(x.c, sn > 0 ? status : NULL, (int)pg.per_page, (int)pg.offset);
    if (list == NULL)
        api_reply_db_error(req, x.c);
    else
        http_reply_json(req, 200, list);
out:
    api_end(&x);
}

void accounts_admin_outbox_retry(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_ADMIN, 0) != 0 || api_body(&x, true, no_members, NULL) != 0 ||
        api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    int n = mail_outbox_retry(x.c, strtol(id, NULL, 10));
    if (n < 0 || (n == 1 && audit_log(x.c, req, x.me->id, "mail.retried", "mail", id, NULL) != 0))
        api_reply_db_error(req, x.c);
    else if (n == 0)
        http_reply_error(req, 404, "not_found", "No failed mail with this id.");
    else
        http_reply_json(req, 200, json_pack("{s:s}", "status", "pending"));
out:
    api_end(&x);
}
