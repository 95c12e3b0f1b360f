/*
 * results.c - a cycle's results and the public gallery.
 *
 * GET .../results: before publication the live preview, for staff only
 * (404 to anyone else, as for a case one may not see); after publication
 * the snapshot taken then, to everyone, kept in a cache dropped on the
 * awards_changed channel (it never changes, so a stale copy is the same).
 * POST .../publish: convene_award_publish decides, stores the results and
 * the snapshot and queues the mails under the cycle's row lock, in one
 * transaction with the audit row (results.published). Everything is
 * computed by one SQL function, convene_award_results
 * (sql/migrations/0010_results.sql); nothing here does arithmetic.
 *
 * GET /api/awards/gallery: submitted cases of published cycles with the
 * organisation's consent, public fields only, cached per query.
 */
#include "awards/awards.h"

#include "api/api.h"
#include "api/app.h"
#include "api/auth.h"
#include "awards/internal.h"
#include "base/config.h"
#include "base/util.h"
#include "db/cache.h"
#include "db/db.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_view = -1, st_publish = -1, st_gallery = -1, st_gallery_one = -1;

/* Published results and gallery pages; both only change with a row that
 * notifies awards_changed. */
static struct cache *published, *gallery;

void results_statements(void)
{
    published = cache_new("awards_changed");
    gallery = cache_new("awards_changed");
    st_view =
        db_register("aw_results", "SELECT body, published FROM convene_award_results_view($1, $2)");
    st_publish =
        db_register("aw_publish", "SELECT convene_award_publish($1, $2, $3::jsonb, $4)::text");
    st_gallery = db_register("aw_gallery",
                             "SELECT convene_gallery_json($1, $2, $3, $4, $5, $6, $7)::text, true");
    st_gallery_one =
        db_register("aw_gallery_one", "SELECT convene_gallery_one_json($1)::text, true");
}

/*
 * A read through cache: the answer stored under key when there is one;
 * else stmt runs with the n parameters p - the last one set to the
 * caller's staff flag ("t"/"f") when with_staff - and answers a row (JSON
 * text, whether it is the same for everyone). Shared text is stored and
 * answered with its ETag, other text is answered private and not stored,
 * and NULL text or no row is 404 naming what.
 */
static void reply_through(struct http_req *req, struct cache *cache, const char *key, int stmt,
                          int n, const char **p, bool with_staff, const char *what)
{
    char etag[24];
    char *body = NULL;
    size_t len = 0;
    uint64_t ticket = 0;
    if (cache_get(cache, key, &body, &len, etag, &ticket) == 0) {
        http_add_header(req, "ETag", etag);
        http_reply(req, 200, "application/json", body, len);
        free(body);
        return;
    }
    struct api_ctx x;
    /* Public answers may come from a replica (they are cached and may
     * lag); the staff's preview of unpublished results from the primary,
     * where the caller's session was checked. */
    if (api_begin(&x, req, 0, with_staff ? API_CALLER_OPTIONAL : API_READ_LAGGING) != 0) {
        cache_abandon(cache, key, ticket);
        goto out;
    }
    if (with_staff)
        p[n - 1] = awards_staff(x.me) ? "t" : "f";
    if (with_staff && !awards_staff(x.me)) {
        api_db_release(&x);
        x.c = api_acquire_read(req);
        if (x.c == NULL) {
            cache_abandon(cache, key, ticket);
            goto out;
        }
    }
    struct db_result *r = db_run(x.c, stmt, n, p);
    const char *text = r != NULL && db_nrows(r) == 1 ? db_value(r, 0, 0) : NULL;
    bool shared = text != NULL && str_eq(db_value(r, 0, 1), "t");
    if (!shared)
        cache_abandon(cache, key, ticket);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
    } else if (text == NULL) {
        api_reply_not_found(req, what);
    } else if (shared) {
        awards_store_reply(req, cache, key, ticket, text, strlen(text), text);
    } else {
        http_add_header(req, "Cache-Control", "private, no-store");
        http_reply(req, 200, "application/json", text, strlen(text));
    }
    db_result_free(r);
out:
    api_end(&x);
}

void results_get(struct http_req *req)
{
    char key[64];
    snprintf(key, sizeof key, "results|%s", http_param(req, "id"));
    const char *p[] = {http_param(req, "id"), NULL};
    reply_through(req, published, key, st_view, 2, p, true, "award cycle");
}

/* Checks the optional finalists member: {"<category id>": [case ids]},
 * at most 100 distinct positive ids per category. */
static void check_finalists(json_t *body, struct api_fields *f)
{
    json_t *fin = json_object_get(body, "finalists");
    if (fin == NULL)
        return;
    if (!json_is_object(fin)) {
        api_field_error(f, "finalists", "invalid_type",
                        "Send an object mapping category ids to lists of case ids.");
        return;
    }
    const char *key;
    json_t *list;
    json_object_foreach(fin, key, list)
    {
        size_t n = strlen(key);
        bool digits = n >= 1 && n <= 15 && key[0] != '0';
        for (size_t i = 0; digits && i < n; i++)
            digits = key[i] >= '0' && key[i] <= '9';
        if (!digits) {
            api_field_error(f, "finalists", "invalid_choice",
                            "Each key must be the id of a category of this cycle.");
            continue;
        }
        char field[48];
        snprintf(field, sizeof field, "finalists.%s", key);
        bool ok = json_is_array(list) && json_array_size(list) <= 100;
        size_t i, j;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            ok &= json_is_integer(v) && json_integer_value(v) >= 1 &&
                  json_integer_value(v) <= (1LL << 53);
            for (j = 0; ok && j < i; j++)
                ok &= !json_equal(json_array_get(list, j), v);
        }
        if (!ok)
            api_field_error(f, field, "invalid_type",
                            "Send a list of at most 100 distinct case ids.");
    }
}

void results_publish(struct http_req *req)
{
    static const char *const allowed[] = {"finalists", NULL};
    json_t *answer = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, allowed, NULL) != 0)
        goto out;
    json_t *fin = x.body ? json_object_get(x.body, "finalists") : NULL;
    check_finalists(x.body, &x.f);
    if (api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    char *fin_text = fin ? json_dumps(fin, JSON_COMPACT) : NULL;
    const char *p[] = {id, api_num(req, x.me->id), fin_text ? http_strdup(req, fin_text) : NULL,
                       api_app(req)->cfg->base_url};
    free(fin_text);
    struct db_result *r = awards_run_begun(&x, st_publish, 4, p);
    if (r == NULL)
        goto out;
    const char *text = awards_take_text(&x, r);
    answer = json_loads(text, 0, NULL);
    json_t *bad = json_object_get(answer, "invalid_finalists");
    if (bad != NULL) {
        db_rollback(x.c);
        size_t i;
        json_t *k;
        json_array_foreach(bad, i, k)
        {
            char field[48];
            snprintf(field, sizeof field, "finalists.%s", json_string_value(k));
            api_field_error(&x.f, field, "invalid_choice",
                            "Name submitted cases of this category other than its winner.");
        }
        api_check(&x);
        goto out;
    }
    json_t *details = json_pack("{s:O?}", "finalists", fin);
    awards_commit_reply(&x, text, 200, "results.published", "award_cycle", id, details);
    json_decref(details);
out:
    json_decref(answer);
    api_end(&x);
}

/* ---- The gallery ---- */

void results_gallery(struct http_req *req)
{
    long sdg = 0, category = 0, year = 0;
    char city[201], q[201];
    struct api_page pg;
    if (api_query_long(req, "sdg", 1, 17, &sdg) != 0 ||
        api_query_long(req, "category", 1, 1L << 53, &category) != 0 ||
        api_query_long(req, "year", 2000, 2100, &year) != 0 ||
        api_query_string(req, "city", city, sizeof city) != 0 ||
        api_query_string(req, "q", q, sizeof q) != 0 || api_page_query(req, 20, &pg) != 0)
        return;
    /* Lengths keep keys apart whatever the texts hold. */
    char key[600];
    snprintf(key, sizeof key, "gallery|%ld|%ld|%ld|%ld|%ld|%zu:%s|%zu:%s", sdg, category, year,
             pg.page, pg.per_page, strlen(city), city, strlen(q), q);
    const char *p[] = {sdg ? api_num(req, sdg) : NULL,
                       category ? api_num(req, category) : NULL,
                       city[0] ? city : NULL,
                       year ? api_num(req, year) : NULL,
                       q[0] ? q : NULL,
                       api_num(req, pg.per_page),
                       api_num(req, pg.offset)};
    reply_through(req, gallery, key, st_gallery, 7, p, false, "gallery");
}

/* One case of the gallery, as an item of the list. */
void results_gallery_one(struct http_req *req)
{
    char key[64];
    snprintf(key, sizeof key, "item|%s", http_param(req, "id"));
    const char *p[] = {http_param(req, "id")};
    reply_through(req, gallery, key, st_gallery_one, 1, p, false, "case");
}
