/*
 * test_dbapi.c - the database layer (src/db/db.c) called directly against
 * the test cluster: what each failure reports (SQLSTATE, column,
 * constraint, detail, a lost connection), result accessors at and past
 * their bounds, registered statements, COPY OUT in whole-row batches and a
 * sink that gives up, literals, LISTEN/NOTIFY, and the pool (a saturated
 * pool, transactions left open, an unreachable server, a backend killed
 * while idle).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ratelimit.h"
#include "db/db.h"
#include "harness.h"

Suite *make_dbapi_suite(void);

#define DB "dbapi"

static struct db_conn *c;

static void setup(void)
{
    harness_fresh_db(DB);
    char err[512];
    c = db_connect(harness_pg_url(DB), 5, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(db_exec(c, "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, "
                                "n int CONSTRAINT n_positive CHECK (n > 0))"),
                     0);
}

static void teardown(void)
{
    db_close(c);
}

START_TEST(failures_say_what_failed)
{
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES (1, 'a', 1)"), 0);
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES (1, 'b', 1)"), -1);
    ck_assert_str_eq(db_error_state(c), "23505");
    ck_assert_str_eq(db_error_constraint(c), "t_pkey");
    ck_assert_str_eq(db_error_detail(c), "Key (id)=(1) already exists.");
    ck_assert(!db_error_is_connection(c));
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES (2, NULL, 1)"), -1);
    ck_assert_str_eq(db_error_state(c), "23502");
    ck_assert_str_eq(db_error_column(c), "name");
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES (2, 'b', 0)"), -1);
    ck_assert_str_eq(db_error_state(c), "23514");
    ck_assert_str_eq(db_error_constraint(c), "n_positive");
    ck_assert_str_eq(db_error_column(c), "");
    ck_assert_int_eq(db_exec(c, "DO $$ BEGIN RAISE EXCEPTION 'seat_taken'; END $$"), -1);
    ck_assert_str_eq(db_error_state(c), "P0001");
    ck_assert_str_eq(db_error_message(c), "seat_taken");
    ck_assert_int_eq(db_exec_script(c, "SELECT 1; SELEC 2;"), -1);
    ck_assert_str_eq(db_error_state(c), "42601");
    const char *m = db_error_message(c);
    ck_assert_uint_gt(strlen(m), 0);
    ck_assert_msg(m[strlen(m) - 1] != '\n' && m[strlen(m) - 1] != ' ', "untrimmed: '%s'", m);
    /* A success clears the last failure. */
    ck_assert_int_eq(db_exec(c, "SELECT 1"), 0);
    ck_assert_str_eq(db_error_state(c), "");
    ck_assert_str_eq(db_error_message(c), "");
    ck_assert_str_eq(db_error_detail(c), "");
}
END_TEST

START_TEST(results_at_their_bounds)
{
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)"), 0);
    struct db_result *r = db_query(c, "UPDATE t SET n = n + 1 WHERE id >= 2", 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(db_affected(r), 2);
    db_result_free(r);
    const char *p[] = {"2"};
    r = db_query(c, "SELECT id, name, NULL::text AS nothing FROM t WHERE id <= $1 ORDER BY id", 1,
                 p);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(db_nrows(r), 2);
    ck_assert_int_eq(db_ncols(r), 3);
    ck_assert_str_eq(db_value(r, 1, 1), "b");
    ck_assert_ptr_null(db_value(r, 0, 2)); /* SQL NULL */
    ck_assert_ptr_null(db_value(r, 2, 0));
    ck_assert_ptr_null(db_value(r, 0, 3));
    ck_assert_ptr_null(db_value(r, -1, 0));
    ck_assert_ptr_null(db_value(r, 0, -1));
    ck_assert_int_eq(db_col(r, "name"), 1);
    ck_assert_int_eq(db_col(r, "missing"), -1);
    db_result_free(r);
    r = db_query(c, "CREATE TABLE u (x int)", 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(db_affected(r), 0);
    db_result_free(r);
    /* A NULL result (a failure) reads as empty. */
    ck_assert_int_eq(db_nrows(NULL), 0);
    ck_assert_int_eq(db_ncols(NULL), 0);
    ck_assert_int_eq(db_affected(NULL), 0);
    ck_assert_ptr_null(db_value(NULL, 0, 0));
    ck_assert_int_eq(db_col(NULL, "id"), -1);
    db_result_free(NULL);
}
END_TEST

START_TEST(registered_statements)
{
    int s = db_register("dbapi_count_t", "SELECT count(*) FROM t WHERE n >= $1::int");
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(db_register("dbapi_count_t", "SELECT 1"), -1);
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 5)"), 0);
    const char *p[] = {"2"};
    for (int i = 0; i < 2; i++) { /* prepared on first use, reused after */
        struct db_result *r = db_run(c, s, 1, p);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(db_value(r, 0, 0), "1");
        db_result_free(r);
    }
    ck_assert_ptr_null(db_run(c, -1, 0, NULL));
    ck_assert_str_eq(db_error_message(c), "unknown statement -1");
    ck_assert_ptr_null(db_run(c, 100000, 0, NULL));
    ck_assert_str_eq(db_error_message(c), "unknown statement 100000");
    int bad = db_register("dbapi_bad", "SELECT FROM WHERE");
    ck_assert_int_ge(bad, 0);
    ck_assert_ptr_null(db_run(c, bad, 0, NULL));
    ck_assert_str_eq(db_error_state(c), "42601");
}
END_TEST

struct sink {
    size_t bytes, rows, batches;
    bool whole_rows;
    int refuse_after; /* batches accepted before refusing; -1: never */
};

static int sink(const char *data, size_t len, void *ud)
{
    struct sink *s = ud;
    if (s->refuse_after >= 0 && (int)s->batches >= s->refuse_after)
        return -1;
    s->batches++;
    s->bytes += len;
    for (size_t i = 0; i < len; i++)
        s->rows += data[i] == '\n';
    if (len == 0 || data[len - 1] != '\n')
        s->whole_rows = false;
    return 0;
}

START_TEST(copy_out_in_whole_row_batches)
{
    /* 5000 rows of "NNNN\t" + 100 x's + "\n": about 530 KB, several batches. */
    const char *sql = "COPY (SELECT lpad(g::text, 4, '0'), repeat('x', 100) FROM "
                      "generate_series(1, 5000) g) TO STDOUT";
    struct sink s = {.whole_rows = true, .refuse_after = -1};
    ck_assert_int_eq(db_copy_out(c, sql, sink, &s), 0);
    ck_assert_uint_eq(s.rows, 5000);
    ck_assert_uint_eq(s.bytes, 5000u * 106u);
    ck_assert_uint_ge(s.batches, 8);
    ck_assert(s.whole_rows);
    /* Not a COPY, or a COPY of nothing that exists. */
    struct sink none = {.whole_rows = true, .refuse_after = -1};
    ck_assert_int_eq(db_copy_out(c, "SELECT 1", sink, &none), -1);
    ck_assert_int_eq(db_copy_out(c, "COPY (SELECT * FROM nope) TO STDOUT", sink, &none), -1);
    ck_assert_str_eq(db_error_state(c), "42P01");
    ck_assert_uint_eq(none.batches, 0);
    /* An empty COPY hands the sink nothing and succeeds. */
    ck_assert_int_eq(db_copy_out(c, "COPY (SELECT 1 WHERE false) TO STDOUT", sink, &none), 0);
    ck_assert_uint_eq(none.batches, 0);
    /* A sink that gives up: the copy stops and the connection is dropped
     * (the only way to abandon COPY OUT); the failure says so. */
    struct sink quit = {.whole_rows = true, .refuse_after = 1};
    ck_assert_int_eq(db_copy_out(c, sql, sink, &quit), -1);
    ck_assert_uint_eq(quit.batches, 1);
    ck_assert_int_eq(db_exec(c, "SELECT 1"), -1);
    ck_assert(db_error_is_connection(c));
    ck_assert_int_eq(db_copy_out(c, sql, sink, &quit), -1);
    ck_assert_ptr_null(db_literal(c, "x"));
}
END_TEST

START_TEST(literals)
{
    char *q = db_literal(c, "it's");
    ck_assert_str_eq(q, "'it''s'");
    free(q);
    q = db_literal(c, "back\\slash");
    ck_assert_str_eq(q, " E'back\\\\slash'");
    free(q);
    ck_assert_ptr_null(db_literal(c, "bad \xff byte"));
}
END_TEST

static void count_fired(const char *channel, void *ud)
{
    if (strcmp(channel, "dbapi_chan") == 0)
        (*(int *)ud)++;
}

START_TEST(listen_and_notify)
{
    ck_assert_int_eq(db_listen(c, "Dbapi"), -1);
    ck_assert_int_eq(db_listen(c, "dbapi-chan"), -1);
    ck_assert_int_eq(db_listen(c, "dbapi_chan; DROP TABLE t"), -1);
    ck_assert_int_eq(db_listen(c, "dbapi_chan"), 0);
    int fired = 0;
    ck_assert_int_eq(db_wait_notify(c, 50, count_fired, &fired), 0);
    harness_sql(DB, "SELECT pg_notify('dbapi_chan', ''), pg_notify('dbapi_chan', 'x')");
    int got = 0;
    WAIT_UNTIL((got += db_wait_notify(c, 200, count_fired, &fired)) >= 2, 10000);
    ck_assert_int_eq(fired, 2);
    /* fired may be NULL. */
    harness_sql(DB, "NOTIFY dbapi_chan");
    got = 0;
    WAIT_UNTIL((got += db_wait_notify(c, 200, NULL, NULL)) >= 1, 10000);
    ck_assert_int_eq(fired, 2);
}
END_TEST

static bool backend_gone(void *pid)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
             (const char *)pid);
    return harness_sql_long(DB, sql) == 0;
}

START_TEST(killed_standalone_connection)
{
    struct db_result *r = db_query(c, "SELECT pg_backend_pid()", 0, NULL);
    ck_assert_ptr_nonnull(r);
    char pid[32];
    snprintf(pid, sizeof pid, "%s", db_value(r, 0, 0));
    db_result_free(r);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    harness_sql(DB, sql);
    ck_assert(harness_wait_until(backend_gone, pid, 10000));
    ck_assert_int_eq(db_exec(c, "SELECT 1"), -1);
    ck_assert(db_error_is_connection(c));
    ck_assert_int_eq(db_wait_notify(c, 10, NULL, NULL), -1);
    ck_assert_int_eq(db_listen(c, "dbapi_chan"), -1);
    ck_assert_int_eq(db_exec_script(c, "SELECT 1"), -1);
}
END_TEST

START_TEST(refused_connection_explains)
{
    char err[512] = "";
    struct db_conn *x =
        db_connect("postgresql:///nope?host=/nonexistent&port=1", 1, err, sizeof err);
    ck_assert_ptr_null(x);
    ck_assert_uint_gt(strlen(err), 0);
    ck_assert_msg(err[strlen(err) - 1] != '\n', "untrimmed: %s", err);
    db_close(NULL);
}
END_TEST

static long pool_backend_pid(struct db_conn *pc)
{
    struct db_result *r = db_query(pc, "SELECT pg_backend_pid()", 0, NULL);
    ck_assert_ptr_nonnull(r);
    long pid = strtol(db_value(r, 0, 0), NULL, 10);
    db_result_free(r);
    return pid;
}

START_TEST(pool_rolls_back_and_saturates)
{
    struct db_pool_config cfg = {
        .conninfo = harness_pg_url(DB), .size = 1, .wait_ms = 100, .connect_timeout_s = 2};
    struct db_pool *p = db_pool_new(&cfg);
    struct db_conn *a = db_acquire(p);
    ck_assert_ptr_nonnull(a);
    struct db_pool_stats st;
    db_pool_stats(p, &st);
    ck_assert_int_eq(st.size, 1);
    ck_assert_int_eq(st.in_use, 1);
    /* Saturated: the next borrower is told no within about wait_ms. */
    double t0 = harness_now_ms();
    ck_assert_ptr_null(db_acquire(p));
    ck_assert_double_lt(harness_now_ms() - t0, 5000);
    /* An open transaction is rolled back on release. */
    ck_assert_int_eq(db_begin(a), 0);
    ck_assert_int_eq(db_exec(a, "INSERT INTO t VALUES (7, 'uncommitted', 1)"), 0);
    db_release(a);
    a = db_acquire(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM t WHERE id = 7"), 0);
    /* So is a failed one, and the connection stays usable. */
    ck_assert_int_eq(db_begin(a), 0);
    ck_assert_int_eq(db_exec(a, "SELECT * FROM nope"), -1);
    db_release(a);
    a = db_acquire(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(db_exec(a, "INSERT INTO t VALUES (8, 'committed', 1)"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM t WHERE id = 8"), 1);
    /* A backend killed while the connection sat idle costs no request. */
    long pid = pool_backend_pid(a);
    db_release(a);
    char sql[128], pidtext[32];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%ld)", pid);
    harness_sql(DB, sql);
    snprintf(pidtext, sizeof pidtext, "%ld", pid);
    ck_assert(harness_wait_until(backend_gone, pidtext, 10000));
    a = db_acquire(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_ne(pool_backend_pid(a), pid);
    db_release(a);
    db_release(NULL);
    db_pool_free(p);
    db_pool_free(NULL);
}
END_TEST

START_TEST(pool_to_nowhere_fails_fast)
{
    struct db_pool_config cfg = {.conninfo = "postgresql:///nope?host=/nonexistent&port=1",
                                 .size = 2,
                                 .wait_ms = 100,
                                 .connect_timeout_s = 1};
    struct db_pool *p = db_pool_new(&cfg);
    ck_assert_ptr_null(db_acquire(p));
    /* Within the back-off, a second try fails at once. */
    double t0 = harness_now_ms();
    ck_assert_ptr_null(db_acquire(p));
    ck_assert_double_lt(harness_now_ms() - t0, 500);
    struct db_pool_stats st;
    db_pool_stats(p, &st);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.connected, 0);
    db_pool_free(p);
}
END_TEST

/* ---- Rate limits (fixed windows in the rate_limits table) ---- */

#define RLDB "dbapi_rl"

static struct db_conn *rl;

static void rl_setup(void)
{
    harness_fresh_db(RLDB);
    char env[300], err[2048];
    snprintf(env, sizeof env, "CONVENE_DATABASE_URL=%s", harness_pg_url(RLDB));
    const char *args[] = {"migrate", NULL};
    const char *envs[] = {env, NULL};
    ck_assert_msg(harness_run_convene(args, envs, err, sizeof err) == 0, "%s", err);
    ratelimit_statements();
    rl = db_connect(harness_pg_url(RLDB), 5, err, sizeof err);
    ck_assert_msg(rl != NULL, "%s", err);
}

static void rl_teardown(void)
{
    db_close(rl);
}

START_TEST(rate_limit_counts_checks_refunds_and_clears)
{
    int retry = -1;
    ck_assert_int_eq(ratelimit_hit(rl, "login:a", 2, 60, &retry), 1);
    ck_assert_int_eq(ratelimit_hit(rl, "login:a", 2, 60, &retry), 1);
    ck_assert_int_eq(retry, -1);
    ck_assert_int_eq(ratelimit_hit(rl, "login:a", 2, 60, &retry), 0);
    ck_assert_int_ge(retry, 1);
    ck_assert_int_le(retry, 60);
    /* Other keys count on their own; a check counts nothing. */
    ck_assert_int_eq(ratelimit_check(rl, "login:b", 1, 60, &retry), 1);
    ck_assert_int_eq(ratelimit_hit(rl, "login:b", 1, 60, &retry), 1);
    ck_assert_int_eq(ratelimit_check(rl, "login:b", 1, 60, &retry), 0);
    ck_assert_int_eq(ratelimit_check(rl, "login:b", 2, 60, &retry), 1);
    ck_assert_int_eq(harness_sql_long(RLDB, "SELECT count FROM rate_limits WHERE key = 'login:b'"),
                     1);
    /* login:a holds 3: over a limit of 3 on check, under after a refund. */
    retry = -1;
    ck_assert_int_eq(ratelimit_check(rl, "login:a", 3, 60, &retry), 0);
    ck_assert_int_ge(retry, 1);
    ck_assert_int_eq(ratelimit_refund(rl, "login:a"), 0);
    ck_assert_int_eq(ratelimit_check(rl, "login:a", 3, 60, &retry), 1);
    /* A refund never goes below zero, and refunding nothing is fine. */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ratelimit_refund(rl, "login:a"), 0);
    ck_assert_int_eq(harness_sql_long(RLDB, "SELECT count FROM rate_limits WHERE key = 'login:a'"),
                     0);
    ck_assert_int_eq(ratelimit_refund(rl, "nobody"), 0);
    /* Cleared, the key starts again at one. */
    ck_assert_int_eq(ratelimit_clear(rl, "login:b"), 0);
    ck_assert_int_eq(harness_sql_long(RLDB, "SELECT count(*) FROM rate_limits WHERE key = "
                                            "'login:b'"),
                     0);
    ck_assert_int_eq(ratelimit_hit(rl, "login:b", 1, 60, &retry), 1);
}
END_TEST

START_TEST(rate_limit_windows_end)
{
    int retry = 0;
    ck_assert_int_eq(ratelimit_hit(rl, "w", 1, 1, &retry), 1);
    ck_assert_int_eq(ratelimit_hit(rl, "w", 1, 1, &retry), 0);
    ck_assert_int_eq(retry, 1);
    /* Once the one-second window is over, an attempt counts as the first
     * of a new window (and a check no longer sees the old one). */
    WAIT_UNTIL(ratelimit_check(rl, "w", 1, 1, &retry) == 1, 10000);
    ck_assert_int_eq(ratelimit_hit(rl, "w", 1, 1, &retry), 1);
    ck_assert_int_eq(harness_sql_long(RLDB, "SELECT count FROM rate_limits WHERE key = 'w'"), 1);
}
END_TEST

START_TEST(rate_limit_on_a_lost_connection)
{
    struct db_result *r = db_query(rl, "SELECT pg_backend_pid()", 0, NULL);
    ck_assert_ptr_nonnull(r);
    char pid[32];
    snprintf(pid, sizeof pid, "%s", db_value(r, 0, 0));
    db_result_free(r);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    harness_sql(RLDB, sql);
    int retry = 0;
    /* The first call notices the loss; all answer -1, none allows. */
    WAIT_UNTIL(ratelimit_hit(rl, "x", 5, 60, &retry) == -1, 10000);
    ck_assert_int_eq(ratelimit_check(rl, "x", 5, 60, &retry), -1);
    ck_assert_int_eq(ratelimit_clear(rl, "x"), -1);
    ck_assert_int_eq(ratelimit_refund(rl, "x"), -1);
}
END_TEST

Suite *make_dbapi_suite(void)
{
    Suite *s = suite_create("dbapi");
    TCase *tc = tcase_create("dbapi");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, failures_say_what_failed);
    tcase_add_test(tc, results_at_their_bounds);
    tcase_add_test(tc, registered_statements);
    tcase_add_test(tc, copy_out_in_whole_row_batches);
    tcase_add_test(tc, literals);
    tcase_add_test(tc, listen_and_notify);
    tcase_add_test(tc, killed_standalone_connection);
    tcase_add_test(tc, refused_connection_explains);
    tcase_add_test(tc, pool_rolls_back_and_saturates);
    tcase_add_test(tc, pool_to_nowhere_fails_fast);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("ratelimit");
    tcase_add_checked_fixture(tr, harness_test_setup, NULL);
    tcase_add_checked_fixture(tr, rl_setup, rl_teardown);
    tcase_set_timeout(tr, 120);
    tcase_add_test(tr, rate_limit_counts_checks_refunds_and_clears);
    tcase_add_test(tr, rate_limit_windows_end);
    tcase_add_test(tr, rate_limit_on_a_lost_connection);
    suite_add_tcase(s, tr);
    return s;
}
