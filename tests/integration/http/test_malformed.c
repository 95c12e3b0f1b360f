/*
 * test_malformed.c - the malformed-HTTP part of the attack on the server,
 * over raw sockets: framing (Content-Length and Transfer-Encoding,
 * smuggling), sizes, methods, versions, request targets, percent-encoding,
 * NUL and control bytes, header syntax, exact paths, CORS, slow headers and
 * slow bodies. Each case checks the exact answer (status, or a closed
 * connection without one) and that /healthz still answers 200 afterwards.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

Suite *make_malformed_suite(void);

#define DB "malformed"

static struct server srv;

static void start_server(void)
{
    harness_fresh_db(DB);
    const char *env[] = {"CONVENE_REQUEST_TIMEOUT_MS=2000", "CONVENE_BODY_TIMEOUT_MS=1500", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
}

static void stop_server(void)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}

/* ---- Raw exchanges ---- */

struct raw {
    char data[65536]; /* everything the server sent */
    size_t len;
    bool closed;   /* the server closed the connection */
    int status;    /* of the first response, 0 when none */
    int responses; /* status lines seen */
};

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads until the server closes or stays silent for quiet_ms, then fills
 * the status and the count of responses. */
static void collect(int fd, int quiet_ms, struct raw *out)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, quiet_ms) <= 0)
            break;
        ssize_t n = recv(fd, out->data + out->len, sizeof out->data - 1 - out->len, 0);
        if (n <= 0) {
            out->closed = true;
            break;
        }
        out->len += (size_t)n;
        if (out->len >= sizeof out->data - 1)
            break;
    }
    out->data[out->len] = '\0';
    if (out->len > 12)
        sscanf(out->data, "HTTP/1.%*d %d", &out->status);
    for (const char *p = strstr(out->data, "HTTP/1.1 "); p; p = strstr(p + 1, "HTTP/1.1 ")) {
        if (p[9] >= '1' && p[9] <= '5' && p[12] == ' ')
            out->responses++;
    }
}

/* Sends len bytes of req at once and collects the answer. */
static void exchange(const char *req, size_t len, struct raw *out)
{
    memset(out, 0, sizeof *out);
    int fd = connect_server();
    send(fd, req, len, MSG_NOSIGNAL);
    collect(fd, 700, out);
    close(fd);
}

static void exchange_str(const char *req, struct raw *out)
{
    exchange(req, strlen(req), out);
}

static void assert_healthy(const char *after)
{
    ck_assert_msg(harness_server_alive(&srv), "server died after %s", after);
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/healthz", &r), 0);
    ck_assert_msg(r.status == 200, "healthz gave %ld after %s", r.status, after);
    hresp_free(&r);
}

/* The value of a header in the first response, or NULL (static buffer). */
static const char *raw_header(const struct raw *r, const char *name)
{
    static char value[256];
    const char *end = strstr(r->data, "\r\n\r\n");
    size_t n = strlen(name);
    for (const char *p = strstr(r->data, "\r\n"); p && (!end || p < end);
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r\n");
            snprintf(value, sizeof value, "%.*s", (int)(k < sizeof value ? k : sizeof value - 1),
                     v);
            return value;
        }
    }
    return NULL;
}

/* ---- The table of cases ---- */

#define H    "Host: x\r\n"
#define ECHO "POST /api/_test/echo HTTP/1.1\r\n" H "Content-Type: application/json\r\n"

enum { KEEP = 0, CLOSES = 1 };

struct mcase {
    const char *name;
    const char *request;
    size_t len; /* 0: strlen(request) */
    int status; /* expected status of the one response; 0: closed without answer */
    int closes; /* CLOSES: the connection must be closed after the answer */
};

static const struct mcase cases[] = {
    /* Framing */
    {"content-length and chunked",
     ECHO "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
          "2\r\n{}\r\n0\r\n\r\n",
     0, 400, CLOSES},
    {"chunked and content-length", ECHO "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
     0, 400, CLOSES},
    {"two different content-lengths", ECHO "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ", 0,
     400, CLOSES},
    {"two equal content-lengths", ECHO "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 0, 200,
     KEEP},
    {"content-length with trailing garbage", ECHO "Content-Length: 2abc\r\n\r\n{}", 0, 400, CLOSES},
    {"negative content-length", ECHO "Content-Length: -1\r\n\r\n{}", 0, 400, CLOSES},
    {"signed content-length", ECHO "Content-Length: +2\r\n\r\n{}", 0, 400, CLOSES},
    {"content-length of 20 digits", ECHO "Content-Length: 99999999999999999999\r\n\r\n{}", 0, 400,
     CLOSES},
    {"content-length over the body limit", ECHO "Content-Length: 2000000\r\n\r\n{}", 0, 413,
     CLOSES},
    {"transfer-encoding gzip", ECHO "Transfer-Encoding: gzip\r\n\r\n{}", 0, 400, CLOSES},
    {"transfer-encoding listed twice", ECHO "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
     0, 400, CLOSES},
    {"two transfer-encoding headers",
     ECHO "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 400,
     CLOSES},
    {"chunk size not hex", ECHO "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 0, 400,
     CLOSES},
    {"chunk without its CRLF", ECHO "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", 0, 400,
     CLOSES},
    {"chunk size overflowing",
     ECHO "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n", 0, 400, CLOSES},
    {"well-formed chunked body", ECHO "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 0,
     200, KEEP},
    /* Header syntax */
    {"header without colon", "GET /healthz HTTP/1.1\r\n" H "NoColonHere\r\n\r\n", 0, 400, CLOSES},
    {"header with space in name", "GET /healthz HTTP/1.1\r\n" H "Bad Name: 1\r\n\r\n", 0, 400,
     CLOSES},
    {"space before colon", "GET /healthz HTTP/1.1\r\n" H "X-A : 1\r\n\r\n", 0, 400, CLOSES},
    {"obs-fold", "GET /healthz HTTP/1.1\r\n" H "X-A: 1\r\n  continued\r\nX-B: 2\r\n\r\n", 0, 400,
     CLOSES},
    {"nameless header line", "GET /healthz HTTP/1.1\r\n" H ": value\r\n\r\n", 0, 400, CLOSES},
    {"control byte in a header value", "GET /healthz HTTP/1.1\r\n" H "X-A: a\x01z\r\n\r\n", 0, 400,
     CLOSES},
    {"NUL in a header value", "GET /healthz HTTP/1.1\r\n" H "X-A: a\0z\r\n\r\n",
     sizeof("GET /healthz HTTP/1.1\r\n" H "X-A: a\0z\r\n\r\n") - 1, 400, CLOSES},
    {"missing Host on HTTP/1.1", "GET /healthz HTTP/1.1\r\n\r\n", 0, 400, CLOSES},
    {"two Host headers", "GET /healthz HTTP/1.1\r\n" H H "\r\n", 0, 400, CLOSES},
    {"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", 0, 200, CLOSES},
    /* RFC 9112 lets a server accept bare LF; this one wants CR LF. */
    {"bare LF line ends", "GET /healthz HTTP/1.1\nHost: x\n\n", 0, 400, CLOSES},
    /* Request line */
    {"NUL in the request line", "GET /heal\0thz HTTP/1.1\r\n" H "\r\n",
     sizeof("GET /heal\0thz HTTP/1.1\r\n" H "\r\n") - 1, 400, CLOSES},
    {"HTTP/0.9 request", "GET /healthz\r\n\r\n", 0, 400, CLOSES},
    {"HTTP/2.0 version", "GET /healthz HTTP/2.0\r\n" H "\r\n", 0, 505, CLOSES},
    {"HTTP/1.2 version", "GET /healthz HTTP/1.2\r\n" H "\r\n", 0, 505, CLOSES},
    {"garbage version", "GET /healthz FOO/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    /* RFC 9112 3: parsing on whitespace-delimited words is allowed. */
    {"double space in request line", "GET  /healthz HTTP/1.1\r\n" H "\r\n", 0, 200, KEEP},
    {"unknown method", "BREW /healthz HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"lower-case method", "get /healthz HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"TRACE on a route", "TRACE /healthz HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"TRACE on a file", "TRACE /index.html HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"DELETE on a file", "DELETE /index.html HTTP/1.1\r\n" H "\r\n", 0, 405, KEEP},
    /* Its small body is read and dropped: the connection stays usable. */
    {"PUT on a file", "PUT /index.html HTTP/1.1\r\n" H "Content-Length: 2\r\n\r\nhi", 0, 405, KEEP},
    {"CONNECT", "CONNECT 127.0.0.1:22 HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"PROPFIND on a file", "PROPFIND /index.html HTTP/1.1\r\n" H "\r\n", 0, 405, KEEP},
    /* CivetWeb closes these without an answer (no local path). */
    {"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" H "\r\n", 0, 0, CLOSES},
    {"absolute-form target for another host", "GET http://x/healthz HTTP/1.1\r\n" H "\r\n", 0, 0,
     CLOSES},
    {"TLS handshake bytes", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 0, 400, CLOSES},
    /* Request targets */
    {"percent-encoded NUL", "GET /healthz%00 HTTP/1.1\r\n" H "\r\n", 0, 400, KEEP},
    {"broken percent-encoding", "GET /healthz%zz HTTP/1.1\r\n" H "\r\n", 0, 400, KEEP},
    {"truncated percent-encoding", "GET /healthz%4 HTTP/1.1\r\n" H "\r\n", 0, 400, KEEP},
    {"raw byte over 0x7f in path", "GET /h\xc3\xa9 HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"raw control byte in path", "GET /h\x01 HTTP/1.1\r\n" H "\r\n", 0, 400, CLOSES},
    {"metrics with a trailing dot", "GET /metrics. HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"metrics with two trailing dots", "GET /metrics.. HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"metrics with an encoded dot", "GET /metrics%2e HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"metrics with an encoded slash", "GET /metrics%2f HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"api path with a trailing dot", "GET /api/me. HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"dot segment", "GET /./healthz HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"dot-dot segment", "GET /api/../healthz HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"empty segment", "GET //healthz HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"backslash", "GET /api\\me HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"file with a trailing dot", "GET /index.html. HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"hidden file", "GET /.git/config HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
    {"traversal encoded", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n" H "\r\n", 0, 404, KEEP},
};

START_TEST(malformed_request)
{
    const struct mcase *c = &cases[_i];
    struct raw r;
    exchange(c->request, c->len ? c->len : strlen(c->request), &r);
    ck_assert_msg(r.status == c->status, "%s: status %d, expected %d\n%.300s", c->name, r.status,
                  c->status, r.data);
    if (c->status != 0) {
        ck_assert_msg(r.responses == 1, "%s: %d responses", c->name, r.responses);
        const char *ct = raw_header(&r, "Content-Type");
        if (c->status >= 400)
            ck_assert_msg(ct && strstr(ct, "application/json") && strstr(r.data, "\"error\""),
                          "%s: not a JSON error\n%.300s", c->name, r.data);
    }
    if (c->closes == CLOSES)
        ck_assert_msg(r.closed, "%s: the connection stayed open", c->name);
    else
        ck_assert_msg(!r.closed, "%s: the connection was closed", c->name);
    assert_healthy(c->name);
}
END_TEST

/* ---- Cases that need more than one exchange ---- */

/* The bytes after a body that has both framings must not become a second
 * request (request smuggling). */
START_TEST(no_request_is_smuggled)
{
    static const char *const smuggle[] = {
        ECHO "Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
             "GET /api/_test/echo HTTP/1.1\r\n" H "\r\n",
        ECHO "Content-Length: 5\r\nContent-Length: 47\r\n\r\n{}   "
             "GET /metrics HTTP/1.1\r\n" H "\r\n",
        ECHO
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: 4\r\n\r\n"
        "5c\r\nGET /healthz HTTP/1.1\r\n" H "\r\n0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof smuggle / sizeof smuggle[0]; i++) {
        struct raw r;
        exchange_str(smuggle[i], &r);
        ck_assert_msg(r.status == 400, "case %zu: status %d", i, r.status);
        ck_assert_msg(r.responses == 1, "case %zu: %d responses\n%s", i, r.responses, r.data);
        ck_assert(r.closed);
        assert_healthy("a smuggling attempt");
    }
}
END_TEST

/* Two requests in one write are both answered, in order. */
START_TEST(pipelined_requests_are_both_answered)
{
    struct raw r;
    exchange_str("GET /healthz HTTP/1.1\r\n" H "\r\nGET /api/nope HTTP/1.1\r\n" H "\r\n", &r);
    ck_assert_int_eq(r.responses, 2);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.data, "HTTP/1.1 404"));
    assert_healthy("pipelining");
}
END_TEST

static void repeat(char *out, const char *unit, int n)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(out, unit);
}

START_TEST(oversized_heads)
{
    static char req[40000];
    struct raw r;
    /* 65 header lines: more than the 64 the server takes. */
    strcpy(req, "GET /healthz HTTP/1.1\r\n" H);
    for (int i = 0; i < 64; i++)
        sprintf(req + strlen(req), "X-H%d: %d\r\n", i, i);
    strcat(req, "\r\n");
    exchange_str(req, &r);
    ck_assert_int_eq(r.status, 431);
    ck_assert(r.closed);
    assert_healthy("65 header lines");
    /* 64 header lines are fine. */
    strcpy(req, "GET /healthz HTTP/1.1\r\n" H);
    for (int i = 0; i < 63; i++)
        sprintf(req + strlen(req), "X-H%d: %d\r\n", i, i);
    strcat(req, "\r\n");
    exchange_str(req, &r);
    ck_assert_int_eq(r.status, 200);
    /* One header line of 20 KB: the head is over 16 KiB. CivetWeb 1.15
     * refuses it as malformed (400) before we can tell its size. */
    strcpy(req, "GET /healthz HTTP/1.1\r\n" H "X-Big: ");
    size_t prefix = strlen(req);
    memset(req + prefix, 'a', 20000);
    req[prefix + 20000] = '\0';
    strcat(req, "\r\n\r\n");
    exchange_str(req, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(r.closed);
    assert_healthy("a 20 KB header");
    /* Many medium headers adding up to over 16 KiB. */
    strcpy(req, "GET /healthz HTTP/1.1\r\n" H);
    char line[600];
    repeat(line, "b", 500);
    for (int i = 0; i < 40; i++)
        sprintf(req + strlen(req), "X-M%d: %s\r\n", i, line);
    strcat(req, "\r\n");
    exchange_str(req, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(r.closed);
    assert_healthy("40 headers of 500 bytes");
    /* A request target of 12 KB. */
    strcpy(req, "GET /");
    memset(req + 5, 'a', 12000);
    req[12005] = '\0';
    strcat(req, " HTTP/1.1\r\n" H "\r\n");
    exchange_str(req, &r);
    ck_assert_int_eq(r.status, 414);
    ck_assert(r.closed);
    assert_healthy("a 12 KB URI");
    /* A request target of 20 KB: the head is over the limit. */
    strcpy(req, "GET /");
    memset(req + 5, 'a', 20000);
    req[20005] = '\0';
    strcat(req, " HTTP/1.1\r\n" H "\r\n");
    exchange_str(req, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(r.closed);
    assert_healthy("a 20 KB URI");
}
END_TEST

/* A body sent one byte at a time, slower than the body deadline allows
 * (1.5 s here), is cut off with 408 and a closed connection. */
START_TEST(slow_body_is_cut_off)
{
    int fd = connect_server();
    const char *head = ECHO "Content-Length: 100\r\n\r\n{";
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    double t0 = harness_now_ms();
    struct raw r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 40; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 300) > 0)
            break; /* the server answered */
        if (send(fd, " ", 1, MSG_NOSIGNAL) < 0)
            break;
    }
    collect(fd, 3000, &r);
    double took = harness_now_ms() - t0;
    close(fd);
    ck_assert_msg(r.status == 408, "status %d\n%s", r.status, r.data);
    ck_assert_ptr_nonnull(strstr(r.data, "\"body_timeout\""));
    ck_assert(r.closed);
    ck_assert_msg(took < 4000, "cut off after %.0f ms", took);
    assert_healthy("a slow body");
}
END_TEST

/* A chunked body trickled the same way meets the same deadline. */
START_TEST(slow_chunked_body_is_cut_off)
{
    int fd = connect_server();
    const char *head = ECHO "Transfer-Encoding: chunked\r\n\r\n64\r\n{";
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    struct raw r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 40; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 300) > 0)
            break;
        if (send(fd, " ", 1, MSG_NOSIGNAL) < 0)
            break;
    }
    collect(fd, 3000, &r);
    close(fd);
    ck_assert_msg(r.status == 408, "status %d\n%s", r.status, r.data);
    ck_assert(r.closed);
    assert_healthy("a slow chunked body");
}
END_TEST

/* A head trickled past the request timeout (2 s here) is dropped, and the
 * worker is free again. */
START_TEST(slow_head_is_dropped)
{
    int fd = connect_server();
    const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    send(fd, head, strlen(head), MSG_NOSIGNAL);
    double t0 = harness_now_ms();
    bool closed = false;
    for (int i = 0; i < 40 && !closed; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 250) > 0) {
            char b[512];
            closed = recv(fd, b, sizeof b, 0) >= 0;
        } else if (send(fd, "a", 1, MSG_NOSIGNAL) < 0) {
            closed = true;
        }
    }
    double took = harness_now_ms() - t0;
    close(fd);
    ck_assert_msg(closed, "the slow head was still being read after %.0f ms", took);
    ck_assert_msg(took < 6000, "dropped after %.0f ms", took);
    assert_healthy("a slow head");
}
END_TEST

/* A body shorter than its Content-Length, then a closed socket. */
START_TEST(truncated_body_then_close)
{
    int fd = connect_server();
    const char *req = ECHO "Content-Length: 50\r\n\r\n{\"a\":";
    send(fd, req, strlen(req), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    struct raw r;
    memset(&r, 0, sizeof r);
    collect(fd, 3000, &r);
    close(fd);
    ck_assert_int_eq(r.status, 400);
    assert_healthy("a truncated body");
}
END_TEST

/* OPTIONS answers 204 with the allowed methods and no CORS grant; no
 * response carries Access-Control-Allow-Origin. */
START_TEST(options_grant_no_cors)
{
    struct raw r;
    exchange_str("OPTIONS /api/activities HTTP/1.1\r\n" H "Origin: http://evil.example\r\n"
                 "Access-Control-Request-Method: DELETE\r\n\r\n",
                 &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(raw_header(&r, "Allow"), "GET, HEAD, POST, OPTIONS");
    ck_assert_ptr_null(raw_header(&r, "Access-Control-Allow-Origin"));
    ck_assert_ptr_null(raw_header(&r, "Access-Control-Allow-Methods"));
    exchange_str("OPTIONS /index.html HTTP/1.1\r\n" H "Origin: http://evil.example\r\n"
                 "Access-Control-Request-Method: PUT\r\n\r\n",
                 &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(raw_header(&r, "Allow"), "GET, HEAD, OPTIONS");
    ck_assert_ptr_null(raw_header(&r, "Access-Control-Allow-Origin"));
    exchange_str("GET /index.html HTTP/1.1\r\n" H "Origin: http://evil.example\r\n\r\n", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(raw_header(&r, "Access-Control-Allow-Origin"));
    exchange_str("GET /nope.html HTTP/1.1\r\n" H "Origin: http://evil.example\r\n\r\n", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_null(raw_header(&r, "Access-Control-Allow-Origin"));
    assert_healthy("OPTIONS");
}
END_TEST

Suite *make_malformed_suite(void)
{
    Suite *s = suite_create("malformed");
    TCase *tc = tcase_create("raw");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, malformed_request, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, no_request_is_smuggled);
    tcase_add_test(tc, pipelined_requests_are_both_answered);
    tcase_add_test(tc, oversized_heads);
    tcase_add_test(tc, slow_body_is_cut_off);
    tcase_add_test(tc, slow_chunked_body_is_cut_off);
    tcase_add_test(tc, slow_head_is_dropped);
    tcase_add_test(tc, truncated_body_then_close);
    tcase_add_test(tc, options_grant_no_cors);
    suite_add_tcase(s, tc);
    return s;
}
