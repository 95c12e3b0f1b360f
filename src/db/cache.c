/*
 * cache.c - the store behind cache.h: per cache, a string-keyed hash table
 * under one mutex, a generation number, and per key at most one build at a
 * time (a condition variable wakes the readers waiting for it). Answers are
 * shared, reference-counted, so the lock covers a lookup, not a copy. Needs no
 * database; the listener that drives it is in cache_listen.c.
 */
#include "db/cache.h"

#include "base/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ENTRIES 1024
#define NBUCKETS    256

/* An answer, immutable once stored, shared by the entry and the readers
 * copying it: a reader takes a reference under the lock and copies after
 * releasing it, so the lock is held for a lookup, never for a copy. */
struct body {
    atomic_int refs;
    size_t len;
    char etag[24];
    char data[];
};

struct entry {
    struct entry *next;
    char *key;
    struct body *body;    /* NULL until a first build ends */
    uint64_t body_gen;    /* generation the body was built in */
    uint64_t build_gen;   /* non-zero while a build for that generation runs */
    uint64_t build_until; /* monotonic ns after which the build is presumed lost */
};

struct cache {
    char channel[64];
    pthread_mutex_t mu;
    pthread_cond_t built;
    uint64_t gen;   /* 0 while offline: nothing served or stored */
    uint64_t floor; /* builds from before the last time online are ignored */
    struct entry *buckets[NBUCKETS];
    int nentries;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache *caches[CACHE_MAX];
static int ncaches;
static bool online;
/* One counter for every cache and every time online: a generation is
 * never reused, so an old build can never pass for a fresh one. */
static atomic_ullong next_gen = 1;
static atomic_ullong required_lsn;

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

static bool plain_identifier(const char *s)
{
    if (*s == '\0' || strlen(s) >= 64)
        return false;
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9')))
            return false;
    }
    return true;
}

struct cache *cache_new(const char *channel)
{
    if (channel == NULL || !plain_identifier(channel))
        return NULL;
    pthread_mutex_lock(&registry_mu);
    if (ncaches == CACHE_MAX) {
        pthread_mutex_unlock(&registry_mu);
        return NULL;
    }
    struct cache *c = xcalloc(1, sizeof *c);
    snprintf(c->channel, sizeof c->channel, "%s", channel);
    pthread_mutex_init(&c->mu, NULL);
    time_cond_init(&c->built);
    if (online)
        c->gen = c->floor = atomic_fetch_add(&next_gen, 1);
    caches[ncaches++] = c;
    pthread_mutex_unlock(&registry_mu);
    return c;
}

static void body_unref(struct body *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

static void free_entry(struct entry *e)
{
    free(e->key);
    body_unref(e->body);
    free(e);
}

/* Drops every entry, or only those no build is running for and whose body
 * is not fresh (keep_live), e.g. to make room. */
static void drop_locked(struct cache *c, bool keep_live)
{
    for (int i = 0; i < NBUCKETS; i++) {
        struct entry **pp = &c->buckets[i];
        while (*pp) {
            struct entry *e = *pp;
            if (keep_live && (e->build_gen != 0 || (e->body && e->body_gen == c->gen))) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            free_entry(e);
            c->nentries--;
        }
    }
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&registry_mu);
    for (int i = 0; i < ncaches; i++) {
        if (caches[i] == c) {
            caches[i] = caches[--ncaches];
            break;
        }
    }
    pthread_mutex_unlock(&registry_mu);
    drop_locked(c, false);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->built);
    free(c);
}

static struct entry *find_locked(struct cache *c, const char *key, size_t klen)
{
    for (struct entry *e = c->buckets[fnv(key, klen) % NBUCKETS]; e; e = e->next) {
        if (str_eq(e->key, key))
            return e;
    }
    return NULL;
}

static struct entry *add_locked(struct cache *c, const char *key, size_t klen)
{
    if (c->nentries >= MAX_ENTRIES)
        drop_locked(c, true);
    if (c->nentries >= MAX_ENTRIES)
        drop_locked(c, false); /* every key fresh or building: start over */
    struct entry *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    struct entry **slot = &c->buckets[fnv(key, klen) % NBUCKETS];
    e->next = *slot;
    *slot = e;
    c->nentries++;
    return e;
}

/* Gives the caller its copy of a body it holds a reference to, then lets
 * go of the reference. Called without the lock. */
static void copy_out(struct body *b, char **body, size_t *len, char etag[24])
{
    *body = xmalloc(b->len + 1);
    memcpy(*body, b->data, b->len + 1);
    *len = b->len;
    memcpy(etag, b->etag, 24);
    body_unref(b);
}

int cache_get(struct cache *c, const char *key, char **body, size_t *len, char etag[24],
              uint64_t *ticket)
{
    *ticket = 0;
    if (c == NULL)
        return -1;
    size_t klen = strlen(key);
    uint64_t give_up = time_mono_ns() + (uint64_t)CACHE_WAIT_MS * 1000000ull;
    struct body *hit = NULL;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        if (c->gen == 0)
            break; /* offline: build, do not store */
        struct entry *e = find_locked(c, key, klen);
        if (e && e->body && e->body_gen == c->gen) {
            hit = e->body;
            atomic_fetch_add(&hit->refs, 1);
            break;
        }
        uint64_t now = time_mono_ns();
        bool building = e && e->build_gen == c->gen && now < e->build_until;
        if (!building) {
            /* The first reader since the change (or since a lost builder)
             * builds; the others serve the previous version or wait. */
            if (e == NULL)
                e = add_locked(c, key, klen);
            e->build_gen = c->gen;
            e->build_until = now + (uint64_t)CACHE_BUILD_MS * 1000000ull;
            *ticket = c->gen;
            break;
        }
        if (e->body) {
            hit = e->body; /* stale while revalidating */
            atomic_fetch_add(&hit->refs, 1);
            break;
        }
        if (now >= give_up)
            break; /* waited long enough: build without storing */
        struct timespec until =
            time_mono_deadline(give_up < e->build_until ? give_up : e->build_until);
        pthread_cond_timedwait(&c->built, &c->mu, &until);
        /* e may be gone (dropped while we slept): look it up again. */
    }
    pthread_mutex_unlock(&c->mu);
    if (hit == NULL)
        return -1;
    copy_out(hit, body, len, etag);
    return 0;
}

void cache_put(struct cache *c, const char *key, const char *body, size_t len, uint64_t ticket)
{
    if (c == NULL || ticket == 0)
        return;
    size_t klen = strlen(key);
    /* Built outside the lock; dropped if it is not kept. */
    struct body *b = xmalloc(sizeof *b + len + 1);
    atomic_init(&b->refs, 1);
    b->len = len;
    memcpy(b->data, body, len);
    b->data[len] = '\0';
    cache_etag(body, len, b->etag);
    pthread_mutex_lock(&c->mu);
    if (c->gen != 0 && ticket >= c->floor) {
        struct entry *e = find_locked(c, key, klen);
        if (e == NULL)
            e = add_locked(c, key, klen);
        /* A build that lost a race to a newer one does not overwrite it. */
        if (e->body == NULL || ticket >= e->body_gen) {
            body_unref(e->body);
            e->body = b;
            e->body_gen = ticket;
            b = NULL;
        }
        if (e->build_gen == ticket)
            e->build_gen = 0;
    }
    pthread_cond_broadcast(&c->built);
    pthread_mutex_unlock(&c->mu);
    body_unref(b);
}

void cache_abandon(struct cache *c, const char *key, uint64_t ticket)
{
    if (c == NULL || ticket == 0)
        return;
    pthread_mutex_lock(&c->mu);
    struct entry *e = find_locked(c, key, strlen(key));
    if (e && e->build_gen == ticket)
        e->build_gen = 0;
    pthread_cond_broadcast(&c->built);
    pthread_mutex_unlock(&c->mu);
}

static void invalidate_locked(struct cache *c)
{
    if (c->gen != 0)
        c->gen = atomic_fetch_add(&next_gen, 1);
}

void cache_invalidate(struct cache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    invalidate_locked(c);
    /* Waiters for a build of the old generation: the build now cannot
     * answer them fresh, so let one of them start the new one. */
    pthread_cond_broadcast(&c->built);
    pthread_mutex_unlock(&c->mu);
}

void cache_set_online(bool on)
{
    pthread_mutex_lock(&registry_mu);
    online = on;
    for (int i = 0; i < ncaches; i++) {
        struct cache *c = caches[i];
        pthread_mutex_lock(&c->mu);
        /* Either way the entries may be stale (changes while offline went
         * unheard): drop them all. */
        drop_locked(c, false);
        c->gen = c->floor = on ? atomic_fetch_add(&next_gen, 1) : 0;
        pthread_cond_broadcast(&c->built);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&registry_mu);
}

void cache_notified(const char *channel)
{
    pthread_mutex_lock(&registry_mu);
    for (int i = 0; i < ncaches; i++) {
        if (str_eq(caches[i]->channel, channel))
            cache_invalidate(caches[i]);
    }
    pthread_mutex_unlock(&registry_mu);
}

void cache_require_lsn(uint64_t lsn)
{
    unsigned long long seen = atomic_load(&required_lsn);
    while (lsn > seen && !atomic_compare_exchange_weak(&required_lsn, &seen, lsn)) {
    }
}

uint64_t cache_required_lsn(void)
{
    return atomic_load(&required_lsn);
}

void cache_each_channel(void (*fn)(const char *channel, void *ud), void *ud)
{
    pthread_mutex_lock(&registry_mu);
    for (int i = 0; i < ncaches; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = str_eq(caches[j]->channel, caches[i]->channel);
        if (!seen)
            fn(caches[i]->channel, ud);
    }
    pthread_mutex_unlock(&registry_mu);
}
