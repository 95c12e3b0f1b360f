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
#include "base/util.h"
#include "db/migrate.h"

#include <pthread.h>
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

/* The outbox figures, read by one query that PostgreSQL stops after
 * OUTBOX_STATEMENT_MS, and kept OUTBOX_CACHE_NS so that several scrapers
 * (or a scrape storm) cost the database one query every few seconds. */
#define OUTBOX_CACHE_NS     (5ull * 1000000000ull)
#define OUTBOX_STATEMENT_MS "500"

static const char outbox_sql[] =
    "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'sending'),"
    " count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'failed'),"
    " coalesce(floor(extract(epoch FROM now() - min(next_attempt_at) FILTER ("
    "   WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()))), 0)::bigint"
    " FROM mail_outbox";

static pthread_mutex_t outbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool known;
    uint64_t read_at; /* time_mono_ns of the last successful read */
    long long rows[METRICS_OUTBOX_NSTATUS];
    long long oldest_due_s;
} outbox_cache;

/* Reads the outbox figures into g. 0, or -1 when the pool has no free
 * connection (a scrape never waits for one), the database is down or the
 * query fails or runs out of time. */
static int outbox_read(struct app *app, const struct db_pool_stats *ps, struct metrics_gauges *g)
{
    if (ps->in_use >= ps->size || ps->waiting > 0)
        return -1;
    struct db_conn *c = db_acquire(app->db);
    if (c == NULL)
        return -1;
    int rc = -1;
    struct db_result *r = NULL;
    if (db_begin(c) == 0 && db_exec(c, "SET LOCAL statement_timeout = " OUTBOX_STATEMENT_MS) == 0 &&
        (r = db_query(c, outbox_sql, 0, NULL)) != NULL && db_nrows(r) == 1) {
        for (int i = 0; i < METRICS_OUTBOX_NSTATUS; i++)
            g->outbox_rows[i] = strtoll(db_value(r, 0, i), NULL, 10);
        g->outbox_oldest_due_s = strtoll(db_value(r, 0, METRICS_OUTBOX_NSTATUS), NULL, 10);
        rc = 0;
    }
    db_result_free(r);
    db_release(c); /* rolls back */
    return rc;
}

/* Fills g's outbox figures from the cache, refreshing it when stale. A
 * scrape that finds another one refreshing leaves them out. When
 * nothing fresh can be had, the figures are left out and the failure is
 * counted. */
static void outbox_gauges(struct app *app, const struct db_pool_stats *ps, struct metrics_gauges *g)
{
    uint64_t now = time_mono_ns();
    if (pthread_mutex_trylock(&outbox_lock) != 0) {
        g->outbox_known = false;
        metrics_outbox_read_failed();
        return;
    }
    if (!outbox_cache.known || now - outbox_cache.read_at >= OUTBOX_CACHE_NS) {
        struct metrics_gauges fresh = {0};
        if (outbox_read(app, ps, &fresh) == 0) {
            outbox_cache.known = true;
            outbox_cache.read_at = now;
            memcpy(outbox_cache.rows, fresh.outbox_rows, sizeof outbox_cache.rows);
            outbox_cache.oldest_due_s = fresh.outbox_oldest_due_s;
        } else {
            outbox_cache.known = false;
        }
    }
    g->outbox_known = outbox_cache.known;
    if (g->outbox_known) {
        memcpy(g->outbox_rows, outbox_cache.rows, sizeof g->outbox_rows);
        g->outbox_oldest_due_s = outbox_cache.oldest_due_s;
    } else {
        metrics_outbox_read_failed();
    }
    pthread_mutex_unlock(&outbox_lock);
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
    outbox_gauges(app, &ps, &g);
    strbuf b;
    strbuf_init(&b, 0);
    metrics_render(&b, &g);
    http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_cstr(&b), b.len);
    strbuf_free(&b);
}
