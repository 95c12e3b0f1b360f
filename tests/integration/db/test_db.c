/*
 * test_db.c - the connection pool across a PostgreSQL restart: a pool whose
 * every connection was in use before the restart must not answer the
 * requests after it with 503s (each borrowed connection is checked and
 * replaced when the server has gone away), and readiness comes back within
 * a second of the database. And the pool's memory: a connection that read
 * or sent a message of more than 1 MiB (libpq keeps buffers that large for
 * the connection's life) is closed when released, one that read many small
 * rows is kept.
 */
#include "db/db.h"
#include "harness.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DB   "dbpool"
#define POOL 6

static struct server srv;

static void start_server(void)
{
    harness_fresh_db(DB);
    const char *env[] = {"CONVENE_DB_POOL_SIZE=6", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
}

static void stop_server(void)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}

static void *hold_connection(void *arg)
{
    long *status = arg;
    struct hresp r;
    *status = -1;
    if (hget(&srv, "/api/_test/db-sleep?ms=300", &r) == 0)
        *status = r.status;
    hresp_free(&r);
    return NULL;
}

/* Makes every pooled connection connect: POOL requests that overlap. */
static void connect_whole_pool(void)
{
    pthread_t t[POOL];
    long status[POOL];
    for (int i = 0; i < POOL; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hold_connection, &status[i]), 0);
    for (int i = 0; i < POOL; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(status[i], 200);
    }
}

/* Of n sequential requests to a route that always reads the database,
 * how many were not 200. */
static int failures_of(int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        struct hresp r;
        ck_assert_int_eq(hget(&srv, "/api/organisations", &r), 0);
        if (r.status != 200)
            bad++;
        hresp_free(&r);
    }
    return bad;
}

static double ready_within_ms(double limit_ms)
{
    double t0 = harness_now_ms();
    while (harness_now_ms() - t0 < limit_ms) {
        struct hresp r;
        ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
        long st = r.status;
        hresp_free(&r);
        if (st == 200)
            return harness_now_ms() - t0;
        usleep(20000);
    }
    return -1;
}

START_TEST(an_idle_restart_costs_no_request)
{
    connect_whole_pool();
    ck_assert_int_eq(failures_of(3), 0);
    /* Restart while nobody asks: every pooled connection is now dead. */
    ck_assert_int_eq(harness_pg_stop(), 0);
    ck_assert_int_eq(harness_pg_start(), 0);
    int bad = failures_of(2 * POOL);
    ck_assert_msg(bad == 0, "%d of %d requests after the restart failed", bad, 2 * POOL);
    /* And again, with the pool used concurrently right after. */
    connect_whole_pool();
    ck_assert_int_eq(harness_pg_stop(), 0);
    ck_assert_int_eq(harness_pg_start(), 0);
    connect_whole_pool();
    ck_assert_int_eq(failures_of(POOL), 0);
}
END_TEST

START_TEST(ready_within_a_second_after_an_outage)
{
    connect_whole_pool();
    ck_assert_int_eq(harness_pg_stop(), 0);
    /* While it is down: 503, and the pool backs off. */
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 503);
    /* In the error shape, saying why, with a time to come back. */
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *e = json_object_get(j, "error");
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "unavailable");
    ck_assert_str_eq(json_string_value(json_object_get(e, "reason")), "database_unreachable");
    json_decref(j);
    char retry[16];
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", retry, sizeof retry));
    hresp_free(&r);
    ck_assert_int_eq(failures_of(3), 3);
    ck_assert_int_eq(harness_pg_start(), 0);
    double ms = ready_within_ms(1000);
    ck_assert_msg(ms >= 0, "readyz not 200 within 1 s after the database came back");
    ck_assert_int_le(failures_of(2 * POOL), 0);
    fprintf(stderr, "db: ready %.0f ms after the database came back\n", ms);
}
END_TEST

/* ---- The pool's memory: a pool of one connection, used directly ---- */

#define BUF_DB "dbbuffers"

static struct db_pool *pool;
static int st_length = -1;

static void start_pool(void)
{
    const char *url = harness_fresh_db(BUF_DB);
    st_length = db_register("t_length", "SELECT octet_length($1::bytea)");
    struct db_pool_config cfg = {
        .conninfo = url, .size = 1, .wait_ms = 1000, .connect_timeout_s = 5};
    pool = db_pool_new(&cfg);
}

static void stop_pool(void)
{
    db_pool_free(pool);
    pool = NULL;
}

/* The backend pid of the pool's connection (borrowed and given back). */
static long backend_pid(void)
{
    struct db_conn *c = db_acquire(pool);
    ck_assert_ptr_nonnull(c);
    struct db_result *r = db_query(c, "SELECT pg_backend_pid()", 0, NULL);
    ck_assert_ptr_nonnull(r);
    long pid = strtol(db_value(r, 0, 0), NULL, 10);
    db_result_free(r);
    db_release(c);
    return pid;
}

/* Runs sql on the pool's connection, checks it returned `rows` rows whose
 * first value is `len` bytes long, and gives the connection back. */
static void read_rows(const char *sql, int rows, size_t len)
{
    struct db_conn *c = db_acquire(pool);
    ck_assert_ptr_nonnull(c);
    struct db_result *r = db_query(c, sql, 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(db_nrows(r), rows);
    ck_assert_uint_eq(db_value_len(r, 0, 0), len);
    db_result_free(r);
    db_release(c);
}

START_TEST(a_row_over_a_mib_costs_its_connection)
{
    long pid = backend_pid();
    /* Rows up to 1 MiB, and 2 MiB of small rows: the connection stays. */
    read_rows("SELECT repeat('x', 1000000)", 1, 1000000);
    read_rows("SELECT repeat('x', 1000) FROM generate_series(1, 2000)", 2000, 1000);
    ck_assert_int_eq(backend_pid(), pid);
    /* One row of 1.1 MB: closed when given back, the next loan connects. */
    read_rows("SELECT repeat('x', 1100000)", 1, 1100000);
    long fresh = backend_pid();
    ck_assert_int_ne(fresh, pid);
    /* And the new one is kept again. */
    ck_assert_int_eq(backend_pid(), fresh);
}
END_TEST

static int count_bytes(const char *data, size_t len, void *ud)
{
    (void)data;
    *(size_t *)ud += len;
    return 0;
}

START_TEST(a_copy_row_over_a_mib_costs_its_connection)
{
    long pid = backend_pid();
    struct db_conn *c = db_acquire(pool);
    ck_assert_ptr_nonnull(c);
    size_t bytes = 0;
    /* 2 MB in rows of 1001 bytes (with the newline): kept. */
    ck_assert_int_eq(db_copy_out(c,
                                 "COPY (SELECT repeat('x', 1000) FROM generate_series(1, 2000)) "
                                 "TO STDOUT",
                                 count_bytes, &bytes),
                     0);
    ck_assert_uint_eq(bytes, 2000 * 1001);
    db_release(c);
    ck_assert_int_eq(backend_pid(), pid);
    /* One row of 1.1 MB: closed. */
    c = db_acquire(pool);
    ck_assert_ptr_nonnull(c);
    bytes = 0;
    ck_assert_int_eq(
        db_copy_out(c, "COPY (SELECT repeat('x', 1100000)) TO STDOUT", count_bytes, &bytes), 0);
    ck_assert_uint_eq(bytes, 1100001);
    db_release(c);
    ck_assert_int_ne(backend_pid(), pid);
}
END_TEST

START_TEST(binary_parameters_over_a_mib_cost_their_connection)
{
    size_t sizes[] = {1000000, 1100000};
    for (int i = 0; i < 2; i++) {
        long pid = backend_pid();
        char *data = calloc(1, sizes[i]);
        ck_assert_ptr_nonnull(data);
        const char *values[] = {data};
        const int lengths[] = {(int)sizes[i]};
        const int binary[] = {1};
        struct db_conn *c = db_acquire(pool);
        ck_assert_ptr_nonnull(c);
        struct db_result *r = db_run_params(c, st_length, 1, values, lengths, binary, false);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(strtol(db_value(r, 0, 0), NULL, 10), (long)sizes[i]);
        db_result_free(r);
        db_release(c);
        free(data);
        if (i == 0)
            ck_assert_int_eq(backend_pid(), pid);
        else
            ck_assert_int_ne(backend_pid(), pid);
    }
}
END_TEST

Suite *make_db_suite(void);
Suite *make_db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *buffers = tcase_create("buffers");
    tcase_add_unchecked_fixture(buffers, start_pool, stop_pool);
    tcase_set_timeout(buffers, 60);
    tcase_add_test(buffers, a_row_over_a_mib_costs_its_connection);
    tcase_add_test(buffers, a_copy_row_over_a_mib_costs_its_connection);
    tcase_add_test(buffers, binary_parameters_over_a_mib_cost_their_connection);
    suite_add_tcase(s, buffers);
    TCase *tc = tcase_create("restart");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, an_idle_restart_costs_no_request);
    tcase_add_test(tc, ready_within_a_second_after_an_outage);
    suite_add_tcase(s, tc);
    return s;
}
