/*
 * test_cache.c - the cache store without a database: generation rules,
 * channels, single flight under threads, the previous version served while
 * a rebuild runs, waiting for a builder and taking over from one that gave
 * up.
 */
#include "db/cache.h"

#include "base/util.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A lookup whose answer the test inspects. */
struct look {
    int rc;
    uint64_t ticket;
    char *body;
    char etag[24];
};

static struct look look(struct cache *c, const char *key)
{
    struct look l = {0};
    size_t len = 0;
    l.rc = cache_get(c, key, &l.body, &len, l.etag, &l.ticket);
    if (l.rc == 0)
        ck_assert_uint_eq(len, strlen(l.body));
    return l;
}

static void put(struct cache *c, const char *key, const char *body, uint64_t ticket)
{
    cache_put(c, key, body, strlen(body), ticket);
}

START_TEST(offline_serves_and_stores_nothing)
{
    struct cache *c = cache_new("things_changed");
    ck_assert_ptr_nonnull(c);
    struct look l = look(c, "k");
    ck_assert_int_eq(l.rc, -1);
    ck_assert_uint_eq(l.ticket, 0); /* build, do not store */
    put(c, "k", "x", 0);
    ck_assert_int_eq(look(c, "k").rc, -1);
    /* No cache at all: a miss with nothing to store. */
    l = look(NULL, "k");
    ck_assert_int_eq(l.rc, -1);
    ck_assert_uint_eq(l.ticket, 0);
    cache_free(c);
}
END_TEST

START_TEST(channel_names_are_plain_identifiers)
{
    ck_assert_ptr_null(cache_new(""));
    ck_assert_ptr_null(cache_new("Bad"));
    ck_assert_ptr_null(cache_new("x; DROP TABLE t"));
    ck_assert_ptr_null(cache_new(NULL));
    struct cache *c = cache_new("awards_changed");
    ck_assert_ptr_nonnull(c);
    cache_free(c);
}
END_TEST

START_TEST(first_miss_builds_then_hits_with_etag)
{
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    struct look l = look(c, "k");
    ck_assert_int_eq(l.rc, -1);
    ck_assert_uint_ne(l.ticket, 0);
    put(c, "k", "body one", l.ticket);
    struct look h = look(c, "k");
    ck_assert_int_eq(h.rc, 0);
    ck_assert_str_eq(h.body, "body one");
    char etag[24];
    cache_etag("body one", 8, etag);
    ck_assert_str_eq(h.etag, etag);
    ck_assert_uint_eq(h.ticket, 0);
    free(h.body);
    /* Other keys are separate. */
    ck_assert_int_eq(look(c, "other").rc, -1);
    cache_free(c);
}
END_TEST

START_TEST(after_a_change_one_rebuilds_others_get_the_previous_version)
{
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    struct look b = look(c, "k");
    put(c, "k", "old", b.ticket);
    char old_etag[24];
    cache_etag("old", 3, old_etag);

    cache_notified("things_changed");
    struct look first = look(c, "k");
    ck_assert_int_eq(first.rc, -1); /* the first reader after the change builds */
    ck_assert_uint_ne(first.ticket, 0);
    ck_assert_uint_ne(first.ticket, b.ticket);
    for (int i = 0; i < 3; i++) {
        struct look s = look(c, "k"); /* the others: the old body, its old ETag */
        ck_assert_int_eq(s.rc, 0);
        ck_assert_str_eq(s.body, "old");
        ck_assert_str_eq(s.etag, old_etag);
        ck_assert_uint_eq(s.ticket, 0);
        free(s.body);
    }
    put(c, "k", "new", first.ticket);
    struct look n = look(c, "k");
    ck_assert_int_eq(n.rc, 0);
    ck_assert_str_eq(n.body, "new");
    free(n.body);
    cache_free(c);
}
END_TEST

START_TEST(a_build_overtaken_by_a_change_is_not_fresh)
{
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    struct look b1 = look(c, "k");
    cache_invalidate(c); /* a change while b1 builds */
    struct look b2 = look(c, "k");
    ck_assert_int_eq(b2.rc, -1);
    ck_assert_uint_gt(b2.ticket, b1.ticket); /* a new build for the new data */
    put(c, "k", "before the change", b1.ticket);
    /* b1's answer is only a previous version: served while b2 builds... */
    struct look s = look(c, "k");
    ck_assert_int_eq(s.rc, 0);
    ck_assert_str_eq(s.body, "before the change");
    free(s.body);
    put(c, "k", "after the change", b2.ticket);
    /* ...and an older build finishing late never replaces a newer one. */
    put(c, "k", "before the change", b1.ticket);
    struct look n = look(c, "k");
    ck_assert_int_eq(n.rc, 0);
    ck_assert_str_eq(n.body, "after the change");
    free(n.body);
    cache_free(c);
}
END_TEST

START_TEST(a_channel_drops_only_its_caches)
{
    cache_set_online(true);
    struct cache *cal = cache_new("activities_changed");
    struct cache *gallery = cache_new("awards_changed");
    struct cache *results = cache_new("awards_changed");
    struct cache *all[] = {cal, gallery, results};
    for (int i = 0; i < 3; i++)
        put(all[i], "k", "v", look(all[i], "k").ticket);
    cache_notified("awards_changed");
    struct look l = look(cal, "k");
    ck_assert_int_eq(l.rc, 0);
    ck_assert_uint_eq(l.ticket, 0);
    free(l.body);
    for (int i = 1; i < 3; i++) {
        l = look(all[i], "k");
        ck_assert_int_eq(l.rc, -1); /* stale, and this reader rebuilds */
        ck_assert_uint_ne(l.ticket, 0);
    }
    cache_notified("nobody_listens");
    for (int i = 0; i < 3; i++)
        cache_free(all[i]);
}
END_TEST

static void count_channel(const char *channel, void *ud)
{
    (void)channel;
    (*(int *)ud)++;
}

START_TEST(each_channel_is_listed_once)
{
    struct cache *a = cache_new("activities_changed");
    struct cache *b = cache_new("awards_changed");
    struct cache *c = cache_new("awards_changed");
    int n = 0;
    cache_each_channel(count_channel, &n);
    ck_assert_int_eq(n, 2);
    cache_free(a);
    cache_free(b);
    cache_free(c);
}
END_TEST

START_TEST(going_offline_drops_everything_and_old_builds)
{
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    put(c, "k", "v", look(c, "k").ticket);
    struct look b = look(c, "other"); /* a build under way while the link drops */
    cache_set_online(false);
    ck_assert_int_eq(look(c, "k").rc, -1);
    cache_set_online(true);
    put(c, "other", "from before", b.ticket);
    struct look l = look(c, "other");
    ck_assert_int_eq(l.rc, -1); /* not served: changes may have gone unheard */
    ck_assert_uint_ne(l.ticket, 0);
    struct look k = look(c, "k");
    ck_assert_int_eq(k.rc, -1);
    cache_free(c);
}
END_TEST

START_TEST(an_abandoned_build_passes_to_the_next_reader)
{
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    struct look b = look(c, "k");
    cache_abandon(c, "k", b.ticket);
    struct look n = look(c, "k");
    ck_assert_int_eq(n.rc, -1);
    ck_assert_uint_eq(n.ticket, b.ticket); /* same generation, new builder */
    cache_free(c);
}
END_TEST

/* ---- Threads ---- */

struct crowd {
    struct cache *c;
    atomic_int builds;
    atomic_int served;
    atomic_int stale;
    atomic_int uncached;
    int build_ms;
};

static void *reader(void *arg)
{
    struct crowd *w = arg;
    struct look l = look(w->c, "catalogue");
    if (l.rc == 0) {
        atomic_fetch_add(&w->served, 1);
        if (str_eq(l.body, "old"))
            atomic_fetch_add(&w->stale, 1);
        free(l.body);
    } else if (l.ticket != 0) {
        atomic_fetch_add(&w->builds, 1);
        sleep_ms(w->build_ms); /* the slow query */
        put(w->c, "catalogue", "new", l.ticket);
    } else {
        atomic_fetch_add(&w->uncached, 1);
    }
    return NULL;
}

#define READERS 32

static void run_crowd(struct crowd *w)
{
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, w), 0);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
}

START_TEST(single_flight_with_no_previous_version_others_wait)
{
    cache_set_online(true);
    struct crowd w = {.c = cache_new("things_changed"), .build_ms = 200};
    run_crowd(&w);
    ck_assert_int_eq(atomic_load(&w.builds), 1);
    ck_assert_int_eq(atomic_load(&w.served), READERS - 1); /* they waited for it */
    ck_assert_int_eq(atomic_load(&w.uncached), 0);
    cache_free(w.c);
}
END_TEST

START_TEST(single_flight_with_a_previous_version_others_get_it)
{
    cache_set_online(true);
    struct crowd w = {.c = cache_new("things_changed"), .build_ms = 300};
    put(w.c, "catalogue", "old", look(w.c, "catalogue").ticket);
    cache_notified("things_changed");
    uint64_t t0 = time_mono_ns();
    run_crowd(&w);
    ck_assert_int_eq(atomic_load(&w.builds), 1);
    ck_assert_int_eq(atomic_load(&w.served), READERS - 1);
    ck_assert_int_eq(atomic_load(&w.uncached), 0);
    /* Whoever did not build was answered at once, from the old version
     * (the readers start within the build's 300 ms). */
    ck_assert_int_ge(atomic_load(&w.stale), 1);
    ck_assert_uint_ge(time_mono_ns() - t0, 300ull * 1000000);
    struct look l = look(w.c, "catalogue");
    ck_assert_int_eq(l.rc, 0);
    ck_assert_str_eq(l.body, "new");
    free(l.body);
    cache_free(w.c);
}
END_TEST

struct waiter {
    struct cache *c;
    struct look l;
    uint64_t took_ns;
};

static void *wait_one(void *arg)
{
    struct waiter *w = arg;
    uint64_t t0 = time_mono_ns();
    w->l = look(w->c, "k");
    w->took_ns = time_mono_ns() - t0;
    return NULL;
}

START_TEST(a_waiter_takes_over_when_the_builder_gives_up)
{
    cache_set_online(true);
    struct waiter w = {.c = cache_new("things_changed")};
    struct look b = look(w.c, "k");
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, wait_one, &w), 0);
    sleep_ms(100);
    cache_abandon(w.c, "k", b.ticket);
    pthread_join(t, NULL);
    ck_assert_int_eq(w.l.rc, -1);
    ck_assert_uint_eq(w.l.ticket, b.ticket);
    ck_assert_uint_lt(w.took_ns, (uint64_t)CACHE_WAIT_MS * 1000000);
    cache_free(w.c);
}
END_TEST

START_TEST(the_wait_for_a_builder_is_bounded)
{
    cache_set_online(true);
    struct waiter w = {.c = cache_new("things_changed")};
    struct look b = look(w.c, "k");
    ck_assert_uint_ne(b.ticket, 0);
    wait_one(&w); /* the builder never answers */
    ck_assert_int_eq(w.l.rc, -1);
    ck_assert_uint_eq(w.l.ticket, 0); /* build it yourself, do not store */
    ck_assert_uint_ge(w.took_ns, (uint64_t)(CACHE_WAIT_MS - 50) * 1000000);
    ck_assert_uint_lt(w.took_ns, (uint64_t)(CACHE_WAIT_MS + 1000) * 1000000);
    cache_free(w.c);
}
END_TEST

Suite *make_cache_suite(void);
/* Fills c with n fresh entries "<prefix><i>". */
static void fill_fresh(struct cache *c, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char key[32], body[32];
        snprintf(key, sizeof key, "%s%d", prefix, i);
        snprintf(body, sizeof body, "v-%s%d", prefix, i);
        struct look l = look(c, key);
        ck_assert_int_eq(l.rc, -1);
        put(c, key, body, l.ticket);
    }
}

START_TEST(a_full_cache_keeps_fresh_and_building_entries)
{
    /* 1024 entries at most. After a change all are stale; k0 is rebuilt
     * (fresh) and k1 is being rebuilt when a new key needs room: the stale
     * ones go, those two stay. */
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    fill_fresh(c, "k", 1024);
    cache_invalidate(c);
    struct look l0 = look(c, "k0");
    put(c, "k0", "v2-k0", l0.ticket);
    struct look l1 = look(c, "k1");
    ck_assert_uint_ne(l1.ticket, 0);
    struct look n = look(c, "new");
    ck_assert_int_eq(n.rc, -1);
    ck_assert_uint_ne(n.ticket, 0);
    struct look h0 = look(c, "k0");
    ck_assert_int_eq(h0.rc, 0);
    ck_assert_str_eq(h0.body, "v2-k0");
    free(h0.body);
    /* k1's build still runs: others get its previous version meanwhile. */
    struct look h1 = look(c, "k1");
    ck_assert_int_eq(h1.rc, 0);
    ck_assert_str_eq(h1.body, "v-k1");
    free(h1.body);
    put(c, "k1", "v2-k1", l1.ticket);
    h1 = look(c, "k1");
    ck_assert_int_eq(h1.rc, 0);
    ck_assert_str_eq(h1.body, "v2-k1");
    free(h1.body);
    cache_free(c);
}
END_TEST

START_TEST(a_cache_full_of_fresh_entries_starts_over)
{
    cache_set_online(true);
    struct cache *c = cache_new("things_changed");
    fill_fresh(c, "f", 1024);
    struct look h = look(c, "f0");
    ck_assert_int_eq(h.rc, 0);
    free(h.body);
    /* No room and nothing stale: everything goes, f0 is built again. */
    struct look n = look(c, "one_more");
    ck_assert_int_eq(n.rc, -1);
    put(c, "one_more", "x", n.ticket);
    struct look again = look(c, "f0");
    ck_assert_int_eq(again.rc, -1);
    ck_assert_uint_ne(again.ticket, 0);
    struct look kept = look(c, "one_more");
    ck_assert_int_eq(kept.rc, 0);
    free(kept.body);
    cache_free(c);
}
END_TEST

Suite *make_cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, offline_serves_and_stores_nothing);
    tcase_add_test(tc, channel_names_are_plain_identifiers);
    tcase_add_test(tc, first_miss_builds_then_hits_with_etag);
    tcase_add_test(tc, after_a_change_one_rebuilds_others_get_the_previous_version);
    tcase_add_test(tc, a_build_overtaken_by_a_change_is_not_fresh);
    tcase_add_test(tc, a_channel_drops_only_its_caches);
    tcase_add_test(tc, each_channel_is_listed_once);
    tcase_add_test(tc, going_offline_drops_everything_and_old_builds);
    tcase_add_test(tc, an_abandoned_build_passes_to_the_next_reader);
    tcase_add_test(tc, a_full_cache_keeps_fresh_and_building_entries);
    tcase_add_test(tc, a_cache_full_of_fresh_entries_starts_over);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("threads");
    tcase_set_timeout(th, 20);
    tcase_add_test(th, single_flight_with_no_previous_version_others_wait);
    tcase_add_test(th, single_flight_with_a_previous_version_others_get_it);
    tcase_add_test(th, a_waiter_takes_over_when_the_builder_gives_up);
    tcase_add_test(th, the_wait_for_a_builder_is_bounded);
    suite_add_tcase(s, th);
    return s;
}
