/*
 * test_seed.c - `convene seed` over data folders of the test's own (the
 * real migrations, seed files written or changed by the test): a missing
 * or malformed file, or a row the database refuses, fails the whole seed
 * and leaves nothing behind (one transaction); activities dated only by a
 * label get their period from it; a second seed adds nothing.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

Suite *make_seed_suite(void);

#define DB "seed"

static char root[128];
static char out[16384];

/* Runs `convene seed` on the test data folder; stdout and stderr land in
 * out. The demo accounts' passwords get fast hashes: this is not about
 * Argon2. Returns the exit status. */
static int seed(void)
{
    char dir[256], url[512];
    snprintf(dir, sizeof dir, "CONVENE_DATA_DIR=%s", root);
    snprintf(url, sizeof url, "CONVENE_DATABASE_URL=%s", harness_pg_url(DB));
    const char *env[] = {dir, url, "CONVENE_ARGON2_MEMLIMIT=8M", "CONVENE_ARGON2_OPSLIMIT=1", NULL};
    const char *args[] = {"seed", NULL};
    const struct harness_exec_opts o = {.env = env, .with_stdout = true};
    int rc = harness_exec(&o, args, out, sizeof out);
    ck_assert_msg(rc >= 0, "convene died: %s", out);
    return rc;
}

static void write_seed(const char *name, const char *text)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sql/seed/%s", root, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Copies the project's seed file `name` into the test's folder. */
static void copy_seed(const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s/sql/seed/%s' '%s/sql/seed/%s'", getenv("CONVENE_SOURCE_DIR"),
             name, root, name);
    ck_assert_int_eq(system(cmd), 0);
}

static long count(const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return harness_sql_long(DB, sql);
}

static void assert_nothing_seeded(void)
{
    ck_assert_int_eq(count("organisations"), 0);
    ck_assert_int_eq(count("activities"), 0);
    ck_assert_int_eq(count("accounts"), 0);
    ck_assert_int_eq(count("award_cycles"), 0);
}

static void setup(void)
{
    harness_fresh_db(DB);
    snprintf(root, sizeof root, "/tmp/convene-seed-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/sql/seed' && ln -s '%s/sql/migrations' '%s/sql/'", root,
             getenv("CONVENE_SOURCE_DIR"), root);
    ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(missing_or_malformed_files_seed_nothing)
{
    ck_assert_int_eq(seed(), 1);
    ck_assert_ptr_nonnull(strstr(out, "organisations-2023.json"));
    assert_nothing_seeded();
    write_seed("organisations-2023.json", "{\"not\": \"a list\"}");
    ck_assert_int_eq(seed(), 1);
    ck_assert_ptr_nonnull(strstr(out, "organisations-2023.json"));
    assert_nothing_seeded();
    /* Good organisations, but no calendar: the organisations go too. */
    copy_seed("organisations-2023.json");
    ck_assert_int_eq(seed(), 1);
    ck_assert_ptr_nonnull(strstr(out, "activities-2023.json"));
    assert_nothing_seeded();
    write_seed("activities-2023.json", "[1, 2");
    ck_assert_int_eq(seed(), 1);
    ck_assert_ptr_nonnull(strstr(out, "activities-2023.json"));
    assert_nothing_seeded();
}
END_TEST

START_TEST(a_refused_row_seeds_nothing)
{
    copy_seed("organisations-2023.json");
    write_seed("activities-2023.json",
               "[{\"slug\": \"no-such-kind\", \"kind\": \"picnic\", \"section\": \"citynet\", "
               "\"title\": \"A picnic\", \"starts_on\": \"2023-04-03\"}]");
    ck_assert_int_eq(seed(), 1);
    ck_assert_ptr_nonnull(strstr(out, "activity no-such-kind:"));
    assert_nothing_seeded();
    write_seed("organisations-2023.json", "[{\"name\": \"No kind\"}]");
    ck_assert_int_eq(seed(), 1);
    /* The file and the refused row are named. */
    ck_assert_ptr_nonnull(strstr(out, "organisations-2023.json:"));
    ck_assert_ptr_nonnull(strstr(out, "No kind"));
    assert_nothing_seeded();
}
END_TEST

START_TEST(labels_give_periods_and_a_second_seed_adds_nothing)
{
    copy_seed("organisations-2023.json");
    /* The real calendar, plus two activities dated only by a label: one
     * the parser reads, one it cannot (no period then). */
    char path[300];
    snprintf(path, sizeof path, "%s/sql/seed/activities-2023.json", getenv("CONVENE_SOURCE_DIR"));
    json_t *list = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(list);
    size_t real = json_array_size(list);
    json_t *first = json_array_get(list, 0);
    for (int i = 0; i < 2; i++) {
        json_t *a = json_deep_copy(first);
        json_object_del(a, "starts_on");
        json_object_del(a, "ends_on");
        json_object_set_new(a, "slug", json_string(i == 0 ? "label-q3" : "label-tba"));
        json_object_set_new(a, "date_label", json_string(i == 0 ? "Q3" : "To be announced"));
        json_object_set_new(a, "capacity", json_integer(40));
        json_array_append_new(list, a);
    }
    snprintf(path, sizeof path, "%s/sql/seed/activities-2023.json", root);
    ck_assert_int_eq(json_dump_file(list, path, 0), 0);
    json_decref(list);

    ck_assert_msg(seed() == 0, "%s", out);
    char want[64];
    snprintf(want, sizeof want, "activities: %zu added", real + 2);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "award cycles: 1 added"));
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM activities WHERE slug = 'label-q3' "
                                          "AND period_start = '2023-07-01' AND period_end = "
                                          "'2023-09-30' AND capacity = 40"),
                     1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM activities WHERE slug = "
                                          "'label-tba' AND period_start IS NULL"),
                     1);
    long orgs = count("organisations"), accounts = count("accounts");
    ck_assert_int_gt(orgs, 0);
    ck_assert_int_gt(accounts, 0);
    /* Again: nothing new, nothing doubled. */
    ck_assert_msg(seed() == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "organisations: 0 added"));
    ck_assert_ptr_nonnull(strstr(out, "activities: 0 added"));
    ck_assert_ptr_nonnull(strstr(out, "award cycles: 0 added"));
    ck_assert_int_eq(count("organisations"), orgs);
    ck_assert_int_eq(count("accounts"), accounts);
    ck_assert_int_eq(count("award_cycles"), 1);
}
END_TEST

Suite *make_seed_suite(void)
{
    Suite *s = suite_create("seed");
    TCase *tc = tcase_create("seed");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, missing_or_malformed_files_seed_nothing);
    tcase_add_test(tc, a_refused_row_seeds_nothing);
    tcase_add_test(tc, labels_give_periods_and_a_second_seed_adds_nothing);
    suite_add_tcase(s, tc);
    return s;
}
