/*
 * http.c - CivetWeb wiring: server lifecycle, dispatch through the router,
 * request state, capped body reading, JSON bodies, responses with security
 * headers, streaming, the access log and request metrics. See http.h.
 */
#include "http/http.h"

#include "base/log.h"
#include "base/metrics.h"
#include "http/router.h"

#include <civetweb.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Sent with every page, file and other non-JSON response (CivetWeb's
 * additional_header carries them to static files). No inline scripts or
 * styles. */
#define CSP_VALUE                                                                                  \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "form-action 'self'; frame-ancestors 'none'"

static const char *const security_headers[][2] = {
    {"Content-Security-Policy", CSP_VALUE},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
};

/* JSON answers (the API, /healthz, /readyz, errors) are never a page a
 * browser runs: they get the headers that matter for a document that loads
 * and runs nothing (a CSP that allows nothing, no sniffing, no framing, no
 * referrer off the site) and not the page policy (about 600 bytes, a good
 * part of every small answer). COOP and Permissions-Policy only govern
 * documents that run script, which default-src 'none' already forbids. */
#define SECURITY_JSON_BLOCK                                                                        \
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"                      \
    "X-Content-Type-Options: nosniff\r\n"                                                          \
    "Referrer-Policy: same-origin\r\n"                                                             \
    "X-Frame-Options: DENY\r\n"

#define MAX_HANDLERS METRICS_MAX_ROUTES

/* ---- Worker stacks ----
 *
 * CivetWeb 1.15 has no run-time setting for the stack of its threads: the
 * size is fixed when the library is compiled (USE_STACK_SIZE; Debian's
 * build uses 100 KiB). We choose it instead by providing
 * pthread_attr_setstacksize in the executable: the library's call binds to
 * ours, which passes the larger of the asked size and
 * HTTP_WORKER_STACK_SIZE on to the C library. Nothing else in the process
 * asks for a smaller stack than it gets. /api/_test/stack reports the size
 * a worker really has.
 */
#define HTTP_WORKER_STACK_SIZE (256u * 1024u)

int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size);
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    static int (*real)(pthread_attr_t *, size_t);
    if (real == NULL) {
        /* A benign race: every thread stores the same pointer. */
        void *sym = dlsym(RTLD_NEXT, "pthread_attr_setstacksize");
        memcpy(&real, &sym, sizeof real);
        if (real == NULL)
            return 0; /* keep the default stack (8 MiB on Linux) */
    }
    return real(attr, size < HTTP_WORKER_STACK_SIZE ? HTTP_WORKER_STACK_SIZE : size);
}

/* Longest request target (path and query) accepted: 414 beyond. */
#define HTTP_MAX_TARGET 8192

/* Route index recorded for static files in metrics and logs. */
#define ROUTE_STATIC METRICS_ROUTE_STATIC

struct http_server {
    struct mg_context *ctx;
    struct router *router;
    http_handler handlers[MAX_HANDLERS];
    char *host;
    int port;
    int bound_port;
    int threads;
    long body_limit;
    long request_timeout_ms;
    long body_timeout_ms;
    char *web_root;
    void *app;
    char **proxies;       /* trusted proxy addresses, NULL-terminated */
    atomic_bool draining; /* set by http_server_drain */
    atomic_bool routed;   /* dispatch is CivetWeb's handler for "/" */
    /* Requests between begin and end: changed twice per request, so kept
     * off the cache lines of the fields read per request (the struct is
     * malloc-aligned only: padding on both sides). */
    char pad_before[64];
    atomic_int in_flight;
    char pad_after[64];
};

/* Per-request state kept from begin_request to end_request. A CivetWeb
 * worker thread serves one request at a time from begin to end, so the
 * state lives in a thread-local and needs no allocation. */
struct conn_state {
    uint64_t start_ns;
    int route;
    bool active; /* between begin_request and end_request */
    char id[24];
};

static _Thread_local struct conn_state thread_state;

struct alloc_node {
    struct alloc_node *next;
};

struct http_req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    struct http_server *srv;
    struct conn_state *cs;
    struct route_match match;
    strbuf extra_headers;
    bool replied;
    bool streaming;
    bool head;
    bool close_after;
    bool body_done;                 /* the body was read to its end */
    long long drain_limit;          /* 0: the server's body limit (http_set_drain_limit) */
    bool fixed_stream;              /* a stream of a known length */
    unsigned long long stream_left; /* its bytes still to send */
    unsigned char *form_buf;        /* a form's file bytes (http_read_form) */
    int status;
    const char *path;   /* decoded, request-scoped */
    char path_buf[256]; /* holds a short decoded path (no allocation) */
    struct alloc_node *allocs;
    void *local;
    char client[48]; /* resolved client address, "" until asked */
};

/* ---- Request ids ---- */

/* Changed per request: on its own cache line, apart from process_tag. */
static _Alignas(64) atomic_ullong request_counter;
static _Alignas(64) unsigned process_tag;

static const char hex_digits[] = "0123456789abcdef";

/* Writes the low `digits` hex digits of v at out. */
static void put_hex(char *out, unsigned long long v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        out[i] = hex_digits[v & 0xf];
        v >>= 4;
    }
}

/* Writes v in decimal at out (room for 20 digits); returns the length. */
static size_t put_uint(char *out, unsigned long long v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* The process tag (8 hex digits) and the request number (12 hex digits:
 * it would wrap after 2^48 requests). */
static void new_request_id(char out[24])
{
    unsigned long long n = atomic_fetch_add(&request_counter, 1) + 1;
    put_hex(out, process_tag, 8);
    put_hex(out + 8, n, 12);
    out[20] = '\0';
}

/* Accepts a client's X-Request-Id when it is short and plain. */
static bool acceptable_request_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 23)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

/* The security headers as one pre-built block for our own non-JSON
 * responses, and the status lines of the usual statuses ("HTTP/1.1 200
 * OK\r\n"); filled once (build_tables) before any worker runs. */
static char security_block_text[1024];
static size_t security_block_len;
/* The same without the Content-Security-Policy, for a response that
 * brings its own (a downloaded file: "sandbox"). */
static const char *security_block_nocsp_text;
static size_t security_block_nocsp_len;

struct status_line {
    unsigned char len; /* 0: not pre-built */
    char text[63];
};
static struct status_line status_lines[600];
static const int prebuilt_status[] = {200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400,
                                      401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414,
                                      415, 416, 422, 429, 431, 500, 501, 502, 503, 504};
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* Writes "HTTP/1.1 <status> <reason>\r\n" at out (room for 64 bytes, the
 * reason is cut at 40); returns the length. */
static size_t format_status_line(char *out, const struct mg_connection *conn, int status)
{
    static const char v[] = "HTTP/1.1 ";
    memcpy(out, v, sizeof v - 1);
    size_t n = sizeof v - 1;
    n += put_uint(out + n, (unsigned)status);
    out[n++] = ' ';
    const char *reason = mg_get_response_code_text(conn, status);
    size_t rl = strnlen(reason, 40);
    memcpy(out + n, reason, rl);
    n += rl;
    out[n++] = '\r';
    out[n++] = '\n';
    return n;
}

static void build_tables(void)
{
    size_t used = 0;
    for (size_t i = 0; i < ARRAY_LEN(security_headers); i++)
        used += (size_t)snprintf(security_block_text + used, sizeof security_block_text - used,
                                 "%s: %s\r\n", security_headers[i][0], security_headers[i][1]);
    security_block_len = used;
    /* The CSP is the first line of the block. */
    const char *second = strstr(security_block_text, "\r\n") + 2;
    security_block_nocsp_text = second;
    security_block_nocsp_len = used - (size_t)(second - security_block_text);
    for (size_t i = 0; i < ARRAY_LEN(prebuilt_status); i++) {
        struct status_line *l = &status_lines[prebuilt_status[i]];
        l->len = (unsigned char)format_status_line(l->text, NULL, prebuilt_status[i]);
    }
}

/* Writes the status line at out (room for 64 bytes); returns its length. */
static size_t put_status_line(char *out, const struct mg_connection *conn, int status)
{
    if (status >= 0 && status < (int)ARRAY_LEN(status_lines) && status_lines[status].len) {
        memcpy(out, status_lines[status].text, status_lines[status].len);
        return status_lines[status].len;
    }
    return format_status_line(out, conn, status);
}

/* The HTTP Date of now (29 characters), cached per thread for the
 * current second. */
#define HTTP_DATE_LEN 29
static const char *http_date(void)
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[40];
    time_t now = time(NULL);
    if (now != cached_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_sec = now;
    }
    return cached;
}

/* A response head or log line written into a buffer whose size the
 * writer worked out beforehand (no bounds checks, no growing). */
struct out {
    char *p;
    size_t len;
};

static void out_mem(struct out *o, const void *s, size_t n)
{
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

#define OUT_LIT(o, lit) out_mem((o), (lit), sizeof(lit) - 1)

/* ---- CivetWeb callbacks ---- */

static int send_error_raw(struct mg_connection *conn, int status, const char *code,
                          const char *message);
static int dispatch(struct mg_connection *conn, void *cbdata);

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
    }
    return true;
}

/*
 * Framing rules of RFC 9112 that CivetWeb 1.15 does not enforce: it takes
 * the first of several Content-Length headers, lets chunked win over a
 * Content-Length (keeping the connection), reads "12abc" as 12, drops
 * header lines after the 64th and ends the head at a folded (obs-fold) or
 * nameless line. Returns 0 when the head is acceptable, else the status to
 * answer (400, or 431 for too many header lines) with a message in *why.
 *
 * Dropped and folded lines are seen by looking just past the last header
 * CivetWeb parsed: it splits the head in place, so the value is followed by
 * the NULs that replaced its CR LF and then the next line, which must be
 * the empty line that ends the head. tests/integration/http/test_malformed.c
 * pins this behaviour.
 */
static int check_framing(const struct mg_request_info *ri, const char **why)
{
    const char *cl = NULL, *te = NULL;
    int hosts = 0;
    if (ri->request_uri && strlen(ri->request_uri) > HTTP_MAX_TARGET) {
        *why = "The request target is longer than 8 KiB.";
        return 414;
    }
    for (int i = 0; i < ri->num_headers; i++) {
        const char *name = ri->http_headers[i].name;
        const char *value = ri->http_headers[i].value;
        /* "Name : v": CivetWeb blanked the space and the colon; without
         * the space the value (or the empty value's NUL) follows at once. */
        size_t nlen = strlen(name);
        if (name[nlen + 1] == '\0' && value != name + nlen + 1) {
            *why = "A header name is followed by white space.";
            return 400;
        }
        for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
            if ((*v < 0x20 && *v != '\t') || *v == 0x7f) {
                *why = "A header value holds a control character.";
                return 400;
            }
        }
        if (strcasecmp(name, "Content-Length") == 0) {
            if (!all_digits(value) || strlen(value) > 18) {
                *why = "Content-Length must be a decimal number.";
                return 400;
            }
            if (cl && !str_eq(cl, value)) {
                *why = "The request has conflicting Content-Length headers.";
                return 400;
            }
            cl = value;
        } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
            if (te) {
                *why = "The request has more than one Transfer-Encoding header.";
                return 400;
            }
            te = value;
        } else if (strcasecmp(name, "Host") == 0) {
            hosts++;
        }
    }
    if (cl && te) {
        *why = "A request may not have both Content-Length and Transfer-Encoding.";
        return 400;
    }
    bool v11 = ri->http_version && str_eq(ri->http_version, "1.1");
    if (v11 && hosts != 1) {
        *why = "An HTTP/1.1 request needs exactly one Host header.";
        return 400;
    }
    if (ri->num_headers > 0) {
        const char *last = ri->http_headers[ri->num_headers - 1].value;
        const char *next = last + strlen(last) + 1;
        if (*next == '\0')
            next++;
        if (*next != '\r' && *next != '\n') {
            if (ri->num_headers >= MG_MAX_HEADERS) {
                *why = "The request has too many header lines.";
                return 431;
            }
            *why = *next == ' ' || *next == '\t' ? "Folded header lines are not accepted."
                                                 : "A header line is malformed.";
            return 400;
        }
    }
    return 0;
}

/* Answers an error from begin_request (before any handler) and closes. */
static int refuse_early(struct mg_connection *conn, int status, const char *code,
                        const char *message)
{
    mg_disable_keep_alive(conn);
    send_error_raw(conn, status, code, message);
    return status;
}

static int on_begin_request(struct mg_connection *conn)
{
    struct http_server *srv = mg_get_user_data(mg_get_context(conn));
    atomic_fetch_add(&srv->in_flight, 1);
    struct conn_state *cs = &thread_state;
    cs->start_ns = time_mono_ns();
    cs->route = METRICS_ROUTE_UNROUTED;
    cs->active = true;
    const char *given = mg_get_header(conn, "X-Request-Id");
    if (given && acceptable_request_id(given))
        memcpy(cs->id, given, strlen(given) + 1); /* at most 23 characters */
    else
        new_request_id(cs->id);
    if (atomic_load(&srv->draining)) {
        /* Shutting down: new work goes elsewhere (the balancer retries). */
        mg_disable_keep_alive(conn);
        mg_response_header_start(conn, 503);
        mg_response_header_add(conn, "Retry-After", "1", -1);
        mg_response_header_add(conn, "Content-Type", "application/json", -1);
        static const char body[] =
            "{\"error\":{\"code\":\"shutting_down\",\"message\":\"The server is restarting; "
            "please retry.\"}}";
        char len[16];
        snprintf(len, sizeof len, "%zu", sizeof body - 1);
        mg_response_header_add(conn, "Content-Length", len, -1);
        mg_response_header_add(conn, "X-Request-Id", cs->id, -1);
        mg_response_header_send(conn);
        mg_write(conn, body, sizeof body - 1);
        return 503;
    }
    const char *why = NULL;
    int refused = check_framing(mg_get_request_info(conn), &why);
    if (refused == 431)
        return refuse_early(conn, 431, "headers_too_large", why);
    if (refused == 414)
        return refuse_early(conn, 414, "uri_too_long", why);
    if (refused)
        return refuse_early(conn, refused, "bad_request", why);
    /* CivetWeb listens before dispatch is set as its handler: a request
     * in between (a health check polling a starting server) is dispatched
     * here, not answered 404 from the web root. */
    if (!atomic_load(&srv->routed))
        return dispatch(conn, srv);
    return 0;
}

static void on_end_request(const struct mg_connection *conn, int status)
{
    struct http_server *srv = mg_get_user_data(mg_get_context(conn));
    atomic_fetch_sub(&srv->in_flight, 1);
    struct conn_state *cs = &thread_state;
    cs->active = false;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (ri == NULL)
        return;
    uint64_t dur = time_mono_ns() - cs->start_ns;
    metrics_observe_request(cs->route, status, dur);
    if (!log_enabled(LOG_INFO))
        return;

    /* The access log fields, built on the stack unless the path is long;
     * "ms" is the duration in milliseconds with three decimals. */
    const char *method = ri->request_method ? ri->request_method : "";
    const char *path = ri->local_uri_raw ? ri->local_uri_raw : "";
    size_t idl = strlen(cs->id), ml = strlen(method), pl = strlen(path);
    size_t rl = strlen(ri->remote_addr);
    size_t need = 128 + LOG_JSON_QUOTED_MAX(idl) + LOG_JSON_QUOTED_MAX(ml) +
                  LOG_JSON_QUOTED_MAX(pl) + LOG_JSON_QUOTED_MAX(rl);
    char small[1024];
    struct out f = {need <= sizeof small ? small : xmalloc(need), 0};
    OUT_LIT(&f, "\"id\":");
    f.len += log_json_quote(f.p + f.len, cs->id, idl);
    OUT_LIT(&f, ",\"method\":");
    f.len += log_json_quote(f.p + f.len, method, ml);
    OUT_LIT(&f, ",\"path\":");
    f.len += log_json_quote(f.p + f.len, path, pl);
    OUT_LIT(&f, ",\"status\":");
    if (status < 0) {
        f.p[f.len++] = '-';
        status = -status;
    }
    f.len += put_uint(f.p + f.len, (unsigned)status);
    OUT_LIT(&f, ",\"ms\":");
    uint64_t us = (dur + 500) / 1000;
    f.len += put_uint(f.p + f.len, us / 1000);
    unsigned frac = (unsigned)(us % 1000);
    f.p[f.len++] = '.';
    f.p[f.len++] = (char)('0' + frac / 100);
    f.p[f.len++] = (char)('0' + frac / 10 % 10);
    f.p[f.len++] = (char)('0' + frac % 10);
    OUT_LIT(&f, ",\"remote\":");
    f.len += log_json_quote(f.p + f.len, ri->remote_addr, rl);
    f.p[f.len] = '\0';
    log_fields(LOG_INFO, "request", f.p);
    if (f.p != small)
        free(f.p);
}

static int on_log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    log_warn("civetweb: %s", message);
    return 1;
}

/* Errors CivetWeb raises itself (bad request line, a head over
 * max_request_size...) get the same JSON shape as ours. */
static int on_http_error(struct mg_connection *conn, int status, const char *errmsg)
{
    if (!thread_state.active) /* refused while parsing: a request of its own */
        new_request_id(thread_state.id);
    if (status == 411) /* CivetWeb's answer to a Content-Length that is no number */
        return send_error_raw(conn, 400, "bad_request",
                              "Content-Length must be a decimal number.") == 0
                   ? 0
                   : 1;
    if (status == 413 && errmsg && strstr(errmsg, "Message too large")) {
        /* The head, not a body, is over the limit (RFC 6585). */
        mg_disable_keep_alive(conn);
        return send_error_raw(conn, 431, "headers_too_large",
                              "The request line and headers are larger than 16 KiB.") == 0
                   ? 0
                   : 1;
    }
    const char *code = status == 404   ? "not_found"
                       : status == 405 ? "method_not_allowed"
                       : status == 413 ? "payload_too_large"
                       : status < 500  ? "bad_request"
                                       : "server_error";
    const char *message = status == 404   ? "No such page or resource."
                          : status == 405 ? "Method not allowed here."
                          : status < 500  ? "The request could not be understood."
                                          : "The server could not answer this request.";
    return send_error_raw(conn, status, code, message) == 0 ? 0 : 1;
}

/* ---- Responses ---- */

/* Answers an error outside our handlers (CivetWeb's parse errors, refusals
 * in begin_request) and closes the connection. The head is written whole,
 * as HTTP/1.1 whatever version the client claimed (CivetWeb would echo
 * "HTTP/2.0" or worse back). */
static int send_error_raw(struct mg_connection *conn, int status, const char *code,
                          const char *message)
{
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return -1;
    mg_disable_keep_alive(conn);
    const struct mg_request_info *ri = mg_get_request_info(conn);
    bool head = ri && ri->request_method && str_eq(ri->request_method, "HEAD");
    strbuf h;
    strbuf_init(&h, 0);
    strbuf_printf(&h,
                  "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n"
                  "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n%sX-Request-Id: %s\r\n\r\n",
                  status, mg_get_response_code_text(conn, status), http_date(), strlen(text),
                  SECURITY_JSON_BLOCK, thread_state.id);
    if (!head)
        strbuf_puts(&h, text);
    int rc = mg_write(conn, strbuf_cstr(&h), h.len) == (int)h.len ? 0 : -1;
    strbuf_free(&h);
    free(text);
    return rc;
}

static bool has_extra_header(const struct http_req *req, const char *name)
{
    const char *h = strbuf_cstr(&req->extra_headers);
    size_t n = strlen(name);
    while (*h) {
        if (strncasecmp(h, name, n) == 0 && h[n] == ':')
            return true;
        const char *eol = strstr(h, "\r\n");
        if (eol == NULL)
            break;
        h = eol + 2;
    }
    return false;
}

static bool client_wants_close(const struct http_req *req)
{
    const char *c = mg_get_header(req->conn, "Connection");
    bool v10 = req->ri->http_version && str_eq(req->ri->http_version, "1.0");
    if (c && strcasestr(c, "close"))
        return true;
    return v10 && !(c && strcasestr(c, "keep-alive"));
}

/* "application/json", with or without parameters. */
static bool is_json_type(const char *ct);

/* The most bytes build_head writes for this content type (the status line
 * at most 64, Date, Connection, Content-Length, Cache-Control and
 * X-Request-Id at most about 170). */
static size_t head_bound(const struct http_req *req, const char *content_type)
{
    return 320 + (content_type ? strlen(content_type) : 0) + security_block_len +
           req->extra_headers.len;
}

static int deadline_arm(timer_t *t, long ms);

void http_set_drain_limit(struct http_req *req, long long limit)
{
    req->drain_limit = limit;
}

/* Reads and drops a body the handler left unread (see
 * http_set_drain_limit). True when it was read to its end. */
static bool drain_body(struct http_req *req)
{
    long long declared = req->ri->content_length;
    long long limit = req->drain_limit > 0 ? req->drain_limit : req->srv->body_limit;
    if (declared <= 0 || declared > limit ||
        mg_get_header(req->conn, "Transfer-Encoding") != NULL ||
        mg_get_header(req->conn, "Expect") != NULL)
        return false;
    long budget_ms = req->srv->body_timeout_ms;
    uint64_t deadline = budget_ms > 0 ? time_mono_ns() + (uint64_t)budget_ms * 1000000ull : 0;
    timer_t timer;
    bool armed = budget_ms > 0 && deadline_arm(&timer, budget_ms) == 0;
    bool done = false;
    char chunk[16384];
    for (;;) {
        int n = mg_read(req->conn, chunk, sizeof chunk);
        if (deadline && time_mono_ns() >= deadline)
            break;
        if (n == 0) {
            done = true;
            break;
        }
        if (n < 0)
            break;
    }
    if (armed)
        timer_delete(timer);
    req->body_done = done;
    return done;
}

/*
 * Serialises the status line and headers at out, which has room for
 * head_bound bytes; returns the length. Our responses are written with one
 * mg_write where they fit (headers and body together): header-by-header
 * writes would cost a system call and, with TCP_NODELAY, a packet each.
 */
static size_t build_head(struct http_req *req, char *out, int status, const char *content_type,
                         long long content_length)
{
    /* A body left unread is read and dropped when it is small enough
     * (drain_body, bounded by the body deadline); a larger or unbounded
     * one is not, and the connection closes after the reply. A client
     * that closes anyway gets its body drained too: closing with unread
     * bytes makes the kernel reset the connection, and a proxy still
     * sending them loses the reply. */
    bool unread_body = !req->body_done && (req->ri->content_length > 0 ||
                                           mg_get_header(req->conn, "Transfer-Encoding") != NULL);
    bool keep = !req->close_after && !client_wants_close(req);
    if (unread_body && !req->close_after && !drain_body(req))
        keep = false;
    if (!keep)
        mg_disable_keep_alive(req->conn); /* unread body bytes must not become a request */
    struct out h = {out, 0};
    h.len = put_status_line(out, req->conn, status);
    OUT_LIT(&h, "Date: ");
    out_mem(&h, http_date(), HTTP_DATE_LEN);
    if (keep)
        OUT_LIT(&h, "\r\nConnection: keep-alive\r\n");
    else
        OUT_LIT(&h, "\r\nConnection: close\r\n");
    if (content_type) {
        OUT_LIT(&h, "Content-Type: ");
        out_str(&h, content_type);
        OUT_LIT(&h, "\r\n");
    }
    if (content_length >= 0) {
        OUT_LIT(&h, "Content-Length: ");
        h.len += put_uint(h.p + h.len, (unsigned long long)content_length);
        OUT_LIT(&h, "\r\n");
    } else if (content_length == -1) {
        OUT_LIT(&h, "Transfer-Encoding: chunked\r\n");
    }
    if (!has_extra_header(req, "Cache-Control"))
        OUT_LIT(&h, "Cache-Control: no-store\r\n");
    if (is_json_type(content_type))
        OUT_LIT(&h, SECURITY_JSON_BLOCK);
    else if (has_extra_header(req, "Content-Security-Policy"))
        out_mem(&h, security_block_nocsp_text, security_block_nocsp_len);
    else
        out_mem(&h, security_block_text, security_block_len);
    OUT_LIT(&h, "X-Request-Id: ");
    out_str(&h, req->cs->id);
    OUT_LIT(&h, "\r\n");
    out_mem(&h, strbuf_cstr(&req->extra_headers), req->extra_headers.len);
    OUT_LIT(&h, "\r\n");
    req->replied = true;
    req->status = status;
    return h.len;
}

/* Responses up to this size (head and body) are built on the stack. */
#define HEAD_STACK 4096

static void send_headers(struct http_req *req, int status, const char *content_type,
                         long long content_length)
{
    char small[HEAD_STACK];
    size_t bound = head_bound(req, content_type);
    char *h = bound <= sizeof small ? small : xmalloc(bound);
    size_t n = build_head(req, h, status, content_type, content_length);
    mg_write(req->conn, h, n);
    if (h != small)
        free(h);
}

int http_add_header(struct http_req *req, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    if (str_has_crlf(name, nl) || str_has_crlf(value, vl) || memchr(name, ':', nl))
        return -1;
    /* "name: value\r\n" in one append (one growth of the buffer at most). */
    char small[256];
    size_t len = nl + vl + 4;
    char *line = len <= sizeof small ? small : xmalloc(len);
    /* A byte range, not a C string: its length travels with it. */
    memcpy(line, name, nl); // NOLINT(bugprone-not-null-terminated-result)
    line[nl] = ':';
    line[nl + 1] = ' ';
    memcpy(line + nl + 2, value, vl); // NOLINT(bugprone-not-null-terminated-result)
    line[nl + 2 + vl] = '\r';
    line[nl + 3 + vl] = '\n';
    int rc = strbuf_append(&req->extra_headers, line, len);
    if (line != small)
        free(line);
    return rc;
}

void http_reply(struct http_req *req, int status, const char *content_type, const void *body,
                size_t len)
{
    if (req->replied) {
        log_error("second reply to request %s ignored (status %d)", http_request_id(req), status);
        return;
    }
    bool send_body = len > 0 && !req->head;
    bool together = send_body && len <= 65536; /* one write, one buffer */
    size_t bound = head_bound(req, content_type) + (together ? len : 0);
    char small[HEAD_STACK];
    char *h = bound <= sizeof small ? small : xmalloc(bound);
    size_t n = build_head(req, h, status, content_type, (long long)len);
    if (together) {
        memcpy(h + n, body, len);
        n += len;
    }
    mg_write(req->conn, h, n);
    if (send_body && !together)
        mg_write(req->conn, body, len);
    if (h != small)
        free(h);
}

void http_reply_empty(struct http_req *req, int status)
{
    if (req->replied)
        return;
    if (status == 204 || status == 304) {
        send_headers(req, status, NULL, -2); /* no body, no length */
        return;
    }
    http_reply(req, status, NULL, NULL, 0);
}

void http_reply_json(struct http_req *req, int status, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
    json_decref(json);
    if (text == NULL) {
        http_reply_error(req, 500, "server_error", "The response could not be encoded.");
        return;
    }
    http_reply(req, status, "application/json", text, strlen(text));
    free(text);
}

static void reply_error_v(struct http_req *req, int status, const char *code, json_t *extra,
                          const char *fmt, va_list ap)
{
    char *message = xvasprintf(fmt, ap);
    json_t *err = json_pack("{s:s,s:s}", "code", code, "message", message);
    free(message);
    if (extra) {
        json_object_update(err, extra);
        json_decref(extra);
    }
    if (status >= 500)
        json_object_set_new(err, "request_id", json_string(http_request_id(req)));
    http_reply_json(req, status, json_pack("{s:o}", "error", err));
}

void http_reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(req, status, code, NULL, fmt, ap);
    va_end(ap);
}

void http_reply_error_with(struct http_req *req, int status, const char *code, json_t *extra,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(req, status, code, extra, fmt, ap);
    va_end(ap);
}

void http_reply_unavailable(struct http_req *req)
{
    http_add_header(req, "Retry-After", "1");
    http_reply_error(req, 503, "unavailable",
                     "The service is briefly unavailable; please retry in a moment.");
}

int http_stream_begin(struct http_req *req, int status, const char *content_type)
{
    if (req->replied)
        return -1;
    send_headers(req, status, content_type, -1);
    req->streaming = true;
    return 0;
}

int http_stream_begin_length(struct http_req *req, int status, const char *content_type,
                             unsigned long long length)
{
    if (req->replied)
        return -1;
    send_headers(req, status, content_type, (long long)length);
    req->streaming = true;
    req->fixed_stream = true;
    req->stream_left = req->head ? 0 : length;
    return 0;
}

int http_stream_write(struct http_req *req, const void *data, size_t len)
{
    if (!req->streaming || req->head)
        return req->streaming ? 0 : -1;
    if (len == 0)
        return 0;
    if (req->fixed_stream) {
        if (len > req->stream_left)
            return -1;
        /* mg_write sends it all or fails (a client gone, a send timeout). */
        if (mg_write(req->conn, data, len) != (int)len)
            return -1;
        req->stream_left -= len;
        return 0;
    }
    return mg_send_chunk(req->conn, data, (unsigned)len) > 0 ? 0 : -1;
}

void http_stream_end(struct http_req *req)
{
    if (!req->streaming)
        return;
    if (req->fixed_stream) {
        if (req->stream_left > 0) /* short: the client must not wait for the rest */
            mg_disable_keep_alive(req->conn);
    } else if (!req->head) {
        mg_send_chunk(req->conn, "", 0);
    }
    req->streaming = false;
}

void http_stream_abort(struct http_req *req)
{
    if (!req->streaming)
        return;
    mg_disable_keep_alive(req->conn);
    req->streaming = false;
}

bool http_replied(const struct http_req *req)
{
    return req->replied;
}

/* ---- Request accessors ---- */

void *http_app(const struct http_req *req)
{
    return req->srv->app;
}

const char *http_method(const struct http_req *req)
{
    return req->ri->request_method;
}

const char *http_path(const struct http_req *req)
{
    return req->path;
}

const char *http_param(const struct http_req *req, const char *name)
{
    return route_param(&req->match, name);
}

int http_query(const struct http_req *req, const char *name, char *buf, size_t buflen)
{
    return http_query_at(req, name, 0, buf, buflen);
}

int http_query_at(const struct http_req *req, const char *name, size_t nth, char *buf,
                  size_t buflen)
{
    const char *qs = req->ri->query_string;
    buf[0] = '\0';
    if (qs == NULL)
        return HTTP_QUERY_ABSENT;
    int n = mg_get_var2(qs, strlen(qs), name, buf, buflen, nth);
    if (n < 0) {
        buf[0] = '\0';
        return n == -1 ? HTTP_QUERY_ABSENT : HTTP_QUERY_UNUSABLE;
    }
    if (strlen(buf) != (size_t)n || !str_valid_utf8(buf, (size_t)n)) {
        buf[0] = '\0';
        return HTTP_QUERY_UNUSABLE;
    }
    return n;
}

const char *http_header(const struct http_req *req, const char *name)
{
    return mg_get_header(req->conn, name);
}

static bool is_trusted(const struct http_server *s, const char *addr)
{
    for (char **p = s->proxies; p && *p; p++) {
        if (str_eq(*p, addr))
            return true;
    }
    return false;
}

static bool plain_ip(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool http_addr_in_list(const char *addr, const char *list)
{
    return ip_in_list(addr, list);
}

const char *http_remote_addr(struct http_req *req)
{
    if (req->client[0])
        return req->client;
    snprintf(req->client, sizeof req->client, "%s", req->ri->remote_addr);
    const char *xff = mg_get_header(req->conn, "X-Forwarded-For");
    if (xff == NULL || !is_trusted(req->srv, req->ri->remote_addr) || strlen(xff) > 2048)
        return req->client;
    /* Walk from the right: the nearest hop first, skipping our proxies. */
    char *copy = xstrdup(xff);
    char *end = copy + strlen(copy);
    while (end > copy) {
        char *comma = end;
        while (comma > copy && comma[-1] != ',')
            comma--;
        char *item = comma;
        *end = '\0';
        while (*item == ' ')
            item++;
        size_t n = strlen(item);
        while (n > 0 && item[n - 1] == ' ')
            item[--n] = '\0';
        if (!plain_ip(item))
            break;
        snprintf(req->client, sizeof req->client, "%s", item);
        if (!is_trusted(req->srv, item))
            break;
        end = comma > copy ? comma - 1 : copy;
    }
    free(copy);
    return req->client;
}

const char *http_request_id(const struct http_req *req)
{
    return req->cs->id;
}

int http_cookie(const struct http_req *req, const char *name, char *buf, size_t buflen)
{
    const char *header = mg_get_header(req->conn, "Cookie");
    if (header == NULL)
        return -1;
    int n = mg_get_cookie(header, name, buf, buflen);
    return n >= 0 ? n : -1;
}

void http_set_local(struct http_req *req, void *p)
{
    req->local = p;
}

void *http_local(const struct http_req *req)
{
    return req->local;
}

bool http_is_unsafe_method(const struct http_req *req)
{
    const char *m = req->ri->request_method;
    return str_eq(m, "POST") || str_eq(m, "PUT") || str_eq(m, "PATCH") || str_eq(m, "DELETE");
}

void *http_alloc(struct http_req *req, size_t n)
{
    struct alloc_node *node = xmalloc(sizeof *node + n);
    node->next = req->allocs;
    req->allocs = node;
    return node + 1;
}

char *http_strdup(struct http_req *req, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = http_alloc(req, n);
    memcpy(p, s, n);
    return p;
}

/* ---- Bodies ---- */

/*
 * The body deadline. CivetWeb's reads wait until the asked bytes arrive
 * and time out only after request_timeout_ms of silence, so a client that
 * sends one byte every few seconds holds a worker for as long as it likes.
 * While a body is read, a per-thread timer sends this thread a signal at
 * the deadline and every 100 ms after it: the signal (its handler does
 * nothing, installed without SA_RESTART) interrupts the poll or recv that
 * CivetWeb is blocked in, the read returns short, and we answer 408.
 */
static int deadline_signo;

static void on_deadline_signal(int signo)
{
    (void)signo;
}

static void install_deadline_signal(void)
{
    deadline_signo = SIGRTMIN + 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_deadline_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: interrupt blocking calls */
    sigaction(deadline_signo, &sa, NULL);
}

/* Arms a timer that signals this thread after ms, then every 100 ms.
 * Returns 0 and the timer in *t, or -1 (then no deadline is enforced
 * beyond the checks between reads). */
static int deadline_arm(timer_t *t, long ms)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = deadline_signo;
#ifdef sigev_notify_thread_id
    sev.sigev_notify_thread_id = gettid();
#else
    sev._sigev_un._tid = gettid(); /* glibc before 2.35 names no macro */
#endif
    if (timer_create(CLOCK_MONOTONIC, &sev, t) != 0)
        return -1;
    struct itimerspec its = {
        .it_value = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L},
        .it_interval = {.tv_sec = 0, .tv_nsec = 100 * 1000000L},
    };
    if (timer_settime(*t, 0, &its, NULL) != 0) {
        timer_delete(*t);
        return -1;
    }
    return 0;
}

int http_read_body(struct http_req *req, strbuf *out)
{
    long long declared = req->ri->content_length;
    long limit = req->srv->body_limit;
    long budget_ms = req->srv->body_timeout_ms;
    if (declared > limit) {
        req->close_after = true;
        http_reply_error(req, 413, "payload_too_large",
                         "The request body is larger than the limit of %ld bytes.", limit);
        return -1;
    }
    out->cap = (size_t)limit;
    uint64_t deadline = budget_ms > 0 ? time_mono_ns() + (uint64_t)budget_ms * 1000000ull : 0;
    timer_t timer;
    bool armed = budget_ms > 0 && deadline_arm(&timer, budget_ms) == 0;
    int status = 0;
    char chunk[16384];
    for (;;) {
        int n = mg_read(req->conn, chunk, sizeof chunk);
        if (deadline && time_mono_ns() >= deadline) {
            status = 408;
            break;
        }
        if (n == 0)
            break;
        if (n < 0) {
            status = 400;
            break;
        }
        if (strbuf_append(out, chunk, (size_t)n) != 0) {
            status = 413;
            break;
        }
    }
    if (armed)
        timer_delete(timer); /* a signal still pending is delivered here, harmlessly */
    if (status == 0) {
        req->body_done = true;
        return 0;
    }
    req->close_after = true;
    if (status == 408)
        http_reply_error(req, 408, "body_timeout", "The request body did not arrive within %ld ms.",
                         budget_ms);
    else if (status == 413)
        http_reply_error(req, 413, "payload_too_large",
                         "The request body is larger than the limit of %ld bytes.", limit);
    else
        http_reply_error(req, 400, "bad_request", "The request body could not be read.");
    return -1;
}

size_t http_json_depth(const char *text, size_t len, size_t stop_after)
{
    size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped character */
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > stop_after)
                    return stop_after + 1;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

static bool is_json_type(const char *ct)
{
    if (ct == NULL)
        return false;
    const char *mime = "application/json";
    size_t n = strlen(mime);
    if (strncasecmp(ct, mime, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

int http_json_body(struct http_req *req, json_t **out)
{
    *out = NULL;
    if (!is_json_type(http_header(req, "Content-Type"))) {
        req->close_after = req->ri->content_length != 0;
        http_reply_error(req, 415, "unsupported_media_type", "Send the body as application/json.");
        return -1;
    }
    strbuf body;
    strbuf_init(&body, 0);
    if (http_read_body(req, &body) != 0) {
        strbuf_free(&body);
        return -1;
    }
    if (body.len == 0) {
        strbuf_free(&body);
        http_reply_error(req, 400, "invalid_json", "A JSON object is required in the body.");
        return -1;
    }
    /* jansson parses recursively: a deep body must not reach it (a worker
     * stack holds some thousand levels at most). */
    if (http_json_depth(strbuf_cstr(&body), body.len, HTTP_JSON_MAX_DEPTH) > HTTP_JSON_MAX_DEPTH) {
        strbuf_free(&body);
        http_reply_error(req, 400, "too_deep",
                         "The JSON body is nested deeper than %d arrays and objects.",
                         HTTP_JSON_MAX_DEPTH);
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(strbuf_cstr(&body), body.len, JSON_REJECT_DUPLICATES, &jerr);
    strbuf_free(&body);
    if (j == NULL) {
        json_t *where = json_pack("{s:i,s:i,s:i}", "line", jerr.line, "column", jerr.column,
                                  "position", jerr.position);
        http_reply_error_with(req, 400, "invalid_json", where,
                              "Malformed JSON at line %d, column %d (byte %d): %s", jerr.line,
                              jerr.column, jerr.position, jerr.text);
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        http_reply_error(req, 400, "invalid_json", "The body must be a JSON object.");
        return -1;
    }
    *out = j;
    return 0;
}

/* ---- Dispatch ---- */

static bool is_api_path(const char *path)
{
    return str_eq(path, "/api") || str_starts_with(path, "/api/");
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes the raw request path (CivetWeb is told not to decode or tidy it)
 * into req->path and checks it is in normal form, so that exactly one
 * spelling of a path is served: "/metrics." or "/metrics%2e" are not
 * "/metrics". Returns 0, 400 for a broken percent-encoding, a raw byte
 * outside visible ASCII, a NUL or control character or invalid UTF-8, or
 * 404 for a path not in normal form (not starting with '/', an empty
 * segment, a segment ending in '.' such as "." and "..", a backslash).
 */
static int decode_path(struct http_req *req, const char *raw)
{
    size_t n = strlen(raw);
    char *out = n < sizeof req->path_buf ? req->path_buf : http_alloc(req, n + 1);
    size_t j = 0;
    req->path = "/";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c <= 0x20 || c >= 0x7f)
            return 400;
        if (c == '%') {
            int hi = i + 2 < n ? hex_value(raw[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(raw[i + 2]) : -1;
            if (lo < 0)
                return 400;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
            if (c < 0x20 || c == 0x7f)
                return 400;
        }
        out[j++] = (char)c;
    }
    out[j] = '\0';
    if (!str_valid_utf8(out, j))
        return 400;
    req->path = out;
    if (out[0] != '/')
        return 404;
    const char *seg = out + 1;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (slash && len == 0)
            return 404;
        if (len > 0 && seg[len - 1] == '.')
            return 404;
        if (memchr(seg, '\\', len))
            return 404;
        if (slash == NULL)
            return 0;
        seg = slash + 1;
    }
}

static bool has_request_body(const struct http_req *req)
{
    return req->ri->content_length > 0 || mg_get_header(req->conn, "Transfer-Encoding") != NULL;
}

/* If-Modified-Since at or after mtime. */
static bool unmodified_since(const char *ims, time_t mtime)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end && *end == '\0' && mtime <= timegm(&tm);
}

/*
 * Serves a file of the web root. Only GET and HEAD (OPTIONS gets 204 with
 * Allow); "/dir/" serves dir/index.html, "/dir" redirects to "/dir/";
 * hidden files (a segment starting with '.') are not served. Conditional
 * requests are answered here (304 with the ETag CivetWeb would give, the
 * request id and the security headers); the file itself is sent by
 * CivetWeb (ranges, gzip, Last-Modified) with our request id added.
 */
static void serve_static(struct http_req *req)
{
    const char *method = req->ri->request_method;
    const char *path = req->path;
    req->cs->route = ROUTE_STATIC;
    if (str_eq(method, "OPTIONS")) {
        http_add_header(req, "Allow", "GET, HEAD, OPTIONS");
        http_reply_empty(req, 204);
        return;
    }
    if (!str_eq(method, "GET") && !str_eq(method, "HEAD")) {
        http_add_header(req, "Allow", "GET, HEAD, OPTIONS");
        http_reply_error(req, 405, "method_not_allowed", "%s is not allowed here; use GET.",
                         method);
        return;
    }
    if (strstr(path, "/.")) {
        http_reply_error(req, 404, "not_found", "No such page or resource.");
        return;
    }
    size_t plen = strlen(path);
    bool dir_form = path[plen - 1] == '/';
    char *file = xasprintf("%s%s%s", req->srv->web_root, path, dir_form ? "index.html" : "");
    struct stat st;
    bool found = stat(file, &st) == 0;
    if (found && S_ISDIR(st.st_mode) && !dir_form) {
        /* A folder is served only as "/dir/" and only with an index. */
        char *index = xasprintf("%s/index.html", file);
        struct stat ist;
        found = stat(index, &ist) == 0 && S_ISREG(ist.st_mode);
        free(index);
    } else if (found && !S_ISREG(st.st_mode)) {
        found = false;
    }
    if (!found) {
        http_reply_error(req, 404, "not_found", "No such page or resource.");
    } else if (S_ISDIR(st.st_mode)) {
        char *location = xasprintf("%s/", path);
        http_add_header(req, "Location", location);
        free(location);
        http_reply_empty(req, 301);
    } else {
        char etag[64];
        snprintf(etag, sizeof etag, "\"%lx.%lld\"", (unsigned long)st.st_mtime,
                 (long long)st.st_size);
        const char *inm = http_header(req, "If-None-Match");
        const char *ims = http_header(req, "If-Modified-Since");
        if ((inm && strcasecmp(inm, etag) == 0) || (ims && unmodified_since(ims, st.st_mtime))) {
            http_add_header(req, "ETag", etag);
            http_add_header(req, "Cache-Control", "no-cache");
            http_reply_empty(req, 304);
        } else {
            if (has_request_body(req))
                mg_disable_keep_alive(req->conn);
            char extra[64];
            snprintf(extra, sizeof extra, "X-Request-Id: %s", req->cs->id);
            mg_send_mime_file2(req->conn, file, NULL, extra);
            req->replied = true;
            req->status = http_header(req, "Range") ? 206 : 200;
        }
    }
    free(file);
}

static void dispatch_route(struct http_req *req)
{
    struct http_server *srv = req->srv;
    const char *method = req->ri->request_method;
    enum router_result rr = router_match(srv->router, method, req->path, &req->match);
    if (rr == ROUTER_NOT_FOUND && !is_api_path(req->path) && srv->web_root) {
        serve_static(req);
    } else if (rr == ROUTER_FOUND) {
        req->cs->route = req->match.route_index;
        srv->handlers[req->match.route_index](req);
        if (!req->replied) {
            log_error("handler for %s %s returned without answering", method, req->match.pattern);
            http_reply_error(req, 500, "server_error", "The server could not answer.");
        }
        if (req->streaming)
            http_stream_end(req);
    } else if (rr == ROUTER_METHOD_NOT_ALLOWED && str_eq(method, "OPTIONS")) {
        /* Same-origin pages need no CORS: the methods, nothing else. */
        char allow[128];
        snprintf(allow, sizeof allow, "%s, OPTIONS", req->match.allow);
        http_add_header(req, "Allow", allow);
        http_reply_empty(req, 204);
    } else if (rr == ROUTER_METHOD_NOT_ALLOWED) {
        http_add_header(req, "Allow", req->match.allow);
        http_reply_error(req, 405, "method_not_allowed", "%s is not allowed here; use %s.", method,
                         req->match.allow);
    } else {
        http_reply_error(req, 404, "not_found", "No such resource.");
    }
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    struct http_server *srv = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);

    /* The request lives on this worker's stack until dispatch returns. */
    struct http_req req_store;
    memset(&req_store, 0, sizeof req_store);
    struct http_req *req = &req_store;
    req->conn = conn;
    req->ri = ri;
    req->srv = srv;
    req->cs = &thread_state;
    req->head = str_eq(ri->request_method, "HEAD");
    strbuf_init(&req->extra_headers, 16384);

    int bad = decode_path(req, ri->local_uri_raw ? ri->local_uri_raw : "");
    if (bad == 400)
        http_reply_error(req, 400, "bad_request", "The request path is not valid.");
    else if (bad)
        http_reply_error(req, 404, "not_found", "No such page or resource.");
    else
        dispatch_route(req);
    int status = req->status;
    while (req->allocs) {
        struct alloc_node *next = req->allocs->next;
        free(req->allocs);
        req->allocs = next;
    }
    strbuf_free(&req->extra_headers);
    free(req->form_buf);
    return status;
}

/* ---- Server ---- */

void http_library_init(void)
{
    mg_init_library(0);
}

void http_library_exit(void)
{
    mg_exit_library();
}

const char *http_library_version(void)
{
    return mg_version();
}

struct http_server *http_server_new(const struct http_options *o)
{
    struct http_server *s = xcalloc(1, sizeof *s);
    s->router = router_new();
    s->host = xstrdup(o->host);
    s->port = o->port;
    s->threads = o->threads;
    s->body_limit = o->body_limit;
    s->request_timeout_ms = o->request_timeout_ms;
    s->body_timeout_ms = o->body_timeout_ms;
    s->web_root = o->web_root ? xstrdup(o->web_root) : NULL;
    s->app = o->app;
    if (o->trusted_proxies) {
        char *list = xstrdup(o->trusted_proxies);
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            s->proxies = xrealloc(s->proxies, (n + 2) * sizeof *s->proxies);
            s->proxies[n++] = xstrdup(t);
            s->proxies[n] = NULL;
        }
        free(list);
    }
    return s;
}

int http_routes(struct http_server *s, const struct http_route_def *defs, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (http_route(s, defs[i].method, defs[i].pattern, defs[i].handler) != 0)
            rc = -1;
    return rc;
}

int http_route_count(const struct http_server *s)
{
    return router_count(s->router);
}

const char *http_route_method(const struct http_server *s, int i)
{
    return router_method(s->router, i);
}

const char *http_route_pattern(const struct http_server *s, int i)
{
    return router_pattern(s->router, i);
}

int http_route(struct http_server *s, const char *method, const char *pattern, http_handler h)
{
    int idx = router_add(s->router, method, pattern, NULL, 0);
    if (idx < 0 || idx >= MAX_HANDLERS)
        return -1;
    s->handlers[idx] = h;
    metrics_set_route_label(idx, router_method(s->router, idx), router_pattern(s->router, idx));
    return 0;
}

int http_server_start(struct http_server *s, char *err, size_t errlen)
{
    pthread_once(&tables_once, build_tables);
    install_deadline_signal();
    if (getrandom(&process_tag, sizeof process_tag, 0) != (ssize_t)sizeof process_tag)
        process_tag = (unsigned)time_mono_ns();

    char ports[96], threads[16], timeout[16], additional[1024];
    bool v6 = strchr(s->host, ':') != NULL;
    snprintf(ports, sizeof ports, v6 ? "[%s]:%d" : "%s:%d", s->host, s->port);
    snprintf(threads, sizeof threads, "%d", s->threads);
    snprintf(timeout, sizeof timeout, "%ld", s->request_timeout_ms);
    size_t used = 0;
    additional[0] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(security_headers); i++) {
        used += (size_t)snprintf(additional + used, sizeof additional - used, "%s%s: %s",
                                 i ? "\r\n" : "", security_headers[i][0], security_headers[i][1]);
    }

    const char *options[40];
    int n = 0;
    options[n++] = "listening_ports";
    options[n++] = ports;
    options[n++] = "num_threads";
    options[n++] = threads;
    options[n++] = "request_timeout_ms";
    options[n++] = timeout;
    options[n++] = "enable_keep_alive";
    options[n++] = "yes";
    options[n++] = "keep_alive_timeout_ms";
    options[n++] = "5000";
    options[n++] = "tcp_nodelay";
    options[n++] = "1";
    options[n++] = "max_request_size";
    options[n++] = "16384";
    options[n++] = "enable_directory_listing";
    options[n++] = "no";
    options[n++] = "listen_backlog";
    options[n++] = "1024";
    /* The raw path reaches dispatch, which decodes it and serves only its
     * normal form (CivetWeb would drop trailing dots and "..": /metrics.). */
    options[n++] = "decode_url";
    options[n++] = "no";
    /* No CORS: the pages are same-origin (CivetWeb's default answers
     * preflights with "*" and echoes the asked methods). */
    options[n++] = "access_control_allow_origin";
    options[n++] = "";
    options[n++] = "access_control_allow_methods";
    options[n++] = "";
    options[n++] = "access_control_allow_headers";
    options[n++] = "";
    if (s->web_root) {
        options[n++] = "document_root";
        options[n++] = s->web_root;
        options[n++] = "static_file_cache_control";
        options[n++] = "no-cache";
        options[n++] = "additional_header";
        options[n++] = additional;
    }
    options[n] = NULL;

    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.begin_request = on_begin_request;
    cb.end_request = on_end_request;
    cb.log_message = on_log_message;
    cb.http_error = on_http_error;

    struct mg_init_data init = {.callbacks = &cb, .user_data = s, .configuration_options = options};
    struct mg_error_data error;
    char ebuf[256] = "";
    memset(&error, 0, sizeof error);
    error.text = ebuf;
    error.text_buffer_size = sizeof ebuf;
    s->ctx = mg_start2(&init, &error);
    if (s->ctx == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s", ports, ebuf[0] ? ebuf : "unknown error");
        return -1;
    }
    mg_set_request_handler(s->ctx, "/", dispatch, s);
    atomic_store(&s->routed, true);

    struct mg_server_port sp[4];
    int np = mg_get_server_ports(s->ctx, 4, sp);
    s->bound_port = np > 0 ? sp[0].port : s->port;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->bound_port;
}

bool http_server_drain(struct http_server *s, int timeout_ms)
{
    atomic_store(&s->draining, true);
    uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
    while (atomic_load(&s->in_flight) > 0) {
        if (time_mono_ns() > deadline)
            return false;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return true;
}

void http_server_stop(struct http_server *s)
{
    if (s->ctx)
        mg_stop(s->ctx);
    s->ctx = NULL;
}

void http_server_free(struct http_server *s)
{
    if (s == NULL)
        return;
    router_free(s->router);
    for (char **p = s->proxies; p && *p; p++)
        free(*p);
    free(s->proxies);
    free(s->host);
    free(s->web_root);
    free(s);
}

/* ---- Multipart forms ----
 *
 * CivetWeb's mg_handle_form_request does the parsing; what it does not
 * promise is handled here. Values arrive in pieces and are not
 * NUL-terminated; a continuation piece comes with an empty key (the part
 * is tracked here, not by the key); after a callback asks to abort it may
 * be called once more, and it still returns a positive count, so the
 * refusal is remembered (st->status) and every later call aborts again;
 * a body it stopped reading is drained on a kept connection, so every
 * refusal closes the connection instead. It is used for multipart bodies
 * only: in 1.15 some URL-encoded bodies make it loop forever (upstream
 * issue 1348).
 */

enum form_part { PART_NONE, PART_FILE, PART_SKIP_FILE, PART_VALUE };

struct form_state {
    struct http_req *req;
    struct http_form *out;
    const char *file_field;
    size_t limit;
    size_t file_bytes; /* over every part with the file field's name */
    size_t cap;        /* room at req->form_buf */
    enum form_part part;
    struct http_form_value *value; /* the value being read */
    char *value_buf;
    uint64_t deadline; /* 0: none */
    int status;        /* 0, or the refusal once one is decided */
    const char *why;
};

static int form_refuse(struct form_state *st, int status, const char *why)
{
    if (st->status == 0) {
        st->status = status;
        st->why = why;
    }
    return MG_FORM_FIELD_HANDLE_ABORT;
}

static bool form_late(const struct form_state *st)
{
    return st->deadline && time_mono_ns() >= st->deadline;
}

static int form_field_found(const char *key, const char *filename, char *path, size_t pathlen,
                            void *ud)
{
    (void)path;
    (void)pathlen;
    struct form_state *st = ud;
    st->part = PART_NONE;
    if (st->status != 0)
        return MG_FORM_FIELD_STORAGE_ABORT;
    if (form_late(st)) {
        form_refuse(st, 408, NULL);
        return MG_FORM_FIELD_STORAGE_ABORT;
    }
    struct http_form *f = st->out;
    if (str_eq(key, st->file_field) && filename && filename[0]) {
        f->file_parts++;
        if (f->has_file) {
            st->part = PART_SKIP_FILE; /* counted against the limit, not kept */
        } else {
            f->has_file = true;
            f->filename = http_strdup(st->req, filename);
            f->filename_len = strlen(filename);
            st->part = PART_FILE;
        }
        return MG_FORM_FIELD_STORAGE_GET;
    }
    if (f->nvalues == HTTP_FORM_MAX_VALUES) {
        form_refuse(st, 413, "The form has too many fields.");
        return MG_FORM_FIELD_STORAGE_ABORT;
    }
    st->value = &f->values[f->nvalues++];
    st->value->name = http_strdup(st->req, key);
    st->value->has_filename = filename && filename[0];
    st->value_buf = http_alloc(st->req, HTTP_FORM_VALUE_MAX + 1);
    st->value_buf[0] = '\0';
    st->value->value = st->value_buf;
    st->value->len = 0;
    st->part = PART_VALUE;
    return MG_FORM_FIELD_STORAGE_GET;
}

/* Appends n bytes of the file, growing the buffer (at most to the limit). */
static void form_keep(struct form_state *st, const char *data, size_t n)
{
    struct http_req *req = st->req;
    struct http_form *f = st->out;
    if (n == 0) /* an empty piece: no buffer may exist yet */
        return;
    if (f->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : 256 * 1024;
        while (cap < f->len + n)
            cap *= 2;
        if (cap > st->limit)
            cap = st->limit;
        req->form_buf = xrealloc(req->form_buf, cap);
        st->cap = cap;
    }
    memcpy(req->form_buf + f->len, data, n);
    f->len += n;
    f->data = req->form_buf;
}

static int form_field_get(const char *key, const char *value, size_t len, void *ud)
{
    (void)key; /* "" on continuation pieces: the part is tracked in st */
    struct form_state *st = ud;
    if (st->status != 0)
        return MG_FORM_FIELD_HANDLE_ABORT;
    if (form_late(st))
        return form_refuse(st, 408, NULL);
    switch (st->part) {
    case PART_FILE:
    case PART_SKIP_FILE:
        if (len > st->limit - st->file_bytes)
            return form_refuse(st, 413, NULL);
        st->file_bytes += len;
        if (st->part == PART_FILE)
            form_keep(st, value, len);
        break;
    case PART_VALUE:
        if (len > HTTP_FORM_VALUE_MAX - st->value->len)
            return form_refuse(st, 413, "A form field is longer than 1024 bytes.");
        memcpy(st->value_buf + st->value->len, value, len);
        st->value->len += len;
        st->value_buf[st->value->len] = '\0';
        break;
    case PART_NONE:
        break;
    }
    return MG_FORM_FIELD_HANDLE_GET;
}

/* "multipart/form-data;" then parameters: the only type given to
 * CivetWeb's parser. */
static bool is_multipart_type(const char *ct)
{
    static const char mime[] = "multipart/form-data;";
    return ct && strncasecmp(ct, mime, sizeof mime - 1) == 0;
}

int http_read_form(struct http_req *req, const char *file_field, size_t limit,
                   struct http_form *out)
{
    memset(out, 0, sizeof *out);
    out->filename = "";
    if (!has_request_body(req))
        return 0;
    if (!is_multipart_type(http_header(req, "Content-Type"))) {
        req->close_after = true;
        http_reply_error(req, 415, "unsupported_media_type",
                         "Send the file as multipart/form-data.");
        return -1;
    }
    long long declared = req->ri->content_length;
    if (declared > 0 && (unsigned long long)declared > limit + (size_t)HTTP_FORM_OVERHEAD) {
        req->close_after = true;
        http_reply_error(req, 413, "payload_too_large",
                         "The file is larger than the limit of %zu bytes.", limit);
        return -1;
    }
    struct form_state st = {.req = req, .out = out, .file_field = file_field, .limit = limit};
    if (declared > 0) {
        /* Room for the whole file at once (no copies while it grows). */
        st.cap = (size_t)declared < limit ? (size_t)declared : limit;
        if (st.cap > 0)
            req->form_buf = xmalloc(st.cap);
    }
    long budget_ms = req->srv->body_timeout_ms;
    if (budget_ms > 0)
        st.deadline = time_mono_ns() + (uint64_t)budget_ms * 1000000ull;
    timer_t timer;
    bool armed = budget_ms > 0 && deadline_arm(&timer, budget_ms) == 0;

    struct mg_form_data_handler fdh = {.field_found = form_field_found,
                                       .field_get = form_field_get,
                                       .field_store = NULL,
                                       .user_data = &st};
    int n = mg_handle_form_request(req->conn, &fdh);
    if (st.status == 0 && form_late(&st))
        st.status = 408;
    if (st.status == 0 && n < 0)
        form_refuse(&st, 400, "The multipart body is malformed.");
    if (st.status == 0) {
        /* Anything after the closing boundary is read here: only a body
         * read to its end leaves the connection open for another request. */
        char rest[64];
        if (mg_read(req->conn, rest, sizeof rest) == 0)
            req->body_done = true;
    }
    if (armed)
        timer_delete(timer);
    if (st.status == 0)
        return 0;

    req->close_after = true;
    if (st.status == 408)
        http_reply_error(req, 408, "body_timeout", "The request body did not arrive within %ld ms.",
                         budget_ms);
    else if (st.status == 413 && st.why == NULL)
        http_reply_error(req, 413, "payload_too_large",
                         "The file is larger than the limit of %zu bytes.", limit);
    else if (st.status == 413)
        http_reply_error(req, 413, "payload_too_large", "%s", st.why);
    else
        http_reply_error(req, 400, "bad_request", "%s", st.why);
    return -1;
}

const struct http_form_value *http_form_value(const struct http_form *f, const char *name)
{
    for (size_t i = 0; i < f->nvalues; i++) {
        if (str_eq(f->values[i].name, name))
            return &f->values[i];
    }
    return NULL;
}
