/*
 * metrics.h - process-wide counters and a latency histogram, rendered in the
 * Prometheus text exposition format. Lock-free (atomics) on the hot path.
 *
 * Requests are labelled by route (the pattern, a bounded set) and status.
 * Route labels are registered at start-up; index -1 stands for requests
 * that matched no route (static files, 404s).
 */
#ifndef CONVENE_METRICS_H
#define CONVENE_METRICS_H

#include <stdint.h>

struct strbuf;

#define METRICS_MAX_ROUTES 160

/* Registers the label of route index i (0 <= i < METRICS_MAX_ROUTES). The
 * string must outlive the process's use of metrics (router patterns do). */
void metrics_set_route_label(int i, const char *label);

/* Records one finished request. route may be -1 (unrouted). */
void metrics_observe_request(int route, int status, uint64_t duration_ns);

/* Database counters. */
void metrics_db_error(void);
void metrics_db_connect(int ok);

/* One Argon2id computation (a hash or a verification) started. */
void metrics_password_hash(void);

/* Gauges supplied at render time by the caller (pool state). */
struct metrics_gauges {
    int db_pool_size;
    int db_pool_in_use;
    int db_pool_waiting;
    int db_pool_connected;
};

/* Appends the whole exposition to b. */
void metrics_render(struct strbuf *b, const struct metrics_gauges *g);

#endif
