/*
 * ops.c - operations endpoints: liveness, readiness (database reachable and
 * migrations current) and Prometheus metrics.
 */
#include "api/app.h"
#include "ops/ops.h"
#include "base/config.h"
#include "db/db.h"
#include "http/http.h"
#include "base/metrics.h"
#include "db/migrate.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void ops_healthz(struct http_req *req)
{
    static const char body[] = "{\"status\":\"ok\"}";
    http_reply(req, 200, "application/json", body, sizeof body - 1);
}

/* 503 unavailable in the error shape, with why (reason) and, while
 * migrations are pending, how far they are. */
static void not_ready(struct http_req *req, const char *reason, const char *message, long applied,
                      long expected)
{
    json_t *extra = json_pack("{s:s}", "reason", reason);
    if (expected > 0) {
        json_object_set_new(extra, "applied", json_integer(applied));
        json_object_set_new(extra, "expected", json_integer(expected));
    }
    http_add_header(req, "Retry-After", "1");
    http_reply_error_with(req, 503, "unavailable", extra, "%s", message);
}

void ops_readyz(struct http_req *req)
{
    struct app *app = http_app(req);
    struct db_conn *c = db_acquire(app->db);
    if (c == NULL) {
        not_ready(req, "database_unreachable", "The database cannot be reached.", 0, 0);
        return;
    }
    long current = migrate_current_version(c);
    db_release(c);
    if (current < 0)
        not_ready(req, "database_error", "The database answered with an error.", 0, 0);
    else if (current < app->latest_migration)
        not_ready(req, "migrations_pending", "Database migrations are still to be applied.",
                  current, app->latest_migration);
    else
        http_reply_json(
            req, 200, json_pack("{s:s,s:I}", "status", "ready", "migration", (json_int_t)current));
}

/* True when the Authorization header is "Bearer <token>" (compared in
 * constant time). */
static bool bearer_matches(struct http_req *req, const char *token)
{
    const char *h = http_header(req, "Authorization");
    static const char scheme[] = "Bearer ";
    if (h == NULL || strncasecmp(h, scheme, sizeof scheme - 1) != 0)
        return false;
    const char *given = h + sizeof scheme - 1;
    size_t n = strlen(token);
    return strlen(given) == n && sodium_memcmp(given, token, n) == 0;
}

/* /metrics is for the operators' scraper: the client address (through
 * trusted proxies) must be in CONVENE_METRICS_ALLOW and, when
 * CONVENE_METRICS_TOKEN is set, the request must carry it. */
void ops_metrics(struct http_req *req)
{
    struct app *app = http_app(req);
    const struct config *cfg = app->cfg;
    if (!http_addr_in_list(http_remote_addr(req), cfg->metrics_allow)) {
        http_reply_error(req, 403, "forbidden", "Metrics are not available to this address.");
        return;
    }
    if (cfg->metrics_token && !bearer_matches(req, cfg->metrics_token)) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        http_reply_error(req, 401, "unauthenticated", "Metrics need the bearer token.");
        return;
    }
    struct db_pool_stats ps;
    db_pool_stats(app->db, &ps);
    struct metrics_gauges g = {.db_pool_size = ps.size,
                               .db_pool_in_use = ps.in_use,
                               .db_pool_waiting = ps.waiting,
                               .db_pool_connected = ps.connected};
    strbuf b;
    strbuf_init(&b, 0);
    metrics_render(&b, &g);
    http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_cstr(&b), b.len);
    strbuf_free(&b);
}
