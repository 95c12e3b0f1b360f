/*
 * api.h - helpers shared by the feature handlers: input validation with
 * per-field errors (422), replies for database failures, pagination, and
 * turning database rows into JSON.
 */
#ifndef CONVENE_API_H
#define CONVENE_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct http_req;
struct db_conn;
struct db_result;

/* ---- Field validation ---- */

/*
 * Collects per-field problems; one reply lists them all as
 * "fields": {"email": {"code": "required", "message": "This field is
 * required."}, ...}. The code is for programs and translations (see
 * docs/openapi.yaml, FieldError, for the list); the message is English.
 */
struct api_fields {
    json_t *errors; /* object, created on first error */
};

enum {
    API_REQUIRED = 1u << 0,  /* absent or null is an error */
    API_MULTILINE = 1u << 1, /* allow \n and \t (otherwise no control chars) */
    API_TRIM = 1u << 2,      /* strip surrounding spaces before checking */
};

void api_fields_init(struct api_fields *f);
void api_fields_free(struct api_fields *f);
/* Records a problem with a field (the first one per field wins). code is
 * one of the documented field codes: required, invalid_type,
 * invalid_format, invalid_choice, too_long, too_short, out_of_range,
 * not_found, taken, weak_password, wrong_password, end_before_start,
 * unknown_member, read_only. */
void api_field_error(struct api_fields *f, const char *field, const char *code,
                     const char *message);
/*
 * Records unknown_member for every member of the object body not listed in
 * allowed (a NULL-terminated list), and read_only for those listed in
 * read_only (NULL-terminated, may be NULL). A body that is not an object
 * is left to the caller.
 */
void api_reject_unknown(struct api_fields *f, json_t *body, const char *const *allowed,
                        const char *const *read_only);
bool api_fields_ok(const struct api_fields *f);
/*
 * When problems were recorded: answers 422 {"error":{"code":
 * "validation_failed", "message":..., "fields":{...}}} and returns -1.
 * Otherwise returns 0. Frees what f holds either way (f may be used again).
 */
int api_fields_check(struct http_req *req, struct api_fields *f);

/*
 * Reads string member `key` of obj: valid UTF-8, between min_chars and
 * max_bytes, no control characters unless API_MULTILINE. Returns the
 * string (borrowed from obj, or request-scoped when trimmed), NULL when
 * absent (an error only with API_REQUIRED) or invalid (error recorded).
 */
const char *api_string(struct http_req *req, json_t *obj, const char *key, struct api_fields *f,
                       unsigned flags, size_t min_chars, size_t max_bytes);
/* Reads integer member `key` in [min, max] into *out. Returns true when
 * present and valid; records an error when invalid (or absent and
 * required). */
bool api_integer(json_t *obj, const char *key, struct api_fields *f, unsigned flags, long min,
                 long max, long *out);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t api_utf8_chars(const char *s);

/* ---- Request context ---- */

struct app;
/* The running server's shared state (http_app with its type). */
struct app *api_app(struct http_req *req);
/* Borrows a pooled database connection, or answers 503 with Retry-After
 * and returns NULL. Give it back with db_release. */
struct db_conn *api_acquire(struct http_req *req);
/* Like api_acquire, for a read that may lag: from the read pool (the
 * replica of CONVENE_DATABASE_READ_URL) when it is configured, up, and has
 * replayed what the caches were last told of (cache_required_lsn), else
 * from the primary pool (db_acquire_read). */
struct db_conn *api_acquire_read(struct http_req *req);

/* ---- The handler context ----
 *
 * Every handler reads the same way, with one `out:` label:
 *
 *     struct api_ctx x;
 *     if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
 *         api_body(&x, false, allowed, read_only) != 0)
 *         goto out;
 *     ... read members into x.f ...
 *     if (api_check(&x) != 0)
 *         goto out;
 *     ... one SQL call, one reply ...
 * out:
 *     api_end(&x);
 *
 * The connection and the caller come first (503, 401 and 403 before the
 * body is read), then the body, then the 422 listing every field problem.
 */
struct account;

struct api_ctx {
    struct http_req *req;
    struct db_conn *c;        /* borrowed connection, or NULL */
    const struct account *me; /* the caller, or NULL (see the flags) */
    json_t *body;             /* the JSON object body, or NULL */
    struct api_fields f;      /* field problems found so far */
};

/* Flags for api_begin, beside auth_require's own (AUTH_VERIFIED). */
enum {
    API_CALLER_OPTIONAL = 1u << 28, /* the caller when there is one, else me NULL */
    API_NO_CALLER = 1u << 29,       /* no caller looked up: me NULL */
    API_NO_DB = 1u << 30,           /* borrow nothing yet (implies API_NO_CALLER) */
    /* A read that may lag (the public catalogue, the gallery, published
     * results): the connection comes from api_acquire_read, a replica when
     * one is configured. Implies API_NO_CALLER: sessions, and everything
     * that decides capacity, votes or scores, stay on the primary. */
    API_READ_LAGGING = 1u << 27,
};

/*
 * Fills x for req: borrows a pooled connection (503 otherwise) and requires
 * a caller as auth_require(roles_any, flags) does, unless flags say
 * otherwise. 0, or -1 after answering; call api_end in both cases.
 */
int api_begin(struct api_ctx *x, struct http_req *req, unsigned roles_any, unsigned flags);

/*
 * Reads the JSON object body into x->body and records unknown_member for
 * members not in allowed and read_only for those in read_only (both
 * NULL-terminated; read_only may be NULL) into x->f, answered later with
 * the handler's own field problems. With optional, a request without a
 * body leaves x->body NULL. 0, or -1 after answering (400, 413, 415).
 */
int api_body(struct api_ctx *x, bool optional, const char *const *allowed,
             const char *const *read_only);

/* api_fields_check on x's field problems: 0, or -1 after answering 422. */
int api_check(struct api_ctx *x);

/* Borrows a connection when x holds none (after API_NO_DB, or after
 * api_db_release while a password was hashed). 0, or -1 after 503. */
int api_db(struct api_ctx *x);
/* Gives x's connection back early; api_db borrows one again. */
void api_db_release(struct api_ctx *x);

/* Gives the connection back and frees the body and field problems. */
void api_end(struct api_ctx *x);

/*
 * Inside x's transaction: writes the audit row (audit_log, by the caller
 * x->me; details borrowed, may be NULL) and commits. 0, or -1 after
 * answering the database error and rolling back.
 */
int api_audit_commit(struct api_ctx *x, const char *action, const char *target_type,
                     const char *target_id, json_t *details);

/* After a failed statement inside x's transaction: answers its error (before
 * the rollback clears it), then rolls back. */
void api_fail_tx(struct api_ctx *x);

/* The decimal text of n, for a statement parameter (request-scoped). */
const char *api_num(struct http_req *req, long n);

/* ---- Replies ---- */

/*
 * After a failed query: 503 for a lost connection; a rule's RAISE
 * EXCEPTION 'code' as the table sql_errors[] in api.c says (a JSON object
 * in the exception's DETAIL joins the error object, e.g. the phase and
 * window of submission_closed; some codes are a 422 on one field);
 * constraint violations as 422 on the field (409 for a duplicate); 500
 * otherwise.
 */
void api_reply_db_error(struct http_req *req, struct db_conn *c);
/*
 * The error object {"code", "message"} (new reference) that
 * api_reply_db_error would send for RAISE EXCEPTION 'raised', for answers
 * that report several rows' outcomes at once (a bulk change); an unknown
 * code (a bug, as there) gives server_error.
 */
json_t *api_sql_error_object(const char *raised);
/* 404 with a standard message. */
void api_reply_not_found(struct http_req *req, const char *what);

/*
 * Answers 200 with the JSON text in column 0 of row 0 of r (queries that
 * build their JSON in SQL); 404 when there is no row or the value is NULL.
 * Frees r. r may be NULL (then answers the database error of c).
 */
void api_reply_row_json(struct http_req *req, struct db_conn *c, struct db_result *r, int status,
                        const char *what);

/*
 * Answers 200 with {"<member>": <the JSON text in column 0 of row 0 of r>}
 * (lists built in SQL; SQL NULL is sent as []). Frees r. r may be NULL (then
 * answers the database error of c).
 */
void api_reply_member_json(struct http_req *req, struct db_conn *c, struct db_result *r,
                           const char *member);

/* ---- Query parameters ---- */

/*
 * Reads query parameter `name` into buf (size bytes, at least 1). Returns 0
 * when it is absent (buf is "") or read (buf holds it, possibly ""), and -1
 * after answering 400 bad_request naming the parameter when it is longer
 * than size - 1 bytes or not valid UTF-8 (HTTP_QUERY_UNUSABLE): a value
 * that cannot be read is never taken as "no filter".
 */
int api_query_string(struct http_req *req, const char *name, char *buf, size_t size);

/*
 * Reads query parameter `name` as a decimal whole number in [min, max]
 * into *out. Returns 0 when it is absent (*out untouched, so set the
 * default first) or valid, and -1 after answering 400 bad_request naming
 * the parameter and the range when it is empty, too long, not a number or
 * out of range.
 */
int api_query_long(struct http_req *req, const char *name, long min, long max, long *out);

/* ---- Pagination ---- */

struct api_page {
    long page;     /* 1-based */
    long per_page; /* 1..100 */
    long offset;
};
/* Reads ?page= (1 to 1,000,000, default 1) and ?per_page= (1 to 100,
 * default `def`) with api_query_long. 0, or -1 after answering 400
 * bad_request naming the parameter (too long and malformed included). */
int api_page_query(struct http_req *req, long def, struct api_page *out);

#endif
