/*
 * http.h - the only door to CivetWeb.
 *
 * Owns the listening server, the router for the API and operations paths,
 * request-scoped state, body reading behind a byte cap, JSON bodies, every
 * response (with security headers and a request id), static files from the
 * web root, the access log and request metrics.
 *
 * Handlers receive a struct http_req and must answer exactly once through
 * one of the http_reply* functions or a stream. A handler that returns
 * without answering is a bug: the layer logs it and answers 500.
 */
#ifndef CONVENE_HTTP_H
#define CONVENE_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

struct http_server;
struct http_req;

typedef void (*http_handler)(struct http_req *req);

struct http_options {
    const char *host; /* IP address to bind, "127.0.0.1" or "::1" */
    int port;         /* 0: let the kernel choose (see http_server_port) */
    int threads;
    long body_limit;
    long request_timeout_ms;
    const char *web_root; /* NULL: no static files */
    /* Comma-separated proxy addresses (NULL: none). Requests from them are
     * attributed to the last untrusted address in X-Forwarded-For. */
    const char *trusted_proxies;
    void *app; /* handed to handlers through http_app() */
};

/* ---- Server ---- */

/* Initialises and releases the HTTP library, once per process, around all
 * servers. */
void http_library_init(void);
void http_library_exit(void);
/* The version of the HTTP library, e.g. "1.15". */
const char *http_library_version(void);

/* Creates a server (not yet listening). Strings are copied. Never NULL. */
struct http_server *http_server_new(const struct http_options *o);

/*
 * Adds a route; see router.h for patterns. Call before http_server_start.
 * Returns 0, or -1 for a bad or duplicate pattern.
 */
int http_route(struct http_server *s, const char *method, const char *pattern, http_handler h);

/* The routes added so far, in order: their count, and the method and
 * pattern of route i (NULL past the end; strings live as long as s). */
int http_route_count(const struct http_server *s);
const char *http_route_method(const struct http_server *s, int i);
const char *http_route_pattern(const struct http_server *s, int i);

/* Starts listening and serving. 0, or -1 with a reason in err. */
int http_server_start(struct http_server *s, char *err, size_t errlen);
/* The bound port (useful when 0 was asked). */
int http_server_port(const struct http_server *s);
/*
 * Starts a graceful stop: from now on new requests are answered 503 with
 * Retry-After and the connection closed, while requests in flight run to
 * completion. Returns true when none is left within timeout_ms.
 */
bool http_server_drain(struct http_server *s, int timeout_ms);
/* Stops the server and joins the workers. Call http_server_drain first:
 * responses still being written when this is called are cut off. */
void http_server_stop(struct http_server *s);
/* Frees a stopped server. Accepts NULL. */
void http_server_free(struct http_server *s);

/* ---- Request ---- */

void *http_app(const struct http_req *req);
const char *http_method(const struct http_req *req);
/* The decoded path, without the query string. */
const char *http_path(const struct http_req *req);
/* A path parameter of the matched route, or NULL. */
const char *http_param(const struct http_req *req, const char *name);
/*
 * Copies the URL-decoded query parameter `name` into buf. Returns its
 * length, -1 when absent, -2 when it does not fit or is not valid UTF-8.
 */
int http_query(const struct http_req *req, const char *name, char *buf, size_t buflen);
/* A request header, or NULL. */
const char *http_header(const struct http_req *req, const char *name);
/* The client's address: the peer, or behind a trusted proxy the last
 * untrusted address of X-Forwarded-For. */
const char *http_remote_addr(struct http_req *req);
const char *http_request_id(const struct http_req *req);

/* Copies the value of cookie `name` into buf. Returns its length, or -1
 * when absent or too long. */
int http_cookie(const struct http_req *req, const char *name, char *buf, size_t buflen);

/* One pointer of per-request state for the layers above (the caller's
 * session); not freed by the layer (use http_alloc for its memory). */
void http_set_local(struct http_req *req, void *p);
void *http_local(const struct http_req *req);

/* True for POST, PUT, PATCH and DELETE. */
bool http_is_unsafe_method(const struct http_req *req);

/*
 * Reads the whole body into out (initialised by the caller), enforcing the
 * server's body cap for both Content-Length and chunked bodies. On failure
 * it has already answered (413 over the cap, 400 for a broken body) and
 * returns -1.
 */
int http_read_body(struct http_req *req, strbuf *out);

/*
 * Reads a JSON body: checks Content-Type (415 unless application/json),
 * the cap (413), UTF-8 and syntax (400 naming line, column and position),
 * and that the top level is an object (400). On success returns 0 and a new
 * reference in *out (the caller decrefs); on failure it has answered and
 * returns -1.
 */
int http_json_body(struct http_req *req, json_t **out);

/* Request-scoped allocation: freed when the request ends. */
void *http_alloc(struct http_req *req, size_t n);
char *http_strdup(struct http_req *req, const char *s);

/* ---- Responses ---- */

/* Adds a response header (copied) for the coming reply. Values containing
 * CR or LF are refused (-1). */
int http_add_header(struct http_req *req, const char *name, const char *value);

/* Sends a complete response. body may be NULL when len is 0. */
void http_reply(struct http_req *req, int status, const char *content_type, const void *body,
                size_t len);
/* Sends json (a reference the call steals; NULL sends "null"). */
void http_reply_json(struct http_req *req, int status, json_t *json);
/* Sends {"error":{"code":code,"message":...}}; message is printf-style. */
void http_reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Like http_reply_error, with extra members merged into the error object
 * (stolen reference; may be NULL), e.g. {"fields": {...}}. */
void http_reply_error_with(struct http_req *req, int status, const char *code, json_t *extra,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 503 with Retry-After for a database that cannot be reached right now. */
void http_reply_unavailable(struct http_req *req);
/* Sends status with no body (204, 304). */
void http_reply_empty(struct http_req *req, int status);

/*
 * Streaming: begin sends the headers with chunked transfer encoding; write
 * sends one chunk (returns -1 when the client has gone); end terminates.
 */
int http_stream_begin(struct http_req *req, int status, const char *content_type);
int http_stream_write(struct http_req *req, const void *data, size_t len);
void http_stream_end(struct http_req *req);
/* Ends a stream that failed part-way so that the client can tell: no
 * terminating chunk, and the connection is closed once the handler
 * returns (curl reports "transfer closed with outstanding read data"). */
void http_stream_abort(struct http_req *req);

/* True when a reply was sent (or a stream begun). */
bool http_replied(const struct http_req *req);

#endif
