/*
 * cache_listen.c - the thread that keeps the caches of cache.h honest: one
 * connection LISTENing on every channel a cache was defined for; a
 * notification drops the caches of its channel only. While it is not
 * connected the caches are off (cache_set_online(false)).
 */
#include "db/cache.h"

#include "base/log.h"
#include "base/util.h"
#include "db/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_t listener;
static atomic_bool running;
static bool started;
static char *listen_conninfo;
static int listen_timeout_s;

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct listen_ctx {
    struct db_conn *c;
    int failed;
};

static void listen_one(const char *channel, void *ud)
{
    struct listen_ctx *l = ud;
    if (l->failed == 0 && db_listen(l->c, channel) != 0)
        l->failed = 1;
}

/* The channels one wait brought, each once: they are dropped after the
 * WAL position is read, so that a build started by the drop knows it. */
struct fired {
    char names[CACHE_MAX][64];
    int n;
};

static void on_notify(const char *channel, void *ud)
{
    struct fired *f = ud;
    for (int i = 0; i < f->n; i++) {
        if (strcmp(f->names[i], channel) == 0)
            return;
    }
    if (f->n < CACHE_MAX)
        snprintf(f->names[f->n++], sizeof f->names[0], "%s", channel);
    else
        cache_notified(channel); /* cannot happen: one name per cache at most */
}

static void *listen_loop(void *arg)
{
    (void)arg;
    int backoff = 100;
    while (atomic_load(&running)) {
        char err[256];
        struct listen_ctx l = {db_connect(listen_conninfo, listen_timeout_s, err, sizeof err), 0};
        if (l.c != NULL)
            cache_each_channel(listen_one, &l);
        if (l.c == NULL || l.failed) {
            db_close(l.c);
            sleep_ms(backoff);
            backoff = backoff < 2000 ? backoff * 2 : 2000;
            continue;
        }
        backoff = 100;
        cache_require_lsn(db_wal_lsn(l.c));
        cache_set_online(true);
        while (atomic_load(&running)) {
            struct fired f = {.n = 0};
            int got = db_wait_notify(l.c, 250, on_notify, &f);
            uint64_t lsn = got > 0 ? db_wal_lsn(l.c) : 0;
            /* No position (the connection just failed): going offline
             * below drops every cache, these channels' too. */
            if (got < 0 || (got > 0 && lsn == 0))
                break;
            cache_require_lsn(lsn);
            for (int i = 0; i < f.n; i++)
                cache_notified(f.names[i]);
        }
        cache_set_online(false);
        db_close(l.c);
        if (atomic_load(&running))
            log_warn("cache listener: lost its database connection; caching paused");
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
    cache_set_online(false);
    free(listen_conninfo);
    listen_conninfo = NULL;
}
