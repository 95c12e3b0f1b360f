/*
 * ratelimit.c - one upsert per attempt. See ratelimit.h.
 */
#include "api/ratelimit.h"

#include "db/db.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>

static int stmt_hit = -1, stmt_check = -1, stmt_clear = -1, stmt_refund = -1;

static void prepare(void)
{
    if (stmt_hit >= 0)
        return;
    stmt_hit = db_register(
        "ratelimit_hit",
        "INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, now(), 1) "
        "ON CONFLICT (key) DO UPDATE SET "
        " count = CASE WHEN r.window_start < now() - make_interval(secs => $2::int) "
        "              THEN 1 ELSE r.count + 1 END, "
        " window_start = CASE WHEN r.window_start < now() - make_interval(secs => $2::int) "
        "              THEN now() ELSE r.window_start END "
        "RETURNING count, ceil(extract(epoch FROM (window_start + make_interval(secs => "
        "$2::int) - now())))::int");
    stmt_check = db_register(
        "ratelimit_check",
        "SELECT count, ceil(extract(epoch FROM (window_start + make_interval(secs => $2::int) "
        "- now())))::int FROM rate_limits "
        "WHERE key = $1 AND window_start >= now() - make_interval(secs => $2::int)");
    stmt_clear = db_register("ratelimit_clear", "DELETE FROM rate_limits WHERE key = $1");
    stmt_refund = db_register("ratelimit_refund", "UPDATE rate_limits SET count = "
                                                  "greatest(count - 1, 0) WHERE key = $1");
}

void ratelimit_statements(void)
{
    prepare();
}

static int judge(struct db_result *r, int limit, int *retry_after)
{
    if (r == NULL)
        return -1;
    int allowed = 1;
    if (db_nrows(r) == 1) {
        long count = strtol(db_value(r, 0, 0), NULL, 10);
        long left = strtol(db_value(r, 0, 1), NULL, 10);
        if (count > limit) {
            allowed = 0;
            *retry_after = left > 0 ? (int)left : 1;
        }
    }
    db_result_free(r);
    return allowed;
}

int ratelimit_hit(struct db_conn *c, const char *key, int limit, int window_s, int *retry_after)
{
    char w[16];
    snprintf(w, sizeof w, "%d", window_s);
    const char *params[] = {key, w};
    return judge(db_run(c, stmt_hit, 2, params), limit, retry_after);
}

int ratelimit_check(struct db_conn *c, const char *key, int limit, int window_s, int *retry_after)
{
    char w[16];
    snprintf(w, sizeof w, "%d", window_s);
    const char *params[] = {key, w};
    struct db_result *r = db_run(c, stmt_check, 2, params);
    if (r == NULL)
        return -1;
    int allowed = 1;
    if (db_nrows(r) == 1 && strtol(db_value(r, 0, 0), NULL, 10) >= limit) {
        long left = strtol(db_value(r, 0, 1), NULL, 10);
        allowed = 0;
        *retry_after = left > 0 ? (int)left : 1;
    }
    db_result_free(r);
    return allowed;
}

int ratelimit_clear(struct db_conn *c, const char *key)
{
    const char *params[] = {key};
    struct db_result *r = db_run(c, stmt_clear, 1, params);
    db_result_free(r);
    return r ? 0 : -1;
}

int ratelimit_refund(struct db_conn *c, const char *key)
{
    const char *params[] = {key};
    struct db_result *r = db_run(c, stmt_refund, 1, params);
    db_result_free(r);
    return r ? 0 : -1;
}
