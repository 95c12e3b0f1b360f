/*
 * fake_http.c - the HTTP and database functions src/api/api.c links
 * against, for fuzzing only. See fake_http.h.
 */
#include "fake_http.h"

#include "api/api.h"
#include "db/db.h"
#include "http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_alloc {
    struct fake_alloc *next;
};

static int no_query(const char *qs, const char *name, char *buf, size_t buflen)
{
    (void)qs;
    (void)name;
    (void)buf;
    (void)buflen;
    return -1;
}

int (*fake_query)(const char *qs, const char *name, char *buf, size_t buflen) = no_query;

void fake_req_end(struct http_req *req)
{
    while (req->allocs != NULL) {
        struct fake_alloc *next = req->allocs->next;
        free(req->allocs);
        req->allocs = next;
    }
    json_decref(req->extra);
    req->extra = NULL;
}

void *http_alloc(struct http_req *req, size_t n)
{
    struct fake_alloc *a = malloc(sizeof *a + n);
    if (a == NULL)
        abort();
    a->next = req->allocs;
    req->allocs = a;
    return a + 1;
}

void *http_app(const struct http_req *req)
{
    (void)req;
    return NULL;
}

int http_query(const struct http_req *req, const char *name, char *buf, size_t buflen)
{
    if (req->query == NULL)
        return -1;
    return fake_query(req->query, name, buf, buflen);
}

void http_reply(struct http_req *req, int status, const char *content_type, const void *body,
                size_t len)
{
    (void)content_type;
    (void)body;
    (void)len;
    req->replies++;
    req->status = status;
}

static void record_error(struct http_req *req, int status, const char *code, json_t *extra)
{
    req->replies++;
    req->status = status;
    snprintf(req->code, sizeof req->code, "%s", code);
    json_decref(req->extra);
    req->extra = extra;
}

void http_reply_error(struct http_req *req, int status, const char *code, const char *fmt, ...)
{
    (void)fmt;
    record_error(req, status, code, NULL);
}

void http_reply_error_with(struct http_req *req, int status, const char *code, json_t *extra,
                           const char *fmt, ...)
{
    (void)fmt;
    record_error(req, status, code, extra);
}

int http_add_header(struct http_req *req, const char *name, const char *value)
{
    (void)req;
    (void)name;
    (void)value;
    return 0;
}

void http_reply_unavailable(struct http_req *req)
{
    record_error(req, 503, "unavailable", NULL);
}

/* ---- The database is never reached from validation ---- */

#define UNREACHABLE(what)                                                                          \
    do {                                                                                           \
        fprintf(stderr, "fake_http: %s called from a fuzz target\n", what);                        \
        abort();                                                                                   \
    } while (0)

struct db_conn *db_acquire(struct db_pool *p)
{
    (void)p;
    UNREACHABLE("db_acquire");
}

const char *db_error_state(const struct db_conn *c)
{
    (void)c;
    UNREACHABLE("db_error_state");
}

const char *db_error_message(const struct db_conn *c)
{
    (void)c;
    UNREACHABLE("db_error_message");
}

const char *db_error_column(const struct db_conn *c)
{
    (void)c;
    UNREACHABLE("db_error_column");
}

const char *db_error_constraint(const struct db_conn *c)
{
    (void)c;
    UNREACHABLE("db_error_constraint");
}

const char *db_error_detail(const struct db_conn *c)
{
    (void)c;
    UNREACHABLE("db_error_detail");
}

bool db_error_is_connection(const struct db_conn *c)
{
    (void)c;
    UNREACHABLE("db_error_is_connection");
}

const char *db_value(const struct db_result *r, int row, int col)
{
    (void)r;
    (void)row;
    (void)col;
    UNREACHABLE("db_value");
}

int db_nrows(const struct db_result *r)
{
    (void)r;
    UNREACHABLE("db_nrows");
}

void db_result_free(struct db_result *r)
{
    (void)r;
    UNREACHABLE("db_result_free");
}
