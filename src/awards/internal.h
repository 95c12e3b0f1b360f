/*
 * internal.h - what the files of the awards feature share with each other
 * (and with nothing outside src/awards/): each file registers its own
 * statements; all of them validate text the same way and run
 * their one SQL call in a transaction with its audit row.
 */
#ifndef CONVENE_AWARDS_INTERNAL_H
#define CONVENE_AWARDS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

struct db_result;
struct account;
struct cache;

void cycles_statements(void);
void submissions_statements(void);
void votes_statements(void);
void jury_statements(void);
void results_statements(void);
void award_exports_statements(void);
void files_statements(void);

/*
 * Reads text member key of obj (as api_string) limited to max_chars code
 * points (PostgreSQL's length()). NULL when absent or invalid (the error
 * recorded in f; absent is an error only with API_REQUIRED).
 */
const char *awards_text(struct http_req *req, json_t *obj, const char *key, struct api_fields *f,
                        unsigned flags, size_t max_chars);

/* Records invalid_type on key unless the member, when present, is a JSON
 * boolean (null is refused too). */
void awards_boolean(json_t *obj, const char *key, struct api_fields *f);

/* x's body as JSON text for an SQL function (request-scoped). */
const char *awards_body_text(struct api_ctx *x);

/* Whether the caller (may be NULL) is staff or an admin. */
bool awards_staff(const struct account *me);

/*
 * The prologue of a request that takes no body (or an empty JSON object):
 * api_begin(x, req, roles, flags), then the body. 0, or -1 after
 * answering; call api_end in both cases.
 */
int awards_begin_empty(struct api_ctx *x, struct http_req *req, unsigned roles, unsigned flags);

/* The parameters of a read (awards_read), in this order when present. */
enum {
    AWARDS_ID = 1,     /* the route's {id} */
    AWARDS_CALLER = 2, /* the caller's account id (NULL when anonymous) */
    AWARDS_STAFF = 4,  /* whether the caller is staff: "true" or "false" */
};

/*
 * A whole read: api_begin(roles, flags), stmt with the parameters params
 * names (AWARDS_ID | ...; 0 for none), and its JSON text (row 0, column 0)
 * answered as 200, or 404 naming what when there is none
 * (api_reply_row_json).
 */
void awards_read(struct http_req *req, unsigned roles, unsigned flags, int stmt, unsigned params,
                 const char *what);

/*
 * Begins a transaction on x's connection and runs stmt. Returns the result,
 * or NULL after answering the error (the transaction rolled back).
 */
struct db_result *awards_run_begun(struct api_ctx *x, int stmt, int nparams,
                                   const char *const *params);

/*
 * Commits x's transaction, after writing the audit row (action on target
 * type/id, details borrowed, may be NULL) when action is not NULL. 0, or
 * -1 after answering the error (rolled back).
 */
int awards_commit(struct api_ctx *x, const char *action, const char *type, const char *id,
                  json_t *details);

/* The text in row 0, column 0 of r, copied into request memory; frees r. */
const char *awards_take_text(struct api_ctx *x, struct db_result *r);

/* awards_commit with an audit row (files.c's name for it). */
int awards_commit_audited(struct api_ctx *x, const char *action, const char *type, const char *id,
                          json_t *details);

/* awards_commit, then answers status with the JSON text. */
void awards_commit_reply(struct api_ctx *x, const char *text, int status, const char *action,
                         const char *type, const char *id, json_t *details);

/* awards_run_begun, then awards_commit_reply with the statement's JSON
 * text (row 0, column 0). */
void awards_run_reply(struct api_ctx *x, int stmt, int nparams, const char *const *params,
                      int status, const char *action, const char *type, const char *id,
                      json_t *details);

/* Answers 200 with the JSON text json (len bytes) and its ETag. */
void awards_reply_etag(struct http_req *req, const char *json, size_t len);

/* Stores entry (entry_len bytes) in cache under key with the builder's
 * ticket (cache_put), then answers json as awards_reply_etag. entry is
 * json itself, or json with what the cache keeps beside it. */
void awards_store_reply(struct http_req *req, struct cache *cache, const char *key, uint64_t ticket,
                        const char *entry, size_t entry_len, const char *json);

#endif
