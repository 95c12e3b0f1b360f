/*
 * internal.h - what the files of the awards feature share with each other
 * (and with nothing outside src/awards/): each file registers its own
 * statements and routes; all of them validate text the same way and run
 * their one SQL call in a transaction with its audit row.
 */
#ifndef CONVENE_AWARDS_INTERNAL_H
#define CONVENE_AWARDS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

struct http_server;
struct db_result;

void cycles_statements(void);
int cycles_routes(struct http_server *s);
void submissions_statements(void);
int submissions_routes(struct http_server *s);
void votes_statements(void);
int votes_routes(struct http_server *s);
void jury_statements(void);
int jury_routes(struct http_server *s);
void results_statements(void);
int results_routes(struct http_server *s);
void award_exports_statements(void);
int award_exports_routes(struct http_server *s);
void files_statements(void);
int files_routes(struct http_server *s);

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

/*
 * Begins a transaction on x's connection and runs stmt. Returns the result,
 * or NULL after answering the error (the transaction rolled back).
 */
struct db_result *awards_run_begun(struct api_ctx *x, int stmt, int nparams,
                                   const char *const *params);

/* Commits. 0, or -1 after answering the error (rolled back). */
int awards_commit(struct api_ctx *x);

/*
 * Writes the audit row (action on target type/id, details borrowed, may be
 * NULL) and commits. 0, or -1 after answering the error (rolled back).
 */
int awards_commit_audited(struct api_ctx *x, const char *action, const char *type, const char *id,
                          json_t *details);

#endif
