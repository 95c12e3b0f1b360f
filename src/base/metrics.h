/*
 * metrics.h - process-wide counters and a latency histogram, rendered in the
 * Prometheus text exposition format. Lock-free (atomics) on the hot path.
 *
 * Requests are labelled by route (the pattern, a bounded set), the route's
 * method and status, so that no two series share a name and labels.
 * Route labels are registered at start-up; METRICS_ROUTE_UNROUTED stands
 * for requests that matched no route (404s, refused requests) and
 * METRICS_ROUTE_STATIC for files of the web root; both have method "any".
 */
#ifndef CONVENE_METRICS_H
#define CONVENE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct strbuf;

#define METRICS_MAX_ROUTES     160
#define METRICS_ROUTE_UNROUTED (-1)
#define METRICS_ROUTE_STATIC   (-2)

/* Registers the labels of route index i (0 <= i < METRICS_MAX_ROUTES):
 * its method (copied; at most 11 characters) and its pattern (not copied:
 * it must outlive the process's use of metrics, as router patterns do). */
void metrics_set_route_label(int i, const char *method, const char *label);

/* Records one finished request. route is a route index,
 * METRICS_ROUTE_UNROUTED or METRICS_ROUTE_STATIC (other values count as
 * unrouted). */
void metrics_observe_request(int route, int status, uint64_t duration_ns);

/* Database counters. */
void metrics_db_error(void);
void metrics_db_connect(int ok);
/* One read that may lag was served by a standby (true) or the primary. */
void metrics_db_read(bool standby);

/* One Argon2id computation (a hash or a verification) started. */
void metrics_password_hash(void);

/* The outbox could not be read for a scrape (database down or slow, pool
 * busy): its figures were left out of that exposition. */
void metrics_outbox_read_failed(void);

/* Mail outbox rows by status, in the order of metrics_outbox_statuses. */
enum { METRICS_OUTBOX_NSTATUS = 4 };
extern const char *const metrics_outbox_statuses[METRICS_OUTBOX_NSTATUS];

/* Gauges supplied at render time by the caller (pool state, and the
 * outbox when outbox_known). */
struct metrics_gauges {
    int db_pool_size;
    int db_pool_in_use;
    int db_pool_waiting;
    int db_pool_connected;
    bool outbox_known;
    long long outbox_rows[METRICS_OUTBOX_NSTATUS];
    /* Age of the oldest mail due (pending or sending, next attempt
     * reached) and not sent; 0 when none. */
    long long outbox_oldest_due_s;
};

/* Appends the whole exposition to b. */
void metrics_render(struct strbuf *b, const struct metrics_gauges *g);

#endif
