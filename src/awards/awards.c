/*
 * awards.c - the feature's wiring and the helpers its files share (see
 * internal.h).
 */
#include "awards/awards.h"

#include "api/auth.h"
#include "awards/internal.h"
#include "db/cache.h"
#include "db/db.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void awards_statements(void)
{
    cycles_statements();
    submissions_statements();
    votes_statements();
    jury_statements();
    results_statements();
    award_exports_statements();
    files_statements();
}

const char *awards_text(struct http_req *req, json_t *obj, const char *key, struct api_fields *f,
                        unsigned flags, size_t max_chars)
{
    /* A code point is at most 4 bytes; the count is checked after. */
    const char *s = api_string(req, obj, key, f, flags, 1, max_chars * 4);
    if (s != NULL && api_utf8_chars(s) > max_chars) {
        char msg[96];
        snprintf(msg, sizeof msg, "Must be at most %zu characters long.", max_chars);
        api_field_error(f, key, "too_long", msg);
        return NULL;
    }
    /* What is stored is what was checked. */
    if (s != NULL && (flags & API_TRIM))
        json_object_set_new(obj, key, json_string(s));
    return s;
}

void awards_boolean(json_t *obj, const char *key, struct api_fields *f)
{
    json_t *v = json_object_get(obj, key);
    if (v != NULL && !json_is_boolean(v))
        api_field_error(f, key, "invalid_type", "Must be true or false.");
}

const char *awards_body_text(struct api_ctx *x)
{
    char *s = json_dumps(x->body, JSON_COMPACT);
    const char *out = http_strdup(x->req, s ? s : "{}");
    free(s);
    return out;
}

bool awards_staff(const struct account *me)
{
    return me != NULL && (me->roles & (ROLE_STAFF | ROLE_ADMIN)) != 0;
}

int awards_begin_empty(struct api_ctx *x, struct http_req *req, unsigned roles, unsigned flags)
{
    static const char *const nothing[] = {NULL};
    if (api_begin(x, req, roles, flags) != 0 || api_body(x, true, nothing, NULL) != 0 ||
        api_check(x) != 0)
        return -1;
    return 0;
}

void awards_read(struct http_req *req, unsigned roles, unsigned flags, int stmt, unsigned params,
                 const char *what)
{
    struct api_ctx x;
    if (api_begin(&x, req, roles, flags) == 0) {
        const char *p[3];
        int n = 0;
        if (params & AWARDS_ID)
            p[n++] = http_param(req, "id");
        if (params & AWARDS_CALLER)
            p[n++] = x.me ? api_num(req, x.me->id) : NULL;
        if (params & AWARDS_STAFF)
            p[n++] = awards_staff(x.me) ? "true" : "false";
        api_reply_row_json(req, x.c, db_run(x.c, stmt, n, n ? p : NULL), 200, what);
    }
    api_end(&x);
}

struct db_result *awards_run_begun(struct api_ctx *x, int stmt, int nparams,
                                   const char *const *params)
{
    if (db_begin(x->c) != 0) {
        api_reply_db_error(x->req, x->c);
        return NULL;
    }
    struct db_result *r = db_run(x->c, stmt, nparams, params);
    if (r == NULL)
        api_fail_tx(x); /* answers before the rollback clears the error */
    return r;
}

int awards_commit(struct api_ctx *x, const char *action, const char *type, const char *id,
                  json_t *details)
{
    if (action != NULL)
        return api_audit_commit(x, action, type, id, details);
    if (db_commit(x->c) != 0) {
        api_fail_tx(x);
        return -1;
    }
    return 0;
}

const char *awards_take_text(struct api_ctx *x, struct db_result *r)
{
    const char *text = http_strdup(x->req, db_value(r, 0, 0));
    db_result_free(r);
    return text;
}

void awards_commit_reply(struct api_ctx *x, const char *text, int status, const char *action,
                         const char *type, const char *id, json_t *details)
{
    if (awards_commit(x, action, type, id, details) == 0)
        http_reply(x->req, status, "application/json", text, strlen(text));
}

void awards_run_reply(struct api_ctx *x, int stmt, int nparams, const char *const *params,
                      int status, const char *action, const char *type, const char *id,
                      json_t *details)
{
    struct db_result *r = awards_run_begun(x, stmt, nparams, params);
    if (r != NULL)
        awards_commit_reply(x, awards_take_text(x, r), status, action, type, id, details);
}

int awards_commit_audited(struct api_ctx *x, const char *action, const char *type, const char *id,
                          json_t *details)
{
    return api_audit_commit(x, action, type, id, details);
}

void awards_reply_etag(struct http_req *req, const char *json, size_t len)
{
    char etag[24];
    cache_etag(json, len, etag);
    http_add_header(req, "ETag", etag);
    http_reply(req, 200, "application/json", json, len);
}

void awards_store_reply(struct http_req *req, struct cache *cache, const char *key, uint64_t ticket,
                        const char *entry, size_t entry_len, const char *json)
{
    cache_put(cache, key, entry, entry_len, ticket);
    awards_reply_etag(req, json, strlen(json));
}
