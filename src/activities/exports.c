/*
 * exports.c - what leaves Convene in bulk: participant lists as CSV
 * (streamed from COPY in constant memory, UTF-8 with BOM, CRLF, RFC 4180
 * quoting, formula cells neutralised) and iCalendar feeds (the public
 * calendar, and each account's own registrations behind a revocable token).
 *
 * A CSV is streamed by csvout_stream (api/csvout.h), which says how a
 * failure part-way reaches the client.
 */
#include "activities/activities.h"

#include "db/cache.h"
#include "activities/internal.h"
#include "api/api.h"
#include "api/app.h"
#include "api/audit.h"
#include "api/auth.h"
#include "api/csvout.h"
#include "base/config.h"
#include "formats/csv.h"
#include "formats/datelabel.h"
#include "db/db.h"
#include "http/http.h"
#include "formats/ics.h"
#include "base/log.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_questions = -1, st_activity_title = -1, st_feed_items = -1, st_token_account = -1,
           st_token_set = -1, st_token_get = -1, st_token_revoked = -1;

/* The activity fields an event needs, one JSON object per row. Feeds hold
 * events of many dates and zones, so timed events are given in UTC (a
 * single fixed-offset VTIMEZONE per zone would be wrong across daylight
 * saving changes); PostgreSQL converts them with its time zone rules. */
#define FEED_ITEM                                                                                  \
    "(v.item || CASE WHEN a.start_time IS NULL THEN '{}'::jsonb ELSE jsonb_build_object("          \
    "'utc_start_date', to_char(s.u, 'YYYY-MM-DD'), 'utc_start_time', to_char(s.u, 'HH24:MI'), "    \
    "'utc_end_date', to_char(s.e, 'YYYY-MM-DD'), 'utc_end_time', to_char(s.e, 'HH24:MI')) END)"    \
    "::text"
#define FEED_UTC                                                                                   \
    " CROSS JOIN LATERAL (SELECT ((a.starts_on + a.start_time) AT TIME ZONE a.timezone) AT TIME "  \
    "ZONE 'UTC' AS u, ((coalesce(a.ends_on, a.starts_on) + coalesce(a.end_time, a.start_time)) "   \
    "AT TIME ZONE a.timezone) AT TIME ZONE 'UTC' AS e) s "

/* The public feed, dropped on any change of an activity. */
static struct cache *feed;

void exports_statements(void)
{
    feed = cache_new("activities_changed");
    st_questions = db_register("exp_questions",
                               "SELECT id, label FROM activity_questions WHERE activity_id = $1 "
                               "ORDER BY position");
    st_activity_title =
        db_register("exp_activity_title", "SELECT slug FROM activities WHERE id = $1");
    st_feed_items = db_register("exp_feed_items",
                                "SELECT " FEED_ITEM " FROM activity_items v JOIN activities a ON "
                                "a.id = v.id" FEED_UTC "WHERE a.status <> 'draft' AND a.starts_on "
                                "IS NOT NULL ORDER BY a.starts_on, a.id");
    st_token_account = db_register(
        "exp_token_items",
        "SELECT i.item FROM accounts acc LEFT JOIN LATERAL (SELECT " FEED_ITEM " AS item, "
        "a.starts_on, a.id FROM enrollments e JOIN activities a ON a.id = e.activity_id "
        "JOIN activity_items v ON v.id = a.id" FEED_UTC
        "WHERE e.account_id = acc.id AND a.status <> 'draft' AND a.starts_on IS NOT NULL "
        "AND e.status IN ('confirmed', 'attended', 'waitlisted', 'pending_approval')) i ON true "
        "WHERE acc.calendar_token = $1 AND acc.disabled_at IS NULL ORDER BY i.starts_on, i.id");
    st_token_set =
        db_register("exp_token_set", "UPDATE accounts SET calendar_token = $2 WHERE id = $1");
    st_token_get =
        db_register("exp_token_get", "SELECT calendar_token FROM accounts WHERE id = $1");
    st_token_revoked =
        db_register("exp_token_revoked", "SELECT 1 FROM calendar_tokens_revoked WHERE digest = "
                                         "sha256(convert_to($1, 'UTF8'))");
}

#define PARTICIPANT_COLUMNS                                                                        \
    "convene_csv_safe(acc.name), convene_csv_safe(acc.email::text), "                              \
    "convene_csv_safe(o.name), convene_csv_safe(o.city), "                                         \
    "convene_csv_safe(coalesce(acc.country, o.country)), convene_csv_safe(acc.position), "         \
    "convene_enrollment_status_word(e.status), e.status, "                                         \
    "to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Status in the pages' words (web/i18n/en.js), its code beside it for
 * programs. */
static const char *const participant_header[] = {"Name",   "Email",       "Organisation",
                                                 "City",   "Country",     "Position",
                                                 "Status", "Status code", "Registered at (UTC)"};

void exports_participants(struct http_req *req)
{
    const char **header = NULL;
    strbuf sel;
    strbuf_init(&sel, 0);
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    struct db_conn *c = x.c;
    const char *id = http_param(req, "id");
    const char *p[] = {id};
    struct db_result *t = db_run(c, st_activity_title, 1, p);
    if (t == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    if (db_nrows(t) != 1) {
        db_result_free(t);
        api_reply_not_found(req, "activity");
        goto out;
    }
    char filename[160];
    snprintf(filename, sizeof filename, "participants-%s.csv", db_value(t, 0, 0));
    db_result_free(t);
    struct db_result *q = db_run(c, st_questions, 1, p);
    if (q == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    size_t nfixed = ARRAY_LEN(participant_header);
    size_t nq = (size_t)db_nrows(q);
    header = xcalloc(nfixed + nq, sizeof *header);
    for (size_t i = 0; i < nfixed; i++)
        header[i] = participant_header[i];
    /* Ids are integers from the database and activity ids come from an
     * {id:int} route: safe to write into the COPY text. */
    strbuf_printf(&sel, "SELECT " PARTICIPANT_COLUMNS);
    for (size_t i = 0; i < nq; i++) {
        const char *qid = db_value(q, (int)i, 0);
        header[nfixed + i] = http_strdup(req, db_value(q, (int)i, 1));
        strbuf_printf(&sel,
                      ", convene_csv_safe(CASE jsonb_typeof(e.answers->'%s') WHEN 'array' THEN "
                      "(SELECT string_agg(x, '; ') FROM jsonb_array_elements_text(e.answers->'%s') "
                      "x) WHEN 'boolean' THEN CASE WHEN (e.answers->>'%s')::boolean THEN 'yes' "
                      "ELSE 'no' END ELSE e.answers->>'%s' END)",
                      qid, qid, qid, qid);
    }
    db_result_free(q);
    strbuf_printf(&sel,
                  " FROM enrollments e JOIN accounts acc ON acc.id = e.account_id "
                  "LEFT JOIN organisations o ON o.id = e.organisation_id "
                  "WHERE e.activity_id = %ld ORDER BY e.created_at, e.id",
                  strtol(id, NULL, 10));
    csvout_stream(req, c, filename, header, nfixed + nq, strbuf_cstr(&sel));
out:
    free(header);
    strbuf_free(&sel);
    api_end(&x);
}

/* Reads ?name= as a whole ISO date into out ("" when absent or empty: no
 * bound). 0, or -1 after answering 400 naming it (too long included). */
static int query_date(struct http_req *req, const char *name, char *out, size_t size)
{
    if (api_query_string(req, name, out, size) != 0)
        return -1;
    char a[11], b[11];
    /* A whole ISO date parses to itself; labels like "March 2024" do not. */
    if (out[0] == '\0' ||
        (strlen(out) == 10 && datelabel_parse(out, 2000, a, b) == 0 && str_eq(a, out)))
        return 0;
    http_reply_error(req, 400, "bad_request", "%s must be a date like 2023-04-24.", name);
    return -1;
}

void exports_all_participants(struct http_req *req)
{
    char from[11], to[11];
    if (query_date(req, "from", from, sizeof from) != 0 ||
        query_date(req, "to", to, sizeof to) != 0)
        return;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    struct db_conn *c = x.c;
    char *lf = from[0] ? db_literal(c, from) : xstrdup("NULL");
    char *lt = to[0] ? db_literal(c, to) : xstrdup("NULL");
    char *select = xasprintf(
        "SELECT convene_csv_safe(act.title), convene_activity_kind_word(act.kind), act.kind, "
        "convene_csv_safe(coalesce(act.date_label, act.starts_on::text)), act.starts_on, "
        "act.ends_on, " PARTICIPANT_COLUMNS " FROM enrollments e "
        "JOIN activities act ON act.id = e.activity_id "
        "JOIN accounts acc ON acc.id = e.account_id "
        "LEFT JOIN organisations o ON o.id = e.organisation_id "
        "WHERE act.status <> 'draft' "
        "AND (%s::date IS NULL OR coalesce(act.period_end, act.ends_on, act.starts_on) "
        ">= %s::date) "
        "AND (%s::date IS NULL OR coalesce(act.period_start, act.starts_on) <= %s::date) "
        "ORDER BY coalesce(act.period_start, act.starts_on), act.id, e.created_at, e.id",
        lf, lf, lt, lt);
    free(lf);
    free(lt);
    static const char *const header[] = {
        "Activity", "Kind",     "Kind code", "Dates",        "Starts on",
        "Ends on",  "Name",     "Email",     "Organisation", "City",
        "Country",  "Position", "Status",    "Status code",  "Registered at (UTC)"};
    csvout_stream(req, c, "participants.csv", header, ARRAY_LEN(header), select);
    free(select);
out:
    api_end(&x);
}

/* ---- iCalendar feeds ---- */

/* Builds a VCALENDAR from rows of activity JSON (column 0). */
static void build_calendar(strbuf *out, struct db_result *r, const char *name, const char *base_url)
{
    ics_begin(out, "-//CityNet//Convene//EN", name, "PUBLISH");
    for (int i = 0; i < db_nrows(r); i++) {
        const char *text = db_value(r, i, 0);
        json_t *item = text ? json_loads(text, 0, NULL) : NULL;
        if (item)
            activities_ics_event(out, item, base_url);
        json_decref(item);
    }
    ics_end(out);
}

void exports_public_feed(struct http_req *req)
{
    char *body = NULL;
    size_t len = 0;
    char etag[24];
    uint64_t ticket = 0;
    if (cache_get(feed, "ics|public", &body, &len, etag, &ticket) == 0) {
        http_add_header(req, "ETag", etag);
        http_reply(req, 200, "text/calendar; charset=utf-8", body, len);
        free(body);
        return;
    }
    strbuf out;
    strbuf_init(&out, 0);
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_READ_LAGGING) != 0) {
        cache_abandon(feed, "ics|public", ticket);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_feed_items, 0, NULL);
    if (r == NULL) {
        cache_abandon(feed, "ics|public", ticket);
        api_reply_db_error(req, x.c);
        goto out;
    }
    build_calendar(&out, r, "CityNet activities", api_app(req)->cfg->base_url);
    db_result_free(r);
    api_db_release(&x);
    cache_put(feed, "ics|public", strbuf_cstr(&out), out.len, ticket);
    cache_etag(strbuf_cstr(&out), out.len, etag);
    http_add_header(req, "ETag", etag);
    http_reply(req, 200, "text/calendar; charset=utf-8", strbuf_cstr(&out), out.len);
out:
    strbuf_free(&out);
    api_end(&x);
}

void exports_private_feed(struct http_req *req)
{
    const char *param = http_param(req, "token");
    size_t n = strlen(param);
    if (n != 47 || !str_ends_with(param, ".ics")) {
        api_reply_not_found(req, "calendar feed");
        return;
    }
    char token[48];
    memcpy(token, param, 43);
    token[43] = '\0';
    strbuf out;
    strbuf_init(&out, 0);
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_CALLER) != 0)
        goto out;
    const char *p[] = {token};
    struct db_result *r = db_run(x.c, st_token_account, 1, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    /* No row: the token is unknown, revoked or its account disabled, and
     * calendar apps should learn that the feed is gone: 410 for a token
     * that was revoked or replaced, 404 otherwise. One row with a NULL
     * item: an account with nothing to show (an empty calendar). */
    if (db_nrows(r) == 0) {
        db_result_free(r);
        r = db_run(x.c, st_token_revoked, 1, p);
        if (r == NULL) {
            api_reply_db_error(req, x.c);
        } else if (db_nrows(r) == 1) {
            http_reply_error(req, 410, "feed_revoked",
                             "This calendar feed was turned off or replaced by its owner.");
        } else {
            api_reply_not_found(req, "calendar feed");
        }
        db_result_free(r);
        goto out;
    }
    build_calendar(&out, r, "My CityNet activities", api_app(req)->cfg->base_url);
    db_result_free(r);
    http_add_header(req, "Cache-Control", "private, no-cache");
    http_reply(req, 200, "text/calendar; charset=utf-8", strbuf_cstr(&out), out.len);
out:
    strbuf_free(&out);
    api_end(&x);
}

/* One activity as a calendar file, in its own time zone. */
void exports_activity_ics(struct http_req *req)
{
    json_t *info = NULL;
    strbuf out;
    strbuf_init(&out, 0);
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_NO_CALLER) != 0)
        goto out;
    int failed = 0;
    info = activities_enrol_info(x.c, strtol(http_param(req, "id"), NULL, 10), &failed);
    const char *status = json_string_value(json_object_get(info, "status"));
    if (failed) {
        api_reply_db_error(req, x.c);
    } else if (info == NULL || status == NULL || str_eq(status, "draft")) {
        api_reply_not_found(req, "activity");
    } else if (activities_ics(&out, info, api_app(req)->cfg->base_url) != 0) {
        http_reply_error(req, 404, "no_dates", "This activity has no exact dates yet.");
    } else {
        char disp[200];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s.ics\"",
                 json_string_value(json_object_get(info, "slug")));
        http_add_header(req, "Content-Disposition", disp);
        http_reply(req, 200, "text/calendar; charset=utf-8", strbuf_cstr(&out), out.len);
    }
out:
    strbuf_free(&out);
    json_decref(info);
    api_end(&x);
}

static void reply_feed_url(struct http_req *req, const char *token)
{
    if (token == NULL) {
        http_reply_json(req, 200, json_pack("{s:n}", "url"));
        return;
    }
    char *url = xasprintf("%s/api/feeds/%s.ics", api_app(req)->cfg->base_url, token);
    http_reply_json(req, 200, json_pack("{s:s}", "url", url));
    free(url);
}

void exports_calendar_token(struct http_req *req)
{
    static const char *const nothing[] = {NULL};
    const char *method = http_method(req);
    bool read = str_eq(method, "GET") || str_eq(method, "HEAD");
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0 || (!read && api_body(&x, true, nothing, NULL) != 0) ||
        api_check(&x) != 0)
        goto out;
    struct db_conn *c = x.c;
    const struct account *me = x.me;
    const char *id = api_num(req, me->id);
    if (read) {
        const char *p[] = {id};
        struct db_result *r = db_run(c, st_token_get, 1, p);
        if (r == NULL)
            api_reply_db_error(req, c);
        else
            reply_feed_url(req, db_value(r, 0, 0));
        db_result_free(r);
        goto out;
    }
    char token[48];
    bool revoke = str_eq(method, "DELETE");
    if (!revoke)
        auth_random_token(token);
    const char *p[] = {id, revoke ? NULL : token};
    struct db_result *r = db_run(c, st_token_set, 2, p);
    if (r == NULL) {
        api_reply_db_error(req, c);
        goto out;
    }
    db_result_free(r);
    audit_log(c, req, me->id, revoke ? "calendar_feed.revoked" : "calendar_feed.created", "account",
              id, NULL);
    reply_feed_url(req, revoke ? NULL : token);
out:
    api_end(&x);
}
