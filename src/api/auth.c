/*
 * auth.c - Argon2id hashing behind a concurrency bound, sessions, CSRF and
 * the authorisation gate. See auth.h.
 */
#include "api/auth.h"

#include "base/config.h"
#include "db/db.h"
#include "http/http.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How long a request waits for a hashing slot before answering 503. */
#define HASH_WAIT_MS 10000

static const struct config *cfg;
static unsigned long long opslimit;
static size_t memlimit;
static char dummy_hash[crypto_pwhash_STRBYTES];

static pthread_mutex_t hash_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_cv = PTHREAD_COND_INITIALIZER;
static int hash_slots;

static int stmt_session_insert = -1, stmt_session_lookup = -1, stmt_session_touch = -1,
           stmt_me = -1;

void auth_statements(void)
{
    stmt_session_insert = db_register(
        "auth_session_insert",
        "INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at, user_agent, ip) "
        "VALUES ($1, $2::bytea, $3, now() + make_interval(hours => $4::int), left($5, 300), $6)");
    stmt_session_lookup = db_register(
        "auth_session_lookup",
        "SELECT s.id, s.csrf_token, a.id, a.email, a.name, coalesce(a.organisation_id, 0), "
        " a.locale, a.email_verified_at IS NOT NULL, "
        " coalesce((SELECT string_agg(role, ',') FROM account_roles r "
        "           WHERE r.account_id = a.id), ''), "
        " s.last_seen_at < now() - interval '1 minute' "
        "FROM sessions s JOIN accounts a ON a.id = s.account_id "
        "WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now() "
        " AND s.last_seen_at > now() - make_interval(mins => $2::int) "
        " AND a.disabled_at IS NULL");
    stmt_session_touch =
        db_register("auth_session_touch", "UPDATE sessions SET last_seen_at = now() WHERE id = $1");
    stmt_me = db_register(
        "auth_me",
        "SELECT json_build_object("
        " 'id', a.id, 'email', a.email, 'name', a.name,"
        " 'roles', coalesce((SELECT json_agg(role ORDER BY role) FROM account_roles r"
        "                    WHERE r.account_id = a.id), '[]'::json),"
        " 'organisation', CASE WHEN o.id IS NULL THEN NULL ELSE json_build_object("
        "    'id', o.id, 'name', o.name, 'city', o.city, 'country', o.country, 'kind', o.kind)"
        "  END,"
        " 'organisation_confirmed', a.organisation_confirmed_at IS NOT NULL,"
        " 'email_verified', a.email_verified_at IS NOT NULL,"
        " 'position', a.position, 'country', a.country, 'locale', a.locale,"
        " 'created_at', a.created_at)::text "
        "FROM accounts a LEFT JOIN organisations o ON o.id = a.organisation_id "
        "WHERE a.id = $1");
}

/* ---- Roles ---- */

static const struct {
    unsigned bit;
    const char *name;
} role_names[] = {{ROLE_PARTICIPANT, "participant"},
                  {ROLE_JUDGE, "judge"},
                  {ROLE_STAFF, "staff"},
                  {ROLE_ADMIN, "admin"}};

unsigned auth_role_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(role_names); i++) {
        if (str_eq(name, role_names[i].name))
            return role_names[i].bit;
    }
    return 0;
}

const char *auth_role_name(unsigned role)
{
    for (size_t i = 0; i < ARRAY_LEN(role_names); i++) {
        if (role_names[i].bit == role)
            return role_names[i].name;
    }
    return NULL;
}

/* ---- Set-up ---- */

int auth_init(const struct config *c)
{
    if (sodium_init() < 0) {
        log_error("libsodium could not be initialised");
        return -1;
    }
    cfg = c;
    opslimit = (unsigned long long)c->argon2_opslimit;
    memlimit = (size_t)c->argon2_memlimit;
    hash_slots = (int)c->hash_concurrency;
    /* A hash of a random password: verifying against it costs what a real
     * verification costs, so unknown accounts answer as slowly. */
    char pw[48];
    auth_random_token(pw);
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), opslimit, memlimit) != 0) {
        log_error("cannot compute a password hash with %zu bytes of memory", memlimit);
        return -1;
    }
    return 0;
}

/* ---- Passwords ---- */

static int take_slot(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += HASH_WAIT_MS / 1000;
    int rc = 0;
    pthread_mutex_lock(&hash_mu);
    while (hash_slots == 0 && rc == 0)
        rc = pthread_cond_timedwait(&hash_cv, &hash_mu, &deadline);
    if (hash_slots > 0) {
        hash_slots--;
        rc = 0;
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&hash_mu);
    if (rc != 0)
        log_warn("password hashing is saturated: a request waited %d ms", HASH_WAIT_MS);
    return rc;
}

static void give_slot(void)
{
    pthread_mutex_lock(&hash_mu);
    hash_slots++;
    pthread_cond_signal(&hash_cv);
    pthread_mutex_unlock(&hash_mu);
}

int auth_hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    if (take_slot() != 0)
        return -1;
    metrics_password_hash();
    int rc = crypto_pwhash_str(out, password, strlen(password), opslimit, memlimit);
    give_slot();
    return rc == 0 ? 0 : -1;
}

int auth_verify_password(const char *hash, const char *password, bool *needs_rehash)
{
    if (needs_rehash)
        *needs_rehash = false;
    if (take_slot() != 0)
        return -1;
    const char *h = hash ? hash : dummy_hash;
    metrics_password_hash();
    int ok = crypto_pwhash_str_verify(h, password, strlen(password)) == 0;
    give_slot();
    if (hash == NULL)
        return 0;
    if (ok && needs_rehash)
        *needs_rehash = crypto_pwhash_str_needs_rehash(hash, opslimit, memlimit) != 0;
    return ok ? 1 : 0;
}

const char *auth_password_problem(const char *password, const char *email, const char *name)
{
    size_t bytes = strlen(password);
    if (!str_valid_utf8(password, bytes))
        return "Must be valid UTF-8 text.";
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
        if ((*p & 0xC0) != 0x80)
            chars++;
    }
    if (chars < 12)
        return "Use at least 12 characters; a few unrelated words make a good password.";
    if (bytes > 128)
        return "Use at most 128 bytes.";
    if ((email && strcasecmp(password, email) == 0) || (name && strcasecmp(password, name) == 0))
        return "Must not be your email address or your name.";
    return NULL;
}

/* ---- Tokens ---- */

void auth_random_token(char out[48])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, 48, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_token_hash_hex(const char *token, char out[72])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 70, h, sizeof h);
}

/* ---- Sessions ---- */

static bool https(void)
{
    return cfg && cfg->base_url && str_starts_with(cfg->base_url, "https://");
}

const char *auth_cookie_name(void)
{
    return https() ? "__Host-convene_session" : "convene_session";
}

int auth_session_create(struct http_req *req, struct db_conn *c, long account_id, char csrf_out[48])
{
    char token[48], hash[72], id[24], hours[16];
    auth_random_token(token);
    auth_random_token(csrf_out);
    auth_token_hash_hex(token, hash);
    snprintf(id, sizeof id, "%ld", account_id);
    snprintf(hours, sizeof hours, "%ld", cfg->session_max_hours);
    const char *ua = http_header(req, "User-Agent");
    const char *params[] = {id, hash, csrf_out, hours, ua ? ua : "", http_remote_addr(req)};
    struct db_result *r = db_run(c, stmt_session_insert, 6, params);
    if (r == NULL)
        return -1;
    db_result_free(r);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%ld%s",
             auth_cookie_name(), token, cfg->session_max_hours * 3600, https() ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    return 0;
}

void auth_clear_cookie(struct http_req *req)
{
    char cookie[160];
    snprintf(cookie, sizeof cookie, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
             auth_cookie_name(), https() ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
}

/* Marker stored in the request for "looked up, nobody". */
static struct account anonymous_marker;

const struct account *auth_caller(struct http_req *req, struct db_conn *c, bool *failed)
{
    *failed = false;
    struct account *cached = http_local(req);
    if (cached)
        return cached == &anonymous_marker ? NULL : cached;
    char token[64];
    if (http_cookie(req, auth_cookie_name(), token, sizeof token) <= 0 || strlen(token) != 43) {
        http_set_local(req, &anonymous_marker);
        return NULL;
    }
    char hash[72], idle[24];
    auth_token_hash_hex(token, hash);
    snprintf(idle, sizeof idle, "%ld", cfg->session_idle_min);
    const char *params[] = {hash, idle};
    struct db_result *r = db_run(c, stmt_session_lookup, 2, params);
    if (r == NULL) {
        *failed = true;
        return NULL;
    }
    if (db_nrows(r) != 1) {
        db_result_free(r);
        http_set_local(req, &anonymous_marker);
        return NULL;
    }
    struct account *a = http_alloc(req, sizeof *a);
    memset(a, 0, sizeof *a);
    a->session_id = strtol(db_value(r, 0, 0), NULL, 10);
    snprintf(a->csrf, sizeof a->csrf, "%s", db_value(r, 0, 1));
    a->id = strtol(db_value(r, 0, 2), NULL, 10);
    snprintf(a->email, sizeof a->email, "%s", db_value(r, 0, 3));
    snprintf(a->name, sizeof a->name, "%s", db_value(r, 0, 4));
    a->organisation_id = strtol(db_value(r, 0, 5), NULL, 10);
    snprintf(a->locale, sizeof a->locale, "%s", db_value(r, 0, 6));
    a->verified = str_eq(db_value(r, 0, 7), "t");
    char roles[128];
    snprintf(roles, sizeof roles, "%s", db_value(r, 0, 8));
    char *save = NULL;
    for (char *tok = strtok_r(roles, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        a->roles |= auth_role_from_name(tok);
    bool stale = str_eq(db_value(r, 0, 9), "t");
    db_result_free(r);
    if (stale) {
        char sid[24];
        snprintf(sid, sizeof sid, "%ld", a->session_id);
        const char *p[] = {sid};
        db_result_free(db_run(c, stmt_session_touch, 1, p));
    }
    http_set_local(req, a);
    return a;
}

const struct account *auth_require(struct http_req *req, struct db_conn *c, unsigned roles_any,
                                   unsigned flags)
{
    bool failed = false;
    const struct account *a = auth_caller(req, c, &failed);
    if (failed) {
        if (db_error_is_connection(c))
            http_reply_unavailable(req);
        else
            http_reply_error(req, 500, "server_error", "The session could not be checked.");
        return NULL;
    }
    if (a == NULL) {
        http_reply_error(req, 401, "unauthenticated", "Please log in first.");
        return NULL;
    }
    if (http_is_unsafe_method(req)) {
        const char *token = http_header(req, "X-CSRF-Token");
        if (token == NULL || strlen(token) != strlen(a->csrf) ||
            sodium_memcmp(token, a->csrf, strlen(a->csrf)) != 0) {
            http_reply_error(req, 403, "csrf_failed",
                             "Missing or wrong X-CSRF-Token header; reload the page and retry.");
            return NULL;
        }
    }
    if ((flags & AUTH_VERIFIED) && !a->verified) {
        http_reply_error(req, 403, "email_unverified",
                         "Please verify your email address first (see the link we sent).");
        return NULL;
    }
    if (roles_any && !(a->roles & roles_any)) {
        http_reply_error(req, 403, "forbidden", "Your account may not do this.");
        return NULL;
    }
    return a;
}

json_t *auth_me_json(struct db_conn *c, long account_id)
{
    char id[24];
    snprintf(id, sizeof id, "%ld", account_id);
    const char *params[] = {id};
    struct db_result *r = db_run(c, stmt_me, 1, params);
    if (r == NULL)
        return NULL;
    json_t *j = db_value(r, 0, 0) ? json_loads(db_value(r, 0, 0), 0, NULL) : NULL;
    db_result_free(r);
    return j;
}
