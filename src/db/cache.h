/*
 * cache.h - in-process caches of whole answers, one per NOTIFY channel,
 * shared by all worker threads.
 *
 * A feature defines its caches at start-up (cache_new, before cache_start):
 * the calendar on `activities_changed`, the awards gallery and results on
 * `awards_changed`. One listener thread on one database connection LISTENs
 * on every channel defined and, when a channel fires, drops only the
 * caches of that channel (on every node, since the NOTIFY comes from the
 * database). While the listener is not connected nothing is served: a
 * change could go unnoticed.
 *
 * Each cache is a generation-numbered store with single flight per key:
 *
 *  - A fresh entry (stored in the current generation) is a hit.
 *  - After an invalidation the first reader of a key becomes its builder
 *    (cache_get returns -1 with a non-zero ticket); it must end with
 *    cache_put or cache_abandon. Meanwhile other readers get the previous
 *    version of that key with its own ETag (stale while revalidating); when
 *    there is none they wait for the builder (bounded by CACHE_WAIT_MS) and
 *    get its answer, so one change costs one rebuild, not one per reader.
 *  - A builder that takes longer than CACHE_BUILD_MS is presumed lost: the
 *    next reader takes over.
 *
 * The store needs no database (tests drive it with cache_set_online and
 * cache_notified); the listener lives in cache_listen.c.
 */
#ifndef CONVENE_CACHE_H
#define CONVENE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;

/* How long a reader waits for a builder when there is no previous version,
 * and how long a build may take before another reader takes over. */
#define CACHE_WAIT_MS  3000
#define CACHE_BUILD_MS 5000

/*
 * Defines a cache dropped whenever `channel` (a plain lower-case SQL
 * identifier) is notified. Call at start-up, before cache_start, from one
 * thread. Several caches may share a channel. Returns NULL when the
 * channel name is not a plain identifier or too many caches are defined
 * (CACHE_MAX); the caches live until cache_free or the end of the process.
 */
#define CACHE_MAX 32
struct cache *cache_new(const char *channel);
/* Undefines and frees a cache (tests). Accepts NULL. */
void cache_free(struct cache *c);

/*
 * Looks key up. Returns 0 and a copy of the answer (*body, NUL-terminated,
 * caller frees; *len; etag, 24 bytes) when there is a fresh entry, or a
 * previous one while another reader rebuilds it, or the builder's answer
 * after waiting for it. Returns -1 on a miss: then *ticket is non-zero when
 * the caller is the key's builder and must call cache_put or cache_abandon
 * with it, and 0 when the answer will not be stored (cache off, or the
 * wait for the builder timed out): build it without storing. c may be NULL
 * (always a miss with ticket 0).
 */
int cache_get(struct cache *c, const char *key, char **body, size_t *len, char etag[24],
              uint64_t *ticket);

/* The builder's answer for key (copied). Stored as fresh when nothing was
 * invalidated since the ticket was issued, otherwise kept only as the
 * previous version to serve while the next build runs. Wakes the readers
 * waiting for key. A ticket of 0 does nothing. */
void cache_put(struct cache *c, const char *key, const char *body, size_t len, uint64_t ticket);

/* The builder failed: the next reader of key builds instead. A ticket of
 * 0 does nothing. */
void cache_abandon(struct cache *c, const char *key, uint64_t ticket);

/* The ETag of a body: a quoted hash, the same on every node. It depends on
 * the bytes only, so it needs no cache. */
void cache_etag(const char *body, size_t len, char etag[24]);

/* Makes every entry of c stale (the next reader of each key rebuilds it). */
void cache_invalidate(struct cache *c);

/* ---- For the listener (and tests) ---- */

/* Turns serving on (a fresh generation for every cache) or off (every
 * entry dropped, nothing served). Off at start. */
void cache_set_online(bool on);
/* Invalidates every cache of channel. */
void cache_notified(const char *channel);
/*
 * The primary's WAL position a build must see to be stored as fresh: the
 * listener records it (pg_current_wal_insert_lsn, read after the notification
 * arrived, so past the commit that sent it) before it drops the caches,
 * and when it comes online. A build reading a replica checks that the
 * replica has replayed that far (db_acquire_read), else reads the
 * primary: a lagging replica never puts an old answer in a fresh cache.
 * cache_require_lsn only ever raises it; 0 (unknown) leaves it.
 */
void cache_require_lsn(uint64_t lsn);
uint64_t cache_required_lsn(void);
/* Calls fn for each distinct channel defined. */
void cache_each_channel(void (*fn)(const char *channel, void *ud), void *ud);

/* Starts the listener on its own connection (cache_listen.c). 0 or -1. */
int cache_start(const char *conninfo, int connect_timeout_s);
/* Stops the listener and drops every entry (caches stay defined). */
void cache_stop(void);

#endif
