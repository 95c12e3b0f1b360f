/*
 * test_db.c - the connection pool across a PostgreSQL restart: a pool whose
 * every connection was in use before the restart must not answer the
 * requests after it with 503s (each borrowed connection is checked and
 * replaced when the server has gone away), and readiness comes back within
 * a second of the database.
 */
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

Suite *make_db_suite(void);
Suite *make_db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("restart");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, an_idle_restart_costs_no_request);
    tcase_add_test(tc, ready_within_a_second_after_an_outage);
    suite_add_tcase(s, tc);
    return s;
}
