/*
 * cache.c - a small string-keyed cache guarded by one mutex, with a
 * generation number bumped by a LISTEN thread. See cache.h.
 */
#include "db/cache.h"

#include "db/db.h"
#include "base/log.h"
#include "base/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ENTRIES 1024
#define NBUCKETS    256

struct entry {
    struct entry *next;
    char *key;
    char *body;
    size_t len;
    char etag[24];
    uint64_t generation;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static int nentries;
/* 0 while the listener is not connected: then nothing is cached. */
static atomic_ullong generation;
static atomic_ullong next_generation = 1;

static pthread_t listener;
static atomic_bool running;
static bool started;
static char *listen_conninfo;
static int listen_timeout_s;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

void cache_etag(const char *body, size_t len, char etag[24])
{
    snprintf(etag, 24, "\"%016llx\"", (unsigned long long)fnv(body, len));
}

static void free_all_locked(void)
{
    for (int i = 0; i < NBUCKETS; i++) {
        struct entry *e = buckets[i];
        while (e) {
            struct entry *next = e->next;
            free(e->key);
            free(e->body);
            free(e);
            e = next;
        }
        buckets[i] = NULL;
    }
    nentries = 0;
}

void cache_invalidate(void)
{
    pthread_mutex_lock(&mu);
    if (atomic_load(&generation) != 0)
        atomic_store(&generation, atomic_fetch_add(&next_generation, 1) + 1);
    free_all_locked();
    pthread_mutex_unlock(&mu);
}

uint64_t cache_generation(void)
{
    return atomic_load(&generation);
}

int cache_get(const char *key, char **body, size_t *len, char etag[24])
{
    uint64_t gen = atomic_load(&generation);
    if (gen == 0)
        return -1;
    size_t klen = strlen(key);
    int rc = -1;
    pthread_mutex_lock(&mu);
    for (struct entry *e = buckets[fnv(key, klen) % NBUCKETS]; e; e = e->next) {
        if (e->generation == gen && str_eq(e->key, key)) {
            *body = xmalloc(e->len + 1);
            memcpy(*body, e->body, e->len + 1);
            *len = e->len;
            memcpy(etag, e->etag, 24);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

void cache_put(const char *key, const char *body, size_t len, uint64_t gen)
{
    if (gen == 0)
        return;
    size_t klen = strlen(key);
    pthread_mutex_lock(&mu);
    if (gen != atomic_load(&generation))
        goto out;
    if (nentries >= MAX_ENTRIES)
        free_all_locked();
    struct entry **slot = &buckets[fnv(key, klen) % NBUCKETS];
    for (struct entry *e = *slot; e; e = e->next) {
        if (str_eq(e->key, key)) {
            free(e->body);
            e->body = xstrndup(body, len);
            e->len = len;
            e->generation = gen;
            cache_etag(body, len, e->etag);
            goto out;
        }
    }
    struct entry *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    e->body = xmalloc(len + 1);
    memcpy(e->body, body, len);
    e->body[len] = '\0';
    e->len = len;
    e->generation = gen;
    cache_etag(body, len, e->etag);
    e->next = *slot;
    *slot = e;
    nentries++;
out:
    pthread_mutex_unlock(&mu);
}

/* ---- Listener ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void set_connected(bool on)
{
    pthread_mutex_lock(&mu);
    /* Either way the entries may be stale: a fresh generation, or none. */
    atomic_store(&generation, on ? atomic_fetch_add(&next_generation, 1) + 1 : 0);
    free_all_locked();
    pthread_mutex_unlock(&mu);
}

static void *listen_loop(void *arg)
{
    (void)arg;
    int backoff = 100;
    while (atomic_load(&running)) {
        char err[256];
        struct db_conn *c = db_connect(listen_conninfo, listen_timeout_s, err, sizeof err);
        if (c == NULL || db_listen(c, "activities_changed") != 0) {
            db_close(c);
            sleep_ms(backoff);
            backoff = backoff < 2000 ? backoff * 2 : 2000;
            continue;
        }
        backoff = 100;
        set_connected(true);
        while (atomic_load(&running)) {
            int rc = db_wait_notify(c, 250);
            if (rc < 0)
                break;
            if (rc > 0)
                cache_invalidate();
        }
        set_connected(false);
        db_close(c);
        if (atomic_load(&running))
            log_warn("calendar cache: lost its database connection; caching paused");
    }
    return NULL;
}

int cache_start(const char *conninfo, int connect_timeout_s)
{
    listen_conninfo = xstrdup(conninfo);
    listen_timeout_s = connect_timeout_s;
    atomic_store(&running, true);
    if (pthread_create(&listener, NULL, listen_loop, NULL) != 0) {
        free(listen_conninfo);
        listen_conninfo = NULL;
        return -1;
    }
    started = true;
    return 0;
}

void cache_stop(void)
{
    if (started) {
        atomic_store(&running, false);
        pthread_join(listener, NULL);
        started = false;
    }
    pthread_mutex_lock(&mu);
    atomic_store(&generation, 0);
    free_all_locked();
    pthread_mutex_unlock(&mu);
    free(listen_conninfo);
    listen_conninfo = NULL;
}
