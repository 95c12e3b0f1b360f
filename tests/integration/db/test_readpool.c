/*
 * test_readpool.c - reads that may lag (CONVENE_DATABASE_READ_URL): the
 * database layer's db_acquire_read falls back to the primary pool when the
 * read pool cannot connect, uses the read pool when it can (a primary
 * there is always caught up), and db_wal_lsn reads a position that moves
 * with writes. Then the server: with its read URL pointing at nothing the
 * catalogue, the public feed, the gallery and published results are
 * served from the primary (and /metrics says so), and with a read URL
 * that works a change still reaches the cached catalogue.
 *
 * A real streaming replica (caught up, stopped, behind) is exercised by
 * tests/nodes/run.sh, which starts one.
 */
#include "db/db.h"
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *make_readpool_suite(void);

#define DB      "readpool"
#define NOWHERE "postgresql:///convene?host=/nonexistent&port=1"

static struct db_pool *primary;

static void setup(void)
{
    harness_fresh_db(DB);
    struct db_pool_config cfg = {
        .conninfo = harness_pg_url(DB), .size = 2, .wait_ms = 500, .connect_timeout_s = 2};
    primary = db_pool_new(&cfg);
}

static void teardown(void)
{
    db_pool_free(primary);
}

static struct db_pool *pool_on(const char *conninfo)
{
    struct db_pool_config cfg = {
        .conninfo = conninfo, .size = 2, .wait_ms = 500, .connect_timeout_s = 1};
    return db_pool_new(&cfg);
}

/* Whether c answers a query (the connection works). */
static bool answers(struct db_conn *c)
{
    struct db_result *r = db_query(c, "SELECT 41 + 1", 0, NULL);
    bool ok = r != NULL && strcmp(db_value(r, 0, 0), "42") == 0;
    db_result_free(r);
    return ok;
}

START_TEST(read_pool_down_falls_back_to_primary)
{
    struct db_pool *read = pool_on(NOWHERE);
    for (int round = 0; round < 3; round++) {
        /* First a failed connect, then the back-off: both give the
         * primary's connection, and quickly. */
        double t0 = harness_now_ms();
        bool standby = true;
        struct db_conn *c = db_acquire_read(read, primary, 0, &standby);
        ck_assert_ptr_nonnull(c);
        ck_assert(!standby);
        ck_assert(answers(c));
        struct db_pool_stats ps, rs;
        db_pool_stats(primary, &ps);
        db_pool_stats(read, &rs);
        ck_assert_int_eq(ps.in_use, 1); /* the primary's connection */
        ck_assert_int_eq(rs.in_use, 0);
        ck_assert_int_eq(rs.connected, 0);
        db_release(c);
        ck_assert_double_lt(harness_now_ms() - t0, 1500);
    }
    db_pool_free(read);
}
END_TEST

START_TEST(no_read_pool_means_primary)
{
    bool standby = true;
    struct db_conn *c = db_acquire_read(NULL, primary, 12345, &standby);
    ck_assert_ptr_nonnull(c);
    ck_assert(!standby);
    struct db_pool_stats ps;
    db_pool_stats(primary, &ps);
    ck_assert_int_eq(ps.in_use, 1);
    db_release(c);
}
END_TEST

START_TEST(read_pool_that_connects_is_used)
{
    /* A read pool on a server not in recovery (here the primary itself):
     * it has everything, whatever position is asked for. */
    struct db_pool *read = pool_on(harness_pg_url(DB));
    bool standby = true;
    struct db_conn *c = db_acquire_read(read, primary, UINT64_MAX - 1, &standby);
    ck_assert_ptr_nonnull(c);
    ck_assert(!standby);
    ck_assert(answers(c));
    struct db_pool_stats ps, rs;
    db_pool_stats(primary, &ps);
    db_pool_stats(read, &rs);
    ck_assert_int_eq(rs.in_use, 1);
    ck_assert_int_eq(ps.in_use, 0);
    db_release(c);
    db_pool_free(read);
}
END_TEST

START_TEST(wal_position_moves_with_writes)
{
    struct db_conn *c = db_acquire(primary);
    ck_assert_ptr_nonnull(c);
    uint64_t before = db_wal_lsn(c);
    ck_assert_uint_gt(before, 0);
    ck_assert_int_eq(db_exec(c, "CREATE TABLE moved AS SELECT generate_series(1, 1000) AS n"), 0);
    uint64_t after = db_wal_lsn(c);
    ck_assert_uint_gt(after, before);
    db_release(c);
    /* A connection that failed reads no position. */
    struct db_pool *read = pool_on(NOWHERE);
    ck_assert_ptr_null(db_acquire(read));
    db_pool_free(read);
}
END_TEST

/* ---- The server ---- */

#define SDB "readpool_srv"

static struct server srv;

/* The value of the series `name` in a /metrics answer, or -1. */
static long metric(const char *name)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    long v = -1;
    const char *at = strstr(r.body, name);
    while (at != NULL && at > r.body && at[-1] != '\n')
        at = strstr(at + 1, name);
    if (at != NULL)
        v = strtol(at + strlen(name), NULL, 10);
    hresp_free(&r);
    return v;
}

#define STANDBY_READS "convene_db_reads_total{served_by=\"standby\"} "
#define PRIMARY_READS "convene_db_reads_total{served_by=\"primary\"} "

static long status_of(const char *path)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, path, &r), 0);
    long status = r.status;
    hresp_free(&r);
    return status;
}

START_TEST(server_with_replica_down_serves_from_primary)
{
    harness_fresh_db(SDB);
    const char *env[] = {"CONVENE_DATABASE_READ_URL=" NOWHERE, NULL};
    ck_assert_int_eq(harness_server_start(&srv, SDB, env), 0);
    long before = metric(PRIMARY_READS);
    ck_assert_int_ge(before, 0);
    ck_assert_int_eq(status_of("/api/activities"), 200);
    ck_assert_int_eq(status_of("/api/calendar.ics"), 200);
    ck_assert_int_eq(status_of("/api/awards/gallery"), 200);
    /* Built once each (cached after), every build from the primary. */
    ck_assert_int_ge(metric(PRIMARY_READS), before + 3);
    ck_assert_int_eq(metric(STANDBY_READS), 0);
    /* Everything else never asks the read pool. */
    long reads = metric(PRIMARY_READS);
    ck_assert_int_eq(status_of("/readyz"), 200);
    ck_assert_int_eq(metric(PRIMARY_READS), reads);
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

static bool list_has(const char *slug)
{
    struct hresp r;
    if (hget(&srv, "/api/activities?when=all&per_page=100", &r) != 0)
        return false;
    bool found = r.status == 200 && r.body && strstr(r.body, slug) != NULL;
    hresp_free(&r);
    return found;
}

START_TEST(server_with_read_url_sees_changes)
{
    harness_fresh_db(SDB);
    char env_read[1200];
    snprintf(env_read, sizeof env_read, "CONVENE_DATABASE_READ_URL=%s", harness_pg_url(SDB));
    const char *env[] = {env_read, NULL};
    ck_assert_int_eq(harness_server_start(&srv, SDB, env), 0);
    ck_assert(!list_has("readpool-new"));
    /* Cached now; a change must drop it and the rebuild must see it. */
    ck_assert(!list_has("readpool-new"));
    harness_sql(SDB, "INSERT INTO activities (slug, kind, title, mode, status, timezone, "
                     "starts_on, ends_on) VALUES ('readpool-new', 'workshop', 'Read pool', "
                     "'open', 'published', 'Asia/Seoul', '2030-05-22', '2030-05-26')");
    WAIT_UNTIL(list_has("readpool-new"), 5000);
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_readpool_suite(void)
{
    Suite *s = suite_create("readpool");
    TCase *tc = tcase_create("db");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, read_pool_down_falls_back_to_primary);
    tcase_add_test(tc, no_read_pool_means_primary);
    tcase_add_test(tc, read_pool_that_connects_is_used);
    tcase_add_test(tc, wal_position_moves_with_writes);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("server");
    tcase_add_checked_fixture(ts, harness_test_setup, NULL);
    tcase_set_timeout(ts, 120);
    tcase_add_test(ts, server_with_replica_down_serves_from_primary);
    tcase_add_test(ts, server_with_read_url_sees_changes);
    suite_add_tcase(s, ts);
    return s;
}
