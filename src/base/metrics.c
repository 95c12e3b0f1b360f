/*
 * metrics.c - counters and histogram behind atomics. See metrics.h.
 */
#include "base/metrics.h"

#include "base/util.h"

#include <stdatomic.h>
#include <stdio.h>

/* Statuses we count individually; everything else lands in "other". */
static const int tracked_status[] = {200, 201, 202, 204, 206, 301, 302, 304, 400,
                                     401, 403, 404, 405, 408, 409, 410, 413, 414,
                                     415, 422, 429, 431, 500, 501, 502, 503};
#define NSTATUS (ARRAY_LEN(tracked_status) + 1)

static const double buckets_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,    0.25,  0.5,    1.0,   2.5,  5.0};
#define NBUCKETS ARRAY_LEN(buckets_s)
/* The same bounds in nanoseconds (no floating point per request). */
static const uint64_t buckets_ns[NBUCKETS] = {
    500000ull,     1000000ull,    2500000ull,   5000000ull,   10000000ull,
    25000000ull,   50000000ull,   100000000ull, 250000000ull, 500000000ull,
    1000000000ull, 2500000000ull, 5000000000ull};

/* Slot 0 is "unrouted", slot 1 "static"; route i lives in slot i + 2. */
#define NSLOTS (METRICS_MAX_ROUTES + 2)

static const char *route_labels[NSLOTS];
static char route_methods[NSLOTS][12];
static atomic_ullong req_count[NSLOTS][NSTATUS];
/* Per request: three relaxed atomic adds and no lock. The last bucket
 * counts answers slower than the largest bound; the count is the sum of
 * all buckets (one add fewer per request than a separate counter). */
static atomic_ullong hist_bucket[NSLOTS][NBUCKETS + 1];
static atomic_ullong hist_sum_us[NSLOTS];
static atomic_ullong db_errors;
static atomic_ullong db_connects_ok;
static atomic_ullong db_connects_failed;
static atomic_ullong db_reads_standby;
static atomic_ullong db_reads_primary;
static atomic_ullong password_hashes;
static atomic_ullong outbox_read_failures;

/* The statuses of mail_outbox (CHECK in 0002_accounts_mail.sql). */
const char *const metrics_outbox_statuses[METRICS_OUTBOX_NSTATUS] = {"pending", "sending", "sent",
                                                                     "failed"};

void metrics_set_route_label(int i, const char *method, const char *label)
{
    if (i >= 0 && i < METRICS_MAX_ROUTES) {
        route_labels[i + 2] = label;
        snprintf(route_methods[i + 2], sizeof route_methods[i + 2], "%s", method);
    }
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < ARRAY_LEN(tracked_status); i++) {
        if (tracked_status[i] == status)
            return i;
    }
    return NSTATUS - 1;
}

void metrics_observe_request(int route, int status, uint64_t duration_ns)
{
    size_t slot = (route >= 0 && route < METRICS_MAX_ROUTES) ? (size_t)route + 2
                  : route == METRICS_ROUTE_STATIC            ? 1
                                                             : 0;
    atomic_fetch_add_explicit(&req_count[slot][status_slot(status)], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKETS && duration_ns > buckets_ns[b])
        b++;
    atomic_fetch_add_explicit(&hist_bucket[slot][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&hist_sum_us[slot], duration_ns / 1000, memory_order_relaxed);
}

void metrics_db_error(void)
{
    atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

void metrics_db_connect(int ok)
{
    atomic_fetch_add_explicit(ok ? &db_connects_ok : &db_connects_failed, 1, memory_order_relaxed);
}

void metrics_db_read(bool standby)
{
    atomic_fetch_add_explicit(standby ? &db_reads_standby : &db_reads_primary, 1,
                              memory_order_relaxed);
}

void metrics_password_hash(void)
{
    atomic_fetch_add_explicit(&password_hashes, 1, memory_order_relaxed);
}

void metrics_outbox_read_failed(void)
{
    atomic_fetch_add_explicit(&outbox_read_failures, 1, memory_order_relaxed);
}

static const char *label_of(size_t slot)
{
    if (slot == 0)
        return "unrouted";
    if (slot == 1)
        return "static";
    return route_labels[slot] ? route_labels[slot] : "unknown";
}

static const char *method_of(size_t slot)
{
    if (slot < 2 || slot >= NSLOTS || route_methods[slot][0] == '\0')
        return "any";
    return route_methods[slot];
}

void metrics_render(strbuf *b, const struct metrics_gauges *g)
{
    strbuf_puts(b, "# HELP convene_http_requests_total HTTP requests by route and status.\n"
                   "# TYPE convene_http_requests_total counter\n");
    for (size_t s = 0; s < NSLOTS; s++) {
        for (size_t k = 0; k < NSTATUS; k++) {
            unsigned long long v = atomic_load_explicit(&req_count[s][k], memory_order_relaxed);
            if (v == 0)
                continue;
            char status[8];
            if (k < ARRAY_LEN(tracked_status))
                snprintf(status, sizeof status, "%d", tracked_status[k]);
            else
                snprintf(status, sizeof status, "other");
            strbuf_printf(b,
                          "convene_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} "
                          "%llu\n",
                          label_of(s), method_of(s), status, v);
        }
    }
    strbuf_puts(b, "# HELP convene_http_request_duration_seconds Time to answer a request.\n"
                   "# TYPE convene_http_request_duration_seconds histogram\n");
    for (size_t s = 0; s < NSLOTS; s++) {
        unsigned long long counts[NBUCKETS + 1], count = 0;
        for (size_t k = 0; k <= NBUCKETS; k++) {
            counts[k] = atomic_load_explicit(&hist_bucket[s][k], memory_order_relaxed);
            count += counts[k];
        }
        if (count == 0)
            continue;
        unsigned long long cumulative = 0;
        for (size_t k = 0; k < NBUCKETS; k++) {
            cumulative += counts[k];
            strbuf_printf(b,
                          "convene_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
                          "le=\"%g\"} %llu\n",
                          label_of(s), method_of(s), buckets_s[k], cumulative);
        }
        strbuf_printf(b,
                      "convene_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
                      "le=\"+Inf\"} %llu\n",
                      label_of(s), method_of(s), count);
        strbuf_printf(b,
                      "convene_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} "
                      "%.6f\n",
                      label_of(s), method_of(s),
                      (double)atomic_load_explicit(&hist_sum_us[s], memory_order_relaxed) / 1e6);
        strbuf_printf(b,
                      "convene_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} "
                      "%llu\n",
                      label_of(s), method_of(s), count);
    }
    strbuf_printf(b,
                  "# HELP convene_db_errors_total Database statements that failed.\n"
                  "# TYPE convene_db_errors_total counter\n"
                  "convene_db_errors_total %llu\n"
                  "# HELP convene_db_connects_total Connection attempts to PostgreSQL.\n"
                  "# TYPE convene_db_connects_total counter\n"
                  "convene_db_connects_total{result=\"ok\"} %llu\n"
                  "convene_db_connects_total{result=\"failed\"} %llu\n",
                  atomic_load(&db_errors), atomic_load(&db_connects_ok),
                  atomic_load(&db_connects_failed));
    strbuf_printf(b,
                  "# HELP convene_db_reads_total Reads that may lag (catalogue, gallery, "
                  "published results), by the server that answered them.\n"
                  "# TYPE convene_db_reads_total counter\n"
                  "convene_db_reads_total{served_by=\"standby\"} %llu\n"
                  "convene_db_reads_total{served_by=\"primary\"} %llu\n",
                  atomic_load(&db_reads_standby), atomic_load(&db_reads_primary));
    strbuf_printf(b,
                  "# HELP convene_password_hashes_total Argon2id hashes and verifications "
                  "started.\n"
                  "# TYPE convene_password_hashes_total counter\n"
                  "convene_password_hashes_total %llu\n",
                  atomic_load(&password_hashes));
    if (g) {
        strbuf_printf(b,
                      "# HELP convene_db_pool_connections Database pool connections by state.\n"
                      "# TYPE convene_db_pool_connections gauge\n"
                      "convene_db_pool_connections{state=\"size\"} %d\n"
                      "convene_db_pool_connections{state=\"in_use\"} %d\n"
                      "convene_db_pool_connections{state=\"connected\"} %d\n"
                      "# HELP convene_db_pool_waiting Requests waiting for a connection.\n"
                      "# TYPE convene_db_pool_waiting gauge\n"
                      "convene_db_pool_waiting %d\n",
                      g->db_pool_size, g->db_pool_in_use, g->db_pool_connected, g->db_pool_waiting);
    }
    strbuf_printf(b,
                  "# HELP convene_outbox_read_failures_total Scrapes that left the outbox "
                  "figures out (database down or busy).\n"
                  "# TYPE convene_outbox_read_failures_total counter\n"
                  "convene_outbox_read_failures_total %llu\n",
                  atomic_load(&outbox_read_failures));
    if (g && g->outbox_known) {
        strbuf_puts(b, "# HELP convene_outbox_mails Mail outbox rows by status.\n"
                       "# TYPE convene_outbox_mails gauge\n");
        for (size_t i = 0; i < METRICS_OUTBOX_NSTATUS; i++)
            strbuf_printf(b, "convene_outbox_mails{status=\"%s\"} %lld\n",
                          metrics_outbox_statuses[i], g->outbox_rows[i]);
        strbuf_printf(b,
                      "# HELP convene_outbox_oldest_due_seconds Age of the oldest mail due and "
                      "not yet sent (0: none).\n"
                      "# TYPE convene_outbox_oldest_due_seconds gauge\n"
                      "convene_outbox_oldest_due_seconds %lld\n",
                      g->outbox_oldest_due_s);
    }
}
