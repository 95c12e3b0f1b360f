/*
 * test_accounts_edges.c - the edges of accounts against the real server
 * and PostgreSQL: every shape of a locale, the profile's organisation
 * change (audited with from and to, an unknown one named on its field),
 * revoking sessions (one's own current one clears the cookie; someone
 * else's is 404), confirming an organisation (none chosen, no such
 * account), granting and revoking roles (unknown role, own admin role,
 * a role not held changes nothing and logs nothing), and the filters of
 * the admin lists (outbox status, audit action, account search).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

Suite *make_accounts_edges_suite(void);

#define DB "accounts_edges"

static struct server srv;
static struct hsession admin, staff;

static void start_all(void)
{
    harness_fresh_db(DB);
    /* Five log-in attempts per client address (the least allowed): the
     * address limit is reached before any account's. */
    const char *env[] = {"CONVENE_LOGIN_LIMIT_PER_IP=5", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES "
                    "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', "
                    "'member_city'), ('Bangkok Metropolitan Administration', 'Bangkok', "
                    "'Thailand', 'member_city'), ('CityNet Secretariat', 'Seoul', "
                    "'Republic of Korea', 'secretariat')");
    harness_make_users(DB, "edgeadmin", "Edge admin", 1, "CityNet Secretariat", "admin", &admin);
    harness_make_users(DB, "edgestaff", "Edge staff", 1, "CityNet Secretariat", "staff", &staff);
}

static void stop_all(void)
{
    harness_server_stop(&srv);
}

static long org_id(const char *name)
{
    return harness_sql_longf(DB, "SELECT id FROM organisations WHERE name = '%s'", name);
}

/* A fresh participant of organisation org (may be NULL) with a session. */
static long person(const char *tag, const char *org, struct hsession *out)
{
    char email[96];
    snprintf(email, sizeof email, "%s-%d@edges.test", tag, (int)getpid());
    return harness_make_user(DB, email, "Edge person", org, "participant", NULL, out);
}

START_TEST(every_shape_of_a_locale)
{
    struct hsession p;
    long id = person("locale", NULL, &p);
    static const struct {
        const char *value;
        const char *stored; /* NULL: refused with invalid_format */
    } cases[] = {
        {"\"ko\"", "ko"},           {"\"EN-gb\"", "en-gb"},     {"\"fil\"", "fil"},
        {"\"zh-hant\"", "zh-hant"}, {"\"es-419\"", "es-419"},   {"\"e1\"", NULL},
        {"\"english\"", NULL},      {"\"en_US\"", NULL},        {"\"en-\"", NULL},
        {"\"en-x\"", NULL},         {"\"en-abcdefghi\"", NULL}, {"\"en-US!\"", NULL},
        {"\"1en\"", NULL},          {"\"en-u-x\"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[96];
        snprintf(body, sizeof body, "{\"locale\":%s}", cases[i].value);
        harness_sql(DB, "UPDATE accounts SET locale = 'th' WHERE email LIKE 'locale-%'");
        long st = 0;
        json_t *j = hcall_json(&srv, "PATCH", "/api/me", body, &p, &st);
        if (cases[i].stored) {
            ck_assert_msg(st == 200, "%s: %ld", cases[i].value, st);
            ck_assert_int_eq(harness_sql_longf(DB,
                                               "SELECT count(*) FROM accounts WHERE id = %ld AND "
                                               "locale = '%s'",
                                               id, cases[i].stored),
                             1);
        } else {
            ck_assert_msg(st == 422, "%s: %ld", cases[i].value, st);
            ck_assert_str_eq(hjson_field_code(j, "locale"), "invalid_format");
            ck_assert_int_eq(harness_sql_longf(DB,
                                               "SELECT count(*) FROM accounts WHERE id = %ld AND "
                                               "locale = 'th'",
                                               id),
                             1);
        }
        json_decref(j);
    }
    /* Too short or too long for any locale: the length check names it. */
    long st = 0;
    json_t *j = hcall_json(&srv, "PATCH", "/api/me", "{\"locale\":\"e\"}", &p, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "locale"), "too_short");
    json_decref(j);
    j = hcall_json(&srv, "PATCH", "/api/me", "{\"locale\":\"en-abcdefghijk\"}", &p, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "locale"), "too_long");
    json_decref(j);
}
END_TEST

START_TEST(organisation_change_is_audited_from_and_to)
{
    struct hsession p;
    long id = person("orgchange", "Seoul Metropolitan Government", &p);
    long seoul = org_id("Seoul Metropolitan Government");
    long bangkok = org_id("Bangkok Metropolitan Administration");
    char body[96];
    snprintf(body, sizeof body, "{\"organisation_id\":%ld}", bangkok);
    HEXPECT(&srv, "PATCH", "/api/me", body, &p, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'account.organisation_changed' AND target_id = '%ld' AND "
                                       "details = '{\"from\": %ld, \"to\": %ld}'",
                                       id, seoul, bangkok),
                     1);
    /* The same organisation again: no change, no entry. */
    HEXPECT(&srv, "PATCH", "/api/me", body, &p, 200, NULL);
    /* null leaves no organisation, and says so. */
    HEXPECT(&srv, "PATCH", "/api/me", "{\"organisation_id\":null,\"position\":null}", &p, 200,
            NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'account.organisation_changed' AND target_id = '%ld' AND "
                                       "details = '{\"from\": %ld, \"to\": null}'",
                                       id, bangkok),
                     1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'account.organisation_changed' AND target_id = '%ld'",
                                       id),
                     2);
    snprintf(body, sizeof body, "{\"organisation_id\":%ld}", seoul);
    HEXPECT(&srv, "PATCH", "/api/me", body, &p, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'account.organisation_changed' AND target_id = '%ld' AND "
                                       "details = '{\"from\": null, \"to\": %ld}'",
                                       id, seoul),
                     1);
    /* An unknown organisation is named on its field and nothing changes. */
    long st = 0;
    json_t *j = hcall_json(&srv, "PATCH", "/api/me", "{\"organisation_id\":987654}", &p, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "organisation_id"), "not_found");
    json_decref(j);
    ck_assert_int_eq(
        harness_sql_longf(DB, "SELECT organisation_id FROM accounts WHERE id = %ld", id), seoul);
    j = hcall_json(&srv, "PATCH", "/api/me", "{\"organisation_id\":\"1\"}", &p, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "organisation_id"), "invalid_type");
    json_decref(j);
    j = hcall_json(&srv, "PATCH", "/api/me", "{\"email\":\"x@y.org\",\"nick\":1}", &p, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "nick"), "unknown_member");
    ck_assert_str_eq(hjson_field_code(j, "email"), "read_only");
    json_decref(j);
    HEXPECT(&srv, "PATCH", "/api/me", "{}", NULL, 401, "unauthenticated");
}
END_TEST

START_TEST(revoking_sessions)
{
    struct hsession p, other;
    long id = person("sessions", NULL, &p);
    long other_id = person("sessother", NULL, &other);
    long mine = harness_sql_longf(DB, "SELECT max(id) FROM sessions WHERE account_id = %ld", id);
    long theirs =
        harness_sql_longf(DB, "SELECT max(id) FROM sessions WHERE account_id = %ld", other_id);
    char path[96];
    /* Someone else's session, or none: 404, and theirs stays valid. */
    snprintf(path, sizeof path, "/api/me/sessions/%ld", theirs);
    HEXPECT(&srv, "DELETE", path, NULL, &p, 404, "not_found");
    HEXPECT(&srv, "DELETE", "/api/me/sessions/987654", NULL, &p, 404, "not_found");
    HEXPECT(&srv, "GET", "/api/me", NULL, &other, 200, NULL);
    HEXPECT(&srv, "DELETE", path, "{\"all\":true}", &other, 422, "validation_failed");
    /* One's own current session: 204, the cookie cleared, and it is over. */
    snprintf(path, sizeof path, "/api/me/sessions/%ld", mine);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "DELETE", path, NULL, &p, &r), 204);
    char cookie[256];
    ck_assert_ptr_nonnull(hresp_header(&r, "Set-Cookie", cookie, sizeof cookie));
    ck_assert_ptr_nonnull(strstr(cookie, "convene_session="));
    ck_assert_ptr_nonnull(strstr(cookie, "Max-Age=0"));
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/me", NULL, &p, 401, "unauthenticated");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'session.revoked' AND target_id = '%ld'",
                                       mine),
                     1);
    /* Another session of one's own: 204 without touching the cookie. */
    struct hsession second;
    char email[96];
    snprintf(email, sizeof email, "sessions2-%d@edges.test", (int)getpid());
    long id2 = harness_make_user(DB, email, "Two sessions", NULL, "participant", NULL, &second);
    harness_sql(DB, "INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at) "
                    "SELECT account_id, '\\x00ff'::bytea, 'x', now() + interval '1 day' FROM "
                    "sessions ORDER BY id DESC LIMIT 1");
    long extra = harness_sql_longf(DB, "SELECT max(id) FROM sessions WHERE account_id = %ld", id2);
    snprintf(path, sizeof path, "/api/me/sessions/%ld", extra);
    ck_assert_int_eq(hcall(&srv, "DELETE", path, NULL, &second, &r), 204);
    ck_assert_ptr_null(hresp_header(&r, "Set-Cookie", cookie, sizeof cookie));
    hresp_free(&r);
    HEXPECT(&srv, "GET", "/api/me", NULL, &second, 200, NULL);
}
END_TEST

START_TEST(confirming_an_organisation)
{
    struct hsession p, lone;
    long id = person("confirm", "Seoul Metropolitan Government", &p);
    long none = person("confirmnone", NULL, &lone);
    char path[96];
    snprintf(path, sizeof path, "/api/accounts/%ld/organisation/confirm", none);
    HEXPECT(&srv, "POST", path, NULL, &staff, 409, "no_organisation");
    HEXPECT(&srv, "POST", "/api/accounts/987654/organisation/confirm", NULL, &staff, 404,
            "not_found");
    snprintf(path, sizeof path, "/api/accounts/%ld/organisation/confirm", id);
    HEXPECT(&srv, "POST", path, NULL, &p, 403, "forbidden");
    HEXPECT(&srv, "POST", path, "{\"org\":1}", &staff, 422, "validation_failed");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM accounts WHERE id = %ld AND "
                                       "organisation_confirmed_at IS NULL",
                                       id),
                     1);
    HEXPECT(&srv, "POST", path, NULL, &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM accounts WHERE id = %ld AND "
                                       "organisation_confirmed_at IS NOT NULL",
                                       id),
                     1);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'account.organisation_confirmed' AND target_id = '%ld' "
                                       "AND (details->>'organisation_id')::bigint = %ld",
                                       id, org_id("Seoul Metropolitan Government")),
                     1);
}
END_TEST

/* Role changes logged for account id. */
static long role_entries(long id)
{
    return harness_sql_longf(DB,
                             "SELECT count(*) FROM audit_log WHERE action IN ('role.granted', "
                             "'role.revoked') AND target_id = '%ld'",
                             id);
}

START_TEST(granting_and_revoking_roles)
{
    struct hsession p;
    long id = person("roles", NULL, &p);
    char path[128];
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/emperor", id);
    HEXPECT(&srv, "PUT", path, NULL, &admin, 404, "not_found");
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/admin", admin.id);
    HEXPECT(&srv, "DELETE", path, NULL, &admin, 409, "conflict");
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM account_roles WHERE account_id = "
                                       "%ld AND role = 'admin'",
                                       admin.id),
                     1);
    HEXPECT(&srv, "PUT", "/api/admin/accounts/987654/roles/judge", NULL, &admin, 404, "not_found");
    HEXPECT(&srv, "DELETE", "/api/admin/accounts/987654/roles/judge", NULL, &admin, 404,
            "not_found");
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/judge", id);
    HEXPECT(&srv, "PUT", path, NULL, &staff, 403, "forbidden");
    HEXPECT(&srv, "PUT", path, "{\"why\":1}", &admin, 422, "validation_failed");
    /* Revoking a role not held: the account answered, nothing logged. */
    HEXPECT(&srv, "DELETE", path, NULL, &admin, 200, NULL);

    ck_assert_int_eq(role_entries(id), 0);
    long st = 0;
    json_t *j = hcall_json(&srv, "PUT", path, NULL, &admin, &st);
    ck_assert_int_eq(st, 200);
    json_t *roles = json_object_get(j, "roles");
    bool has = false;
    size_t i;
    json_t *v;
    json_array_foreach(roles, i, v)
    {
        has |= strcmp(json_string_value(v), "judge") == 0;
    }
    ck_assert_msg(has, "roles after the grant lack judge");
    json_decref(j);
    ck_assert_int_eq(role_entries(id), 1);
    /* Granting it again changes nothing and logs nothing. */
    HEXPECT(&srv, "PUT", path, NULL, &admin, 200, NULL);
    ck_assert_int_eq(role_entries(id), 1);
    HEXPECT(&srv, "DELETE", path, NULL, &admin, 200, NULL);
    ck_assert_int_eq(role_entries(id), 2);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM account_roles WHERE account_id = "
                                       "%ld AND role = 'judge'",
                                       id),
                     0);
    /* An admin may remove another admin's role. */
    snprintf(path, sizeof path, "/api/admin/accounts/%ld/roles/admin", id);
    HEXPECT(&srv, "PUT", path, NULL, &admin, 200, NULL);
    HEXPECT(&srv, "DELETE", path, NULL, &admin, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM account_roles WHERE account_id = "
                                       "%ld AND role = 'admin'",
                                       id),
                     0);
}
END_TEST

static long total_of(const char *path, const struct hsession *who)
{
    long st = 0;
    json_t *j = hcall_json(&srv, "GET", path, NULL, who, &st);
    ck_assert_msg(st == 200, "GET %s: %ld", path, st);
    long total = (long)json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return total;
}

START_TEST(admin_list_filters)
{
    /* Mail in each settled status (the sender leaves these alone). */
    harness_sql(DB, "INSERT INTO mail_outbox (template, to_address, status, next_attempt_at) "
                    "VALUES ('verify', 'a@edges.test', 'sent', now()), "
                    "('verify', 'b@edges.test', 'failed', now()), "
                    "('verify', 'c@edges.test', 'failed', now()), "
                    "('verify', 'd@edges.test', 'pending', now() + interval '1 day')");
    ck_assert_int_eq(total_of("/api/admin/outbox?status=sent", &admin), 1);
    ck_assert_int_eq(total_of("/api/admin/outbox?status=failed", &admin), 2);
    ck_assert_int_ge(total_of("/api/admin/outbox?status=pending", &admin), 1);
    ck_assert_int_eq(total_of("/api/admin/outbox?status=sending", &admin), 0);
    ck_assert_int_ge(total_of("/api/admin/outbox", &admin), 4);
    HEXPECT(&srv, "GET", "/api/admin/outbox?status=lost", NULL, &admin, 400, "bad_request");
    HEXPECT(&srv, "GET", "/api/admin/outbox?status=", NULL, &admin, 400, "bad_request");
    HEXPECT(&srv, "GET", "/api/admin/outbox?status=pendingpendingpending", NULL, &admin, 400,
            "bad_request");
    HEXPECT(&srv, "GET", "/api/admin/outbox", NULL, &staff, 403, "forbidden");
    /* Retry: only a failed mail. */
    long failed =
        harness_sql_long(DB, "SELECT id FROM mail_outbox WHERE to_address = 'b@edges.test'");
    long sent =
        harness_sql_long(DB, "SELECT id FROM mail_outbox WHERE to_address = 'a@edges.test'");
    char path[96];
    snprintf(path, sizeof path, "/api/admin/outbox/%ld/retry", sent);
    HEXPECT(&srv, "POST", path, NULL, &admin, 404, "not_found");
    snprintf(path, sizeof path, "/api/admin/outbox/%ld/retry", failed);
    HEXPECT(&srv, "POST", path, "{\"now\":1}", &admin, 422, "validation_failed");
    HEXPECT(&srv, "POST", path, NULL, &admin, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM audit_log WHERE action = "
                                       "'mail.retried' AND target_id = '%ld'",
                                       failed),
                     1);

    /* The audit list by action; a filter longer than an action is 400. */
    ck_assert_int_eq(total_of("/api/admin/audit?action=mail.retried", &admin), 1);
    ck_assert_int_eq(total_of("/api/admin/audit?action=no.such.action", &admin), 0);
    char longp[200] = "/api/admin/audit?action=";
    for (int i = 0; i < 70; i++)
        strcat(longp, "a");
    HEXPECT(&srv, "GET", longp, NULL, &admin, 400, "bad_request");

    /* Account search, by admin and by staff; a stranger learns nothing. */
    struct hsession p;
    person("searchable-zq", NULL, &p);
    ck_assert_int_eq(total_of("/api/admin/accounts?q=searchable-zq", &admin), 1);
    ck_assert_int_eq(total_of("/api/accounts?q=searchable-zq", &staff), 1);
    ck_assert_int_eq(total_of("/api/accounts?q=nobody-by-this-name", &staff), 0);
    HEXPECT(&srv, "GET", "/api/accounts?q=searchable-zq", NULL, &p, 403, "forbidden");
    HEXPECT(&srv, "GET", "/api/admin/accounts?q=x", NULL, &staff, 403, "forbidden");
    HEXPECT(&srv, "GET", "/api/accounts?q=%ff%fe", NULL, &staff, 400, "bad_request");
}
END_TEST

/* The client address's limit: 429 with Retry-After, logged, and no owner
 * warned (no single account is under attack). */
START_TEST(login_limit_per_address)
{
    for (int i = 0; i < 5; i++) {
        char body[128];
        snprintf(body, sizeof body,
                 "{\"email\":\"guess%d-%d@edges.test\",\"password\":\"not the password\"}", i,
                 (int)getpid());
        HEXPECT(&srv, "POST", "/api/auth/login", body, NULL, 401, "invalid_credentials");
    }
    struct hresp r;
    long st =
        hcall(&srv, "POST", "/api/auth/login",
              "{\"email\":\"edgeadmin-1@test.example.org\",\"password\":\"whatever\"}", NULL, &r);
    ck_assert_int_eq(st, 429);
    ck_assert_str_eq(herr_code(&r), "rate_limited");
    char ra[16];
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", ra, sizeof ra));
    ck_assert_int_gt(strtol(ra, NULL, 10), 0);
    hresp_free(&r);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM audit_log WHERE action = "
                                          "'login.rate_limited' AND target_id = "
                                          "'edgeadmin-1@test.example.org'"),
                     1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE template = "
                                          "'account_under_attack'"),
                     0);
    /* Another address is not held back by this one. */
    harness_new_client();
    HEXPECT(&srv, "POST", "/api/auth/login",
            "{\"email\":\"nobody@edges.test\",\"password\":\"not the password\"}", NULL, 401,
            "invalid_credentials");
}
END_TEST

/* A sign-up naming no organisation that exists: 422 on the field, and
 * nothing written (no account, no mail); a locale is kept lowercased. */
START_TEST(signup_with_an_unknown_organisation)
{
    char body[320];
    snprintf(body, sizeof body,
             "{\"email\":\"neworg-%d@edges.test\",\"password\":\"a long passphrase 4 edges\","
             "\"name\":\"New person\",\"organisation_id\":987654}",
             (int)getpid());
    long st = 0;
    json_t *j = hcall_json(&srv, "POST", "/api/auth/signup", body, NULL, &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(hjson_field_code(j, "organisation_id"), "not_found");
    json_decref(j);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM accounts WHERE email = "
                                       "'neworg-%d@edges.test'",
                                       (int)getpid()),
                     0);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM mail_outbox WHERE to_address = "
                                       "'neworg-%d@edges.test'",
                                       (int)getpid()),
                     0);
    snprintf(body, sizeof body,
             "{\"email\":\"neworg-%d@edges.test\",\"password\":\"a long passphrase 4 edges\","
             "\"name\":\"New person\",\"organisation_id\":%ld,\"locale\":\"EN-GB\"}",
             (int)getpid(), org_id("Seoul Metropolitan Government"));
    HEXPECT(&srv, "POST", "/api/auth/signup", body, NULL, 202, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM accounts WHERE email = "
                                       "'neworg-%d@edges.test' AND locale = 'en-gb' AND "
                                       "organisation_id = %ld",
                                       (int)getpid(), org_id("Seoul Metropolitan Government")),
                     1);
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_accounts_edges_suite(void)
{
    Suite *s = suite_create("accounts_edges");
    TCase *tc = tcase_create("accounts_edges");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_shape_of_a_locale);
    tcase_add_test(tc, organisation_change_is_audited_from_and_to);
    tcase_add_test(tc, revoking_sessions);
    tcase_add_test(tc, confirming_an_organisation);
    tcase_add_test(tc, granting_and_revoking_roles);
    tcase_add_test(tc, admin_list_filters);
    tcase_add_test(tc, login_limit_per_address);
    tcase_add_test(tc, signup_with_an_unknown_organisation);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
