/*
 * votes.c - the public vote: a verified account's one vote per category
 * (PUT to cast or change, GET to read, DELETE to withdraw) inside the
 * cycle's voting window, and the public list of a category's candidates
 * from the moment voting opens.
 *
 * convene_vote decides under the voter's account row lock; the unique key
 * (account, category) keeps one row under any concurrency, on any number
 * of nodes. The client address (http_remote_addr: X-Forwarded-For only
 * from trusted proxies) and the User-Agent are stored with the vote.
 * Staff read a report of what may deserve a look and void votes until
 * publication.
 *
 * The candidates answer is cached per category (dropped on awards_changed,
 * which cases, cycles and organisations notify; votes do not, and the
 * answer holds no counts). It also shows the cycle's phase, which moves
 * with the clock and notifies nothing: each entry is stored with the
 * cycle's next phase instant and is not served from then on.
 */
#include "awards/awards.h"

#include "api/api.h"
#include "api/auth.h"
#include "awards/internal.h"
#include "db/cache.h"
#include "db/db.h"
#include "http/http.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int st_vote = -1, st_get = -1, st_candidates = -1, st_report = -1, st_void = -1;

static struct cache *candidates;

void votes_statements(void)
{
    candidates = cache_new("awards_changed");
    st_vote =
        db_register("aw_vote", "SELECT vote::text, changed FROM convene_vote($1, $2, $3, $4, $5)");
    st_get = db_register("aw_vote_get", "SELECT convene_vote_json($1, $2)::text");
    /* With the next instant (ms since the epoch, NULL: none) at which
     * the cycle's phase changes. */
    st_candidates = db_register(
        "aw_candidates",
        "SELECT convene_candidates($1)::text, (SELECT floor(extract(epoch FROM min(t)) * 1000)"
        "::bigint FROM award_categories g JOIN award_cycles c ON c.id = g.cycle_id, "
        "unnest(ARRAY[c.submission_opens_at, c.submission_closes_at, c.voting_opens_at, "
        "c.voting_closes_at, c.evaluation_opens_at, c.evaluation_closes_at]) t "
        "WHERE g.id = $1 AND c.published_at IS NULL AND t > now())");
    st_report = db_register("aw_vote_report", "SELECT convene_vote_report_json($1)::text");
    st_void = db_register("aw_vote_void", "SELECT convene_vote_void($1, $2, $3)");
}

/* Casts (submission given) or withdraws (NULL) the caller's vote. */
static void vote(struct api_ctx *x, const char *submission)
{
    const char *category = http_param(x->req, "id");
    const char *agent = http_header(x->req, "User-Agent");
    const char *p[] = {category, api_num(x->req, x->me->id), submission, http_remote_addr(x->req),
                       agent};
    awards_run_reply(x, st_vote, 5, p, 200, NULL, NULL, NULL, NULL);
}

void votes_put(struct http_req *req)
{
    static const char *const allowed[] = {"submission_id", NULL};
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0 || api_body(&x, false, allowed, NULL) != 0)
        goto out;
    long submission = 0;
    api_integer(x.body, "submission_id", &x.f, API_REQUIRED, 1, 1L << 53, &submission);
    if (api_check(&x) != 0)
        goto out;
    vote(&x, api_num(req, submission));
out:
    api_end(&x);
}

void votes_delete(struct http_req *req)
{
    struct api_ctx x;
    if (awards_begin_empty(&x, req, 0, AUTH_VERIFIED) != 0)
        goto out;
    vote(&x, NULL);
out:
    api_end(&x);
}

void votes_get(struct http_req *req)
{
    awards_read(req, 0, 0, st_get, AWARDS_ID | AWARDS_CALLER, "award category");
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A cached candidates entry is "<valid until, ms; 0: always>\n<JSON>".
 * Returns the JSON when the entry is still valid, else NULL. */
static const char *candidates_valid(const char *entry)
{
    char *end;
    long long until = strtoll(entry, &end, 10);
    if (*end != '\n' || (until != 0 && now_ms() >= until))
        return NULL;
    return end + 1;
}

void votes_candidates(struct http_req *req)
{
    char key[64], etag[24];
    char *cached = NULL;
    size_t len = 0;
    uint64_t ticket = 0;
    snprintf(key, sizeof key, "candidates|%s", http_param(req, "id"));
    int got = cache_get(candidates, key, &cached, &len, etag, &ticket);
    if (got == 0) {
        const char *json = candidates_valid(cached);
        if (json != NULL) {
            awards_reply_etag(req, json, strlen(json));
            free(cached);
            return;
        }
        /* A phase instant has passed: every entry may show an old phase. */
        free(cached);
        cache_invalidate(candidates);
        if (cache_get(candidates, key, &cached, &len, etag, &ticket) == 0) {
            free(cached); /* another reader's entry: rebuild anyway */
            ticket = 0;
        }
    }
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_CALLER) != 0) {
        cache_abandon(candidates, key, ticket);
        goto out;
    }
    const char *p[] = {http_param(req, "id")};
    struct db_result *r = db_run(x.c, st_candidates, 1, p);
    if (r == NULL) {
        cache_abandon(candidates, key, ticket);
        api_reply_db_error(req, x.c);
        goto out;
    }
    const char *json = db_value(r, 0, 0);
    const char *until = db_value(r, 0, 1);
    if (json == NULL) {
        cache_abandon(candidates, key, ticket);
        db_result_free(r);
        api_reply_not_found(req, "award category");
        goto out;
    }
    char *entry = xasprintf("%s\n%s", until ? until : "0", json);
    awards_store_reply(req, candidates, key, ticket, entry, strlen(entry), json);
    free(entry);
    db_result_free(r);
out:
    api_end(&x);
}

/* ---- Staff ---- */

void votes_report(struct http_req *req)
{
    awards_read(req, ROLE_STAFF | ROLE_ADMIN, 0, st_report, AWARDS_ID, "award cycle");
}

void votes_void(struct http_req *req)
{
    static const char *const allowed[] = {"reason", NULL};
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    const char *reason =
        awards_text(req, x.body, "reason", &x.f, API_REQUIRED | API_MULTILINE | API_TRIM, 2000);
    if (api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *p[] = {id, api_num(req, x.me->id), reason};
    struct db_result *r = awards_run_begun(&x, st_void, 3, p);
    if (r == NULL)
        goto out;
    bool changed = str_eq(db_value(r, 0, 0), "t");
    db_result_free(r);
    json_t *details = json_pack("{s:s}", "reason", reason);
    int rc = awards_commit(&x, changed ? "vote.voided" : NULL, "vote", id, details);
    json_decref(details);
    if (rc == 0)
        http_reply_json(req, 200,
                        json_pack("{s:I,s:b,s:b}", "id", (json_int_t)strtoll(id, NULL, 10),
                                  "voided", true, "changed", changed));
out:
    api_end(&x);
}
