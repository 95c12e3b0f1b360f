/*
 * test_hardening.c - findings of the attack on the HTTP layer: deeply
 * nested JSON bodies, the worker stack, /metrics access (allowed addresses
 * and token), /metrics as valid Prometheus text, request ids on static
 * files, and query values that are too long or malformed.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

Suite *make_hardening_suite(void);

#define DB "hardening"

static struct server srv;
static const char *json_ct[] = {"Content-Type: application/json", NULL};

static void start_server(void)
{
    harness_fresh_db(DB);
    ck_assert_int_eq(harness_server_start(&srv, DB, NULL), 0);
}

static void stop_server(void)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}

/* The error code and message of a JSON error body (static buffers). */
static const char *error_code(const struct hresp *r)
{
    static char code[64];
    code[0] = '\0';
    json_t *j = json_loads(r->body, 0, NULL);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (c)
        snprintf(code, sizeof code, "%s", c);
    json_decref(j);
    return code;
}

static const char *error_message(const struct hresp *r)
{
    static char message[512];
    message[0] = '\0';
    json_t *j = json_loads(r->body, 0, NULL);
    const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (m)
        snprintf(message, sizeof message, "%s", m);
    json_decref(j);
    return message;
}

static void assert_healthy(void)
{
    ck_assert(harness_server_alive(&srv));
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
}

/* "[[[...]]]" nested depth deep, optionally inside {"a": ...}. */
static char *nested(size_t depth, bool in_object)
{
    size_t inner = in_object ? depth - 1 : depth;
    char *s = malloc(2 * inner + 16);
    size_t n = 0;
    if (in_object)
        n += (size_t)sprintf(s, "{\"a\":");
    memset(s + n, '[', inner);
    n += inner;
    memset(s + n, ']', inner);
    n += inner;
    if (in_object)
        s[n++] = '}';
    s[n] = '\0';
    return s;
}

/* ---- 9.1: deep JSON ---- */

START_TEST(deep_json_is_refused_before_parsing)
{
    static const char *const paths[] = {"/api/auth/login", "/api/_test/echo"};
    static const size_t depths[] = {33, 1000, 100000};
    for (size_t p = 0; p < 2; p++) {
        for (size_t d = 0; d < 3; d++) {
            char *body = nested(depths[d], false);
            struct hresp r;
            ck_assert_int_eq(hreq(&srv, "POST", paths[p], json_ct, body, strlen(body), &r), 0);
            ck_assert_msg(r.status == 400, "%s depth %zu: %ld", paths[p], depths[d], r.status);
            ck_assert_str_eq(error_code(&r), "too_deep");
            hresp_free(&r);
            free(body);
            assert_healthy();
        }
    }
    /* Brackets inside strings do not count. */
    const char *quoted = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}";
    struct hresp r;
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, quoted, strlen(quoted), &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
}
END_TEST

START_TEST(depth_32_is_accepted)
{
    char *body = nested(32, true);
    struct hresp r;
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *v = json_object_get(json_object_get(j, "echo"), "a");
    int depth = 1;
    while (json_is_array(v)) {
        depth++;
        v = json_array_get(v, 0);
    }
    ck_assert_int_eq(depth, 32);
    json_decref(j);
    hresp_free(&r);
    free(body);
    body = nested(33, true);
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, body, strlen(body), &r), 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(error_code(&r), "too_deep");
    hresp_free(&r);
    free(body);
}
END_TEST

START_TEST(workers_have_the_chosen_stack)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/api/_test/stack", &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    json_int_t bytes = json_integer_value(json_object_get(j, "stack_bytes"));
    ck_assert_msg(bytes >= 256 * 1024, "worker stack is %lld bytes", (long long)bytes);
    json_decref(j);
    hresp_free(&r);
}
END_TEST

/* ---- 9.7: /metrics only for allowed addresses and the token ---- */

static long metrics_status(const struct server *s, const char *const *headers)
{
    struct hresp r;
    ck_assert_int_eq(hreq(s, "GET", "/metrics", headers, NULL, 0, &r), 0);
    long status = r.status;
    if (status != 200)
        ck_assert_msg(strlen(error_code(&r)) > 0, "not a JSON error: %s", r.body);
    hresp_free(&r);
    return status;
}

START_TEST(metrics_are_for_allowed_addresses)
{
    /* Default: loopback only, and behind a trusted proxy the client counts. */
    struct server s;
    harness_fresh_db(DB "_m1");
    const char *env1[] = {"CONVENE_TRUSTED_PROXIES=127.0.0.1", NULL};
    ck_assert_int_eq(harness_server_start(&s, DB "_m1", env1), 0);
    ck_assert_int_eq(metrics_status(&s, NULL), 200);
    const char *outside[] = {"X-Forwarded-For: 203.0.113.5", NULL};
    ck_assert_int_eq(metrics_status(&s, outside), 403);
    const char *outside6[] = {"X-Forwarded-For: 2001:db8::1", NULL};
    ck_assert_int_eq(metrics_status(&s, outside6), 403);
    ck_assert_int_eq(harness_server_stop(&s), 0);

    /* A list of blocks: loopback itself is then refused. */
    const char *env2[] = {"CONVENE_TRUSTED_PROXIES=127.0.0.1",
                          "CONVENE_METRICS_ALLOW=203.0.113.0/24, 2001:db8::/32", NULL};
    ck_assert_int_eq(harness_server_start(&s, DB "_m1", env2), 0);
    ck_assert_int_eq(metrics_status(&s, NULL), 403);
    ck_assert_int_eq(metrics_status(&s, outside), 200);
    ck_assert_int_eq(metrics_status(&s, outside6), 200);
    const char *other[] = {"X-Forwarded-For: 203.0.114.5", NULL};
    ck_assert_int_eq(metrics_status(&s, other), 403);
    ck_assert_int_eq(harness_server_stop(&s), 0);

    /* With a token, an allowed address also needs it. */
    const char *env3[] = {"CONVENE_METRICS_TOKEN=s3cret-s3cret-s3cret", NULL};
    ck_assert_int_eq(harness_server_start(&s, DB "_m1", env3), 0);
    ck_assert_int_eq(metrics_status(&s, NULL), 401);
    const char *wrong[] = {"Authorization: Bearer s3cret-s3cret-s3creX", NULL};
    ck_assert_int_eq(metrics_status(&s, wrong), 401);
    const char *prefix[] = {"Authorization: Bearer s3cret-s3cret-s3cret-and-more", NULL};
    ck_assert_int_eq(metrics_status(&s, prefix), 401);
    const char *right[] = {"Authorization: Bearer s3cret-s3cret-s3cret", NULL};
    ck_assert_int_eq(metrics_status(&s, right), 200);
    ck_assert_int_eq(harness_server_stop(&s), 0);

    /* Bad settings stop the start with one line naming them. */
    char err[512];
    const char *args[] = {"serve", NULL};
    const char *bad1[] = {"CONVENE_METRICS_ALLOW=10.0.0.0/33", NULL};
    ck_assert_int_eq(harness_run_convene(args, bad1, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "CONVENE_METRICS_ALLOW"));
    const char *bad2[] = {"CONVENE_METRICS_TOKEN=short", NULL};
    ck_assert_int_eq(harness_run_convene(args, bad2, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "CONVENE_METRICS_TOKEN"));
    ck_assert_ptr_null(strstr(err, "short"));
}
END_TEST

/* ---- 9.10 and 8: /metrics is valid Prometheus text ---- */

static bool metric_name_ok(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || s[0] == ':' || (s[0] >= 'a' && s[0] <= 'z') ||
                    (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* Checks one sample line: name{label="value",...} number. Returns the
 * length of the series part (name and labels), or 0 when malformed. */
static size_t sample_ok(const char *line)
{
    size_t n = strcspn(line, "{ ");
    if (!metric_name_ok(line, n))
        return 0;
    const char *p = line + n;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            size_t k = strcspn(p, "=");
            if (!metric_name_ok(p, k) || p[k] != '=' || p[k + 1] != '"')
                return 0;
            p += k + 2;
            while (*p && *p != '"') {
                if (*p == '\\')
                    p++;
                if (*p)
                    p++;
            }
            if (*p != '"')
                return 0;
            p++;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return 0;
        }
        p++;
    }
    size_t series = (size_t)(p - line);
    if (*p != ' ')
        return 0;
    char *end;
    strtod(p + 1, &end);
    if (end == p + 1 || *end != '\0')
        return 0;
    return series;
}

START_TEST(metrics_are_valid_prometheus)
{
    struct hresp r;
    /* Two methods on one pattern, a 405, a 404, a static file. */
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", json_ct, "{}", 2, &r), 0);
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/api/_test/echo", &r), 0);
    ck_assert_int_eq(r.status, 405);
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/api/activities", &r), 0);
    hresp_free(&r);
    ck_assert_int_eq(hreq(&srv, "POST", "/api/activities", json_ct, "{}", 2, &r), 0);
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/api/nowhere", &r), 0);
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/index.html", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);

    ck_assert_int_eq(hget(&srv, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    /* Static files have their own label. */
    ck_assert_ptr_nonnull(strstr(
        r.body, "convene_http_requests_total{route=\"static\",method=\"any\",status=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(
        r.body,
        "convene_http_requests_total{route=\"/api/activities\",method=\"GET\",status=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(r.body, "route=\"/api/activities\",method=\"POST\""));

    /* Every line is HELP, TYPE or a sample; no series twice; every sample
     * belongs to a declared family. */
    json_t *seen = json_object();
    json_t *types = json_object();
    char *text = strdup(r.body);
    int samples = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0)
            continue;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[128], type[32];
            ck_assert_int_eq(sscanf(line + 7, "%127s %31s", name, type), 2);
            ck_assert_msg(strstr("counter gauge histogram summary untyped", type), "%s", line);
            ck_assert_msg(json_object_get(types, name) == NULL, "TYPE twice: %s", line);
            json_object_set_new(types, name, json_string(type));
            continue;
        }
        size_t series = sample_ok(line);
        ck_assert_msg(series > 0, "not exposition format: %s", line);
        char key[1024];
        snprintf(key, sizeof key, "%.*s", (int)series, line);
        ck_assert_msg(json_object_get(seen, key) == NULL, "duplicate series: %s", key);
        json_object_set_new(seen, key, json_true());
        char family[128];
        snprintf(family, sizeof family, "%.*s", (int)strcspn(line, "{ "), line);
        bool declared = json_object_get(types, family) != NULL;
        static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
        for (size_t i = 0; i < 3 && !declared; i++) {
            size_t fl = strlen(family), sl = strlen(suffixes[i]);
            if (fl > sl && strcmp(family + fl - sl, suffixes[i]) == 0) {
                family[fl - sl] = '\0';
                declared = json_object_get(types, family) != NULL;
            }
        }
        ck_assert_msg(declared, "no TYPE for %s", line);
        samples++;
    }
    ck_assert_int_gt(samples, 20);
    free(text);
    json_decref(seen);
    json_decref(types);

    /* promtool, when installed (Debian package prometheus), agrees. */
    const char *promtool = getenv("PROMTOOL");
    if (promtool == NULL && access("/usr/bin/promtool", X_OK) == 0)
        promtool = "/usr/bin/promtool";
    if (promtool) {
        char path[] = "/tmp/convene-metrics-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, r.body, r.len), (ssize_t)r.len);
        close(fd);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "'%s' check metrics < %s 2>&1", promtool, path);
        FILE *p = popen(cmd, "r");
        char out[4096] = "";
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
        int rc = pclose(p);
        unlink(path);
        ck_assert_msg(rc == 0, "promtool check metrics failed:\n%s", out);
        fprintf(stderr, "promtool check metrics: ok\n");
    } else {
        /* tests/run.sh always provides it (CONVENE_REQUIRE_PROMTOOL=1). */
        const char *required = getenv("CONVENE_REQUIRE_PROMTOOL");
        ck_assert_msg(required == NULL || strcmp(required, "1") != 0,
                      "promtool is required here but was not found (PROMTOOL)");
        fprintf(stderr, "promtool not installed: the format was checked by this test only\n");
    }
    hresp_free(&r);
}
END_TEST

/* ---- 8: static files carry a request id ---- */

START_TEST(static_files_carry_a_request_id)
{
    struct hresp r;
    char id[64], etag[128];
    ck_assert_int_eq(hget(&srv, "/index.html", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(hresp_header(&r, "X-Request-Id", id, sizeof id));
    ck_assert_uint_ge(strlen(id), 8);
    ck_assert_ptr_nonnull(hresp_header(&r, "ETag", etag, sizeof etag));
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Security-Policy", id, sizeof id));
    hresp_free(&r);
    /* A plain id from the client is kept, on the file and on 304. */
    const char *given[] = {"X-Request-Id: static-trace-1", NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/", given, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(hresp_header(&r, "X-Request-Id", id, sizeof id), "static-trace-1");
    hresp_free(&r);
    char inm[200];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *cond[] = {inm, "X-Request-Id: static-trace-2", NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/index.html", cond, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 304);
    ck_assert_str_eq(hresp_header(&r, "X-Request-Id", id, sizeof id), "static-trace-2");
    hresp_free(&r);
    /* A missing file is a JSON 404 with an id too. */
    ck_assert_int_eq(hget(&srv, "/no-such-page.html", &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(error_code(&r), "not_found");
    ck_assert_ptr_nonnull(hresp_header(&r, "X-Request-Id", id, sizeof id));
    hresp_free(&r);
    /* A folder is no page unless it has an index. */
    ck_assert_int_eq(hget(&srv, "/staff", &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(error_code(&r), "not_found");
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/staff/", &r), 0);
    ck_assert_int_eq(r.status, 404);
    hresp_free(&r);
}
END_TEST

/* ---- 9.9 and 8: query values too long or malformed are 400 ---- */

static void expect_400_naming(const char *path, const char *param)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, path, &r), 0);
    ck_assert_msg(r.status == 400, "%s gave %ld", path, r.status);
    ck_assert_str_eq(error_code(&r), "bad_request");
    ck_assert_msg(strncmp(error_message(&r), param, strlen(param)) == 0, "%s: message %s", path,
                  error_message(&r));
    hresp_free(&r);
}

START_TEST(bad_query_values_are_400)
{
    expect_400_naming("/api/activities?page=1000000000000000000000000000000", "page");
    expect_400_naming("/api/activities?page=abc", "page");
    expect_400_naming("/api/activities?page=", "page");
    expect_400_naming("/api/activities?page=0", "page");
    expect_400_naming("/api/activities?per_page=1000000000000000000000000000000", "per_page");
    expect_400_naming("/api/activities?per_page=101", "per_page");
    expect_400_naming("/api/activities?page=%ff", "page");
    /* The participants export: a date with anything after it is no date. */
    expect_400_naming("/api/exports/participants.csv?to=2023-06-30XXXXXXXX", "to");
    expect_400_naming("/api/exports/participants.csv?from=2023-06-30XXXXXXXX", "from");
    expect_400_naming("/api/exports/participants.csv?to=2023-06-3", "to");
    /* Too long is never "no filter": the calendar month, the list status
     * (the staff registration list's: tests/integration/activities). */
    expect_400_naming("/api/activities?month=2023-06XXXXXXXXXXXXXXXXXXXXXXXX", "month");
    expect_400_naming("/api/activities?status=publicXXXXXXXXXXXXXXXXXXXXXXXX", "status");
    expect_400_naming("/api/activities?kind=workshopXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
                      "kind");
    struct hresp r;
    /* Good values pass on (to the log-in check here, or the list). */
    ck_assert_int_eq(hget(&srv, "/api/exports/participants.csv?from=2023-06-01&to=2023-06-30", &r),
                     0);
    ck_assert_int_eq(r.status, 401);
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/api/activities?page=2&per_page=100", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
}
END_TEST

Suite *make_hardening_suite(void)
{
    Suite *s = suite_create("hardening");
    TCase *tc = tcase_create("server");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, deep_json_is_refused_before_parsing);
    tcase_add_test(tc, depth_32_is_accepted);
    tcase_add_test(tc, workers_have_the_chosen_stack);
    tcase_add_test(tc, metrics_are_for_allowed_addresses);
    tcase_add_test(tc, metrics_are_valid_prometheus);
    tcase_add_test(tc, static_files_carry_a_request_id);
    tcase_add_test(tc, bad_query_values_are_400);
    suite_add_tcase(s, tc);
    return s;
}
