/*
 * cache.h - the in-process cache of calendar answers (public lists and
 * per-activity data), shared by all worker threads and dropped whenever any
 * node changes an activity: a listener thread LISTENs on
 * `activities_changed` and bumps a generation number. While the listener is
 * not connected, nothing is served from the cache.
 */
#ifndef CONVENE_ACTCACHE_H
#define CONVENE_ACTCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Starts the listener on its own connection. 0 or -1. */
int cache_start(const char *conninfo, int connect_timeout_s);
/* Stops the listener and frees every entry. */
void cache_stop(void);

/* The current generation, for cache_put; 0 when the cache is off. */
uint64_t cache_generation(void);

/*
 * Copies the entry for key into a new buffer (*body, caller frees) with
 * its ETag (etag must hold 24 bytes). Returns 0 on a hit, -1 on a miss.
 */
int cache_get(const char *key, char **body, size_t *len, char etag[24]);

/* Stores body under key when generation is still current (a change in
 * between makes the answer stale: it is not stored). Copies both. */
void cache_put(const char *key, const char *body, size_t len, uint64_t generation);

/* The ETag of a body: a quoted hash, the same on every node. */
void cache_etag(const char *body, size_t len, char etag[24]);

/* Drops everything (tests, and the listener on a change). */
void cache_invalidate(void);

#endif
