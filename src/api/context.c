/*
 * context.c - the handler context of api.h: the one order every handler
 * follows (connection, caller, strict body, field problems, the audited
 * commit) and its cleanup. Kept apart from api.c, whose validation and
 * error replies are pure enough to be fuzzed without sessions or a
 * database.
 */
#include "api/api.h"

#include "api/audit.h"
#include "api/auth.h"
#include "base/util.h"
#include "api/app.h"
#include "db/cache.h"
#include "db/db.h"
#include "http/http.h"

#include <stdio.h>

struct db_conn *api_acquire_read(struct http_req *req)
{
    struct app *app = api_app(req);
    struct db_conn *c = db_acquire_read(app->read_db, app->db, cache_required_lsn(), NULL);
    if (c == NULL)
        http_reply_unavailable(req);
    return c;
}

int api_begin(struct api_ctx *x, struct http_req *req, unsigned roles_any, unsigned flags)
{
    *x = (struct api_ctx){.req = req};
    api_fields_init(&x->f);
    if (flags & API_NO_DB)
        return 0;
    x->c = (flags & API_READ_LAGGING) ? api_acquire_read(req) : api_acquire(req);
    if (x->c == NULL)
        return -1;
    if (flags & (API_NO_CALLER | API_READ_LAGGING))
        return 0;
    if (flags & API_CALLER_OPTIONAL) {
        bool failed = false;
        x->me = auth_caller(req, x->c, &failed);
        if (failed) {
            api_reply_db_error(req, x->c);
            return -1;
        }
        return 0;
    }
    x->me = auth_require(req, x->c, roles_any,
                         flags & ~(unsigned)(API_CALLER_OPTIONAL | API_NO_CALLER | API_NO_DB));
    return x->me ? 0 : -1;
}

int api_body(struct api_ctx *x, bool optional, const char *const *allowed,
             const char *const *read_only)
{
    const char *length = http_header(x->req, "Content-Length");
    if (optional && http_header(x->req, "Transfer-Encoding") == NULL &&
        (length == NULL || str_eq(length, "0")))
        return 0;
    if (http_json_body(x->req, &x->body) != 0)
        return -1;
    api_reject_unknown(&x->f, x->body, allowed, read_only);
    return 0;
}

int api_check(struct api_ctx *x)
{
    return api_fields_check(x->req, &x->f);
}

int api_db(struct api_ctx *x)
{
    if (x->c == NULL)
        x->c = api_acquire(x->req);
    return x->c ? 0 : -1;
}

void api_db_release(struct api_ctx *x)
{
    db_release(x->c);
    x->c = NULL;
}

void api_end(struct api_ctx *x)
{
    api_fields_free(&x->f);
    json_decref(x->body);
    x->body = NULL;
    db_release(x->c);
    x->c = NULL;
}

int api_audit_commit(struct api_ctx *x, const char *action, const char *target_type,
                     const char *target_id, json_t *details)
{
    long actor = x->me ? x->me->id : 0;
    if (audit_log(x->c, x->req, actor, action, target_type, target_id, details) != 0 ||
        db_commit(x->c) != 0) {
        api_fail_tx(x);
        return -1;
    }
    return 0;
}

void api_fail_tx(struct api_ctx *x)
{
    api_reply_db_error(x->req, x->c);
    db_rollback(x->c);
}

const char *api_num(struct http_req *req, long n)
{
    char *s = http_alloc(req, 24);
    snprintf(s, 24, "%ld", n);
    return s;
}
