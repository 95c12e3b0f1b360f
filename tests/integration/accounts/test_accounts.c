/*
 * test_accounts.c - accounts, sessions, roles and their mail, against the
 * real server, a real PostgreSQL and the real mail catcher: sign-up to
 * log-out, password reset, CSRF and roles, rate limits, mail surviving an
 * SMTP outage, header injection and non-Latin names, and a log-in flood.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

Suite *make_accounts_suite(void);

#define DB       "accounts"
#define PASSWORD "correct horse battery staple"

static struct server srv;
static struct catcher mail;

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_MAIL_BACKOFF_MS=300",
                         "CONVENE_BASE_URL=http://convene.test",
                         "CONVENE_TRUSTED_PROXIES=127.0.0.1", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    /* Organisations for sign-up. */
    free(harness_psql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES "
                          "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', "
                          "'member_city'), ('CityNet Secretariat', 'Seoul', 'Republic of Korea', "
                          "'secretariat')"));
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

/* ---- Request helpers ---- */

static long org_id(const char *name)
{
    return harness_sql_longf(DB, "SELECT id FROM organisations WHERE name = '%s'", name);
}

static long signup(const char *email, const char *name, struct hresp *r)
{
    json_t *body =
        json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "email", email, "password", PASSWORD, "name",
                  name, "organisation_id", (json_int_t)org_id("Seoul Metropolitan Government"),
                  "position", "Planner", "country", "Republic of Korea", "locale", "en");
    char *text = json_dumps(body, 0);
    long st = hcall(&srv, "POST", "/api/auth/signup", text, NULL, r);
    free(text);
    json_decref(body);
    return st;
}

/* Signs up and verifies through the caught mail. */
static void verified_account(const char *email, const char *name)
{
    struct hresp r;
    ck_assert_int_eq(signup(email, name, &r), 202);
    hresp_free(&r);
    json_t *m = harness_wait_mail(&mail, email, "confirm your email", 30000);
    ck_assert_msg(m != NULL, "no verification mail for %s", email);
    char token[80], body[160];
    ck_assert_int_eq(
        harness_token_from(json_string_value(json_object_get(m, "text")), token, sizeof token), 0);
    json_decref(m);
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", token);
    HEXPECT(&srv, "POST", "/api/auth/verify", body, NULL, 200, NULL);
}

/* ---- Tests ---- */

START_TEST(signup_verify_login_me_logout)
{
    struct hresp r;
    ck_assert_int_eq(signup("Lee.Jiwoo@seoul.example.org", "Lee Jiwoo", &r), 202);
    char *first_body = strdup(r.body);
    hresp_free(&r);

    json_t *m =
        harness_wait_mail(&mail, "lee.jiwoo@seoul.example.org", "confirm your email", 30000);
    ck_assert_ptr_nonnull(m);
    const char *text = json_string_value(json_object_get(m, "text"));
    ck_assert_ptr_nonnull(strstr(text, "http://convene.test/verify-email.html?token="));
    char token[80];
    ck_assert_int_eq(harness_token_from(text, token, sizeof token), 0);
    json_decref(m);

    /* Unverified log-in works, and /api/me says so. */
    struct hsession s;
    ck_assert_int_eq(harness_login(&srv, "lee.jiwoo@seoul.example.org", PASSWORD, &s), 200);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, &s, &r), 200);
    json_t *me = json_loads(r.body, 0, NULL);
    ck_assert(json_is_false(json_object_get(me, "email_verified")));
    json_decref(me);
    hresp_free(&r);

    char body[200];
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", token);
    HEXPECT(&srv, "POST", "/api/auth/verify", body, NULL, 200, NULL);
    /* A used token fails; so does a made-up one. */
    HEXPECT(&srv, "POST", "/api/auth/verify", body, NULL, 400, "invalid_token");
    HEXPECT(&srv, "POST", "/api/auth/verify", "{\"token\":\"nope\"}", NULL, 400, NULL);

    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, &s, &r), 200);
    me = json_loads(r.body, 0, NULL);
    ck_assert(json_is_true(json_object_get(me, "email_verified")));
    ck_assert_str_eq(json_string_value(json_object_get(me, "name")), "Lee Jiwoo");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(me, "roles"), 0)),
                     "participant");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(me, "organisation"), "name")),
        "Seoul Metropolitan Government");
    json_decref(me);
    hresp_free(&r);

    /* The same address again, in other letter case: the same answer. */
    ck_assert_int_eq(signup("LEE.JIWOO@SEOUL.EXAMPLE.ORG", "Someone Else", &r), 202);
    ck_assert_str_eq(r.body, first_body);
    hresp_free(&r);
    free(first_body);
    json_t *warn =
        harness_wait_mail(&mail, "lee.jiwoo@seoul.example.org", "tried to sign up", 30000);
    ck_assert_ptr_nonnull(warn);
    json_decref(warn);
    char *count = harness_psql(DB, "SELECT count(*) FROM accounts WHERE email = "
                                   "'lee.jiwoo@seoul.example.org'");
    ck_assert_str_eq(count, "1");
    free(count);

    HEXPECT(&srv, "POST", "/api/auth/logout", NULL, &s, 204, NULL);
    HEXPECT(&srv, "GET", "/api/me", NULL, &s, 401, NULL);
    HEXPECT(&srv, "GET", "/api/me", NULL, NULL, 401, NULL);
}
END_TEST

START_TEST(wrong_password_and_unknown_email_look_the_same)
{
    verified_account("park@seoul.example.org", "Park Seoyeon");
    struct hresp a, b;
    ck_assert_int_eq(
        hcall(&srv, "POST", "/api/auth/login",
              "{\"email\":\"park@seoul.example.org\",\"password\":\"wrong password!\"}", NULL, &a),
        401);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/login",
                           "{\"email\":\"nobody@seoul.example.org\",\"password\":\"wrong "
                           "password!\"}",
                           NULL, &b),
                     401);
    ck_assert_str_eq(a.body, b.body);
    /* Unknown accounts cost a hash too (within a factor of three). */
    ck_assert_msg(b.seconds > a.seconds / 3, "known %.3f s, unknown %.3f s", a.seconds, b.seconds);
    hresp_free(&a);
    hresp_free(&b);
}
END_TEST

START_TEST(password_reset_flow)
{
    verified_account("reset.me@seoul.example.org", "Reset Me");
    struct hsession old;
    ck_assert_int_eq(harness_login(&srv, "reset.me@seoul.example.org", PASSWORD, &old), 200);

    struct hresp r;
    const char *forgot = "{\"email\":\"reset.me@seoul.example.org\"}";
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/password/forgot", forgot, NULL, &r), 202);
    char *known = strdup(r.body);
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/password/forgot",
                           "{\"email\":\"unknown@seoul.example.org\"}", NULL, &r),
                     202);
    ck_assert_str_eq(r.body, known);
    free(known);
    hresp_free(&r);

    json_t *m1 = harness_wait_mail(&mail, "reset.me@seoul.example.org", "password", 30000);
    ck_assert_ptr_nonnull(m1);
    char token1[80], token2[80], body[300];
    ck_assert_int_eq(
        harness_token_from(json_string_value(json_object_get(m1, "text")), token1, sizeof token1),
        0);
    json_decref(m1);
    /* A second request: a second token. */
    HEXPECT(&srv, "POST", "/api/auth/password/forgot", forgot, NULL, 202, NULL);
    double deadline = harness_now_ms() + 5000;
    token2[0] = '\0';
    while (harness_now_ms() < deadline && token2[0] == '\0') {
        json_t *all = harness_catcher_messages(&mail);
        size_t i;
        json_t *msg;
        json_array_foreach(all, i, msg)
        {
            char t[80];
            if (harness_token_from(json_string_value(json_object_get(msg, "text")), t, sizeof t) ==
                    0 &&
                strstr(json_string_value(json_object_get(msg, "text")), "reset-password") &&
                strcmp(t, token1) != 0)
                snprintf(token2, sizeof token2, "%s", t);
        }
        json_decref(all);
        usleep(50000);
    }
    ck_assert_str_ne(token2, "");

    /* Weak password: 422 naming the field; the token still works after. */
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"short\"}", token2);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/password/reset", body, NULL, &r), 422);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(json_object_get(j, "error"), "fields"), "password"));
    json_decref(j);
    hresp_free(&r);

    snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"a brand new passphrase\"}",
             token2);
    HEXPECT(&srv, "POST", "/api/auth/password/reset", body, NULL, 200, NULL);
    /* Used token and the older one both fail now. */
    HEXPECT(&srv, "POST", "/api/auth/password/reset", body, NULL, 400, NULL);
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"another new passphrase\"}",
             token1);
    HEXPECT(&srv, "POST", "/api/auth/password/reset", body, NULL, 400, "invalid_token");

    /* The reset ended the old session and sent a notice. */
    HEXPECT(&srv, "GET", "/api/me", NULL, &old, 401, NULL);
    json_t *notice = harness_wait_mail(&mail, "reset.me@seoul.example.org", "changed", 30000);
    ck_assert_ptr_nonnull(notice);
    json_decref(notice);
    ck_assert_int_eq(harness_login(&srv, "reset.me@seoul.example.org", PASSWORD, NULL), 401);
    struct hsession fresh;
    ck_assert_int_eq(
        harness_login(&srv, "reset.me@seoul.example.org", "a brand new passphrase", &fresh), 200);
    /* An expired token: expired_reset_token_fails. */
}
END_TEST

START_TEST(expired_reset_token_fails)
{
    verified_account("expire@seoul.example.org", "Expiry Test");
    HEXPECT(&srv, "POST", "/api/auth/password/forgot", "{\"email\":\"expire@seoul.example.org\"}",
            NULL, 202, NULL);
    json_t *m = harness_wait_mail(&mail, "expire@seoul.example.org", "password", 30000);
    ck_assert_ptr_nonnull(m);
    char token[80], body[300];
    ck_assert_int_eq(
        harness_token_from(json_string_value(json_object_get(m, "text")), token, sizeof token), 0);
    json_decref(m);
    free(harness_psql(DB, "UPDATE one_time_tokens SET expires_at = now() - interval '1 second' "
                          "WHERE purpose = 'reset_password'"));
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"a brand new passphrase\"}",
             token);
    HEXPECT(&srv, "POST", "/api/auth/password/reset", body, NULL, 400, "invalid_token");
    /* Nothing changed: the old password still works, the new one does not,
     * and the token was not used up. */
    ck_assert_int_eq(harness_login(&srv, "expire@seoul.example.org", PASSWORD, NULL), 200);
    ck_assert_int_eq(
        harness_login(&srv, "expire@seoul.example.org", "a brand new passphrase", NULL), 401);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM one_time_tokens WHERE purpose = "
                                          "'reset_password' AND used_at IS NOT NULL AND "
                                          "account_id = (SELECT id FROM accounts WHERE email = "
                                          "'expire@seoul.example.org')"),
                     0);
}
END_TEST

START_TEST(csrf_and_roles)
{
    verified_account("role.test@seoul.example.org", "Role Test");
    struct hsession s;
    struct hresp r;
    ck_assert_int_eq(harness_login(&srv, "role.test@seoul.example.org", PASSWORD, &s), 200);
    struct hsession forged = hsession_cookie_only(&s);
    /* Missing or wrong CSRF header: 403, and nothing changes. */
    HEXPECT(&srv, "PATCH", "/api/me", "{\"name\":\"Changed\"}", &forged, 403, "csrf_failed");
    struct hsession wrong = s;
    snprintf(wrong.csrf, sizeof wrong.csrf, "%s", "not-the-token");
    HEXPECT(&srv, "POST", "/api/auth/logout", NULL, &wrong, 403, "csrf_failed");
    /* Nothing changed: the name is as it was and the session still works. */
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM accounts WHERE email = "
                                          "'role.test@seoul.example.org' AND name = 'Role Test'"),
                     1);
    HEXPECT(&srv, "GET", "/api/me", NULL, &s, 200, NULL);
    HEXPECT(&srv, "PATCH", "/api/me", "{\"name\":\"Changed\"}", &s, 200, NULL);
    /* A participant is refused admin endpoints. */
    HEXPECT(&srv, "GET", "/api/admin/accounts", NULL, &s, 403, "forbidden");
    HEXPECT(&srv, "GET", "/api/admin/accounts", NULL, NULL, 401, NULL);
    HEXPECT(&srv, "GET", "/api/accounts?q=role", NULL, &s, 403, NULL);

    /* The first admin comes from the command line; the password on stdin. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "echo 'an admin passphrase here' | CONVENE_DATABASE_URL='%s' '%s' user add "
             "boss@citynet.example.org --name 'The Admin' --role admin --role staff "
             ">/dev/null 2>&1",
             harness_pg_url(DB), getenv("CONVENE_BIN"));
    ck_assert_int_eq(system(cmd), 0);
    struct hsession admin;
    ck_assert_int_eq(
        harness_login(&srv, "boss@citynet.example.org", "an admin passphrase here", &admin), 200);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/admin/accounts?q=role.test", NULL, &admin, &r), 200);
    json_t *list = json_loads(r.body, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(list, "total")), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(list, "items"), 0), "organisation"),
            "name")),
        "Seoul Metropolitan Government");
    long id = (long)json_integer_value(
        json_object_get(json_array_get(json_object_get(list, "items"), 0), "id"));
    json_decref(list);
    hresp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/staff", id);
    struct hsession forged_admin = hsession_cookie_only(&admin);
    ck_assert_int_eq(hcall(&srv, "PUT", path, NULL, &forged_admin, &r), 403); /* CSRF */
    hresp_free(&r);
    HEXPECT(&srv, "PUT", path, NULL, &admin, 200, NULL);
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/wizard", id);
    HEXPECT(&srv, "PUT", path, NULL, &admin, 404, NULL);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, &s, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"staff\""));
    hresp_free(&r);
    /* Now staff, the account may search accounts (not the admin list). */
    ck_assert_int_eq(hcall(&srv, "GET", "/api/accounts?q=boss%40citynet", NULL, &s, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "boss@citynet.example.org"));
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/admin/accounts", NULL, &s, 403, NULL);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/admin/audit?action=role.", NULL, &admin, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "role.granted"));
    hresp_free(&r);

    /* The outbox: admins list it and send a failed mail again. */
    char *failed_id = harness_psql(
        DB, "INSERT INTO mail_outbox (template, to_address, to_name, vars, status, attempts, "
            "last_error) VALUES ('password_changed', 'retry.me@seoul.example.org', 'Retry Me', "
            "'{\"name\": \"Retry Me\"}', 'failed', 10, 'smtp: gave up') RETURNING id");
    ck_assert_ptr_nonnull(failed_id);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/admin/outbox?status=failed", NULL, &admin, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "retry.me@seoul.example.org"));
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/admin/outbox?status=lost", NULL, &admin, 400, NULL);
    HEXPECT(&srv, "GET", "/api/admin/outbox", NULL, &s, 403, NULL);
    snprintf(path, sizeof path, "/api/admin/outbox/%s/retry", failed_id);
    HEXPECT(&srv, "POST", path, NULL, &admin, 200, NULL);
    json_t *again = harness_wait_mail(&mail, "retry.me@seoul.example.org", NULL, 30000);
    ck_assert_msg(again != NULL, "the retried mail did not arrive");
    json_decref(again);
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &admin, &r), 404); /* not failed any more */
    hresp_free(&r);
    free(failed_id);
}
END_TEST

START_TEST(sessions_can_be_listed_and_revoked)
{
    verified_account("two.devices@seoul.example.org", "Two Devices");
    struct hsession a, b;
    struct hresp r;
    ck_assert_int_eq(harness_login(&srv, "two.devices@seoul.example.org", PASSWORD, &a), 200);
    ck_assert_int_eq(harness_login(&srv, "two.devices@seoul.example.org", PASSWORD, &b), 200);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me/sessions", NULL, &a, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    long other = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (json_is_false(json_object_get(it, "current")))
            other = (long)json_integer_value(json_object_get(it, "id"));
    }
    json_decref(j);
    hresp_free(&r);
    ck_assert_int_gt(other, 0);
    char path[64];
    snprintf(path, sizeof path, "/api/me/sessions/%ld", other);
    HEXPECT(&srv, "DELETE", path, NULL, &a, 204, NULL);
    HEXPECT(&srv, "GET", "/api/me", NULL, &b, 401, NULL);
    HEXPECT(&srv, "GET", "/api/me", NULL, &a, 200, NULL);
    /* Someone else's session is not found, and stays live. */
    verified_account("someone.else@seoul.example.org", "Someone Else");
    struct hsession theirs;
    ck_assert_int_eq(harness_login(&srv, "someone.else@seoul.example.org", PASSWORD, &theirs), 200);
    long their_id = harness_sql_long(DB, "SELECT max(id) FROM sessions WHERE account_id = (SELECT "
                                         "id FROM accounts WHERE email = "
                                         "'someone.else@seoul.example.org')");
    snprintf(path, sizeof path, "/api/me/sessions/%ld", their_id);
    HEXPECT(&srv, "DELETE", path, NULL, &a, 404, "not_found");
    HEXPECT(&srv, "GET", "/api/me", NULL, &theirs, 200, NULL);
}
END_TEST

START_TEST(profile_fields_can_be_changed_and_cleared)
{
    verified_account("profile@seoul.example.org", "Profile Test");
    struct hsession s;
    struct hresp r;
    ck_assert_int_eq(harness_login(&srv, "profile@seoul.example.org", PASSWORD, &s), 200);
    ck_assert_int_eq(hcall(&srv, "PATCH", "/api/me",
                           "{\"name\":\"김민준\",\"position\":\"Planner\",\"locale\":\"KO\"}", &s,
                           &r),
                     200);
    json_t *me = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(me, "name")), "김민준");
    ck_assert_str_eq(json_string_value(json_object_get(me, "locale")), "ko");
    ck_assert_ptr_nonnull(json_object_get(me, "organisation"));
    ck_assert(!json_is_null(json_object_get(me, "organisation")));
    json_decref(me);
    hresp_free(&r);
    /* null clears; absent leaves alone. */
    ck_assert_int_eq(
        hcall(&srv, "PATCH", "/api/me", "{\"position\":null,\"organisation_id\":null}", &s, &r),
        200);
    me = json_loads(r.body, 0, NULL);
    ck_assert(json_is_null(json_object_get(me, "position")));
    ck_assert(json_is_null(json_object_get(me, "organisation")));
    ck_assert_str_eq(json_string_value(json_object_get(me, "name")), "김민준");
    json_decref(me);
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "PATCH", "/api/me", "{\"name\":null}", &s, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "김민준")); /* a name cannot be cleared */
    hresp_free(&r);
    HEXPECT(&srv, "PATCH", "/api/me", "{\"organisation_id\":424242}", &s, 422, NULL);
}
END_TEST

START_TEST(validation_errors_name_fields)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/signup",
                           "{\"email\":\"not-an-email\",\"password\":\"short\",\"name\":\"\","
                           "\"organisation_id\":999999,\"locale\":\"Klingon!\"}",
                           NULL, &r),
                     422);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *fields = json_object_get(json_object_get(j, "error"), "fields");
    ck_assert_ptr_nonnull(json_object_get(fields, "email"));
    ck_assert_ptr_nonnull(json_object_get(fields, "password"));
    ck_assert_ptr_nonnull(json_object_get(fields, "name"));
    ck_assert_ptr_nonnull(json_object_get(fields, "locale"));
    json_decref(j);
    hresp_free(&r);
    /* Wrong types are field errors too, not 500s. */
    HEXPECT(&srv, "POST", "/api/auth/signup",
            "{\"email\":42,\"password\":[],\"name\":{},\"organisation_id\":\"x\"}", NULL, 422,
            NULL);
    /* A name with CR/LF never reaches a mail header. */
    HEXPECT(&srv, "POST", "/api/auth/signup",
            "{\"email\":\"crlf@seoul.example.org\",\"password\":\"" PASSWORD
            "\",\"name\":\"Eve\\r\\nBcc: evil@example.org\"}",
            NULL, 422, NULL);
    /* The password may not be the email or the name. */
    HEXPECT(&srv, "POST", "/api/auth/signup",
            "{\"email\":\"same.as.pw@seoul.example.org\",\"password\":"
            "\"same.as.pw@seoul.example.org\",\"name\":\"Same\"}",
            NULL, 422, NULL);
}
END_TEST

START_TEST(non_latin_names_arrive_intact)
{
    const char *names[] = {"김민준", "สมชาย ใจดี", "अमित शर्मा"};
    const char *emails[] = {"kim.minjun@seoul.example.org", "somchai@bangkok.example.org",
                            "amit@kathmandu.example.org"};
    for (int i = 0; i < 3; i++) {
        struct hresp r;
        ck_assert_int_eq(signup(emails[i], names[i], &r), 202);
        hresp_free(&r);
    }
    for (int i = 0; i < 3; i++) {
        json_t *m = harness_wait_mail(&mail, emails[i], "confirm your email", 30000);
        ck_assert_msg(m != NULL, "no mail for %s", emails[i]);
        const char *subject = json_string_value(json_object_get(m, "subject"));
        const char *text = json_string_value(json_object_get(m, "text"));
        const char *html = json_string_value(json_object_get(m, "html"));
        char *to = json_dumps(json_object_get(m, "to"), JSON_ENCODE_ANY);
        ck_assert_msg(strstr(subject, names[i]) != NULL, "subject: %s", subject);
        ck_assert_msg(strstr(text, names[i]) != NULL, "text lacks %s", names[i]);
        ck_assert_msg(strstr(html, names[i]) != NULL, "html lacks %s", names[i]);
        ck_assert_msg(strstr(json_string_value(json_object_get(m, "to")), names[i]) != NULL,
                      "To: %s", to);
        free(to);
        json_decref(m);
    }
}
END_TEST

START_TEST(failed_logins_are_rate_limited_per_account)
{
    verified_account("target@seoul.example.org", "Target");
    verified_account("bystander@seoul.example.org", "Bystander");
    int limited_at = 0;
    for (int i = 1; i <= 20; i++) {
        long st = harness_login(&srv, "target@seoul.example.org", "not the password", NULL);
        if (st == 429 && limited_at == 0)
            limited_at = i;
        ck_assert(st == 401 || st == 429);
    }
    ck_assert_msg(limited_at > 0 && limited_at <= 20, "never limited");
    /* Even the right password waits now; Retry-After says how long. */
    struct hresp r;
    char body[200], ra[32];
    snprintf(body, sizeof body, "{\"email\":\"target@seoul.example.org\",\"password\":\"%s\"}",
             PASSWORD);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/login", body, NULL, &r), 429);
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", ra, sizeof ra));
    ck_assert_int_gt(atoi(ra), 0);
    hresp_free(&r);
    /* Other accounts are unaffected. */
    struct hsession s;
    ck_assert_int_eq(harness_login(&srv, "bystander@seoul.example.org", PASSWORD, &s), 200);
}
END_TEST

START_TEST(mail_waits_while_smtp_is_down)
{
    harness_catcher_stop(&mail);
    const char *emails[] = {"down1@seoul.example.org", "down2@seoul.example.org",
                            "down3@seoul.example.org"};
    for (int i = 0; i < 3; i++) {
        struct hresp r;
        ck_assert_int_eq(signup(emails[i], "Outage Test", &r), 202);
        hresp_free(&r);
    }
    /* The sign-ups succeeded; their mail waits in the outbox after a
     * failed attempt. */
    WAIT_UNTIL(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE to_address LIKE "
                                    "'down_@seoul.example.org' AND status <> 'sent' "
                                    "AND attempts >= 1 AND last_error LIKE 'smtp:%'") == 3,
               15000);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    /* Once all three rows are sent no sender takes them again: then each
     * address has exactly one message. */
    WAIT_UNTIL(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE to_address LIKE "
                                    "'down_@seoul.example.org' AND status = 'sent'") == 3,
               30000);
    for (int i = 0; i < 3; i++) {
        WAIT_UNTIL(harness_count_mail(&mail, emails[i]) >= 1, 10000);
        ck_assert_int_eq(harness_count_mail(&mail, emails[i]), 1);
    }
}
END_TEST

/* ---- Log-in flood ---- */

struct flood_arg {
    int n;
};

static void *flood_logins(void *p)
{
    struct flood_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        struct hresp r;
        const char *h[] = {"Content-Type: application/json", NULL};
        const char *body = "{\"email\":\"flood@seoul.example.org\",\"password\":\"" PASSWORD "\"}";
        hreq(&srv, "POST", "/api/auth/login", h, body, strlen(body), &r);
        hresp_free(&r);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(login_flood_keeps_the_server_responsive)
{
    verified_account("flood@seoul.example.org", "Flood Test");
    long rss_before = harness_rss_kb(srv.pid);
    enum { THREADS = 32, PER = 4, PROBES = 200 };
    pthread_t t[THREADS];
    struct flood_arg arg = {.n = PER};
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, flood_logins, &arg);
    double lat[PROBES];
    long rss_peak = 0;
    for (int i = 0; i < PROBES; i++) {
        struct hresp r;
        ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
        ck_assert_int_eq(r.status, 200);
        lat[i] = r.seconds * 1000;
        hresp_free(&r);
        long rss = harness_rss_kb(srv.pid);
        if (rss > rss_peak)
            rss_peak = rss;
        usleep(10000);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    qsort(lat, PROBES, sizeof lat[0], cmp_double);
    double p50 = lat[PROBES / 2], p99 = lat[PROBES * 99 / 100];
    fprintf(stderr,
            "login flood: %d threads x %d logins; healthz p50 %.2f ms p99 %.2f ms; RSS %ld -> "
            "peak %ld KiB\n",
            THREADS, PER, p50, p99, rss_before, rss_peak);
    /* Every probe was answered while 128 hashes queued behind the hash
     * limit: health checks never wait for a hash. The median shows it on a
     * loaded machine too; the p99 target (50 ms on an otherwise idle
     * machine) is measured by bench/run.sh, not asserted here. */
    double worst = lat[PROBES - 1];
    ck_assert_msg(worst < 2000.0, "a healthz probe took %.1f ms during the flood", worst);
#if !defined(__SANITIZE_ADDRESS__)
    ck_assert_msg(p50 < 50.0, "healthz p50 %.1f ms during the flood", p50);
#endif
    (void)p99;
    /* Hashes in flight are bounded: memory cannot grow with the flood
     * (19 MiB per hash, at most hash_concurrency at once). */
    ck_assert_msg(rss_peak - rss_before < 160 * 1024, "RSS grew by %ld KiB", rss_peak - rss_before);
}
END_TEST

START_TEST(stronger_limits_rehash_at_login_and_https_cookies_are_host_only)
{
    verified_account("rehash@seoul.example.org", "Rehash Test");
    char *before = harness_psql(DB, "SELECT password_hash FROM accounts WHERE email = "
                                    "'rehash@seoul.example.org'");
    ck_assert_ptr_nonnull(strstr(before, "t=2,"));
    /* A second node with more Argon2id iterations, behind https. */
    struct server s2;
    const char *env[] = {"CONVENE_ARGON2_OPSLIMIT=3", "CONVENE_BASE_URL=https://convene.test",
                         "CONVENE_MAIL_SENDERS=0", NULL};
    ck_assert_int_eq(harness_server_start(&s2, DB, env), 0);
    struct hresp r;
    const char *h[] = {"Content-Type: application/json", NULL};
    const char *body = "{\"email\":\"rehash@seoul.example.org\",\"password\":\"" PASSWORD "\"}";
    ck_assert_int_eq(hreq(&s2, "POST", "/api/auth/login", h, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 200);
    char cookie[300];
    ck_assert_ptr_nonnull(hresp_header(&r, "Set-Cookie", cookie, sizeof cookie));
    ck_assert(strncmp(cookie, "__Host-convene_session=", 23) == 0);
    ck_assert_ptr_nonnull(strstr(cookie, "; Secure"));
    ck_assert_ptr_nonnull(strstr(cookie, "Path=/"));
    hresp_free(&r);
    harness_server_stop(&s2);
    char *after = harness_psql(DB, "SELECT password_hash FROM accounts WHERE email = "
                                   "'rehash@seoul.example.org'");
    ck_assert_ptr_nonnull(strstr(after, "t=3,"));
    free(before);
    free(after);
    /* The old limits still verify the new hash. */
    ck_assert_int_eq(harness_login(&srv, "rehash@seoul.example.org", PASSWORD, NULL), 200);
}
END_TEST

START_TEST(command_line_passwd_and_signup_limits)
{
    verified_account("cli.pw@seoul.example.org", "Cli Password");
    struct hsession s;
    ck_assert_int_eq(harness_login(&srv, "cli.pw@seoul.example.org", PASSWORD, &s), 200);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "echo 'a password from the shell' | CONVENE_DATABASE_URL='%s' '%s' user passwd "
             "cli.pw@seoul.example.org >/dev/null 2>&1",
             harness_pg_url(DB), getenv("CONVENE_BIN"));
    ck_assert_int_eq(system(cmd), 0);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, &s, &r), 401); /* sessions ended */
    hresp_free(&r);
    ck_assert_int_eq(
        harness_login(&srv, "cli.pw@seoul.example.org", "a password from the shell", NULL), 200);
    /* Too short on the command line: refused with status 2. */
    snprintf(cmd, sizeof cmd,
             "echo 'short' | CONVENE_DATABASE_URL='%s' '%s' user passwd "
             "cli.pw@seoul.example.org >/dev/null 2>&1",
             harness_pg_url(DB), getenv("CONVENE_BIN"));
    int st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    /* Sign-ups for one address are limited (5 an hour). */
    int limited = 0;
    for (int i = 0; i < 7; i++) {
        long code = signup("many.signups@seoul.example.org", "Many Signups", &r);
        if (code == 429)
            limited++;
        else
            ck_assert_int_eq(code, 202);
        hresp_free(&r);
    }
    ck_assert_int_eq(limited, 2);
}
END_TEST

/* ---- Hardening (issue 9) and routes without a test before (issue 8) ---- */

/* The value of convene_password_hashes_total in /metrics. */
static long hashes_so_far(void)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    const char *line = strstr(r.body, "\nconvene_password_hashes_total ");
    ck_assert_msg(line != NULL, "no convene_password_hashes_total in /metrics");
    long v = strtol(line + strlen("\nconvene_password_hashes_total "), NULL, 10);
    hresp_free(&r);
    return v;
}

/* `convene user add` with a password on stdin; org may be NULL. */
static void cli_user_add(const char *email, const char *name, const char *roles, const char *org)
{
    char cmd[1200], orgopt[64] = "";
    if (org)
        snprintf(orgopt, sizeof orgopt, "--organisation %s", org);
    snprintf(cmd, sizeof cmd,
             "echo '" PASSWORD "' | CONVENE_DATABASE_URL='%s' '%s' user add %s --name '%s' %s "
             "%s >/dev/null 2>&1",
             harness_pg_url(DB), getenv("CONVENE_BIN"), email, name, roles, orgopt);
    ck_assert_int_eq(system(cmd), 0);
}

static long account_id(const char *email)
{
    return harness_sql_longf(DB, "SELECT id FROM accounts WHERE email = '%s'", email);
}

START_TEST(reset_checks_the_token_before_hashing_and_is_limited)
{
    struct hresp r;
    long before = hashes_so_far();
    const char *bad = "{\"token\":\"aW52ZW50ZWQtdG9rZW4tdGhhdC1kb2VzLW5vdC1leGlzdA\","
                      "\"password\":\"a perfectly good passphrase\"}";
    for (int i = 1; i <= 20; i++) {
        HEXPECT(&srv, "POST", "/api/auth/password/reset", bad, NULL, 400, "invalid_token");
    }
    /* Not one hash for a token that does not exist. */
    ck_assert_int_eq(hashes_so_far(), before);
    char ra[32];
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/password/reset", bad, NULL, &r), 429);
    ck_assert_str_eq(herr_code(&r), "rate_limited");
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", ra, sizeof ra));
    ck_assert_int_gt(atoi(ra), 0);
    hresp_free(&r);
    ck_assert_int_eq(hashes_so_far(), before);
    /* Another address is not limited by this one. */
    harness_new_client();
    HEXPECT(&srv, "POST", "/api/auth/password/reset", bad, NULL, 400, NULL);
    /* Unknown members are refused before anything else. */
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/password/reset",
                           "{\"token\":\"x\",\"password\":\"a perfectly good passphrase\","
                           "\"email\":\"x@example.org\"}",
                           NULL, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "email"), "unknown_member");
    hresp_free(&r);
}
END_TEST

struct parallel_login {
    const char *email;
    long status;
};

static void *one_login(void *p)
{
    struct parallel_login *a = p;
    char body[300];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"not the right password\"}",
             a->email);
    /* All threads come from this test's one client address. */
    const char *h[] = {"Content-Type: application/json", NULL};
    struct hresp r;
    a->status =
        hreq(&srv, "POST", "/api/auth/login", h, body, strlen(body), &r) == 0 ? r.status : -1;
    if (a->status >= 0)
        hresp_free(&r);
    return NULL;
}

START_TEST(parallel_wrong_passwords_cannot_pass_the_limit)
{
    verified_account("parallel@seoul.example.org", "Parallel Target");
    long before = hashes_so_far();
    enum { THREADS = 40 };
    pthread_t t[THREADS];
    struct parallel_login a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (struct parallel_login){"parallel@seoul.example.org", 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, one_login, &a[i]), 0);
    }
    int n401 = 0, n429 = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        n401 += a[i].status == 401;
        n429 += a[i].status == 429;
    }
    ck_assert_msg(n401 >= 1 && n401 <= 10, "%d answers were 401 (limit 10)", n401);
    ck_assert_msg(n401 + n429 == THREADS, "401: %d, 429: %d of %d", n401, n429, THREADS);
    /* Refused attempts cost no hash. */
    ck_assert_int_le(hashes_so_far() - before, 10);
}
END_TEST

START_TEST(an_attacker_cannot_lock_the_owner_out)
{
    /* The owner uses the test's first client address, the attacker its
     * second. */
    verified_account("victim@seoul.example.org", "Victim Owner");
    /* The attacker varies case and padding: all one account. */
    harness_use_client(1);
    const char *forms[] = {"victim@seoul.example.org", "VICTIM@Seoul.Example.ORG",
                           "  victim@seoul.example.org  "};
    struct hresp r;
    for (int i = 1; i <= 15; i++) {
        char body[300];
        snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"guess number %d!\"}",
                 forms[i % 3], i);
        long st = hcall(&srv, "POST", "/api/auth/login", body, NULL, &r);
        ck_assert_msg(st == (i <= 10 ? 401 : 429), "attempt %d: %ld", i, st);
        if (st == 429)
            ck_assert_str_eq(herr_code(&r), "rate_limited");
        hresp_free(&r);
    }
    /* Even the right password waits from the attacker's address... */
    ck_assert_int_eq(harness_login(&srv, "victim@seoul.example.org", PASSWORD, NULL), 429);
    /* ...but the owner, elsewhere, gets in. */
    harness_use_client(0);
    struct hsession s;
    ck_assert_int_eq(harness_login(&srv, "victim@seoul.example.org", PASSWORD, &s), 200);
    /* The owner is told, once for the window. */
    json_t *m = harness_wait_mail(&mail, "victim@seoul.example.org", "trying to log in", 30000);
    ck_assert_msg(m != NULL, "no warning mail");
    json_decref(m);
    harness_use_client(1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(harness_login(&srv, "Victim@seoul.example.org", "yet another guess", NULL),
                         429);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE template = "
                                          "'account_under_attack' AND to_address = "
                                          "'victim@seoul.example.org'"),
                     1);
    ck_assert_int_eq(harness_sql_long(DB,
                                      "SELECT count(*) FROM audit_log WHERE action = "
                                      "'login.owner_warned' AND target_id = (SELECT id::text FROM "
                                      "accounts WHERE email = 'victim@seoul.example.org')"),
                     1);
    ck_assert_int_eq(
        harness_sql_longf(
            DB, "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND ip = '%s'",
            harness_client_addr()),
        10);
}
END_TEST

START_TEST(changing_the_password)
{
    verified_account("changer@seoul.example.org", "Password Changer");
    struct hsession a, b;
    struct hresp r;
    ck_assert_int_eq(harness_login(&srv, "changer@seoul.example.org", PASSWORD, &a), 200);
    ck_assert_int_eq(harness_login(&srv, "changer@seoul.example.org", PASSWORD, &b), 200);
    struct hsession forged = hsession_cookie_only(&a);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/me/password",
                           "{\"current_password\":\"not it at all\",\"new_password\":\"a new "
                           "and long passphrase\"}",
                           &a, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "current_password"), "wrong_password");
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/me/password",
                           "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"a new "
                           "and long passphrase\",\"confirm\":\"x\"}",
                           &a, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "confirm"), "unknown_member");
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/me/password",
                           "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"a new "
                           "and long passphrase\"}",
                           &forged, &r),
                     403); /* CSRF */
    hresp_free(&r);
    HEXPECT(&srv, "POST", "/api/me/password",
            "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"a new "
            "and long passphrase\"}",
            &a, 200, NULL);
    /* The other session ended, this one lives, a notice was sent. */
    HEXPECT(&srv, "GET", "/api/me", NULL, &b, 401, NULL);
    HEXPECT(&srv, "GET", "/api/me", NULL, &a, 200, NULL);
    json_t *m = harness_wait_mail(&mail, "changer@seoul.example.org", "changed", 30000);
    ck_assert_msg(m != NULL, "no password-changed mail");
    json_decref(m);
    ck_assert_int_eq(
        harness_login(&srv, "changer@seoul.example.org", "a new and long passphrase", NULL), 200);
    /* Guessing the current password is limited per account and address
     * (two counted so far), before any hash. */
    long st = 0;
    int i = 0;
    for (; i < 12 && st != 429; i++) {
        st = hcall(&srv, "POST", "/api/me/password",
                   "{\"current_password\":\"guessing\",\"new_password\":\"yet another "
                   "passphrase\"}",
                   &a, &r);
        hresp_free(&r);
    }
    ck_assert_int_eq(st, 429);
    ck_assert_int_eq(i, 9);
}
END_TEST

START_TEST(revoking_a_role)
{
    cli_user_add("root.revoker@citynet.example.org", "Root Revoker", "--role admin", NULL);
    verified_account("judge.once@seoul.example.org", "Judge Once");
    struct hsession admin;
    struct hresp r;
    ck_assert_int_eq(harness_login(&srv, "root.revoker@citynet.example.org", PASSWORD, &admin),
                     200);
    long id = account_id("judge.once@seoul.example.org");
    char path[128];
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/judge", id);
    HEXPECT(&srv, "PUT", path, NULL, &admin, 200, NULL);
    ck_assert_int_eq(hcall(&srv, "DELETE", path, NULL, &admin, &r), 200);
    ck_assert_ptr_null(strstr(r.body, "\"judge\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"participant\""));
    hresp_free(&r);
    ck_assert_int_eq(
        harness_sql_longf(
            DB, "SELECT count(*) FROM account_roles WHERE account_id = %ld AND role = 'judge'", id),
        0);
    /* Revoking what is not held changes nothing and logs nothing. */
    HEXPECT(&srv, "DELETE", path, NULL, &admin, 200, NULL);
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE action = 'role.revoked' AND target_id = '%ld' "
            "AND details->>'role' = 'judge'",
            id),
        1);
    /* An admin cannot drop their own admin role; unknown accounts are 404. */
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/admin",
             account_id("root.revoker@citynet.example.org"));
    HEXPECT(&srv, "DELETE", path, NULL, &admin, 409, NULL);
    HEXPECT(&srv, "DELETE", "/api/admin/accounts/99999999/roles/judge", NULL, &admin, 404,
            "not_found");
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/judge", id);
    HEXPECT(&srv, "DELETE", path, NULL, NULL, 401, NULL);
}
END_TEST

START_TEST(verify_and_resend)
{
    struct hresp r;
    ck_assert_int_eq(signup("resend.me@seoul.example.org", "Resend Me", &r), 202);
    hresp_free(&r);
    json_t *m =
        harness_wait_mail(&mail, "resend.me@seoul.example.org", "confirm your email", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    /* A second link on request; the answer says nothing about the account. */
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/verify/resend",
                           "{\"email\":\"resend.me@seoul.example.org\"}", NULL, &r),
                     202);
    char *known = strdup(r.body);
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/verify/resend",
                           "{\"email\":\"nobody.here@seoul.example.org\"}", NULL, &r),
                     202);
    ck_assert_str_eq(r.body, known);
    free(known);
    hresp_free(&r);
    double deadline = harness_now_ms() + 5000;
    while (harness_count_mail(&mail, "resend.me@seoul.example.org") < 2 &&
           harness_now_ms() < deadline)
        usleep(50000);
    ck_assert_int_eq(harness_count_mail(&mail, "resend.me@seoul.example.org"), 2);
    /* The newest link verifies; used again, it is refused. */
    json_t *all = harness_catcher_messages(&mail);
    char token[80] = "", body[200];
    size_t i;
    json_t *msg;
    json_array_foreach(all, i, msg)
    {
        const char *to = json_string_value(json_object_get(msg, "to"));
        if (to && strstr(to, "resend.me@seoul.example.org"))
            harness_token_from(json_string_value(json_object_get(msg, "text")), token,
                               sizeof token);
    }
    json_decref(all);
    ck_assert_str_ne(token, "");
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", token);
    HEXPECT(&srv, "POST", "/api/auth/verify", body, NULL, 200, NULL);
    HEXPECT(&srv, "POST", "/api/auth/verify", body, NULL, 400, "invalid_token");
    HEXPECT(&srv, "POST", "/api/auth/verify", "{\"token\":\"made-up\"}", NULL, 400,
            "invalid_token");
    HEXPECT(&srv, "POST", "/api/auth/verify", "{}", NULL, 400, "invalid_token");
    ck_assert_int_eq(
        hcall(&srv, "POST", "/api/auth/verify", "{\"token\":\"x\",\"extra\":1}", NULL, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "extra"), "unknown_member");
    hresp_free(&r);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM accounts WHERE email = "
                             "'resend.me@seoul.example.org' AND email_verified_at IS NOT NULL"),
        1);
    /* Verified now: a resend queues nothing. */
    long queued = harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE to_address = "
                                       "'resend.me@seoul.example.org'");
    HEXPECT(&srv, "POST", "/api/auth/verify/resend", "{\"email\":\"resend.me@seoul.example.org\"}",
            NULL, 202, NULL);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE to_address = "
                                          "'resend.me@seoul.example.org'"),
                     queued);
}
END_TEST

START_TEST(organisations_are_listed)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/organisations", NULL, NULL, &r), 200);
    char cc[64];
    ck_assert_ptr_nonnull(hresp_header(&r, "Cache-Control", cc, sizeof cc));
    ck_assert_ptr_nonnull(strstr(cc, "max-age"));
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *items = json_object_get(j, "items");
    ck_assert_int_eq(json_array_size(items),
                     harness_sql_long(DB, "SELECT count(*) FROM organisations"));
    /* Sorted by name, with the documented members. */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "name")),
                     "CityNet Secretariat");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "kind")),
                     "secretariat");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "city")), "Seoul");
    json_decref(j);
    hresp_free(&r);
}
END_TEST

START_TEST(a_trusted_proxy_gives_the_client_address)
{
    char addr[32];
    snprintf(addr, sizeof addr, "%s", harness_client_addr());
    verified_account("proxied@seoul.example.org", "Proxied Person");
    struct hsession s;
    struct hresp r;
    ck_assert_int_eq(harness_login(&srv, "proxied@seoul.example.org", PASSWORD, &s), 200);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me/sessions", NULL, &s, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "ip")),
        addr);
    json_decref(j);
    hresp_free(&r);
    ck_assert_int_eq(
        harness_sql_longf(
            DB, "SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' AND ip = '%s'",
            addr),
        1);
    /* A server that does not trust this proxy (it trusts another address
     * only) ignores the header. */
    struct server s2;
    const char *env[] = {"CONVENE_MAIL_SENDERS=0", "CONVENE_TRUSTED_PROXIES=192.0.2.1", NULL};
    ck_assert_int_eq(harness_server_start(&s2, DB, env), 0);
    const char *h[] = {"Content-Type: application/json", "X-Forwarded-For: 127.0.0.29", NULL};
    const char *body = "{\"email\":\"proxied@seoul.example.org\",\"password\":\"" PASSWORD "\"}";
    ck_assert_int_eq(hreq(&s2, "POST", "/api/auth/login", h, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
    ck_assert_int_eq(harness_server_stop(&s2), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM sessions WHERE ip = '127.0.0.29'"),
                     0);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' "
                             "AND ip = '127.0.0.1' AND target_id = (SELECT id::text FROM "
                             "accounts WHERE email = 'proxied@seoul.example.org')"),
        1);
}
END_TEST

START_TEST(bodies_are_strict)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/signup",
                           "{\"email\":\"strict@seoul.example.org\",\"password\":\"" PASSWORD
                           "\",\"name\":\"Strict\",\"roles\":[\"admin\"]}",
                           NULL, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "roles"), "unknown_member");
    hresp_free(&r);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM accounts WHERE email = "
                                          "'strict@seoul.example.org'"),
                     0);
    ck_assert_int_eq(hcall(&srv, "POST", "/api/auth/login",
                           "{\"email\":\"strict@seoul.example.org\",\"password\":\"x\","
                           "\"remember\":true}",
                           NULL, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "remember"), "unknown_member");
    hresp_free(&r);
    HEXPECT(&srv, "POST", "/api/auth/password/forgot",
            "{\"email\":\"strict@seoul.example.org\",\"x\":1}", NULL, 422, NULL);
    verified_account("strict@seoul.example.org", "Strict");
    struct hsession s;
    ck_assert_int_eq(harness_login(&srv, "strict@seoul.example.org", PASSWORD, &s), 200);
    ck_assert_int_eq(hcall(&srv, "PATCH", "/api/me",
                           "{\"email\":\"other@seoul.example.org\",\"roles\":[\"admin\"],"
                           "\"name\":\"Changed\",\"bogus\":1}",
                           &s, &r),
                     422);
    ck_assert_str_eq(herr_field_code(&r, "email"), "read_only");
    ck_assert_str_eq(herr_field_code(&r, "roles"), "read_only");
    ck_assert_str_eq(herr_field_code(&r, "bogus"), "unknown_member");
    hresp_free(&r);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM accounts WHERE email = "
                                          "'strict@seoul.example.org' AND name = 'Strict'"),
                     1);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM account_roles r JOIN accounts a ON a.id = "
                             "r.account_id WHERE a.email = 'strict@seoul.example.org' AND "
                             "r.role = 'admin'"),
        0);
}
END_TEST

/* The paginated lists check the caller before the query: a stranger gets
 * 401 and a caller without the role 403, even for a bad page, filter or
 * status; only an allowed caller learns the query is wrong (400). */
START_TEST(lists_check_the_caller_first)
{
    cli_user_add("lists.admin@citynet.example.org", "Lists Admin", "--role admin", NULL);
    cli_user_add("lists.staff@citynet.example.org", "Lists Staff", "--role staff", NULL);
    verified_account("lists.person@seoul.example.org", "Lists Person");
    struct hsession admin, staff, person;
    ck_assert_int_eq(harness_login(&srv, "lists.admin@citynet.example.org", PASSWORD, &admin), 200);
    ck_assert_int_eq(harness_login(&srv, "lists.staff@citynet.example.org", PASSWORD, &staff), 200);
    ck_assert_int_eq(harness_login(&srv, "lists.person@seoul.example.org", PASSWORD, &person), 200);
    struct {
        const char *path;
        const struct hsession *allowed;
    } cases[] = {
        {"/api/admin/accounts?page=0", &admin},    {"/api/admin/accounts?per_page=abc", &admin},
        {"/api/accounts?page=0", &staff},          {"/api/admin/audit?page=-1", &admin},
        {"/api/admin/outbox?status=nope", &admin}, {"/api/admin/outbox?page=0", &admin},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        HEXPECT(&srv, "GET", cases[i].path, NULL, NULL, 401, "unauthenticated");
        HEXPECT(&srv, "GET", cases[i].path, NULL, &person, 403, "forbidden");
        HEXPECT(&srv, "GET", cases[i].path, NULL, cases[i].allowed, 400, "bad_request");
    }
}
END_TEST

/* The ids in the items of GET path as s, in order, into ids (at most n);
 * returns the total the answer gives. */
static long list_ids(const char *path, const struct hsession *s, long *ids, size_t n, size_t *count)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", path, NULL, s, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *items = json_object_get(j, "items");
    *count = json_array_size(items);
    for (size_t i = 0; i < *count && i < n; i++)
        ids[i] = (long)json_integer_value(json_object_get(json_array_get(items, i), "id"));
    long total = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    hresp_free(&r);
    return total;
}

/* Staff narrow the account list by role and by confirmed organisation;
 * any other value is 400. */
START_TEST(account_list_filters)
{
    cli_user_add("filters-staff@citynet.example.org", "Filters Staff", "--role staff", NULL);
    struct hsession staff;
    ck_assert_int_eq(harness_login(&srv, "filters-staff@citynet.example.org", PASSWORD, &staff),
                     200);
    long seoul = org_id("Seoul Metropolitan Government");
    long judge = harness_sql_longf(
        DB,
        "WITH a AS (INSERT INTO accounts (email, password_hash, name, organisation_id, "
        "organisation_confirmed_at) VALUES ('filters-judge@x.example.org', 'x', 'J', %ld, now()) "
        "RETURNING id), r AS (INSERT INTO account_roles (account_id, role) SELECT id, 'judge' "
        "FROM a) SELECT id FROM a",
        seoul);
    long member = harness_sql_longf(
        DB,
        "INSERT INTO accounts (email, password_hash, name, organisation_id) VALUES "
        "('filters-member@x.example.org', 'x', 'M', %ld) RETURNING id",
        seoul);
    long me = account_id("filters-staff@citynet.example.org");
    long ids[8];
    size_t n;
    ck_assert_int_eq(list_ids("/api/accounts?q=filters-", &staff, ids, 8, &n), 3);
    ck_assert_int_eq(list_ids("/api/accounts?q=filters-&role=judge", &staff, ids, 8, &n), 1);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], judge);
    ck_assert_int_eq(list_ids("/api/accounts?q=filters-&role=staff", &staff, ids, 8, &n), 1);
    ck_assert_int_eq(ids[0], me);
    ck_assert_int_eq(
        list_ids("/api/accounts?q=filters-&organisation_confirmed=true", &staff, ids, 8, &n), 1);
    ck_assert_int_eq(ids[0], judge);
    ck_assert_int_eq(
        list_ids("/api/accounts?q=filters-&organisation_confirmed=false", &staff, ids, 8, &n), 2);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], me);
    ck_assert_int_eq(ids[1], member);
    ck_assert_int_eq(list_ids("/api/accounts?q=filters-&role=judge&organisation_confirmed=false",
                              &staff, ids, 8, &n),
                     0);
    ck_assert_int_eq(n, 0);
    /* Past the last page the total still counts the filtered accounts. */
    ck_assert_int_eq(list_ids("/api/accounts?q=filters-&organisation_confirmed=false&page=9",
                              &staff, ids, 8, &n),
                     2);
    ck_assert_int_eq(n, 0);
    const char *bad[] = {"/api/accounts?role=boss",
                         "/api/accounts?role=",
                         "/api/accounts?role=JUDGE",
                         "/api/accounts?organisation_confirmed=yes",
                         "/api/accounts?organisation_confirmed=",
                         "/api/accounts?organisation_confirmed=1",
                         "/api/accounts?role=%ff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        HEXPECT(&srv, "GET", bad[i], NULL, &staff, 400, "bad_request");
}
END_TEST

/* Account routes that take no body accept none or an empty object and
 * refuse any member (422 unknown_member), changing nothing. */
START_TEST(body_less_routes_refuse_members)
{
    cli_user_add("nobody.admin@citynet.example.org", "Nobody Admin", "--role admin --role staff",
                 NULL);
    verified_account("nobody.person@seoul.example.org", "Nobody Person");
    struct hsession admin, person;
    ck_assert_int_eq(harness_login(&srv, "nobody.admin@citynet.example.org", PASSWORD, &admin),
                     200);
    ck_assert_int_eq(harness_login(&srv, "nobody.person@seoul.example.org", PASSWORD, &person),
                     200);
    long pid = account_id("nobody.person@seoul.example.org");
    char roles[128], sessions[128], confirm[128], sql[256], session_path[96];
    snprintf(roles, sizeof roles, "/api/admin/accounts/%ld/roles/judge", pid);
    snprintf(confirm, sizeof confirm, "/api/accounts/%ld/organisation/confirm", pid);
    snprintf(sql, sizeof sql,
             "SELECT max(id) FROM sessions WHERE account_id = %ld AND revoked_at IS NULL", pid);
    long sid = harness_sql_long(DB, sql);
    snprintf(session_path, sizeof session_path, "/api/me/sessions/%ld", sid);
    snprintf(sessions, sizeof sessions,
             "SELECT count(*) FROM sessions WHERE id = %ld AND revoked_at IS NULL", sid);
    struct {
        const char *method, *path;
        const struct hsession *as;
    } cases[] = {
        {"POST", "/api/auth/logout", &person},
        {"DELETE", session_path, &person},
        {"PUT", roles, &admin},
        {"DELETE", roles, &admin},
        {"POST", "/api/admin/outbox/1/retry", &admin},
        {"POST", confirm, &admin},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hresp r;
        ck_assert_int_eq(
            hcall(&srv, cases[i].method, cases[i].path, "{\"why\":\"no\"}", cases[i].as, &r), 422);
        ck_assert_str_eq(herr_code(&r), "validation_failed");
        ck_assert_str_eq(herr_field_code(&r, "why"), "unknown_member");
        hresp_free(&r);
    }
    /* Nothing changed: the session lives, no role, no confirmation. */
    ck_assert_int_eq(harness_sql_long(DB, sessions), 1);
    ck_assert_int_eq(
        harness_sql_longf(
            DB, "SELECT count(*) FROM account_roles WHERE account_id = %ld AND role = 'judge'",
            pid),
        0);
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM accounts WHERE id = %ld AND organisation_confirmed_at IS NULL",
            pid),
        1);
    /* An empty object is no body at all. */
    HEXPECT(&srv, "PUT", roles, "{}", &admin, 200, NULL);
    HEXPECT(&srv, "POST", "/api/auth/logout", "{}", &person, 204, NULL);
    ck_assert_int_eq(harness_sql_long(DB, sessions), 0);
}
END_TEST

static bool me_confirmed(const struct hsession *s)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, s, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *v = json_object_get(j, "organisation_confirmed");
    ck_assert_msg(json_is_boolean(v), "organisation_confirmed missing: %s", r.body);
    bool b = json_is_true(v);
    json_decref(j);
    hresp_free(&r);
    return b;
}

START_TEST(confirmed_affiliation)
{
    char org[24], other[24];
    snprintf(org, sizeof org, "%ld", org_id("Seoul Metropolitan Government"));
    snprintf(other, sizeof other, "%ld", org_id("CityNet Secretariat"));
    /* The command line confirms the organisation it is given. */
    cli_user_add("confirming.staff@citynet.example.org", "Confirming Staff", "--role staff", other);
    struct hsession staff, p, anon = {0};
    ck_assert_int_eq(harness_login(&srv, "confirming.staff@citynet.example.org", PASSWORD, &staff),
                     200);
    ck_assert(me_confirmed(&staff));
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = "
                             "'account.organisation_confirmed' AND ip = 'cli' AND target_id = "
                             "(SELECT id::text FROM accounts WHERE email = "
                             "'confirming.staff@citynet.example.org')"),
        1);
    /* Self-declared at sign-up: not confirmed. */
    verified_account("declared@seoul.example.org", "Declared Member");
    ck_assert_int_eq(harness_login(&srv, "declared@seoul.example.org", PASSWORD, &p), 200);
    ck_assert(!me_confirmed(&p));
    long pid = account_id("declared@seoul.example.org");
    char path[128], sql[1024];
    snprintf(path, sizeof path, "/api/accounts/%ld/organisation/confirm", pid);
    struct hresp r;
    HEXPECT(&srv, "POST", path, NULL, &anon, 401, NULL);
    HEXPECT(&srv, "POST", path, NULL, &p, 403, "forbidden");
    struct hsession forged = hsession_cookie_only(&staff);
    HEXPECT(&srv, "POST", path, NULL, &forged, 403, "csrf_failed");
    HEXPECT(&srv, "POST", "/api/accounts/99999999/organisation/confirm", NULL, &staff, 404,
            "not_found");
    ck_assert_int_eq(hcall(&srv, "POST", path, NULL, &staff, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert(json_is_true(json_object_get(j, "organisation_confirmed")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), pid);
    json_decref(j);
    hresp_free(&r);
    ck_assert(me_confirmed(&p));
    ck_assert_int_eq(
        harness_sql_longf(
            DB, "SELECT count(*) FROM accounts WHERE id = %ld AND organisation_confirmed_by = %ld",
            pid, account_id("confirming.staff@citynet.example.org")),
        1);
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE action = 'account.organisation_confirmed' AND "
            "target_id = '%ld' AND (details->>'organisation_id')::bigint = %s",
            pid, org),
        1);
    /* Staff see it in the account list. */
    ck_assert_int_eq(hcall(&srv, "GET", "/api/accounts?q=declared%40seoul", NULL, &staff, &r), 200);
    j = json_loads(r.body, 0, NULL);
    ck_assert(json_is_true(
        json_object_get(json_array_get(json_object_get(j, "items"), 0), "organisation_confirmed")));
    json_decref(j);
    hresp_free(&r);

    /* Changing the organisation clears the confirmation and is logged. */
    char body[128];
    snprintf(body, sizeof body, "{\"organisation_id\":%s}", other);
    HEXPECT(&srv, "PATCH", "/api/me", body, &p, 200, NULL);
    ck_assert(!me_confirmed(&p));
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE action = 'account.organisation_changed' AND "
            "target_id = '%ld' AND (details->>'from')::bigint = %s AND (details->>'to')::bigint "
            "= %s",
            pid, org, other),
        1);
    /* Other changes leave the organisation (and the log) alone. */
    HEXPECT(&srv, "PATCH", "/api/me", "{\"position\":\"Director\"}", &p, 200, NULL);
    ck_assert_int_eq(
        harness_sql_longf(
            DB,
            "SELECT count(*) FROM audit_log WHERE action = 'account.organisation_changed' AND "
            "target_id = '%ld'",
            pid),
        1);

    /* A live registration under a per-organisation limit locks it; one
     * without a limit does not. */
    snprintf(sql, sizeof sql,
             "WITH a AS (INSERT INTO activities (slug, kind, title, mode, status, per_org_limit) "
             "VALUES ('limited-forum', 'forum', 'Limited Forum', 'open', 'published', 1) "
             "RETURNING id), b AS (INSERT INTO activities (slug, kind, title, mode, status) "
             "VALUES ('open-forum', 'forum', 'Open Forum', 'open', 'published') RETURNING id) "
             "INSERT INTO enrollments (activity_id, account_id, organisation_id, status, "
             "waitlist_seq) SELECT id, %ld, %s, 'confirmed', NULL::bigint FROM b UNION ALL "
             "SELECT id, %ld, %s, 'waitlisted', 1 FROM a",
             pid, other, pid, other);
    free(harness_psql(DB, sql));
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT count(*) FROM enrollments WHERE account_id = %ld", pid), 2);
    snprintf(body, sizeof body, "{\"organisation_id\":%s}", org);
    HEXPECT(&srv, "PATCH", "/api/me", body, &p, 409, "organisation_locked");
    HEXPECT(&srv, "PATCH", "/api/me", "{\"organisation_id\":null}", &p, 409, "organisation_locked");
    /* No path bypasses it, not even SQL by hand. */
    snprintf(sql, sizeof sql, "UPDATE accounts SET organisation_id = NULL WHERE id = %ld", pid);
    char *out = harness_psql(DB, sql); /* NULL: psql failed */
    ck_assert_msg(out == NULL, "the SQL update went through: %s", out);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT organisation_id FROM accounts WHERE id = %ld", pid),
        strtol(other, NULL, 10));
    /* Other changes still go through; once cancelled, the change does too. */
    HEXPECT(&srv, "PATCH", "/api/me", "{\"position\":\"Mayor\"}", &p, 200, NULL);
    snprintf(sql, sizeof sql,
             "UPDATE enrollments SET status = 'cancelled', waitlist_seq = NULL WHERE account_id "
             "= %ld AND activity_id = (SELECT id FROM activities WHERE slug = 'limited-forum')",
             pid);
    free(harness_psql(DB, sql));
    HEXPECT(&srv, "PATCH", "/api/me", body, &p, 200, NULL);
    HEXPECT(&srv, "PATCH", "/api/me", "{\"organisation_id\":null}", &p, 200, NULL);
    /* No organisation: nothing to confirm. */
    HEXPECT(&srv, "POST", path, NULL, &staff, 409, "no_organisation");
}
END_TEST

START_TEST(a_database_outage_is_503_then_service_returns)
{
    struct hresp r;
    ck_assert_int_eq(harness_pg_stop(), 0);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/organisations", NULL, NULL, &r), 503);
    ck_assert_str_eq(herr_code(&r), "unavailable");
    char ra[16];
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", ra, sizeof ra));
    hresp_free(&r);
    ck_assert_int_eq(harness_pg_start(), 0);
    double deadline = harness_now_ms() + 20000;
    long st = 0;
    while (st != 200 && harness_now_ms() < deadline) {
        st = hcall(&srv, "GET", "/api/organisations", NULL, NULL, &r);
        ck_assert(st == 200 || st == 503);
        hresp_free(&r);
        if (st != 200)
            usleep(100000);
    }
    ck_assert_int_eq(st, 200);
}
END_TEST

/* GET /api/session: 200 with authenticated false for a visitor (no cookie,
 * a made-up cookie, a logged-out session), and the account with the CSRF
 * token for a session; never cached. */
START_TEST(session_state_without_an_error_answer)
{
    struct hsession s;
    long id = harness_make_user(DB, "session-state@seoul.example.org", "Han Sora", NULL, NULL,
                                PASSWORD, NULL);
    ck_assert_int_eq(harness_login(&srv, "session-state@seoul.example.org", PASSWORD, &s), 200);

    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/session", NULL, NULL, &r), 200);
    ck_assert_str_eq(r.body, "{\"authenticated\":false}");
    ck_assert_ptr_nonnull(strstr(r.headers, "no-store"));
    hresp_free(&r);

    long status = 0;
    json_t *j = hcall_json(&srv, "GET", "/api/session", NULL, &s, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_true(json_object_get(j, "authenticated")));
    json_t *acct = json_object_get(j, "account");
    ck_assert_int_eq(json_integer_value(json_object_get(acct, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(acct, "name")), "Han Sora");
    ck_assert_str_eq(json_string_value(json_object_get(j, "csrf_token")), s.csrf);
    json_decref(j);

    struct hsession forged = s;
    snprintf(forged.cookie, sizeof forged.cookie, "convene_session=not-a-session");
    j = hcall_json(&srv, "GET", "/api/session", NULL, &forged, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_false(json_object_get(j, "authenticated")));
    ck_assert_ptr_null(json_object_get(j, "account"));
    json_decref(j);

    HEXPECT(&srv, "POST", "/api/auth/logout", NULL, &s, 204, NULL);
    j = hcall_json(&srv, "GET", "/api/session", NULL, &s, &status);
    ck_assert_int_eq(status, 200);
    ck_assert(json_is_false(json_object_get(j, "authenticated")));
    json_decref(j);
}
END_TEST

START_TEST(the_server_exits_cleanly)
{
    /* Under AddressSanitizer a leak makes the server exit non-zero. */
    char log[300];
    snprintf(log, sizeof log, "%s", srv.log_path);
    ck_assert_int_eq(harness_server_stop(&srv), 0);
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    bool leak = false;
    while (fgets(line, sizeof line, f))
        leak = leak || strstr(line, "LeakSanitizer") || strstr(line, "AddressSanitizer");
    fclose(f);
    ck_assert_msg(!leak, "the server log %s reports a sanitizer error", log);
}
END_TEST

/* Sign-up started from an activity: the confirmation link carries the way
 * back (`next`, percent-encoded after the token), so it works in whichever
 * browser opens the mail; a `next` that is not a path on this site is 422
 * on the field and nothing is written. */
START_TEST(signup_link_leads_back_to_where_it_started)
{
    static const char *const bad[] = {"//evil.example/x",
                                      "https://evil.example/",
                                      "activity.html",
                                      "/a b",
                                      "/a\\b",
                                      "/a\"b",
                                      "/a<b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "email", "return.bad@seoul.example.org",
                                 "password", PASSWORD, "name", "Return Bad", "next", bad[i]);
        char *text = json_dumps(body, 0);
        long st = 0;
        json_t *j = hcall_json(&srv, "POST", "/api/auth/signup", text, NULL, &st);
        ck_assert_msg(st == 422, "next=%s answered %ld", bad[i], st);
        ck_assert_str_eq(hjson_field_code(j, "next"), "invalid_format");
        json_decref(j);
        free(text);
        json_decref(body);
    }
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM accounts WHERE email = "
                                          "'return.bad@seoul.example.org'"),
                     0);

    json_t *body =
        json_pack("{s:s,s:s,s:s,s:s}", "email", "return.ok@seoul.example.org", "password", PASSWORD,
                  "name", "Return Ok", "next", "/activity.html?id=42&tab=register#form");
    char *text = json_dumps(body, 0);
    HEXPECT(&srv, "POST", "/api/auth/signup", text, NULL, 202, NULL);
    free(text);
    json_decref(body);
    json_t *m =
        harness_wait_mail(&mail, "return.ok@seoul.example.org", "confirm your email", 30000);
    ck_assert_ptr_nonnull(m);
    const char *mail_text = json_string_value(json_object_get(m, "text"));
    ck_assert_msg(strstr(mail_text, "&next=%2Factivity.html%3Fid%3D42%26tab%3Dregister%23form") !=
                      NULL,
                  "no way back in: %s", mail_text);
    char token[80], verify[160];
    ck_assert_int_eq(harness_token_from(mail_text, token, sizeof token), 0);
    json_decref(m);
    snprintf(verify, sizeof verify, "{\"token\":\"%s\"}", token);
    HEXPECT(&srv, "POST", "/api/auth/verify", verify, NULL, 200, NULL);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM accounts WHERE email = "
                             "'return.ok@seoul.example.org' AND email_verified_at IS NOT NULL"),
        1);
}
END_TEST

Suite *make_accounts_suite(void)
{
    Suite *s = suite_create("accounts");
    TCase *tc = tcase_create("accounts");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, signup_verify_login_me_logout);
    tcase_add_test(tc, session_state_without_an_error_answer);
    tcase_add_test(tc, wrong_password_and_unknown_email_look_the_same);
    tcase_add_test(tc, password_reset_flow);
    tcase_add_test(tc, expired_reset_token_fails);
    tcase_add_test(tc, csrf_and_roles);
    tcase_add_test(tc, sessions_can_be_listed_and_revoked);
    tcase_add_test(tc, profile_fields_can_be_changed_and_cleared);
    tcase_add_test(tc, validation_errors_name_fields);
    tcase_add_test(tc, non_latin_names_arrive_intact);
    tcase_add_test(tc, failed_logins_are_rate_limited_per_account);
    tcase_add_test(tc, mail_waits_while_smtp_is_down);
    tcase_add_test(tc, login_flood_keeps_the_server_responsive);
    tcase_add_test(tc, stronger_limits_rehash_at_login_and_https_cookies_are_host_only);
    tcase_add_test(tc, command_line_passwd_and_signup_limits);
    tcase_add_test(tc, reset_checks_the_token_before_hashing_and_is_limited);
    tcase_add_test(tc, parallel_wrong_passwords_cannot_pass_the_limit);
    tcase_add_test(tc, an_attacker_cannot_lock_the_owner_out);
    tcase_add_test(tc, changing_the_password);
    tcase_add_test(tc, revoking_a_role);
    tcase_add_test(tc, verify_and_resend);
    tcase_add_test(tc, signup_link_leads_back_to_where_it_started);
    tcase_add_test(tc, organisations_are_listed);
    tcase_add_test(tc, a_trusted_proxy_gives_the_client_address);
    tcase_add_test(tc, bodies_are_strict);
    tcase_add_test(tc, lists_check_the_caller_first);
    tcase_add_test(tc, account_list_filters);
    tcase_add_test(tc, body_less_routes_refuse_members);
    tcase_add_test(tc, confirmed_affiliation);
    tcase_add_test(tc, a_database_outage_is_503_then_service_returns);
    tcase_add_test(tc, the_server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
