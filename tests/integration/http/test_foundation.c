/*
 * test_foundation.c - the server skeleton against a real PostgreSQL:
 * health and readiness, JSON errors for 404/405/413/415/400, static files
 * and security headers, metrics, configuration errors, graceful stop,
 * concurrent migrations, slow clients, pool saturation, and the database
 * stopped and restarted under the running server.
 */
#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

Suite *make_foundation_suite(void);

#define DB "foundation"

static struct server srv;
static const char *json_ct[] = {"Content-Type: application/json", NULL};

static void start_server(void)
{
    harness_fresh_db(DB);
    ck_assert_int_eq(harness_server_start(&srv, DB, NULL), 0);
}

static void stop_server(void)
{
    harness_server_stop(&srv);
}

/* The value of the metric line that starts with `series` (name and
 * labels) on s's /metrics, or -1 when it is absent. */
static long metric(const struct server *s, const char *series)
{
    struct hresp r;
    long v = -1;
    if (hget(s, "/metrics", &r) == 0 && r.status == 200) {
        size_t n = strlen(series);
        for (const char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
            if (strncmp(p, series, n) == 0 && p[n] == ' ') {
                v = strtol(p + n + 1, NULL, 10);
                break;
            }
        }
    }
    hresp_free(&r);
    return v;
}

#define POOL_IN_USE   "convene_db_pool_connections{state=\"in_use\"}"
#define OUTBOX_FAILED "convene_outbox_mails{status=\"failed\"}"

static int count_migration_files(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls '%s/sql/migrations' | grep -c '^[0-9]\\{4\\}_.*\\.sql$'",
             getenv("CONVENE_SOURCE_DIR"));
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (fscanf(p, "%d", &n) != 1)
        n = -1;
    pclose(p);
    return n;
}

/* ---- Health, readiness, errors ---- */

START_TEST(healthz_and_readyz)
{
    struct hresp r;
    char buf[512];
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}");
    ck_assert_ptr_nonnull(hresp_header(&r, "X-Request-Id", buf, sizeof buf));
    /* A JSON answer: a policy that allows nothing, not the page policy. */
    ck_assert_str_eq(hresp_header(&r, "Content-Security-Policy", buf, sizeof buf),
                     "default-src 'none'; frame-ancestors 'none'");
    ck_assert_str_eq(hresp_header(&r, "X-Content-Type-Options", buf, sizeof buf), "nosniff");
    ck_assert_str_eq(hresp_header(&r, "Referrer-Policy", buf, sizeof buf), "same-origin");
    ck_assert_str_eq(hresp_header(&r, "X-Frame-Options", buf, sizeof buf), "DENY");
    ck_assert_ptr_null(hresp_header(&r, "Permissions-Policy", buf, sizeof buf));
    hresp_free(&r);

    ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ready");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "migration")), count_migration_files());
    json_decref(j);
    hresp_free(&r);
}
END_TEST

START_TEST(request_ids_are_echoed_when_plain)
{
    struct hresp r;
    char buf[128];
    const char *h[] = {"X-Request-Id: trace-abc.123", NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/healthz", h, NULL, 0, &r), 0);
    ck_assert_str_eq(hresp_header(&r, "X-Request-Id", buf, sizeof buf), "trace-abc.123");
    hresp_free(&r);
    const char *bad[] = {"X-Request-Id: <script>", NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/healthz", bad, NULL, 0, &r), 0);
    ck_assert_str_ne(hresp_header(&r, "X-Request-Id", buf, sizeof buf), "<script>");
    hresp_free(&r);
}
END_TEST

/* The access-log line of the request with this id, parsed (new
 * reference), or NULL when it has not appeared within 5 s (info lines are
 * written about every 20 ms). */
static json_t *access_log_line(const char *id)
{
    char needle[96];
    snprintf(needle, sizeof needle, "\"id\":\"%s\"", id);
    for (int i = 0; i < 500; i++) {
        json_t *found = NULL;
        FILE *f = fopen(srv.log_path, "r");
        if (f) {
            char *line = NULL;
            size_t cap = 0;
            while (found == NULL && getline(&line, &cap, f) > 0) {
                if (strstr(line, needle) && strstr(line, "\"msg\":\"request\""))
                    found = json_loads(line, 0, NULL);
            }
            free(line);
            fclose(f);
        }
        if (found)
            return found;
        usleep(10000);
    }
    return NULL;
}

START_TEST(access_log_lines)
{
    struct hresp r;
    const char *h[] = {"X-Request-Id: access-log-1", NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/healthz", h, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
    json_t *j = access_log_line("access-log-1");
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "level")), "info");
    ck_assert_str_eq(json_string_value(json_object_get(j, "method")), "GET");
    ck_assert_str_eq(json_string_value(json_object_get(j, "path")), "/healthz");
    ck_assert_str_eq(json_string_value(json_object_get(j, "remote")), "127.0.0.1");
    ck_assert(json_is_integer(json_object_get(j, "status")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 200);
    /* Milliseconds with three decimals: a JSON number, not a string. */
    json_t *ms = json_object_get(j, "ms");
    ck_assert(json_is_real(ms));
    ck_assert(json_real_value(ms) >= 0 && json_real_value(ms) < 10000);
    json_decref(j);

    /* A long raw path with an encoded quote is logged as sent (its line
     * does not fit the stack buffer the server builds most lines in). */
    char path[820];
    strcpy(path, "/api/%22");
    memset(path + 8, 'a', 800);
    path[808] = '\0';
    const char *h2[] = {"X-Request-Id: access-log-2", NULL};
    ck_assert_int_eq(hreq(&srv, "GET", path, h2, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 404);
    hresp_free(&r);
    j = access_log_line("access-log-2");
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "path")), path);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 404);
    json_decref(j);
}
END_TEST

START_TEST(unknown_api_path_is_json_404)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/api/no/such/thing", &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(herr_code(&r), "not_found");
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/no-such-page.html", &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(herr_code(&r), "not_found");
    hresp_free(&r);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct hresp r;
    char buf[128];
    ck_assert_int_eq(hreq(&srv, "DELETE", "/healthz", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(herr_code(&r), "method_not_allowed");
    ck_assert_str_eq(hresp_header(&r, "Allow", buf, sizeof buf), "GET, HEAD");
    hresp_free(&r);
    ck_assert_int_eq(hreq(&srv, "GET", "/api/_test/echo", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(hresp_header(&r, "Allow", buf, sizeof buf), "POST");
    hresp_free(&r);
}
END_TEST

START_TEST(json_body_round_trip)
{
    struct hresp r;
    const char *body = "{\"name\":\"김민준 สมชาย अमित\",\"n\":3}";
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "echo"), "name")),
                     "김민준 สมชาย अमित");
    json_decref(j);
    hresp_free(&r);
}
END_TEST

START_TEST(wrong_content_type_is_415)
{
    struct hresp r;
    const char *h[] = {"Content-Type: text/plain", NULL};
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", h, "{}", 2, &r), 0);
    ck_assert_int_eq(r.status, 415);
    ck_assert_str_eq(herr_code(&r), "unsupported_media_type");
    hresp_free(&r);
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 415);
    hresp_free(&r);
}
END_TEST

START_TEST(malformed_json_is_400_with_position)
{
    struct hresp r;
    const char *body = "{\"a\": 1,\n \"b\": tru}";
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(herr_code(&r), "invalid_json");
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *e = json_object_get(j, "error");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "line")), 2);
    ck_assert_int_gt(json_integer_value(json_object_get(e, "column")), 0);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "message")), "line 2"));
    json_decref(j);
    hresp_free(&r);

    const char *cases[] = {"[1,2]", "\"text\"", "{\"a\":1,\"a\":2}", "{\"a\":\"\xff\xfe\"}",
                           "{",     "   "};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(
            hreq(&srv, "POST", "/api/_test/echo", json_ct, cases[i], strlen(cases[i]), &r), 0);
        ck_assert_msg(r.status == 400, "case %zu gave %ld", i, r.status);
        ck_assert_str_eq(herr_code(&r), "invalid_json");
        hresp_free(&r);
    }
}
END_TEST

START_TEST(oversized_body_is_413)
{
    /* The default cap is 1 MiB; send 2 MiB with a Content-Length. */
    size_t n = 2u << 20;
    char *big = malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    struct hresp r;
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, big, n, &r), 0);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(herr_code(&r), "payload_too_large");
    hresp_free(&r);
    free(big);
    /* The server is still fine afterwards. */
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
}
END_TEST

/* Sends a chunked body of `total` bytes over a raw socket; returns the
 * status line's code. */
static int raw_chunked_post(size_t total)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *head = "POST /api/_test/echo HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    char chunk[65536 + 32];
    size_t sent = 0;
    while (sent < total) {
        size_t n = total - sent < 65536 ? total - sent : 65536;
        int hl = snprintf(chunk, sizeof chunk, "%zx\r\n", n);
        memset(chunk + hl, ' ', n);
        if (sent == 0)
            chunk[hl] = '{';
        memcpy(chunk + hl + n, "\r\n", 2);
        if (send(fd, chunk, (size_t)hl + n + 2, MSG_NOSIGNAL) < 0)
            break; /* the server may close early: that is fine */
        sent += n;
    }
    send(fd, "1\r\n}\r\n0\r\n\r\n", 11, MSG_NOSIGNAL);
    char resp[512] = "";
    ssize_t got = recv(fd, resp, sizeof resp - 1, 0);
    close(fd);
    int code = 0;
    if (got > 12)
        sscanf(resp, "HTTP/1.1 %d", &code);
    return code;
}

START_TEST(oversized_chunked_body_is_413)
{
    ck_assert_int_eq(raw_chunked_post(3u << 20), 413);
    ck_assert_int_eq(raw_chunked_post(1000), 200);
}
END_TEST

START_TEST(static_files_with_headers)
{
    struct hresp r;
    char buf[512];
    ck_assert_int_eq(hget(&srv, "/", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "<title"));
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Type", buf, sizeof buf));
    ck_assert_ptr_nonnull(strstr(buf, "text/html"));
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Security-Policy", buf, sizeof buf));
    ck_assert_ptr_nonnull(strstr(buf, "script-src 'self'"));
    ck_assert_ptr_nonnull(strstr(buf, "frame-ancestors 'none'"));
    ck_assert_str_eq(hresp_header(&r, "X-Content-Type-Options", buf, sizeof buf), "nosniff");
    ck_assert_str_eq(hresp_header(&r, "X-Frame-Options", buf, sizeof buf), "DENY");
    ck_assert_str_eq(hresp_header(&r, "Cross-Origin-Opener-Policy", buf, sizeof buf),
                     "same-origin");
    ck_assert_ptr_nonnull(hresp_header(&r, "Permissions-Policy", buf, sizeof buf));
    ck_assert_str_eq(hresp_header(&r, "Cache-Control", buf, sizeof buf), "no-cache");
    ck_assert_ptr_nonnull(hresp_header(&r, "ETag", buf, sizeof buf));
    hresp_free(&r);

    /* Path tricks do not leave the web root. */
    const char *tricks[] = {"/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/..%2fCMakeLists.txt",
                            "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"};
    for (size_t i = 0; i < sizeof tricks / sizeof tricks[0]; i++) {
        ck_assert_int_eq(hget(&srv, tricks[i], &r), 0);
        ck_assert_msg(r.status == 404, "%s gave %ld", tricks[i], r.status);
        ck_assert_str_eq(herr_code(&r), "not_found");
        ck_assert_ptr_null(strstr(r.body, "cmake_minimum_required"));
        ck_assert_ptr_null(strstr(r.body, "root:"));
        hresp_free(&r);
    }
}
END_TEST

START_TEST(metrics_count_requests)
{
    struct hresp r;
    for (int i = 0; i < 3; i++) {
        hget(&srv, "/healthz", &r);
        hresp_free(&r);
    }
    ck_assert_int_eq(hget(&srv, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    const char *line = strstr(
        r.body, "convene_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} ");
    ck_assert_ptr_nonnull(line);
    long n = strtol(
        line +
            strlen(
                "convene_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} "),
        NULL, 10);
    ck_assert_int_ge(n, 3);
    ck_assert_ptr_nonnull(strstr(r.body, "convene_http_request_duration_seconds_bucket"));
    ck_assert_ptr_nonnull(strstr(r.body, "convene_db_pool_connections{state=\"size\"}"));
    ck_assert_ptr_nonnull(strstr(r.body, "convene_db_errors_total"));
    hresp_free(&r);
}
END_TEST

/* ---- Process behaviour ---- */

START_TEST(bad_configuration_exits_2_naming_the_setting)
{
    char err[1024];
    const char *a1[] = {"serve", "--listen", "nonsense", NULL};
    ck_assert_int_eq(harness_run_convene(a1, NULL, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--listen"));
    const char *a2[] = {"serve", NULL};
    const char *e2[] = {"CONVENE_THREADS=many", NULL};
    ck_assert_int_eq(harness_run_convene(a2, e2, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "CONVENE_THREADS"));
    const char *e3[] = {"CONVENE_BODY_LIMIT=10G", NULL};
    ck_assert_int_eq(harness_run_convene(a2, e3, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "CONVENE_BODY_LIMIT"));
    const char *a4[] = {"frobnicate", NULL};
    ck_assert_int_eq(harness_run_convene(a4, NULL, err, sizeof err), 2);
    const char *a5[] = {"serve", "--help", NULL};
    ck_assert_int_eq(harness_run_convene(a5, NULL, err, sizeof err), 0);
    const char *a6[] = {"--version", NULL};
    ck_assert_int_eq(harness_run_convene(a6, NULL, err, sizeof err), 0);
}
END_TEST

START_TEST(unreachable_database_at_start_fails_clearly)
{
    char err[2048];
    const char *a[] = {"migrate", NULL};
    const char *e[] = {"CONVENE_DATABASE_URL=postgresql:///nope?host=/nonexistent&port=1", NULL};
    ck_assert_int_eq(harness_run_convene(a, e, err, sizeof err), 1);
    ck_assert_ptr_nonnull(strstr(err, "cannot connect to the database"));
}
END_TEST

struct slow_arg {
    struct server *s;
    long status;
};

static void *slow_request(void *p)
{
    struct slow_arg *a = p;
    struct hresp r;
    if (hget(a->s, "/api/_test/db-sleep?ms=2000", &r) == 0)
        a->status = r.status;
    hresp_free(&r);
    return NULL;
}

START_TEST(sigterm_finishes_requests_in_flight)
{
    struct server s2;
    ck_assert_int_eq(harness_server_start(&s2, DB, NULL), 0);
    struct slow_arg a = {.s = &s2, .status = 0};
    pthread_t t;
    pthread_create(&t, NULL, slow_request, &a);
    /* In flight: the request holds a pooled connection. */
    WAIT_UNTIL(metric(&s2, POOL_IN_USE) == 1, 10000);
    ck_assert_int_eq(harness_server_stop(&s2), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(a.status, 200);
}
END_TEST

START_TEST(concurrent_migrations_apply_once)
{
    const char *url = harness_fresh_db("foundation_migrate");
    char env[1200];
    snprintf(env, sizeof env, "CONVENE_DATABASE_URL=%s", url);
    pid_t pids[4];
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char err[512];
            const char *a[] = {"migrate", NULL};
            const char *e[] = {env, NULL};
            _exit(harness_run_convene(a, e, err, sizeof err));
        }
    }
    for (int i = 0; i < 4; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        ck_assert(WIFEXITED(st));
        ck_assert_int_eq(WEXITSTATUS(st), 0);
    }
    char *rows = harness_psql("foundation_migrate", "SELECT count(*) FROM schema_migrations");
    ck_assert_ptr_nonnull(rows);
    ck_assert_int_eq(atoi(rows), count_migration_files());
    free(rows);
    /* An applied migration that changed is refused. */
    char *upd = harness_psql("foundation_migrate",
                             "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
    free(upd);
    char err[1024];
    const char *a[] = {"migrate", NULL};
    const char *e[] = {env, NULL};
    ck_assert_int_eq(harness_run_convene(a, e, err, sizeof err), 1);
    ck_assert_ptr_nonnull(strstr(err, "changed after it was applied"));
}
END_TEST

START_TEST(slow_clients_do_not_starve_the_server)
{
    enum { N = 300 };
    int fds[N];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < N; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(fds[i], (struct sockaddr *)&a, sizeof a), 0);
        send(fds[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32, MSG_NOSIGNAL);
    }
    usleep(200000);
    struct hresp r;
    double t0 = harness_now_ms();
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    double ms = harness_now_ms() - t0;
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(ms < 1000, "healthz took %.0f ms with %d slow clients", ms, N);
    hresp_free(&r);
    for (int i = 0; i < N; i++)
        close(fds[i]);
}
END_TEST

struct db_sleep_arg {
    struct server *s;
    long status;
};

static void *db_sleep(void *p)
{
    struct db_sleep_arg *a = p;
    struct hresp r;
    if (hget(a->s, "/api/_test/db-sleep?ms=3000", &r) == 0)
        a->status = r.status;
    hresp_free(&r);
    return NULL;
}

START_TEST(saturated_pool_answers_503_quickly)
{
    struct server s2;
    const char *env[] = {"CONVENE_DB_POOL_SIZE=1", "CONVENE_DB_POOL_WAIT_MS=100", NULL};
    ck_assert_int_eq(harness_server_start(&s2, DB, env), 0);
    struct db_sleep_arg arg = {.s = &s2};
    pthread_t t;
    pthread_create(&t, NULL, db_sleep, &arg);
    /* The only connection is taken. */
    WAIT_UNTIL(metric(&s2, POOL_IN_USE) == 1, 10000);
    struct hresp r;
    char buf[64];
    ck_assert_int_eq(hget(&s2, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 503);
    ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", buf, sizeof buf));
    /* It did not wait for the connection: the answer came while the
     * connection was still taken (held 3 s; the pool waits 100 ms, and
     * 1.5 s leaves room for a loaded machine under ASan). */
    ck_assert_msg(r.seconds < 1.5, "503 took %.3f s", r.seconds);
    ck_assert_int_eq(metric(&s2, POOL_IN_USE), 1);
    hresp_free(&r);
    pthread_join(t, NULL);
    ck_assert_int_eq(arg.status, 200);
    ck_assert_int_eq(hget(&s2, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
    ck_assert_int_eq(harness_server_stop(&s2), 0);
}
END_TEST

START_TEST(database_restart_under_the_running_server)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
    pid_t pid = srv.pid;

    ck_assert_int_eq(harness_pg_stop(), 0);
    double stopped = harness_now_ms();
    double first_503 = -1;
    while (harness_now_ms() - stopped < 3000) {
        ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
        long st = r.status;
        hresp_free(&r);
        if (st == 503) {
            first_503 = harness_now_ms() - stopped;
            break;
        }
        usleep(50000);
    }
    ck_assert_msg(first_503 >= 0 && first_503 < 1000, "readyz 503 after %.0f ms", first_503);
    /* While the database is down: fast 503s, and liveness unaffected. */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
        ck_assert_int_eq(r.status, 503);
        ck_assert_msg(r.seconds < 0.5, "503 took %.3f s", r.seconds);
        hresp_free(&r);
    }
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
    /* /metrics still answers, fast, without the outbox figures (once its
     * cache of 5 s is stale) and counting the reads it could not make. */
    WAIT_UNTIL(metric(&srv, OUTBOX_FAILED) == -1, 8000);
    ck_assert_int_eq(hget(&srv, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.seconds < 0.5, "/metrics took %.3f s", r.seconds);
    ck_assert_ptr_nonnull(strstr(r.body, "convene_db_pool_connections{state=\"size\"}"));
    ck_assert_ptr_null(strstr(r.body, "convene_outbox_oldest_due_seconds "));
    hresp_free(&r);
    ck_assert_int_gt(metric(&srv, "convene_outbox_read_failures_total"), 0);

    ck_assert_int_eq(harness_pg_start(), 0);
    double started = harness_now_ms();
    double back = -1;
    while (harness_now_ms() - started < 5000) {
        ck_assert_int_eq(hget(&srv, "/readyz", &r), 0);
        long st = r.status;
        hresp_free(&r);
        if (st == 200) {
            back = harness_now_ms() - started;
            break;
        }
        usleep(50000);
    }
    ck_assert_msg(back >= 0 && back < 2000, "readyz back after %.0f ms", back);
    ck_assert_int_eq(srv.pid, pid);
    WAIT_UNTIL(metric(&srv, OUTBOX_FAILED) >= 0, 8000);
    ck_assert(harness_server_alive(&srv));
    fprintf(stderr, "database restart: 503 after %.0f ms, ready %.0f ms after restart\n", first_503,
            back);
}
END_TEST

/* ---- The harness's own helpers ---- */

START_TEST(harness_people_and_client_addresses)
{
    const char *email = "harness.tester@example.org", *password = "a long test password 42";
    struct hsession made, in;
    long id = harness_make_user(DB, email, "Harness Tester", NULL, "staff", password, &made);
    ck_assert_int_eq(made.id, id);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, &made, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, email));
    hresp_free(&r);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, NULL, &r), 401);
    ck_assert_str_eq(herr_code(&r), "unauthenticated");
    hresp_free(&r);

    /* Logging in records the test's own client address. */
    char addr[32];
    snprintf(addr, sizeof addr, "%s", harness_client_addr());
    ck_assert_int_eq(strncmp(addr, "127.", 4), 0);
    ck_assert_str_ne(addr, "127.0.0.1");
    ck_assert_int_eq(harness_login(&srv, email, "wrong password", NULL), 401);
    ck_assert_int_eq(harness_login(&srv, email, password, &in), 200);
    ck_assert_int_eq(in.id, id);
    ck_assert_int_gt(strlen(in.csrf), 10);
    ck_assert_int_eq(hcall(&srv, "GET", "/api/me", NULL, &in, &r), 200);
    hresp_free(&r);
    char q[256];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' AND ip = '%s'", addr);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    harness_new_client();
    ck_assert_str_ne(harness_client_addr(), addr);
}
END_TEST

Suite *make_foundation_suite(void)
{
    Suite *s = suite_create("foundation");
    TCase *tc = tcase_create("server");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, healthz_and_readyz);
    tcase_add_test(tc, request_ids_are_echoed_when_plain);
    tcase_add_test(tc, access_log_lines);
    tcase_add_test(tc, unknown_api_path_is_json_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, json_body_round_trip);
    tcase_add_test(tc, wrong_content_type_is_415);
    tcase_add_test(tc, malformed_json_is_400_with_position);
    tcase_add_test(tc, oversized_body_is_413);
    tcase_add_test(tc, oversized_chunked_body_is_413);
    tcase_add_test(tc, static_files_with_headers);
    tcase_add_test(tc, metrics_count_requests);
    tcase_add_test(tc, harness_people_and_client_addresses);
    tcase_add_test(tc, bad_configuration_exits_2_naming_the_setting);
    tcase_add_test(tc, unreachable_database_at_start_fails_clearly);
    tcase_add_test(tc, sigterm_finishes_requests_in_flight);
    tcase_add_test(tc, concurrent_migrations_apply_once);
    tcase_add_test(tc, slow_clients_do_not_starve_the_server);
    tcase_add_test(tc, saturated_pool_answers_503_quickly);
    tcase_add_test(tc, database_restart_under_the_running_server);
    suite_add_tcase(s, tc);
    return s;
}
