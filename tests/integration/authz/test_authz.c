/*
 * test_authz.c - the authorisation matrix (tests/integration/authz/
 * matrix.tsv) walked against the real server: every route, as every kind
 * of caller (anonymous, unverified, participant, judge, staff, admin),
 * answers the status the table says. The table must have a row for every
 * route `convene routes` lists, so a new route without a decision about
 * who may call it fails here. The same table drives the CSRF test: every
 * state-changing route, called with a session but without the token,
 * answers 403 csrf_failed.
 *
 * Each request gets fresh objects (a published and a draft activity, a
 * pending registration of someone else, another person's session, an
 * account, an outbox row) and a fresh session for its caller, made in one
 * SQL call, so one row's effect (a cancelled activity, a log-out) cannot
 * change another's answer.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "base/util.h"
#include "harness.h"

Suite *make_authz_suite(void);

#define DB "authz"

enum { ANON, UNVERIFIED, PARTICIPANT, JUDGE, STAFF, ADMIN, NCALLERS };
static const char *const caller_names[NCALLERS] = {"anonymous", "unverified", "participant",
                                                   "judge",     "staff",      "admin"};
static long caller_id[NCALLERS];

struct row {
    char method[8];
    char pattern[128];
    char path[256];
    char body[512];
    int expect[NCALLERS];
    int line;
};

#define MAX_ROWS 160
static struct row rows[MAX_ROWS];
static int nrows;
static struct server srv;
static struct catcher mail;
static int serial;

/* ---- The table ---- */

static void load_matrix(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/integration/authz/matrix.tsv",
             getenv("CONVENE_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char line[1024];
    int lineno = 0;
    nrows = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        ck_assert_msg(nrows < MAX_ROWS, "matrix.tsv has too many rows");
        struct row *r = &rows[nrows];
        char *fields[4 + NCALLERS];
        int n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, "\t", &save); t && n < 4 + NCALLERS;
             t = strtok_r(NULL, "\t", &save))
            fields[n++] = t;
        ck_assert_msg(n == 4 + NCALLERS, "matrix.tsv:%d: expected %d tab-separated columns", lineno,
                      4 + NCALLERS);
        snprintf(r->method, sizeof r->method, "%s", fields[0]);
        snprintf(r->pattern, sizeof r->pattern, "%s", fields[1]);
        snprintf(r->path, sizeof r->path, "%s", fields[2]);
        snprintf(r->body, sizeof r->body, "%s", str_eq(fields[3], "-") ? "" : fields[3]);
        for (int k = 0; k < NCALLERS; k++)
            r->expect[k] = atoi(fields[4 + k]);
        r->line = lineno;
        nrows++;
    }
    fclose(f);
    ck_assert_int_gt(nrows, 0);
}

/* ---- Fixtures ---- */

static void setup(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_TRUSTED_PROXIES=127.0.0.1", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB,
                "INSERT INTO organisations (name, city, country, kind) VALUES "
                "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city')");
    for (int k = UNVERIFIED; k < NCALLERS; k++) {
        char q[512];
        snprintf(q, sizeof q,
                 "INSERT INTO accounts (email, password_hash, name, organisation_id, "
                 "email_verified_at) VALUES ('%s@matrix.test', 'x', 'Matrix %s', "
                 "(SELECT min(id) FROM organisations), %s) RETURNING id",
                 caller_names[k], caller_names[k], k == UNVERIFIED ? "NULL" : "now()");
        caller_id[k] = harness_sql_long(DB, q);
        const char *role = k == ADMIN   ? "admin"
                           : k == STAFF ? "staff"
                           : k == JUDGE ? "judge"
                                        : NULL;
        if (role) {
            snprintf(q, sizeof q, "INSERT INTO account_roles (account_id, role) VALUES (%ld, '%s')",
                     caller_id[k], role);
            harness_sql(DB, q);
        }
    }
    /* One call makes everything a request may name, and the caller's
     * session, and answers them as one line. */
    harness_sql(
        DB,
        "CREATE FUNCTION matrix_fixture(p_account bigint, p_hash text, p_csrf text, p_n int) "
        "RETURNS text LANGUAGE plpgsql AS $$ "
        "DECLARE pub bigint; draft bigint; appr bigint; other bigint; enr bigint; "
        "sess bigint; box bigint; org2 bigint; cyc bigint; cat bigint; sub bigint; "
        "vcyc bigint; vcat bigint; cand bigint; "
        "BEGIN "
        "IF p_account IS NOT NULL THEN "
        "  INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at) "
        "  VALUES (p_account, p_hash::bytea, p_csrf, now() + interval '1 hour'); "
        "END IF; "
        "INSERT INTO activities (slug, kind, title, timezone, mode, status, starts_on, ends_on, "
        "  period_start, period_end, capacity) VALUES ('m-pub-' || p_n, 'workshop', "
        "  'Matrix ' || p_n, 'Asia/Seoul', 'open', 'published', '2030-05-22', '2030-05-23', "
        "  '2030-05-22', '2030-05-23', 10) RETURNING id INTO pub; "
        "INSERT INTO activities (slug, kind, title, timezone, mode, status, starts_on, ends_on, "
        "  period_start, period_end) VALUES ('m-draft-' || p_n, 'workshop', 'Draft ' || p_n, "
        "  'Asia/Seoul', 'open', 'draft', '2030-06-01', '2030-06-01', '2030-06-01', "
        "  '2030-06-01') RETURNING id INTO draft; "
        "INSERT INTO activities (slug, kind, title, timezone, mode, status, starts_on, ends_on, "
        "  period_start, period_end, capacity) VALUES ('m-appr-' || p_n, 'workshop', "
        "  'Approval ' || p_n, 'Asia/Seoul', 'approval', 'published', '2030-07-01', "
        "  '2030-07-01', '2030-07-01', '2030-07-01', 10) RETURNING id INTO appr; "
        "INSERT INTO accounts (email, password_hash, name, organisation_id, email_verified_at) "
        "  VALUES ('other-' || p_n || '@matrix.test', 'x', 'Other ' || p_n, "
        "  (SELECT min(id) FROM organisations), now()) RETURNING id INTO other; "
        "INSERT INTO enrollments (activity_id, account_id, status) VALUES (appr, other, "
        "  'pending_approval') RETURNING id INTO enr; "
        "INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at) VALUES (other, "
        "  ('\\x' || md5('other' || p_n) || md5('session' || p_n))::bytea, 'c', "
        "  now() + interval '1 hour') RETURNING id INTO sess; "
        "INSERT INTO mail_outbox (template, to_address, status) VALUES ('welcome', "
        "  'other-' || p_n || '@matrix.test', 'failed') RETURNING id INTO box; "
        /* Awards: a cycle open for submission with a category and another
         * organisation's draft case; a cycle open for voting with a category
         * and another organisation's submitted case. */
        "INSERT INTO organisations (name, city, country, kind) VALUES ('Matrix City ' || p_n, "
        "  'Matrix', 'Matrixland', 'member_city') RETURNING id INTO org2; "
        "INSERT INTO award_cycles (year, title, submission_opens_at, submission_closes_at, "
        "  voting_opens_at, voting_closes_at, evaluation_opens_at, evaluation_closes_at) "
        "  VALUES (2030, 'Matrix ' || p_n, now() - interval '1 day', now() + interval '1 day', "
        "  now() + interval '2 days', now() + interval '3 days', now() + interval '2 days', "
        "  now() + interval '3 days') RETURNING id INTO cyc; "
        "INSERT INTO award_categories (cycle_id, name) VALUES (cyc, 'Climate') "
        "  RETURNING id INTO cat; "
        "INSERT INTO submissions (cycle_id, category_id, organisation_id, sdgs, title, summary, "
        "  description) VALUES (cyc, cat, org2, '{11}', 'Case', 'Summary', 'Description') "
        "  RETURNING id INTO sub; "
        "INSERT INTO award_cycles (year, title, submission_opens_at, submission_closes_at, "
        "  voting_opens_at, voting_closes_at, evaluation_opens_at, evaluation_closes_at) "
        "  VALUES (2030, 'Voting ' || p_n, now() - interval '3 days', now() - interval '2 days', "
        "  now() - interval '1 day', now() + interval '1 day', now() - interval '1 day', "
        "  now() + interval '1 day') RETURNING id INTO vcyc; "
        "INSERT INTO award_categories (cycle_id, name) VALUES (vcyc, 'Finance') "
        "  RETURNING id INTO vcat; "
        "INSERT INTO submissions (cycle_id, category_id, organisation_id, sdgs, title, summary, "
        "  description, status, submitted_at) VALUES (vcyc, vcat, org2, '{13}', 'Candidate', "
        "  'Summary', 'Description', 'submitted', now()) RETURNING id INTO cand; "
        "RETURN concat_ws(' ', pub, draft, enr, other, sess, box, cyc, cat, sub, vcat, cand); "
        "END $$");
}

static void teardown(void)
{
    int status = harness_server_stop(&srv);
    harness_catcher_stop(&mail);
    ck_assert_msg(status == 0, "the server did not stop cleanly (status %d)", status);
}

struct objects {
    char n[24]; /* a number no other request has */
    char activity[24], draft[24], enrollment[24], account[24], session[24], outbox[24];
    char cycle[24], category[24], submission[24], vcategory[24], candidate[24];
    char cookie[128], csrf[64];
};

/* Fresh objects and, for a caller other than anonymous, a fresh session. */
static void make_objects(int caller, struct objects *o)
{
    int n = ++serial;
    snprintf(o->n, sizeof o->n, "%d", n);
    /* 43 characters, the length of the server's own tokens. */
    char token[64], hash[72];
    snprintf(token, sizeof token, "matrixtoken%06dxxxxxxxxxxxxxxxxxxxxxxxxxx", n);
    auth_token_hash_hex(token, hash);
    snprintf(o->cookie, sizeof o->cookie, "convene_session=%s", token);
    snprintf(o->csrf, sizeof o->csrf, "csrf-matrix-%d", n);
    char q[512], acct[24];
    if (caller == ANON)
        snprintf(acct, sizeof acct, "NULL");
    else
        snprintf(acct, sizeof acct, "%ld", caller_id[caller]);
    snprintf(q, sizeof q, "SELECT matrix_fixture(%s, '%s', '%s', %d)", acct, hash, o->csrf, n);
    char *out = harness_psql(DB, q);
    ck_assert_msg(out != NULL, "fixture failed");
    int got = sscanf(out, "%23s %23s %23s %23s %23s %23s %23s %23s %23s %23s %23s", o->activity,
                     o->draft, o->enrollment, o->account, o->session, o->outbox, o->cycle,
                     o->category, o->submission, o->vcategory, o->candidate);
    ck_assert_msg(got == 11, "fixture answered %s", out);
    free(out);
}

/* Replaces {activity}, {draft}, {enrollment}, {account}, {session},
 * {outbox}, the awards' {cycle}, {category}, {submission}, {vcategory},
 * {candidate}, and {n} in path. */
static void expand(const char *path, const struct objects *o, char *out, size_t size)
{
    static const char *const names[] = {"{activity}",   "{draft}",     "{enrollment}", "{account}",
                                        "{session}",    "{outbox}",    "{cycle}",      "{category}",
                                        "{submission}", "{vcategory}", "{candidate}",  "{n}"};
    const char *values[] = {o->activity,   o->draft,     o->enrollment, o->account,
                            o->session,    o->outbox,    o->cycle,      o->category,
                            o->submission, o->vcategory, o->candidate,  o->n};
    size_t n = 0;
    for (const char *p = path; *p && n + 1 < size;) {
        bool done = false;
        for (size_t i = 0; i < ARRAY_LEN(names) && !done; i++) {
            size_t len = strlen(names[i]);
            if (strncmp(p, names[i], len) == 0) {
                n += (size_t)snprintf(out + n, size - n, "%s", values[i]);
                p += len;
                done = true;
            }
        }
        if (!done)
            out[n++] = *p++;
    }
    out[n < size ? n : size - 1] = '\0';
}

/* Sends row r as caller; with_csrf false leaves the token out. Returns the
 * status and copies the error code (if any) into code. */
static long send_row(const struct row *r, int caller, bool with_csrf, char *code, size_t codelen)
{
    struct objects o;
    make_objects(caller, &o);
    char path[512], body[600];
    expand(r->path, &o, path, sizeof path);
    expand(r->body, &o, body, sizeof body);
    const char *h[6];
    int n = 0;
    char cookie[200], token[100], xff[64];
    /* Each request its own client address, so rate limits per address
     * (sign-up, log-in) cannot turn a later row into a 429. */
    snprintf(xff, sizeof xff, "X-Forwarded-For: 127.1.%d.%d", (serial / 250) % 250,
             serial % 250 + 1);
    h[n++] = xff;
    if (body[0])
        h[n++] = "Content-Type: application/json";
    if (caller != ANON) {
        snprintf(cookie, sizeof cookie, "Cookie: %s", o.cookie);
        h[n++] = cookie;
        if (with_csrf) {
            snprintf(token, sizeof token, "X-CSRF-Token: %s", o.csrf);
            h[n++] = token;
        }
    }
    h[n] = NULL;
    struct hresp resp;
    ck_assert_int_eq(hreq(&srv, r->method, path, h, body[0] ? body : NULL, strlen(body), &resp), 0);
    long status = resp.status;
    code[0] = '\0';
    json_t *j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (c)
        snprintf(code, codelen, "%s", c);
    json_decref(j);
    hresp_free(&resp);
    return status;
}

/* ---- Tests ---- */

START_TEST(every_route_has_a_row)
{
    load_matrix();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "'%s' routes 2>/dev/null", getenv("CONVENE_BIN"));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[300];
    int routes = 0;
    strbuf missing;
    strbuf_init(&missing, 0);
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        char method[16], pattern[256];
        if (sscanf(line, "%15s %255s", method, pattern) != 2)
            continue;
        if (str_starts_with(pattern, "/api/_test/"))
            continue;
        routes++;
        bool found = false;
        for (int i = 0; i < nrows && !found; i++)
            found = str_eq(rows[i].method, method) && str_eq(rows[i].pattern, pattern);
        if (!found)
            strbuf_printf(&missing, "\n  %s %s", method, pattern);
    }
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_int_gt(routes, 40);
    ck_assert_msg(missing.len == 0, "routes without a row in matrix.tsv:%s", strbuf_cstr(&missing));
    strbuf_free(&missing);
    /* And no row names a route that does not exist. */
    for (int i = 0; i < nrows; i++)
        ck_assert_msg(str_starts_with(rows[i].path, "/"), "matrix.tsv:%d: bad path", rows[i].line);
}
END_TEST

/* The table is checked in MATRIX_PARTS parts, each a test of its own with
 * its own server and time limit: on a loaded machine one part of ~200
 * requests stays well inside it, where the whole table may not. */
#define MATRIX_PARTS 4

START_TEST(every_route_answers_every_caller_as_the_table_says)
{
    load_matrix();
    strbuf wrong;
    strbuf_init(&wrong, 0);
    int checked = 0;
    int first = nrows * _i / MATRIX_PARTS, end = nrows * (_i + 1) / MATRIX_PARTS;
    for (int i = first; i < end; i++) {
        for (int k = 0; k < NCALLERS; k++) {
            char code[64];
            long got = send_row(&rows[i], k, true, code, sizeof code);
            checked++;
            if (got != rows[i].expect[k])
                strbuf_printf(&wrong, "\n  matrix.tsv:%d %s %s as %s: %ld (%s), table says %d",
                              rows[i].line, rows[i].method, rows[i].path, caller_names[k], got,
                              code, rows[i].expect[k]);
            /* A refusal says why, with the code the pages rely on (a
             * participant lacks the role, or - the matrix's accounts are
             * unconfirmed members - a confirmed affiliation). */
            if (got == 401 && !str_starts_with(rows[i].pattern, "/api/auth/") &&
                !str_eq(code, "unauthenticated"))
                strbuf_printf(&wrong, "\n  matrix.tsv:%d as %s: 401 with code '%s'", rows[i].line,
                              caller_names[k], code);
            if (got == 403 && k == PARTICIPANT && !str_eq(code, "forbidden") &&
                !str_eq(code, "organisation_unconfirmed"))
                strbuf_printf(&wrong, "\n  matrix.tsv:%d as %s: 403 with code '%s'", rows[i].line,
                              caller_names[k], code);
            ck_assert_msg(got < 500, "matrix.tsv:%d %s %s as %s: %ld", rows[i].line, rows[i].method,
                          rows[i].path, caller_names[k], got);
        }
    }
    if (wrong.len)
        fprintf(stderr, "authorisation matrix mismatches:%s\n", strbuf_cstr(&wrong));
    ck_assert_msg(wrong.len == 0, "answers differ from matrix.tsv (listed on stderr)");
    ck_assert_int_eq(checked, (end - first) * NCALLERS);
    ck_assert_int_gt(end, first);
    strbuf_free(&wrong);
}
END_TEST

START_TEST(state_changing_routes_refuse_a_session_without_the_csrf_token)
{
    load_matrix();
    strbuf wrong;
    strbuf_init(&wrong, 0);
    int checked = 0;
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        if (str_eq(r->method, "GET"))
            continue;
        /* Sign-up, log-in, verification and password reset act on no
         * session, so a cookie sent along gives a forged request nothing;
         * log-out does act on it and is checked. (Cross-site pages cannot
         * send these JSON bodies at all: they need a CORS pre-flight.) */
        if (str_starts_with(r->pattern, "/api/auth/") && !str_eq(r->pattern, "/api/auth/logout"))
            continue;
        /* With a session and no token: refused before anything else, for
         * the least and the most privileged caller alike. */
        for (int k = PARTICIPANT; k <= ADMIN; k += ADMIN - PARTICIPANT) {
            char code[64];
            long got = send_row(r, k, false, code, sizeof code);
            checked++;
            if (got != 403 || !str_eq(code, "csrf_failed"))
                strbuf_printf(&wrong, "\n  matrix.tsv:%d %s %s as %s without token: %ld (%s)",
                              r->line, r->method, r->path, caller_names[k], got, code);
        }
    }
    if (wrong.len)
        fprintf(stderr, "CSRF refusals missing:%s\n", strbuf_cstr(&wrong));
    ck_assert_msg(wrong.len == 0, "state-changing routes accepted a missing token (see stderr)");
    ck_assert_int_ge(checked, 30);
    strbuf_free(&wrong);
}
END_TEST

Suite *make_authz_suite(void)
{
    Suite *s = suite_create("authz");
    TCase *tc = tcase_create("matrix");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_route_has_a_row);
    tcase_add_loop_test(tc, every_route_answers_every_caller_as_the_table_says, 0, MATRIX_PARTS);
    tcase_add_test(tc, state_changing_routes_refuse_a_session_without_the_csrf_token);
    suite_add_tcase(s, tc);
    return s;
}
