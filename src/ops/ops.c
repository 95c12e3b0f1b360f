/*
 * ops.c - operations endpoints: liveness, readiness (database reachable and
 * migrations current) and Prometheus metrics.
 */
#include "api/app.h"
#include "ops/ops.h"
#include "db/db.h"
#include "http/http.h"
#include "base/metrics.h"
#include "db/migrate.h"

#include <stdlib.h>

static void healthz(struct http_req *req)
{
    static const char body[] = "{\"status\":\"ok\"}";
    http_reply(req, 200, "application/json", body, sizeof body - 1);
}

static void readyz(struct http_req *req)
{
    struct app *app = http_app(req);
    struct db_conn *c = db_acquire(app->db);
    if (c == NULL) {
        http_add_header(req, "Retry-After", "1");
        http_reply_json(req, 503,
                        json_pack("{s:s,s:s}", "status", "unavailable", "database", "unreachable"));
        return;
    }
    long current = migrate_current_version(c);
    db_release(c);
    if (current < 0) {
        http_add_header(req, "Retry-After", "1");
        http_reply_json(req, 503,
                        json_pack("{s:s,s:s}", "status", "unavailable", "database", "error"));
        return;
    }
    if (current < app->latest_migration) {
        http_reply_json(req, 503,
                        json_pack("{s:s,s:I,s:i}", "status", "migrations_pending", "applied",
                                  (json_int_t)current, "expected", app->latest_migration));
        return;
    }
    http_reply_json(req, 200,
                    json_pack("{s:s,s:I}", "status", "ready", "migration", (json_int_t)current));
}

static void metrics(struct http_req *req)
{
    struct app *app = http_app(req);
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

int ops_routes(struct http_server *s)
{
    int rc = 0;
    rc |= http_route(s, "GET", "/healthz", healthz);
    rc |= http_route(s, "GET", "/readyz", readyz);
    rc |= http_route(s, "GET", "/metrics", metrics);
    return rc ? -1 : 0;
}
