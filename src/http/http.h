/*
 * http.h - the only door to CivetWeb.
 *
 * Owns the listening server, the router for the API and operations paths,
 * request-scoped state, body reading behind a byte cap, JSON bodies, every
 * response (with security headers and a request id), static files from the
 * web root, the access log and request metrics.
 *
 * Security headers: pages, files and every other non-JSON answer carry the
 * page policy (Content-Security-Policy for the site, X-Content-Type-Options,
 * Referrer-Policy, X-Frame-Options, Cross-Origin-Opener-Policy,
 * Permissions-Policy); JSON answers carry a CSP that allows nothing
 * ("default-src 'none'; frame-ancestors 'none'"), nosniff, Referrer-Policy
 * and X-Frame-Options.
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
    /* Time a client has to send a whole request body once the handler
     * starts reading it (408 and a closed connection after). 0: no limit. */
    long body_timeout_ms;
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

/* One route of a feature's table (see http_routes). */
struct http_route_def {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* see router.h */
    http_handler handler;
};

/* Adds the n routes of defs, in order, as http_route does. 0, or -1 when
 * any is refused (the others are still added). */
int http_routes(struct http_server *s, const struct http_route_def *defs, size_t n);

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
/* The decoded path, without the query string. The layer serves only paths
 * that are already in normal form: no "." or ".." segments, no segment
 * ending in '.', no empty segment, no backslash, no NUL or control byte
 * (others get 404, or 400 for a broken percent-encoding). */
const char *http_path(const struct http_req *req);
/* A path parameter of the matched route, or NULL. */
const char *http_param(const struct http_req *req, const char *name);
/* What http_query returns besides a length. */
enum {
    HTTP_QUERY_ABSENT = -1, /* no such parameter: buf is "" */
    /* present, but longer than buflen - 1 bytes, not valid UTF-8 or
     * holding a NUL: buf is "" */
    HTTP_QUERY_UNUSABLE = -2,
};
/*
 * Copies the URL-decoded query parameter `name` (the first occurrence)
 * into buf (buflen >= 1). Returns its length (>= 0; 0 for an empty value,
 * "?name="), HTTP_QUERY_ABSENT or HTTP_QUERY_UNUSABLE. An unusable value is
 * present: a caller must refuse it (400), never treat it as absent (which
 * would turn "to=2023-06-30XXXX" into "no upper bound"). api_query_string
 * and api_query_long in api.h do this for handlers.
 */
int http_query(const struct http_req *req, const char *name, char *buf, size_t buflen);
/* The same for the nth occurrence (0 is the first) of a parameter that may
 * repeat ("?status=a&status=b"): HTTP_QUERY_ABSENT past the last one. */
int http_query_at(const struct http_req *req, const char *name, size_t nth, char *buf,
                  size_t buflen);
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
 * it has already answered (413 over the cap, 400 for a broken body, 408
 * when the body takes longer than the server's body deadline) and returns
 * -1; after 408 and 413 the connection is closed.
 */
int http_read_body(struct http_req *req, strbuf *out);

/*
 * A reply to a request whose body was not read (a refusal before it, such
 * as 401 or 404 on an upload) reads and discards that body first, so that
 * the connection stays usable and a proxy that is still sending it (nginx
 * with its buffered copy) gets the answer instead of a reset. That happens
 * only for a declared Content-Length of at most the drain limit (the
 * server's body limit, or what this sets for the request: an upload route
 * sets its file limit + HTTP_FORM_OVERHEAD) read within the server's body
 * deadline; a larger, chunked or "Expect: 100-continue" body, or one that
 * is late, is left unread and the connection closed after the reply.
 */
void http_set_drain_limit(struct http_req *req, long long limit);

/* Deepest nesting of arrays and objects a JSON body may have. */
#define HTTP_JSON_MAX_DEPTH 32

/*
 * Reads a JSON body: checks Content-Type (415 unless application/json),
 * the cap (413), nesting deeper than HTTP_JSON_MAX_DEPTH (400 too_deep,
 * checked by a scan before parsing, so a deep body never reaches the
 * recursive parser), UTF-8 and syntax (400 invalid_json naming line, column
 * and position), and that the top level is an object (400). On success
 * returns 0 and a new reference in *out (the caller decrefs); on failure it
 * has answered and returns -1.
 */
int http_json_body(struct http_req *req, json_t **out);

/*
 * The deepest nesting of '[' and '{' in the JSON text (len bytes, need not
 * be valid JSON nor NUL-terminated), ignoring brackets inside strings
 * (with their backslash escapes). Scanning stops early once the depth
 * exceeds `stop_after` and returns stop_after + 1. Pure.
 */
size_t http_json_depth(const char *text, size_t len, size_t stop_after);

/*
 * True when the IP address `addr` (text, IPv4 or IPv6) is in `list`, a
 * comma-separated list of addresses and CIDR blocks ("127.0.0.1,::1",
 * "10.0.0.0/8, fd00::/8"). An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * matches as its IPv4 form. NULL or empty list: false. Malformed entries
 * never match (config.c refuses them at start-up). Pure.
 */
bool http_addr_in_list(const char *addr, const char *list);

/* ---- Multipart forms (uploads) ----
 *
 * A multipart/form-data body with one file part and a few small fields,
 * read into request-scoped memory. The file part has its own cap, and the
 * server's body limit (meant for JSON) does not apply.
 */

/* What a form may hold beyond its file: boundaries, part headers, the
 * small fields. A declared Content-Length over the file's limit plus this
 * is refused before any of the body is read. */
#define HTTP_FORM_OVERHEAD (64 * 1024)
/* Fields other than the file kept, and the longest value of one. */
#define HTTP_FORM_MAX_VALUES 16
#define HTTP_FORM_VALUE_MAX  1024

struct http_form_value {
    const char *name;  /* request-scoped, NUL-terminated */
    const char *value; /* request-scoped; len bytes (may hold NULs), then a NUL */
    size_t len;
    bool has_filename; /* the part came with a filename */
};

struct http_form {
    /* The first part named as the file field that came with a (non-empty)
     * filename. */
    bool has_file;
    const char *filename; /* as CivetWeb decoded it (request-scoped); "" without */
    size_t filename_len;
    const unsigned char *data; /* its bytes (request-scoped); NULL when none */
    size_t len;
    int file_parts; /* parts with a filename under the file field's name */
    /* Every other part, in the order sent (a part named as the file field
     * but without a filename is one of them). */
    size_t nvalues;
    struct http_form_value values[HTTP_FORM_MAX_VALUES];
};

/*
 * Reads a multipart/form-data body into *out (all of it request-scoped,
 * released when the request ends). file_field names the file part; its
 * bytes (over every part of that name) may number at most limit. A request
 * without a body gives an empty form. On failure it has answered and
 * returns -1: 415 unless the Content-Type is multipart/form-data; 413 when
 * the declared Content-Length is over limit + HTTP_FORM_OVERHEAD (before
 * reading), when the file grows past limit, when a field's value is over
 * HTTP_FORM_VALUE_MAX or there are more than HTTP_FORM_MAX_VALUES fields;
 * 400 for a malformed body; 408 past the server's body deadline. After
 * 408, 413 and 400 the connection is closed. (CivetWeb 1.15 skips, without
 * a word, a part whose name or filename decodes to more than 1023 bytes,
 * turns '+' into a space, decodes %XX in a filename, makes '\' a '/' and
 * drops "./" and "../" segments from it: the filename is what is left.)
 */
int http_read_form(struct http_req *req, const char *file_field, size_t limit,
                   struct http_form *out);

/* The first field called name of a form read by http_read_form, or NULL. */
const struct http_form_value *http_form_value(const struct http_form *f, const char *name);

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

/*
 * A stream of a known length: begin sends the headers with Content-Length
 * (no chunked encoding); http_stream_write then sends bytes as they are
 * (refusing, -1, any beyond length) and http_stream_end finishes. A stream
 * that ends short of length, or is aborted, closes the connection so that
 * the client can tell. A Content-Security-Policy added with
 * http_add_header replaces the page policy (e.g. "sandbox" for a file).
 */
int http_stream_begin_length(struct http_req *req, int status, const char *content_type,
                             unsigned long long length);

/* True when a reply was sent (or a stream begun). */
bool http_replied(const struct http_req *req);

#endif
