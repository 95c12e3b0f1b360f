/*
 * test_edges.c - the HTTP layer's less travelled paths, each asserted by
 * what a client sees: static files from a web root of the test's own
 * (folders, redirects, non-regular files, conditional requests by date and
 * by ETag, a GET with a body), connection persistence by version and
 * Connection header, the client address behind chains of proxies
 * (X-Forwarded-For, observed through the /metrics allow list), JSON body
 * media types and shapes, and a server that cannot listen.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

Suite *make_edges_suite(void);

#define DB "edges"

/* 2023-04-03T00:00:00Z: the mtime given to the test's files. */
#define FILE_MTIME 1680480000L

static struct server srv;
static char web_root[128];

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", web_root, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    struct timeval tv[2] = {{FILE_MTIME, 0}, {FILE_MTIME, 0}};
    ck_assert_int_eq(utimes(path, tv), 0);
}

static void make_web_root(void)
{
    snprintf(web_root, sizeof web_root, "/tmp/convene-edges-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(web_root));
    char path[256];
    snprintf(path, sizeof path, "%s/sub", web_root);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/empty", web_root);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/pipe", web_root);
    ck_assert_int_eq(mkfifo(path, 0644), 0);
    write_file("page.txt", "hello from the edge\n");
    write_file("sub/index.html", "<p>sub index</p>\n");
    write_file(".hidden", "secret\n");
}

static void remove_web_root(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", web_root);
    ck_assert_int_eq(system(cmd), 0);
}

static void start_server(void)
{
    harness_fresh_db(DB);
    make_web_root();
    char root_env[200];
    snprintf(root_env, sizeof root_env, "CONVENE_WEB_ROOT=%s", web_root);
    const char *env[] = {root_env, "CONVENE_REQUEST_TIMEOUT_MS=3000", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
}

static void stop_server(void)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
    remove_web_root();
}

/* ---- Raw exchanges (for what libcurl will not send) ---- */

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads one response (head and Content-Length body) into buf; returns its
 * status, or 0 when the connection closed or stayed silent first. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            if (len >= (size_t)(end + 4 - buf) + body)
                break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            return 0;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
    }
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    return status;
}

/* True when the server closes fd within a few seconds (and sends nothing
 * more). */
static bool closed_by_server(int fd)
{
    char c;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 5000) <= 0)
        return false;
    return recv(fd, &c, 1, 0) == 0;
}

static void send_str(int fd, const char *s)
{
    ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* ---- Static files ---- */

START_TEST(static_folders_and_odd_files)
{
    struct hresp r;
    char buf[256];
    /* A folder with an index: "/sub" redirects to "/sub/", which serves it. */
    ck_assert_int_eq(hget(&srv, "/sub", &r), 0);
    ck_assert_int_eq(r.status, 301);
    ck_assert_str_eq(hresp_header(&r, "Location", buf, sizeof buf), "/sub/");
    hresp_free(&r);
    ck_assert_int_eq(hget(&srv, "/sub/", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "<p>sub index</p>\n");
    hresp_free(&r);
    /* No index, a FIFO, a hidden file, a file under a file: JSON 404s. */
    const char *missing[] = {"/empty", "/empty/", "/pipe", "/.hidden", "/page.txt/x"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        ck_assert_int_eq(hget(&srv, missing[i], &r), 0);
        ck_assert_msg(r.status == 404, "%s gave %ld", missing[i], r.status);
        ck_assert_str_eq(herr_code(&r), "not_found");
        ck_assert_ptr_null(strstr(r.body, "secret"));
        hresp_free(&r);
    }
    /* Only GET, HEAD and OPTIONS. */
    ck_assert_int_eq(hreq(&srv, "DELETE", "/page.txt", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(herr_code(&r), "method_not_allowed");
    ck_assert_str_eq(hresp_header(&r, "Allow", buf, sizeof buf), "GET, HEAD, OPTIONS");
    hresp_free(&r);
    ck_assert_int_eq(hreq(&srv, "OPTIONS", "/page.txt", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(hresp_header(&r, "Allow", buf, sizeof buf), "GET, HEAD, OPTIONS");
    hresp_free(&r);
    ck_assert_int_eq(hreq(&srv, "HEAD", "/page.txt", NULL, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
    hresp_free(&r);
}
END_TEST

START_TEST(static_conditional_requests)
{
    struct hresp r;
    char buf[256];
    /* The ETag is the mtime in hex and the size; the file is 20 bytes. */
    char etag[64];
    snprintf(etag, sizeof etag, "\"%lx.20\"", (unsigned long)FILE_MTIME);
    char inm[128];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *match[] = {inm, NULL};
    ck_assert_int_eq(hreq(&srv, "GET", "/page.txt", match, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 304);
    ck_assert_str_eq(hresp_header(&r, "ETag", buf, sizeof buf), etag);
    ck_assert_uint_eq(r.len, 0);
    hresp_free(&r);
    /* By date: at or after the mtime is 304; before it, or a date that
     * does not parse whole, gets the file. */
    static const struct {
        const char *header;
        long status;
    } cases[] = {
        {"If-Modified-Since: Mon, 03 Apr 2023 00:00:00 GMT", 304},
        {"If-Modified-Since: Tue, 04 Apr 2023 12:00:00 GMT", 304},
        {"If-Modified-Since: Sun, 02 Apr 2023 23:59:59 GMT", 200},
        {"If-Modified-Since: yesterday", 200},
        {"If-None-Match: \"0.20\"", 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *h[] = {cases[i].header, NULL};
        ck_assert_int_eq(hreq(&srv, "GET", "/page.txt", h, NULL, 0, &r), 0);
        ck_assert_msg(r.status == cases[i].status, "%s gave %ld", cases[i].header, r.status);
        if (r.status == 200)
            ck_assert_str_eq(r.body, "hello from the edge\n");
        hresp_free(&r);
    }
}
END_TEST

START_TEST(static_get_with_a_body_closes)
{
    /* A body on a GET of a file is not read: the connection cannot be
     * reused (the body would be taken for the next request). */
    int fd = connect_server();
    char buf[4096];
    send_str(fd, "GET /page.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\n"
                 "GET /sub/ HTTP/1.1\r\n\r\n\r\n");
    ck_assert_int_eq(read_response(fd, buf, sizeof buf), 200);
    ck_assert_ptr_nonnull(strstr(buf, "hello from the edge"));
    ck_assert(closed_by_server(fd));
    close(fd);
}
END_TEST

/* ---- Connection persistence ---- */

START_TEST(connection_persistence)
{
    char buf[4096];
    /* HTTP/1.0 without keep-alive: one answer, then the server closes. */
    int fd = connect_server();
    send_str(fd, "GET /healthz HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(read_response(fd, buf, sizeof buf), 200);
    ck_assert(closed_by_server(fd));
    close(fd);
    /* HTTP/1.0 asking for keep-alive: a second request on the same
     * connection is answered. */
    fd = connect_server();
    send_str(fd, "GET /healthz HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    ck_assert_int_eq(read_response(fd, buf, sizeof buf), 200);
    send_str(fd, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ck_assert_int_eq(read_response(fd, buf, sizeof buf), 200);
    close(fd);
    /* HTTP/1.1 keeps the connection unless the client says close. */
    fd = connect_server();
    send_str(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(read_response(fd, buf, sizeof buf), 200);
    send_str(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n");
    ck_assert_int_eq(read_response(fd, buf, sizeof buf), 200);
    ck_assert(closed_by_server(fd));
    close(fd);
}
END_TEST

/* ---- The client behind proxies ---- */

static long metrics_from(const char *xff)
{
    char h[2200];
    snprintf(h, sizeof h, "X-Forwarded-For: %s", xff);
    const char *headers[] = {h, NULL};
    struct hresp r;
    ck_assert_int_eq(hreq(&srv, "GET", "/metrics", headers, NULL, 0, &r), 0);
    long status = r.status;
    hresp_free(&r);
    return status;
}

START_TEST(forwarded_chains)
{
    /* Only loopback may read /metrics, and only 127.0.0.1 is a trusted
     * proxy: the client is the nearest untrusted hop from the right. */
    ck_assert_int_eq(metrics_from("127.0.0.1"), 200);
    ck_assert_int_eq(metrics_from("203.0.113.5, 127.0.0.1"), 403);
    ck_assert_int_eq(metrics_from(" 203.0.113.5 ,127.0.0.1 , 127.0.0.1 "), 403);
    ck_assert_int_eq(metrics_from("203.0.113.5, 127.0.0.2"), 200);
    ck_assert_int_eq(metrics_from("127.0.0.2, 203.0.113.5"), 403);
    ck_assert_int_eq(metrics_from("2001:db8::1,127.0.0.1"), 403);
    /* A hop that is no address stops the walk: what came before it is not
     * believed. */
    ck_assert_int_eq(metrics_from("203.0.113.5, unknown"), 200);
    ck_assert_int_eq(metrics_from("203.0.113.5, unknown, 127.0.0.1"), 200);
    ck_assert_int_eq(metrics_from("203.0.113.5,,127.0.0.1"), 200);
    /* A list over 2 KiB is not read at all (the proxy's own address
     * counts); up to 2 KiB it is walked to its first hop. */
    char big[2100] = "203.0.113.5";
    while (strlen(big) + 11 <= 2048)
        strcat(big, ", 127.0.0.1");
    ck_assert_int_eq(metrics_from(big), 403);
    strcat(big, ", 127.0.0.1");
    ck_assert_uint_gt(strlen(big), 2048);
    ck_assert_int_eq(metrics_from(big), 200);
}
END_TEST

/* ---- JSON bodies ---- */

static long echo(const char *content_type, const char *body, struct hresp *r)
{
    char h[200];
    snprintf(h, sizeof h, "Content-Type: %s", content_type);
    const char *headers[] = {h, NULL};
    ck_assert_int_eq(hreq(&srv, "POST", "/api/_test/echo", headers, body, strlen(body), r), 0);
    return r->status;
}

START_TEST(json_media_types_and_shapes)
{
    struct hresp r;
    static const char *accepted[] = {"application/json", "application/json; charset=utf-8",
                                     "Application/JSON;charset=UTF-8", "application/json "};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        ck_assert_msg(echo(accepted[i], "{\"a\":1}", &r) == 200, "%s", accepted[i]);
        ck_assert_ptr_nonnull(strstr(r.body, "\"echo\":{\"a\":1}"));
        hresp_free(&r);
    }
    static const char *refused[] = {"application/jsonx", "application/json-patch+json", "text/json",
                                    "application/x-www-form-urlencoded"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ck_assert_msg(echo(refused[i], "{\"a\":1}", &r) == 415, "%s", refused[i]);
        ck_assert_str_eq(herr_code(&r), "unsupported_media_type");
        hresp_free(&r);
    }
    static const char *not_objects[] = {"[]", "\"text\"", "42", "null", ""};
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
        ck_assert_msg(echo("application/json", not_objects[i], &r) == 400, "'%s'", not_objects[i]);
        ck_assert_str_eq(herr_code(&r), "invalid_json");
        hresp_free(&r);
    }
    ck_assert_int_eq(echo("application/json", "{\"a\":1,\"a\":2}", &r), 400);
    ck_assert_str_eq(herr_code(&r), "invalid_json");
    hresp_free(&r);
}
END_TEST

/* ---- Request paths ---- */

static int raw_status(const char *target)
{
    char req[512], buf[4096];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target);
    int fd = connect_server();
    send_str(fd, req);
    int status = read_response(fd, buf, sizeof buf);
    close(fd);
    return status;
}

START_TEST(paths_are_decoded_once_and_strictly)
{
    static const struct {
        const char *target;
        int status;
    } cases[] = {
        /* Hex digits in either case decode to the route. */
        {"/api/_test/stac%6B", 200},
        {"/api/_test/stac%6b", 200},
        {"/%68ealthz", 200},
        /* Valid UTF-8 that names nothing: 404. */
        {"/%C3%A9t%C3%A9", 404},
        {"/%c3%a9", 404},
        /* Invalid UTF-8, controls, DEL, bad or cut escapes, no leading
         * slash: 400. */
        {"healthz", 400},
        {"/healthz%C3", 400},
        {"/healthz%C3%28", 400},
        {"/healthz%1F", 400},
        {"/healthz%7F", 400},
        {"/healthz%7f", 400},
        {"/healthz%G1", 400},
        {"/healthz%", 400},
        {"/healthz\x7f", 400},
        /* Not in normal form: 404. */
        {"/healthz/", 404},
        {"/a%5Cb", 404},
        {"/api/_test/stack.", 404},

    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(raw_status(cases[i].target) == cases[i].status, "%s gave %d", cases[i].target,
                      raw_status(cases[i].target));
}
END_TEST

/* ---- Streamed answers ---- */

START_TEST(head_on_a_streamed_export_sends_no_body)
{
    struct hsession staff;
    harness_make_user(DB, "edges.staff@example.org", "Edge Staff", NULL, "staff", NULL, &staff);
    char cookie[400];
    snprintf(cookie, sizeof cookie, "Cookie: %s", staff.cookie);
    const char *h[] = {cookie, NULL};
    struct hresp r;
    char buf[256];
    ck_assert_int_eq(hreq(&srv, "GET", "/api/exports/participants.csv", h, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Type", buf, sizeof buf));
    ck_assert_ptr_nonnull(strstr(buf, "text/csv"));
    ck_assert_uint_gt(r.len, 3);
    ck_assert_int_eq(memcmp(r.body, "\xEF\xBB\xBF", 3), 0); /* the BOM, then the header row */
    ck_assert_ptr_nonnull(strstr(r.body, "\r\n"));
    hresp_free(&r);
    ck_assert_int_eq(hreq(&srv, "HEAD", "/api/exports/participants.csv", h, NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Type", buf, sizeof buf));
    ck_assert_ptr_nonnull(strstr(buf, "text/csv"));
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Disposition", buf, sizeof buf));
    ck_assert_uint_eq(r.len, 0);
    hresp_free(&r);
    /* The connection is still good for the next request. */
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    ck_assert_int_eq(r.status, 200);
    hresp_free(&r);
}
END_TEST

/* ---- Request ids and header values ---- */

START_TEST(request_id_limits)
{
    static const struct {
        const char *given;
        bool kept;
    } cases[] = {
        {"abcdefghijklmnopqrstuvw", true}, /* 23 characters */
        {"abcdefghijklmnopqrstuvwx", false},
        {"A.b_C-9", true},
        {"a b", false},
        {"a/b", false},
        {"caf\xC3\xA9", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char h[128], got[128];
        snprintf(h, sizeof h, "X-Request-Id: %s", cases[i].given);
        const char *headers[] = {h, NULL};
        struct hresp r;
        ck_assert_int_eq(hreq(&srv, "GET", "/healthz", headers, NULL, 0, &r), 0);
        ck_assert_int_eq(r.status, 200);
        ck_assert_ptr_nonnull(hresp_header(&r, "X-Request-Id", got, sizeof got));
        if (cases[i].kept)
            ck_assert_str_eq(got, cases[i].given);
        else
            ck_assert_msg(strcmp(got, cases[i].given) != 0 && strlen(got) == 20,
                          "'%s' gave id '%s'", cases[i].given, got);
        hresp_free(&r);
    }
}
END_TEST

START_TEST(header_values_with_controls)
{
    char buf[4096];
    /* DEL or another control character in a value is a 400 (CivetWeb's
     * parser refuses them, and a tab too, before our own check). */
    int fd;
    static const char *bad[] = {"X-Note: a\x7f"
                                "b",
                                "X-Note: a\x01"
                                "b",
                                "X-Note: a\x1b"
                                "b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n", bad[i]);
        fd = connect_server();
        send_str(fd, req);
        ck_assert_msg(read_response(fd, buf, sizeof buf) == 400, "case %zu: %s", i, buf);
        ck_assert_ptr_nonnull(strstr(buf, "\"code\":\"bad_request\""));
        ck_assert(closed_by_server(fd));
        close(fd);
    }
    /* Refused before any handler (conflicting lengths), a HEAD gets the
     * head of the error only. */
    fd = connect_server();
    send_str(fd, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                 "Content-Length: 2\r\n\r\n");
    char head[4096];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t n = recv(fd, head + len, sizeof head - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    head[len] = '\0';
    close(fd);
    ck_assert_msg(strncmp(head, "HTTP/1.1 400 ", 13) == 0, "%s", head);
    const char *end = strstr(head, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_str_eq(end, "\r\n\r\n"); /* nothing after the head */
    ck_assert_ptr_nonnull(strcasestr(head, "Content-Length: "));
}
END_TEST

/* ---- Start-up ---- */

START_TEST(port_in_use_fails_clearly)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    socklen_t alen = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    char listen_arg[64];
    snprintf(listen_arg, sizeof listen_arg, "--listen=127.0.0.1:%d", ntohs(a.sin_port));
    char db_env[300];
    snprintf(db_env, sizeof db_env, "CONVENE_DATABASE_URL=%s", harness_pg_url(DB));
    const char *args[] = {"serve", listen_arg, "--no-migrate", NULL};
    const char *env[] = {db_env, NULL};
    char err[4096];
    int rc = harness_run_convene(args, env, err, sizeof err);
    close(fd);
    ck_assert_msg(rc != 0, "serve started on a port in use");
    ck_assert_msg(strstr(err, "cannot listen on 127.0.0.1:") != NULL, "stderr: %s", err);
}
END_TEST

Suite *make_edges_suite(void)
{
    Suite *s = suite_create("edges");
    TCase *tc = tcase_create("edges");
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, static_folders_and_odd_files);
    tcase_add_test(tc, static_conditional_requests);
    tcase_add_test(tc, static_get_with_a_body_closes);
    tcase_add_test(tc, connection_persistence);
    tcase_add_test(tc, forwarded_chains);
    tcase_add_test(tc, json_media_types_and_shapes);
    tcase_add_test(tc, paths_are_decoded_once_and_strictly);
    tcase_add_test(tc, head_on_a_streamed_export_sends_no_body);
    tcase_add_test(tc, request_id_limits);
    tcase_add_test(tc, header_values_with_controls);
    tcase_add_test(tc, port_in_use_fails_clearly);
    suite_add_tcase(s, tc);
    return s;
}
