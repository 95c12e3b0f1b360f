/*
 * test_migrations.c - `convene migrate` over folders of the test's own:
 * files that are not NNNN_name.sql, two files with one version, a folder
 * that is missing, a migration that fails halfway (rolled back whole, the
 * earlier ones kept), a file edited after it was applied, files that are
 * skipped; and where the binary finds its data when CONVENE_DATA_DIR is
 * not set (<bin>/../share/convene next to a copied binary).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

Suite *make_migrations_suite(void);

#define DB "migrations"

static char root[128]; /* the data folder: root/sql/migrations */
static char out[8192];

/* Runs bin (NULL: CONVENE_BIN) with args (NULL-ended) and
 * CONVENE_DATA_DIR=data_dir (NULL: unset) against the test database;
 * stdout and stderr land in out. Returns the exit status. */
static int run_convene(const char *bin, const char *data_dir, const char *const *args)
{
    char dir[256], url[512];
    snprintf(dir, sizeof dir, "CONVENE_DATA_DIR=%s", data_dir ? data_dir : "");
    snprintf(url, sizeof url, "CONVENE_DATABASE_URL=%s", harness_pg_url(DB));
    const char *env[] = {data_dir ? dir : "CONVENE_DATA_DIR", url, NULL};
    const struct harness_exec_opts o = {.bin = bin, .env = env, .with_stdout = true};
    int rc = harness_exec(&o, args, out, sizeof out);
    ck_assert_msg(rc >= 0, "convene died: %s", out);
    return rc;
}

static int migrate(const char *bin, const char *data_dir)
{
    const char *args[] = {"migrate", NULL};
    return run_convene(bin, data_dir, args);
}

static void put(const char *name, const char *text)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sql/migrations/%s", root, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void drop(const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sql/migrations/%s", root, name);
    ck_assert_int_eq(unlink(path), 0);
}

static void setup(void)
{
    harness_fresh_db(DB);
    snprintf(root, sizeof root, "/tmp/convene-migrations-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char path[300];
    snprintf(path, sizeof path, "%s/sql", root);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/sql/migrations", root);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static long applied_versions(void)
{
    char *s = harness_psql(DB, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    bool exists = s && s[0] == 't';
    free(s);
    return exists ? harness_sql_long(DB, "SELECT count(*) FROM schema_migrations") : -1;
}

START_TEST(badly_named_files_stop_everything)
{
    put("0001_first.sql", "CREATE TABLE first_t (x int);");
    static const char *bad[] = {"12_short.sql", "0000_zero.sql", "00a1_letter.sql", "0002-dash.sql",
                                "x.sql"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put(bad[i], "SELECT 1;");
        ck_assert_msg(migrate(NULL, root) == 1, "%s was accepted", bad[i]);
        ck_assert_msg(strstr(out, "is not named NNNN_name.sql") != NULL, "%s: %s", bad[i], out);
        drop(bad[i]);
    }
    /* Nothing ran: not even the good file before it. */
    ck_assert_int_eq(applied_versions(), -1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                          "'first_t'"),
                     0);
}
END_TEST

START_TEST(two_files_with_one_version)
{
    put("0001_a.sql", "CREATE TABLE a_t (x int);");
    put("0001_b.sql", "CREATE TABLE b_t (x int);");
    ck_assert_int_eq(migrate(NULL, root), 1);
    ck_assert_ptr_nonnull(strstr(out, "two migrations share version 0001"));
    ck_assert_int_eq(applied_versions(), -1);
}
END_TEST

START_TEST(missing_folder)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sql/migrations", root);
    ck_assert_int_eq(rmdir(path), 0);
    ck_assert_int_eq(migrate(NULL, root), 1);
    ck_assert_ptr_nonnull(strstr(out, "cannot open migrations directory"));
}
END_TEST

START_TEST(failing_migration_is_rolled_back_whole)
{
    put("0001_ok.sql", "CREATE TABLE ok_t (x int);");
    put("0002_bad.sql", "CREATE TABLE half_t (x int);\nINSERT INTO ok_t VALUES (1);\n"
                        "SELECT no_such_function();");
    put("0003_later.sql", "CREATE TABLE later_t (x int);");
    /* Skipped: not .sql, or hidden. */
    put("README", "not a migration");
    put(".0004_hidden.sql", "CREATE TABLE hidden_t (x int);");
    ck_assert_int_eq(migrate(NULL, root), 1);
    ck_assert_ptr_nonnull(strstr(out, "migration 0002_bad.sql failed"));
    ck_assert_ptr_nonnull(strstr(out, "no_such_function"));
    ck_assert_int_eq(harness_sql_long(DB, "SELECT max(version) FROM schema_migrations"), 1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM ok_t"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM pg_tables WHERE tablename IN "
                                          "('half_t', 'later_t', 'hidden_t')"),
                     0);
    /* Fixed, it applies with the rest; again, nothing is left to do. */
    put("0002_bad.sql", "CREATE TABLE half_t (x int);");
    ck_assert_int_eq(migrate(NULL, root), 0);
    ck_assert_ptr_nonnull(strstr(out, "2 migrations applied now"));
    ck_assert_int_eq(applied_versions(), 3);
    ck_assert_int_eq(migrate(NULL, root), 0);
    ck_assert_ptr_nonnull(strstr(out, "0 migrations applied now"));
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                          "'hidden_t'"),
                     0);
}
END_TEST

START_TEST(edited_after_applying)
{
    put("0001_ok.sql", "CREATE TABLE ok_t (x int);");
    ck_assert_int_eq(migrate(NULL, root), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 migration applied now"));
    put("0001_ok.sql", "CREATE TABLE ok_t (x int, y int);");
    put("0002_next.sql", "CREATE TABLE next_t (x int);");
    ck_assert_int_eq(migrate(NULL, root), 1);
    ck_assert_ptr_nonnull(strstr(out, "migration 0001_ok.sql was changed after it was applied"));
    ck_assert_int_eq(applied_versions(), 1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                          "'next_t'"),
                     0);
}
END_TEST

START_TEST(data_found_next_to_the_binary)
{
    /* root/bin/convene with root/share/convene/sql/migrations. */
    char cmd[1200], bin[300];
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/bin' '%s/share/convene/sql/migrations' && cp '%s' '%s/bin/convene'",
             root, root, getenv("CONVENE_BIN"), root);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "echo 'CREATE TABLE found_next_to_bin (x int);' > "
             "'%s/share/convene/sql/migrations/0001_found.sql'",
             root);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(bin, sizeof bin, "%s/bin/convene", root);
    ck_assert_msg(migrate(bin, NULL) == 0, "%s", out);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                          "'found_next_to_bin'"),
                     1);
    ck_assert_int_eq(applied_versions(), 1);
}
END_TEST

START_TEST(serve_refuses_a_broken_migrations_folder)
{
    put("0001_ok.sql", "CREATE TABLE ok_t (x int);");
    put("1_bad.sql", "SELECT 1;");
    char listen[64];
    snprintf(listen, sizeof listen, "--listen=127.0.0.1:%d", harness_free_port());
    const char *args[] = {"serve", listen, NULL};
    ck_assert_int_eq(run_convene(NULL, root, args), 1);
    ck_assert_ptr_nonnull(strstr(out, "is not named NNNN_name.sql"));
    ck_assert_int_eq(applied_versions(), -1);
}
END_TEST

START_TEST(command_line_usage)
{
    static const struct {
        const char *args[4];
        int status;
        const char *says;
    } cases[] = {
        {{NULL}, 2, "Usage"},
        {{"help", NULL}, 0, "Usage"},
        {{"-h", NULL}, 0, "Usage"},
        {{"frobnicate", NULL}, 2, "unknown command \"frobnicate\""},
        {{"migrate", "--help", NULL}, 0, "Apply pending database migrations"},
        {{"migrate", "--threads=1", NULL}, 2, "--threads"},
        {{"seed", "--help", NULL}, 0, "Load CityNet's organisations"},
        {{"seed", "--body-limit=1G", NULL}, 2, "--body-limit"},
        {{"serve", "--help", NULL}, 0, "Run the HTTP server"},
        {{"serve", "extra", NULL}, 2, "unexpected argument \"extra\""},
        {{"routes", "--help", NULL}, 0, "Usage: convene routes"},
        {{"routes", "extra", NULL}, 2, "Usage: convene routes"},
        {{"routes", NULL}, 0, "GET /healthz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_convene(NULL, root, cases[i].args);
        ck_assert_msg(rc == cases[i].status, "case %zu: status %d: %s", i, rc, out);
        ck_assert_msg(strstr(out, cases[i].says) != NULL, "case %zu said: %s", i, out);
    }
    ck_assert_int_eq(applied_versions(), -1);
}
END_TEST

Suite *make_migrations_suite(void)
{
    Suite *s = suite_create("migrations");
    TCase *tc = tcase_create("migrate");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, badly_named_files_stop_everything);
    tcase_add_test(tc, two_files_with_one_version);
    tcase_add_test(tc, missing_folder);
    tcase_add_test(tc, failing_migration_is_rolled_back_whole);
    tcase_add_test(tc, edited_after_applying);
    tcase_add_test(tc, data_found_next_to_the_binary);
    tcase_add_test(tc, serve_refuses_a_broken_migrations_folder);
    tcase_add_test(tc, command_line_usage);
    suite_add_tcase(s, tc);
    return s;
}
