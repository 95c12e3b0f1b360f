/*
 * test_cli.c - `convene user add|role|passwd` against the test cluster:
 * each refusal (usage, bad options, bad address or name, no or weak
 * password, an existing account, an unknown account or role, a database
 * that cannot be reached) exits with its documented status and changes
 * nothing; each success changes exactly what it says, with an audit row.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

Suite *make_cli_suite(void);

#define DB "cli"

static char out[8192];

/* Runs the convene binary with args (NULL-ended) against database (a
 * conninfo) with stdin_text on its standard input (NULL: none); stdout and
 * stderr both land in out. Returns the exit status. */
static int run_cli(const char *database, const char *stdin_text, const char *const *args)
{
    char url[512];
    snprintf(url, sizeof url, "CONVENE_DATABASE_URL=%s", database);
    const char *env[] = {url, "CONVENE_ARGON2_MEMLIMIT=8M", "CONVENE_ARGON2_OPSLIMIT=1", NULL};
    const struct harness_exec_opts o = {.env = env, .stdin_text = stdin_text, .with_stdout = true};
    int rc = harness_exec(&o, args, out, sizeof out);
    ck_assert_msg(rc >= 0, "convene died: %s", out);
    return rc;
}

static int cli(const char *stdin_text, const char *const *args)
{
    return run_cli(harness_pg_url(DB), stdin_text, args);
}

#define PASSWORD "a long enough passphrase\n"

static long count(const char *sql)
{
    return harness_sql_long(DB, sql);
}

static void setup_db(void)
{
    harness_fresh_db(DB);
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(cli(NULL, args), 0);
    harness_sql(DB, "INSERT INTO organisations (name, kind) VALUES ('CLI Test Org', 'partner')");
}

START_TEST(user_add_creates_a_verified_account_with_roles)
{
    long org = count("SELECT id FROM organisations WHERE name = 'CLI Test Org'");
    char orgarg[32];
    snprintf(orgarg, sizeof orgarg, "%ld", org);
    const char *args[] = {"user",  "add",    "ada@example.org", "--name",         "Ada L", "--role",
                          "staff", "--role", "judge",           "--organisation", orgarg,  NULL};
    ck_assert_msg(cli(PASSWORD, args) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "created account ada@example.org"));
    ck_assert_int_eq(
        count("SELECT count(*) FROM accounts WHERE email = 'ada@example.org' AND "
              "email_verified_at IS NOT NULL AND organisation_confirmed_at IS NOT NULL"),
        1);
    ck_assert_int_eq(count("SELECT count(*) FROM account_roles r JOIN accounts a ON a.id = "
                           "r.account_id WHERE a.email = 'ada@example.org'"),
                     2);
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action IN ('account.created', "
                           "'account.organisation_confirmed')"),
                     2);
    /* The same address again: refused, nothing added. */
    ck_assert_int_eq(cli(PASSWORD, args), 1);
    ck_assert_ptr_nonnull(strstr(out, "exists already"));
    ck_assert_int_eq(count("SELECT count(*) FROM accounts"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log"), 2);
}
END_TEST

START_TEST(user_add_refusals)
{
    static const struct {
        const char *args[12];
        const char *stdin_text;
        int status;
        const char *says;
    } cases[] = {
        {{"user", "add", "b@example.org", "--name", "B", NULL}, PASSWORD, 2, "Usage:"},
        {{"user", "add", "b@example.org", "--role", "staff", NULL}, PASSWORD, 2, "Usage:"},
        {{"user", "add", "--name", "B", "--role", "staff", NULL}, PASSWORD, 2, "Usage:"},
        {{"user", "add", "b@example.org", "c@example.org", "--name", "B", "--role", "staff", NULL},
         PASSWORD,
         2,
         "Usage:"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "staff", "--bogus", NULL},
         PASSWORD,
         2,
         "bad option --bogus"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "staff", "--organisation", "0",
          NULL},
         PASSWORD,
         2,
         "--organisation must be an organisation id"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "staff", "--organisation", "x1",
          NULL},
         PASSWORD,
         2,
         "--organisation must be an organisation id"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "emperor", NULL},
         PASSWORD,
         2,
         "bad option"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "staff", "--role", "judge",
          NULL},
         "",
         2,
         "no password on standard input"},
        {{"user", "add", "b@example.org", "--name", "B\nC", "--role", "staff", NULL},
         PASSWORD,
         2,
         "invalid email address or name"},
        {{"user", "add", "not-an-address", "--name", "B", "--role", "staff", NULL},
         PASSWORD,
         2,
         "invalid email address or name"},
        {{"user", "add", "b@example.org", "--name", "", "--role", "staff", NULL},
         PASSWORD,
         2,
         "invalid email address or name"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "staff", NULL},
         "",
         2,
         "no password on standard input"},
        {{"user", "add", "b@example.org", "--name", "B", "--role", "staff", NULL},
         "short\n",
         2,
         "password refused"},
        {{"user", "add", "--help", NULL}, NULL, 0, "convene user add EMAIL"},
        {{"user", NULL}, NULL, 2, "Usage:"},
        {{"user", "--help", NULL}, NULL, 0, "Usage:"},
        {{"user", "frob", NULL}, NULL, 2, "unknown action \"frob\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = cli(cases[i].stdin_text, cases[i].args);
        ck_assert_msg(rc == cases[i].status, "case %zu: status %d: %s", i, rc, out);
        ck_assert_msg(strstr(out, cases[i].says) != NULL, "case %zu said: %s", i, out);
    }
    ck_assert_int_eq(count("SELECT count(*) FROM accounts"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log"), 0);
}
END_TEST

START_TEST(user_role_grants_and_revokes)
{
    const char *add[] = {"user",    "add",    "grace@example.org", "--name",
                         "Grace H", "--role", "participant",       NULL};
    ck_assert_int_eq(cli(PASSWORD, add), 0);
    const char *grant[] = {"user", "role", "grace@example.org", "admin", NULL};
    ck_assert_int_eq(cli(NULL, grant), 0);
    ck_assert_ptr_nonnull(strstr(out, "grace@example.org has role admin"));
    /* Granting again is not an error and adds no second row. */
    ck_assert_int_eq(cli(NULL, grant), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM account_roles WHERE role = 'admin'"), 1);
    const char *revoke[] = {"user", "role", "grace@example.org", "admin", "--remove", NULL};
    ck_assert_int_eq(cli(NULL, revoke), 0);
    ck_assert_ptr_nonnull(strstr(out, "no longer has role admin"));
    ck_assert_int_eq(count("SELECT count(*) FROM account_roles WHERE role = 'admin'"), 0);
    /* Revoking what is not held, or for nobody: status 1, nothing logged. */
    ck_assert_int_eq(cli(NULL, revoke), 1);
    ck_assert_ptr_nonnull(strstr(out, "no account grace@example.org with that role"));
    const char *nobody[] = {"user", "role", "nobody@example.org", "staff", NULL};
    ck_assert_int_eq(cli(NULL, nobody), 1);
    ck_assert_ptr_nonnull(strstr(out, "no account nobody@example.org"));
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'role.granted'"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'role.revoked'"), 1);
    /* Usage errors: an unknown role, a bad flag, missing arguments. */
    const char *bad_role[] = {"user", "role", "grace@example.org", "emperor", NULL};
    const char *bad_flag[] = {"user", "role", "grace@example.org", "staff", "--delete", NULL};
    const char *short_args[] = {"user", "role", "grace@example.org", NULL};
    ck_assert_int_eq(cli(NULL, bad_role), 2);
    ck_assert_int_eq(cli(NULL, bad_flag), 2);
    ck_assert_int_eq(cli(NULL, short_args), 2);
    ck_assert_ptr_nonnull(strstr(out, "Usage:"));
    ck_assert_int_eq(count("SELECT count(*) FROM account_roles"), 1);
}
END_TEST

START_TEST(user_passwd_changes_and_ends_sessions)
{
    struct hsession s;
    long id =
        harness_make_user(DB, "linus@example.org", "Linus", NULL, NULL, "old passphrase here", &s);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sessions WHERE account_id = %ld AND revoked_at IS NULL", id);
    ck_assert_int_eq(count(sql), 1);
    char *before = harness_psql(DB, "SELECT password_hash FROM accounts WHERE email = "
                                    "'linus@example.org'");
    ck_assert_ptr_nonnull(before);
    const char *passwd[] = {"user", "passwd", "linus@example.org", NULL};
    ck_assert_int_eq(cli("a brand new passphrase\n", passwd), 0);
    ck_assert_ptr_nonnull(strstr(out, "its sessions were ended"));
    char *after = harness_psql(DB, "SELECT password_hash FROM accounts WHERE email = "
                                   "'linus@example.org'");
    ck_assert_ptr_nonnull(after);
    ck_assert_str_ne(before, after);
    free(before);
    free(after);
    ck_assert_int_eq(count(sql), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'password.set'"), 1);
    /* Refusals: a weak password, none, an unknown account, bad usage. */
    ck_assert_int_eq(cli("short\n", passwd), 2);
    ck_assert_ptr_nonnull(strstr(out, "password refused"));
    ck_assert_int_eq(cli("", passwd), 2);
    ck_assert_ptr_nonnull(strstr(out, "no password on standard input"));
    const char *nobody[] = {"user", "passwd", "nobody@example.org", NULL};
    ck_assert_int_eq(cli("a brand new passphrase\n", nobody), 1);
    ck_assert_ptr_nonnull(strstr(out, "no account nobody@example.org"));
    const char *usage[] = {"user", "passwd", NULL};
    ck_assert_int_eq(cli(NULL, usage), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'password.set'"), 1);
}
END_TEST

START_TEST(unreachable_database_is_status_1)
{
    const char *nowhere = "postgresql:///nope?host=/nonexistent&port=1";
    const char *add[] = {"user", "add", "x@example.org", "--name", "X", "--role", "staff", NULL};
    ck_assert_int_eq(run_cli(nowhere, PASSWORD, add), 1);
    ck_assert_ptr_nonnull(strstr(out, "cannot connect to the database"));
    const char *role[] = {"user", "role", "x@example.org", "staff", NULL};
    ck_assert_int_eq(run_cli(nowhere, NULL, role), 1);
    ck_assert_ptr_nonnull(strstr(out, "cannot connect to the database"));
    const char *passwd[] = {"user", "passwd", "x@example.org", NULL};
    ck_assert_int_eq(run_cli(nowhere, PASSWORD, passwd), 1);
    ck_assert_ptr_nonnull(strstr(out, "cannot connect to the database"));
}
END_TEST

Suite *make_cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("user");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_checked_fixture(tc, setup_db, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, user_add_creates_a_verified_account_with_roles);
    tcase_add_test(tc, user_add_refusals);
    tcase_add_test(tc, user_role_grants_and_revokes);
    tcase_add_test(tc, user_passwd_changes_and_ends_sessions);
    tcase_add_test(tc, unreachable_database_is_status_1);
    suite_add_tcase(s, tc);
    return s;
}
