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
static void metrics(struct http_req *req)
{
    struct app *app = http_app(req);
    const struct config *cfg = app->cfg;
    if (!http_addr_in_list(http_remote_addr(req), cfg->metrics_allow)) {
        http_reply_error(req, 403, "forbidden", "Metrics are not available to this address.");
        return;
    }
    if (cfg->metrics_token && !bearer_matches(req, cfg->metrics_token)) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        http_reply_error(req, 401, "unauthorized", "Metrics need the bearer token.");
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

int ops_routes(struct http_server *s)
{
    int rc = 0;
    rc |= http_route(s, "GET", "/healthz", healthz);
    rc |= http_route(s, "GET", "/readyz", readyz);
    rc |= http_route(s, "GET", "/metrics", metrics);
    return rc ? -1 : 0;
}
