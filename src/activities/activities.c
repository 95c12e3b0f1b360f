/*
 * activities.c - the activity calendar: the public list (served from the
 * calendar cache, with ETag / If-None-Match), one activity with the
 * caller's own registration, and staff editing: create, update, publish,
 * cancel (which tells everyone registered) and registration questions.
 */
#include "activities/activities.h"
#include "activities/internal.h"

#include "db/cache.h"
#include "api/api.h"
#include "api/questions.h"
#include "api/app.h"
#include "api/audit.h"
#include "api/auth.h"
#include "base/config.h"
#include "formats/datelabel.h"
#include "db/db.h"
#include "http/http.h"
#include "formats/ics.h"
#include "base/log.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char *const kinds[] = {"online_course",
                                    "masterclass",
                                    "training_programme",
                                    "benchmarking_programme",
                                    "workshop",
                                    "study_visit",
                                    "meeting",
                                    "forum",
                                    "congress",
                                    "conference",
                                    "committee_meeting",
                                    "awards_ceremony",
                                    "service"};
static const char *const modes[] = {"open", "approval", "invitation", "external"};
static const char *const sections[] = {"citynet", "partner"};

static int st_list = -1, st_detail = -1, st_enrol_info = -1, st_tz_ok = -1, st_period = -1,
           st_set_period = -1, st_publish = -1, st_cancel = -1, st_questions = -1, st_promote = -1,
           st_questions_put = -1, st_lock = -1;

/* Public lists and per-activity enrolment data, dropped on any change. */
static struct cache *calendar;

static void calendar_statements(void)
{
    calendar = cache_new("activities_changed");
    st_list = db_register(
        "act_list",
        "WITH f AS (SELECT CASE WHEN $10::boolean THEN item || jsonb_build_object("
        "  'enrollment_counts', (SELECT jsonb_object_agg(k.st, (SELECT count(*) FROM "
        "   enrollments e WHERE e.activity_id = activity_items.id AND e.status = k.st)) "
        "   FROM unnest(ARRAY['pending_approval', 'confirmed', 'waitlisted', 'attended', "
        "   'rejected', 'cancelled']) AS k(st))) ELSE item END AS item, "
        "  CASE WHEN $13::text = 'pending' THEN (SELECT count(*) FROM enrollments e "
        "   WHERE e.activity_id = activity_items.id AND e.status = 'pending_approval') "
        "   ELSE 0 END AS pending, sort_start, sort_end, title FROM activity_items "
        " WHERE (CASE WHEN $10::boolean THEN true ELSE status <> 'draft' END) "
        "   AND ($12::text IS NULL OR ($12 = 'past') = coalesce(ends_at <= now(), false)) "
        "   AND ($1::text IS NULL OR kind = $1) "
        "   AND ($2::date IS NULL OR sort_end >= $2::date) "
        "   AND ($3::date IS NULL OR sort_start <= $3::date) "
        "   AND ($4::text IS NULL OR lower(city) = lower($4)) "
        "   AND ($5::boolean IS NULL OR online = $5) "
        "   AND ($6::text IS NULL OR strpos(lower(concat_ws(' ', title, summary, description, "
        "        host_name, programme, city, country)), lower($6)) > 0) "
        "   AND ($9::text IS NULL OR section = $9)) "
        "SELECT json_build_object('items', coalesce((SELECT json_agg(item ORDER BY n) "
        " FROM (SELECT item, row_number() OVER (ORDER BY pending DESC, CASE WHEN $12 = 'past' "
        "   THEN sort_end "
        "   END DESC NULLS LAST, sort_start NULLS LAST, title) AS n FROM f ORDER BY n "
        "   LIMIT $7 OFFSET $8) p), '[]'), 'page', $11::int, 'per_page', $7, "
        " 'total', (SELECT count(*) FROM f))::text");
    st_detail = db_register(
        "act_detail",
        "SELECT (v.item || jsonb_build_object('description', v.description, "
        " 'questions', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'kind', q.kind, "
        "   'label', q.label, 'required', q.required, 'choices', q.choices, 'max_length', "
        "   q.max_length) ORDER BY q.position), '[]') FROM activity_questions q "
        "   WHERE q.activity_id = v.id), "
        " 'my_enrollment', (SELECT jsonb_build_object('id', e.id, 'status', e.status, "
        "   'waitlist_position', CASE WHEN e.status = 'waitlisted' THEN (SELECT count(*) + 1 "
        "     FROM enrollments w WHERE w.activity_id = e.activity_id AND w.status = "
        "     'waitlisted' AND w.waitlist_seq < e.waitlist_seq) END, "
        "   'answers', e.answers, 'registered_at', e.created_at) FROM enrollments e "
        "   WHERE e.activity_id = v.id AND e.account_id = $2::bigint)))::text "
        "FROM activity_items v WHERE v.id = $1 AND (v.status <> 'draft' OR $3::boolean)");
    st_enrol_info = db_register(
        "act_enrol_info",
        "SELECT (v.item || jsonb_build_object('description', v.description, "
        " 'utc_offset', (SELECT extract(epoch FROM (l - (l AT TIME ZONE a.timezone AT TIME ZONE "
        "   'UTC')))::int FROM (SELECT (coalesce(a.starts_on, current_date) + "
        "   coalesce(a.start_time, '12:00'))::timestamp AS l) t), "
        " 'questions', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'kind', q.kind, "
        "   'label', q.label, 'required', q.required, 'choices', q.choices, 'max_length', "
        "   q.max_length) ORDER BY q.position), '[]') FROM activity_questions q "
        "   WHERE q.activity_id = v.id)))::text "
        "FROM activity_items v JOIN activities a ON a.id = v.id WHERE v.id = $1");
    st_tz_ok = db_register("act_tz_ok", "SELECT 1 FROM pg_timezone_names WHERE name = $1");
    st_period = db_register(
        "act_period",
        "SELECT starts_on, ends_on, date_label, extract(year FROM coalesce(period_start, "
        " starts_on, created_at))::int FROM activities WHERE id = $1");
    st_set_period = db_register(
        "act_set_period",
        "UPDATE activities SET period_start = $2::date, period_end = $3::date WHERE id = $1");
    st_publish =
        db_register("act_publish", "UPDATE activities SET status = 'published' WHERE id = $1 AND "
                                   "status = 'draft' RETURNING id");
    st_cancel = db_register("act_cancel", "SELECT convene_activity_cancel($1, $2)");
    st_lock = db_register("act_lock", "SELECT 1 FROM activities WHERE id = $1 FOR UPDATE");
    st_promote = db_register("act_promote", "SELECT convene_promote_waitlist($1, $2, $3)");
    st_questions_put = db_register(
        "act_questions_put",
        "WITH src AS (SELECT (ord - 1)::int AS position, "
        "   nullif(q->>'id', '')::bigint AS id, q->>'kind' AS kind, q->>'label' AS label, "
        "   coalesce((q->>'required')::boolean, false) AS required, "
        "   coalesce(nullif(q->'choices', 'null'::jsonb), '[]') AS choices, "
        "   coalesce((q->>'max_length')::int, 1000) AS max_length "
        "  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(q, ord)), "
        "act AS (SELECT id FROM activities WHERE id = $1 FOR UPDATE), "
        "del AS (DELETE FROM activity_questions d USING act WHERE d.activity_id = act.id "
        "   AND d.id NOT IN (SELECT id FROM src WHERE id IS NOT NULL) RETURNING d.id), "
        "upd AS (UPDATE activity_questions u SET position = s.position, kind = s.kind, "
        "   label = s.label, required = s.required, choices = s.choices, "
        "   max_length = s.max_length FROM src s, act WHERE u.id = s.id "
        "   AND u.activity_id = act.id RETURNING u.id), "
        "ins AS (INSERT INTO activity_questions (activity_id, position, kind, label, required, "
        "   choices, max_length) SELECT act.id, s.position, s.kind, s.label, s.required, "
        "   s.choices, s.max_length FROM src s, act WHERE s.id IS NULL RETURNING id) "
        "SELECT (SELECT count(*) FROM act), (SELECT count(*) FROM src WHERE id IS NOT NULL), "
        " (SELECT count(*) FROM upd)");
    st_questions = db_register(
        "act_questions",
        "SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind, 'label', label, "
        " 'required', required, 'choices', choices, 'max_length', max_length) ORDER BY "
        " position), '[]')::text FROM activity_questions WHERE activity_id = $1");
}

/* ---- Helpers ---- */

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (str_eq(s, list[i]))
            return true;
    }
    return false;
}

/* "YYYY-MM-DD" with a real day. */
static bool valid_date(const char *s)
{
    char a[11], b[11];
    if (strlen(s) != 10)
        return false;
    char label[32];
    snprintf(label, sizeof label, "%s", s);
    return datelabel_parse(label, 2000, a, b) == 0 && str_eq(a, s) && str_eq(b, s);
}

static bool valid_time(const char *s)
{
    return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
           s[1] <= '9' && (s[0] < '2' || s[1] <= '3') && s[3] >= '0' && s[3] <= '5' &&
           s[4] >= '0' && s[4] <= '9';
}

/* Sends a cached or fresh JSON body with an ETag, honouring If-None-Match. */
static void reply_etag(struct http_req *req, const char *body, size_t len, const char *etag,
                       const char *cache_control)
{
    http_add_header(req, "ETag", etag);
    http_add_header(req, "Cache-Control", cache_control);
    const char *inm = http_header(req, "If-None-Match");
    if (inm && strstr(inm, etag)) {
        http_reply_empty(req, 304);
        return;
    }
    http_reply(req, 200, "application/json", body, len);
}

/* ---- The public list ---- */

void activities_list(struct http_req *req)
{
    /* Text filters: 200 characters of any script (3 bytes each in UTF-8). */
    char kind[40], from[16], to[16], month[16], city[600], online[8], q[600], section[16],
        status[8], when[12], sort[12];
    int nk = http_query(req, "kind", kind, sizeof kind);
    int nf = http_query(req, "from", from, sizeof from);
    int nt = http_query(req, "to", to, sizeof to);
    int nm = http_query(req, "month", month, sizeof month);
    int nc = http_query(req, "city", city, sizeof city);
    int no = http_query(req, "online", online, sizeof online);
    int nq = http_query(req, "q", q, sizeof q);
    int ns = http_query(req, "section", section, sizeof section);
    int nst = http_query(req, "status", status, sizeof status);
    int nw = http_query(req, "when", when, sizeof when);
    int nso = http_query(req, "sort", sort, sizeof sort);
    struct api_page pg;
    if (api_page_query(req, 50, &pg) != 0)
        return;
    const char *bad = NULL;
    if (nk == -2 || (nk > 0 && !in_list(kind, kinds, ARRAY_LEN(kinds))))
        bad = "kind is not a known kind of activity.";
    else if (nf == -2 || (nf > 0 && !valid_date(from)))
        bad = "from must be a date like 2023-04-24.";
    else if (nt == -2 || (nt > 0 && !valid_date(to)))
        bad = "to must be a date like 2023-05-12.";
    else if (nc == -2 || nq == -2)
        bad = "city and q must be short UTF-8 text.";
    else if (no == -2 || (no > 0 && !str_eq(online, "true") && !str_eq(online, "false")))
        bad = "online must be true or false.";
    else if (ns == -2 || (ns > 0 && !in_list(section, sections, ARRAY_LEN(sections))))
        bad = "section must be citynet or partner.";
    else if (nst == -2 || (nst > 0 && !str_eq(status, "all") && !str_eq(status, "public")))
        bad = "status must be public or all.";
    else if (nw == -2 ||
             (nw > 0 && !str_eq(when, "upcoming") && !str_eq(when, "past") && !str_eq(when, "all")))
        bad = "when must be upcoming, past or all.";
    else if (nso == -2 || (nso > 0 && !str_eq(sort, "date") && !str_eq(sort, "pending")))
        bad = "sort must be date or pending.";
    else if (nso > 0 && str_eq(sort, "pending") && !(nst > 0 && str_eq(status, "all")))
        bad = "sort=pending is for the staff list (status=all).";
    else if (nm == HTTP_QUERY_UNUSABLE)
        bad = "month must look like 2023-04.";
    if (nm >= 0 && bad == NULL) {
        /* month=YYYY-MM: the first to the last day of that month. */
        char label[32], start[11], end[11];
        snprintf(label, sizeof label, "%s-01", month);
        if (nm != 7 || datelabel_parse(label, 2000, start, end) != 0) {
            bad = "month must look like 2023-04.";
        } else {
            char m[32];
            snprintf(m, sizeof m, "%.4s", month);
            static const char *const names[] = {"January",   "February", "March",    "April",
                                                "May",       "June",     "July",     "August",
                                                "September", "October",  "November", "December"};
            int mi = (int)strtol(month + 5, NULL, 10);
            int yr = (int)strtol(m, NULL, 10);
            if (mi < 1 || mi > 12 || datelabel_parse(names[mi - 1], yr, start, end) != 0) {
                bad = "month must look like 2023-04.";
            } else {
                snprintf(from, sizeof from, "%s", start);
                snprintf(to, sizeof to, "%s", end);
                nf = nt = 10;
            }
        }
    }
    if (bad) {
        http_reply_error(req, 400, "bad_request", "%s", bad);
        return;
    }
    bool all = nst > 0 && str_eq(status, "all");
    const char *period = nw > 0 && !str_eq(when, "all") ? when : NULL;

    /* Public answers come from the cache, keyed by the normalised query and
     * the minute: availability and the upcoming / past split change with
     * the clock, so a list is at most a minute behind it (enrolling checks
     * the exact time). */
    char key[1400];
    snprintf(key, sizeof key, "list|%s|%s|%s|%s|%s|%s|%s|%s|%ld|%ld|%lld", nk > 0 ? kind : "",
             nf > 0 ? from : "", nt > 0 ? to : "", nc > 0 ? city : "", no > 0 ? online : "",
             nq > 0 ? q : "", ns > 0 ? section : "", period ? period : "", pg.page, pg.per_page,
             (long long)(time_wall_ms() / 60000));
    char *body = NULL;
    size_t len = 0;
    char etag[24];
    uint64_t ticket = 0;
    if (!all && cache_get(calendar, key, &body, &len, etag, &ticket) == 0) {
        reply_etag(req, body, len, etag, "public, max-age=0, must-revalidate");
        free(body);
        return;
    }
    struct api_ctx x;
    /* The public list may come from a replica (it is cached and may lag);
     * the staff's list of every status from the primary. */
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, all ? 0 : API_READ_LAGGING) != 0) {
        cache_abandon(calendar, key, ticket);
        goto out;
    }
    const char *p[] = {nk > 0 ? kind : NULL,      nf > 0 ? from : NULL,    nt > 0 ? to : NULL,
                       nc > 0 ? city : NULL,      no > 0 ? online : NULL,  nq > 0 ? q : NULL,
                       api_num(req, pg.per_page), api_num(req, pg.offset), ns > 0 ? section : NULL,
                       all ? "true" : "false",    api_num(req, pg.page),   period,
                       nso > 0 ? sort : NULL};
    struct db_result *r = db_run(x.c, st_list, 13, p);
    if (r == NULL) {
        cache_abandon(calendar, key, ticket);
        api_reply_db_error(req, x.c);
        goto out;
    }
    const char *text = db_value(r, 0, 0);
    len = strlen(text);
    cache_etag(text, len, etag);
    cache_put(calendar, key, text, len, ticket);
    reply_etag(req, text, len, etag,
               all ? "private, no-store" : "public, max-age=0, must-revalidate");
    db_result_free(r);
out:
    api_end(&x);
}

/* ---- One activity ---- */

void activities_detail(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_CALLER_OPTIONAL) != 0)
        goto out;
    bool staff = x.me && (x.me->roles & (ROLE_STAFF | ROLE_ADMIN));
    const char *p[] = {http_param(req, "id"), api_num(req, x.me ? x.me->id : 0L),
                       staff ? "true" : "false"};
    api_reply_row_json(req, x.c, db_run(x.c, st_detail, 3, p), 200, "activity");
out:
    api_end(&x);
}

json_t *activities_enrol_info(struct db_conn *c, long id, int *db_failed)
{
    *db_failed = 0;
    char key[48];
    snprintf(key, sizeof key, "enrol|%ld", id);
    char *body = NULL;
    size_t len = 0;
    char etag[24];
    uint64_t ticket = 0;
    if (cache_get(calendar, key, &body, &len, etag, &ticket) == 0) {
        json_t *j = json_loadb(body, len, 0, NULL);
        free(body);
        return j;
    }
    char ids[24];
    snprintf(ids, sizeof ids, "%ld", id); /* no request here: a local buffer */
    const char *p[] = {ids};
    struct db_result *r = db_run(c, st_enrol_info, 1, p);
    if (r == NULL) {
        cache_abandon(calendar, key, ticket);
        *db_failed = 1;
        return NULL;
    }
    json_t *j = NULL;
    const char *text = db_value(r, 0, 0);
    if (text) {
        cache_put(calendar, key, text, strlen(text), ticket);
        j = json_loads(text, 0, NULL);
    } else {
        cache_abandon(calendar, key, ticket);
    }
    db_result_free(r);
    return j;
}

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int activities_ics_event(strbuf *out, json_t *info, const char *base_url)
{
    const char *start = jstr(info, "starts_on");
    if (start == NULL)
        return -1;
    const char *end = jstr(info, "ends_on");
    const char *st = jstr(info, "start_time");
    const char *et = jstr(info, "end_time");
    char uid[96], url[512], location[512];
    snprintf(uid, sizeof uid, "activity-%lld@convene",
             (long long)json_integer_value(json_object_get(info, "id")));
    snprintf(url, sizeof url, "%s/activity.html?id=%lld", base_url,
             (long long)json_integer_value(json_object_get(info, "id")));
    if (json_is_true(json_object_get(info, "online")))
        snprintf(location, sizeof location, "Online");
    else
        snprintf(location, sizeof location, "%s%s%s", jstr(info, "city") ? jstr(info, "city") : "",
                 jstr(info, "city") && jstr(info, "country") ? ", " : "",
                 jstr(info, "country") ? jstr(info, "country") : "");
    const char *status = jstr(info, "status");
    /* Feeds give timed events in UTC (utc_* fields); a single event (the
     * email attachment) keeps the activity's own zone. */
    bool utc = st && jstr(info, "utc_start_date") != NULL;
    struct ics_event e = {
        .uid = uid,
        .summary = jstr(info, "title"),
        .description = jstr(info, "summary"),
        .location = location[0] ? location : NULL,
        .url = url,
        .status = status && str_eq(status, "cancelled") ? "CANCELLED" : "CONFIRMED",
        .tzid = st && !utc ? jstr(info, "timezone") : NULL,
        .all_day = st == NULL,
        .start_date = utc ? jstr(info, "utc_start_date") : start,
        .end_date = utc ? jstr(info, "utc_end_date") : (end ? end : start),
        .start_time = utc ? jstr(info, "utc_start_time") : st,
        .end_time = utc ? jstr(info, "utc_end_time") : (et ? et : st),
        .dtstamp_unix = time_wall_ms() / 1000,
        .sequence = 0,
    };
    return ics_event(out, &e);
}

int activities_ics(strbuf *out, json_t *info, const char *base_url)
{
    if (jstr(info, "starts_on") == NULL)
        return -1;
    strbuf tmp;
    strbuf_init(&tmp, 256 * 1024);
    ics_begin(&tmp, "-//CityNet//Convene//EN", NULL, "PUBLISH");
    if (jstr(info, "start_time"))
        ics_vtimezone(&tmp, jstr(info, "timezone"),
                      (int)json_integer_value(json_object_get(info, "utc_offset")));
    int rc = activities_ics_event(&tmp, info, base_url);
    ics_end(&tmp);
    if (rc == 0)
        strbuf_append(out, strbuf_cstr(&tmp), tmp.len);
    strbuf_free(&tmp);
    return rc;
}

/* ---- Staff editing ---- */

enum ftype {
    F_TEXT,
    F_LONGTEXT,
    F_ENUM_KIND,
    F_ENUM_MODE,
    F_ENUM_SECTION,
    F_BOOL,
    F_INT,
    F_DATE,
    F_TIME,
    F_TIMESTAMP,
    F_URL,
    F_TZ,
    F_ORG,
    F_SLUG
};

struct field {
    const char *name;
    size_t max;
    enum ftype type;
    bool required; /* on create */
    bool not_null; /* a NOT NULL column: null is refused (required) */
};

static const struct field fields[] = {
    {"slug", 80, F_SLUG, false, true},
    {"kind", 0, F_ENUM_KIND, true, true},
    {"section", 0, F_ENUM_SECTION, false, true},
    {"title", 300, F_TEXT, true, true},
    {"summary", 1000, F_LONGTEXT, false, false},
    {"description", 20000, F_LONGTEXT, false, false},
    {"host_organisation_id", 0, F_ORG, false, false},
    {"programme", 200, F_TEXT, false, false},
    {"city", 200, F_TEXT, false, false},
    {"country", 100, F_TEXT, false, false},
    {"online", 0, F_BOOL, false, true},
    {"timezone", 64, F_TZ, false, true},
    {"date_label", 100, F_TEXT, false, false},
    {"starts_on", 0, F_DATE, false, false},
    {"ends_on", 0, F_DATE, false, false},
    {"start_time", 0, F_TIME, false, false},
    {"end_time", 0, F_TIME, false, false},
    {"capacity", 100000, F_INT, false, false},
    {"per_org_limit", 10000, F_INT, false, false},
    {"registration_opens_at", 0, F_TIMESTAMP, false, false},
    {"registration_closes_at", 0, F_TIMESTAMP, false, false},
    {"mode", 0, F_ENUM_MODE, true, true},
    {"external_url", 1000, F_URL, false, false},
};

/* Routes that take no body refuse any member of one. */
static const char *const no_members[] = {NULL};

/* Members of an activity that the API shows but a request cannot set. */
static const char *const activity_read_only[] = {
    "id",         "status",     "seats_left", "period_start",  "period_end",      "created_by",
    "created_at", "updated_at", "questions",  "my_enrollment", "confirmed_count", NULL};

struct column_values {
    const char *names[ARRAY_LEN(fields)];
    const char *values[ARRAY_LEN(fields)]; /* NULL: SQL NULL */
    int n;
};

static bool valid_slug(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 80 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              (ch == '-' && s[i + 1] != '-')))
            return false;
    }
    return true;
}

/* "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with "Z" or a "+HH:MM" / "-HH:MM"
 * offset (what the pages send: Date.toISOString). */
static bool valid_timestamp(const char *s)
{
    char date[11];
    size_t n = strlen(s);
    if (n < 17 || (s[10] != 'T' && s[10] != ' '))
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    char hm[6];
    memcpy(hm, s + 11, 5);
    hm[5] = '\0';
    if (!valid_date(date) || !valid_time(hm))
        return false;
    const char *p = s + 16;
    if (p[0] == ':') {
        if (!(p[1] >= '0' && p[1] <= '5' && p[2] >= '0' && p[2] <= '9'))
            return false;
        p += 3;
        if (p[0] == '.') {
            p++;
            size_t digits = 0;
            while (*p >= '0' && *p <= '9' && digits < 9) {
                p++;
                digits++;
            }
            if (digits == 0)
                return false;
        }
    }
    if (str_eq(p, "Z"))
        return true;
    if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':')
        return false;
    char offset[6] = {p[1], p[2], ':', p[4], p[5], '\0'};
    return valid_time(offset);
}

static bool valid_kind(const char *s)
{
    return in_list(s, kinds, ARRAY_LEN(kinds));
}

static bool valid_mode(const char *s)
{
    return in_list(s, modes, ARRAY_LEN(modes));
}

static bool valid_section(const char *s)
{
    return in_list(s, sections, ARRAY_LEN(sections));
}

static bool valid_http_url(const char *s)
{
    return str_starts_with(s, "https://") || str_starts_with(s, "http://");
}

/* What a text field of each type must look like, and the message when it
 * does not (time zones are looked up in the database: read_fields). */
static const struct format {
    bool (*valid)(const char *text);
    const char *problem;
} formats[] = {
    [F_ENUM_KIND] = {valid_kind, "Unknown kind of activity."},
    [F_ENUM_MODE] = {valid_mode, "Use open, approval, invitation or external."},
    [F_ENUM_SECTION] = {valid_section, "Use citynet or partner."},
    [F_DATE] = {valid_date, "Use a date like 2023-04-24."},
    [F_TIME] = {valid_time, "Use a time like 09:30."},
    [F_URL] = {valid_http_url, "Use an http:// or https:// address."},
    [F_SLUG] = {valid_slug, "Use lowercase letters, digits and single hyphens."},
    [F_TIMESTAMP] = {valid_timestamp, "Use a date and time like 2023-04-24T09:00:00+09:00."},
};

/* The names of the fields (the members a body may carry), NULL-ended. */
static const char *const *field_names(void)
{
    static const char *names[ARRAY_LEN(fields) + 1];
    if (names[0] == NULL) {
        for (size_t i = 0; i < ARRAY_LEN(fields); i++)
            names[i] = fields[i].name;
    }
    return names;
}

/* Reads the activity fields present in x->body into cv (text forms for
 * SQL), recording field errors in x->f. Request-scoped strings. 0, or -1
 * after answering a database error (the time zone lookup). */
static int read_fields(struct api_ctx *x, bool create, struct column_values *cv)
{
    struct http_req *req = x->req;
    json_t *body = x->body;
    struct api_fields *f = &x->f;
    cv->n = 0;
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        const struct field *fd = &fields[i];
        json_t *v = json_object_get(body, fd->name);
        if (v == NULL) {
            if (create && fd->required)
                api_field_error(f, fd->name, "required", "This field is required.");
            continue;
        }
        const char *text = NULL;
        if (json_is_null(v)) {
            if (fd->required || fd->not_null) {
                api_field_error(f, fd->name, "required", "This field cannot be empty.");
                continue;
            }
        } else {
            switch (fd->type) {
            case F_TEXT:
            case F_LONGTEXT:
            case F_URL:
            case F_SLUG:
            case F_TZ:
            case F_DATE:
            case F_TIME:
            case F_TIMESTAMP:
            case F_ENUM_KIND:
            case F_ENUM_MODE:
            case F_ENUM_SECTION:
                text = api_string(req, body, fd->name, f,
                                  API_TRIM | (fd->type == F_LONGTEXT ? API_MULTILINE : 0),
                                  fd->type == F_LONGTEXT ? 0 : 1, fd->max ? fd->max : 100);
                if (text == NULL)
                    continue;
                break;
            case F_BOOL:
                if (!json_is_boolean(v)) {
                    api_field_error(f, fd->name, "invalid_type", "Must be true or false.");
                    continue;
                }
                text = json_is_true(v) ? "true" : "false";
                break;
            case F_INT:
            case F_ORG: {
                long n = 0;
                if (!api_integer(body, fd->name, f, 0, 1,
                                 fd->type == F_ORG ? (1L << 53) : (long)fd->max, &n))
                    continue;
                text = api_num(req, n);
                break;
            }
            }
            const char *problem = NULL;
            if (fd->type == F_TZ) {
                const char *p[] = {text};
                struct db_result *r = db_run(x->c, st_tz_ok, 1, p);
                if (r == NULL) {
                    api_reply_db_error(req, x->c);
                    return -1;
                }
                if (db_nrows(r) == 0)
                    problem = "Use a time zone name like Asia/Seoul.";
                db_result_free(r);
            } else if (fd->type < ARRAY_LEN(formats) && formats[fd->type].valid != NULL &&
                       !formats[fd->type].valid(text)) {
                problem = formats[fd->type].problem;
            }
            if (problem) {
                api_field_error(f, fd->name, "invalid_format", problem);
                continue;
            }
        }
        cv->names[cv->n] = fd->name;
        cv->values[cv->n] = text;
        cv->n++;
    }
    return 0;
}

/* Makes a slug from the title: ascii letters and digits, hyphens, and a
 * random suffix so two activities never collide. */
static char *slug_from_title(struct http_req *req, const char *title)
{
    char *out = http_alloc(req, 80);
    size_t n = 0;
    bool dash = false;
    for (const unsigned char *p = (const unsigned char *)title; *p && n < 60; p++) {
        unsigned char ch = *p;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (dash && n > 0)
                out[n++] = '-';
            out[n++] = (char)ch;
            dash = false;
        } else {
            dash = true;
        }
    }
    unsigned int rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = (unsigned int)time_mono_ns();
    snprintf(out + n, 80 - n, "%s%04x", n ? "-" : "activity-", rnd & 0xffff);
    return out;
}

/* Recomputes the period the activity's dates or label cover. 1 when done,
 * 0 when there is no such activity, -1 on a database error. */
static int update_period(struct db_conn *c, const char *id)
{
    const char *p[] = {id};
    struct db_result *r = db_run(c, st_period, 1, p);
    if (r == NULL)
        return -1;
    if (db_nrows(r) != 1) {
        db_result_free(r);
        return 0;
    }
    char start[11] = "", end[11] = "";
    const char *starts = db_value(r, 0, 0), *ends = db_value(r, 0, 1), *label = db_value(r, 0, 2);
    int year = (int)strtol(db_value(r, 0, 3), NULL, 10);
    if (starts) {
        snprintf(start, sizeof start, "%s", starts);
        snprintf(end, sizeof end, "%s", ends ? ends : starts);
    } else if (label == NULL || datelabel_parse(label, year, start, end) != 0) {
        start[0] = end[0] = '\0';
    }
    db_result_free(r);
    const char *sp[] = {id, start[0] ? start : NULL, end[0] ? end : NULL};
    struct db_result *u = db_run(c, st_set_period, 3, sp);
    db_result_free(u);
    return u ? 1 : -1;
}

/* Answers a failed INSERT/UPDATE of an activity. The unique slug and the
 * checks across columns (activities_check*: an end before its start) are
 * named here; every other constraint violation goes to the one error map
 * (422 on its column). */
static void reply_write_error(struct api_ctx *x)
{
    const char *state = db_error_state(x->c);
    const char *constraint = db_error_constraint(x->c);
    if (str_eq(state, "23505") && str_eq(constraint, "activities_slug_key"))
        api_field_error(&x->f, "slug", "taken", "Another activity already uses this slug.");
    else if (str_eq(state, "23503") && str_eq(constraint, "activities_host_organisation_id_fkey"))
        api_field_error(&x->f, "host_organisation_id", "not_found", "No such organisation.");
    else if (str_eq(state, "23514") && str_starts_with(constraint, "activities_check"))
        api_field_error(&x->f, "ends_on", "end_before_start",
                        "The end (dates, times or registration window) comes before the start.");
    if (api_check(x) == 0)
        api_reply_db_error(x->req, x->c);
}

static void reply_activity(struct api_ctx *x, const char *id, int status)
{
    const char *p[] = {id, "0", "true"};
    api_reply_row_json(x->req, x->c, db_run(x->c, st_detail, 3, p), status, "activity");
}

/* Offers the seats a change made (more capacity, a higher or no
 * organisation limit) to the waiting list, in the caller's transaction
 * (the UPDATE holds the row lock). The mail carries the calendar file of
 * the activity as it is now, read past the cache. 0 or -1. */
static int promote_after_change(struct api_ctx *x, const char *id)
{
    const char *p[] = {id};
    struct db_result *r = db_run(x->c, st_enrol_info, 1, p);
    if (r == NULL)
        return -1;
    json_t *info = db_value(r, 0, 0) ? json_loads(db_value(r, 0, 0), 0, NULL) : NULL;
    db_result_free(r);
    strbuf ics;
    strbuf_init(&ics, 256 * 1024);
    bool has_ics = info && activities_ics(&ics, info, api_app(x->req)->cfg->base_url) == 0;
    json_decref(info);
    const char *pp[] = {id, has_ics ? strbuf_cstr(&ics) : NULL, api_app(x->req)->cfg->base_url};
    struct db_result *pr = db_run(x->c, st_promote, 3, pp);
    strbuf_free(&ics);
    db_result_free(pr);
    return pr ? 0 : -1;
}

/* Builds "INSERT INTO activities (created_by, cols...) VALUES ($1, ...)" or
 * "UPDATE activities SET col = $2, ... WHERE id = $1", both RETURNING id,
 * with params[0] the creator or the id. */
static char *write_sql(const struct column_values *cv, bool create)
{
    strbuf sql;
    strbuf_init(&sql, 0);
    if (create) {
        strbuf_puts(&sql, "INSERT INTO activities (created_by");
        for (int i = 0; i < cv->n; i++)
            strbuf_printf(&sql, ", %s", cv->names[i]);
        strbuf_puts(&sql, ") VALUES ($1");
        for (int i = 0; i < cv->n; i++)
            strbuf_printf(&sql, ", $%d", i + 2);
        strbuf_puts(&sql, ")");
    } else {
        strbuf_puts(&sql, "UPDATE activities SET ");
        for (int i = 0; i < cv->n; i++)
            strbuf_printf(&sql, "%s%s = $%d", i ? ", " : "", cv->names[i], i + 2);
        strbuf_puts(&sql, " WHERE id = $1");
    }
    strbuf_puts(&sql, " RETURNING id");
    char *out = xstrdup(strbuf_cstr(&sql));
    strbuf_free(&sql);
    return out;
}

/*
 * POST /api/activities and PATCH /api/activities/{id}: one transaction
 * writes the row, its period, the waiting list's promotions (an edit may
 * add seats) and the audit entry.
 */
void activities_write(struct http_req *req)
{
    bool create = str_eq(http_method(req), "POST");
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, field_names(), activity_read_only) != 0)
        goto out;
    struct column_values cv;
    if (read_fields(&x, create, &cv) != 0 || api_check(&x) != 0)
        goto out;
    if (create) {
        const char *title = NULL;
        bool has_slug = false;
        for (int i = 0; i < cv.n; i++) {
            has_slug |= str_eq(cv.names[i], "slug");
            if (str_eq(cv.names[i], "title"))
                title = cv.values[i];
        }
        if (!has_slug) {
            cv.names[cv.n] = "slug";
            cv.values[cv.n] = slug_from_title(req, title ? title : "activity");
            cv.n++;
        }
    }
    const char *id = create ? NULL : http_param(req, "id");
    const char *params[ARRAY_LEN(fields) + 2];
    params[0] = create ? api_num(req, x.me->id) : id;
    for (int i = 0; i < cv.n; i++)
        params[i + 1] = cv.values[i];
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    if (create || cv.n > 0) {
        char *sql = write_sql(&cv, create);
        struct db_result *r = db_query(x.c, sql, cv.n + 1, params);
        free(sql);
        if (r == NULL) {
            reply_write_error(&x);
            db_rollback(x.c);
            goto out;
        }
        if (db_nrows(r) == 1)
            id = http_strdup(req, db_value(r, 0, 0));
        else
            id = NULL;
        db_result_free(r);
        if (id == NULL) {
            db_rollback(x.c);
            api_reply_not_found(req, "activity");
            goto out;
        }
    }
    int found = update_period(x.c, id);
    if (found == 0) {
        db_rollback(x.c);
        api_reply_not_found(req, "activity");
        goto out;
    }
    if (found < 0 || (!create && promote_after_change(&x, id) != 0) ||
        audit_log(x.c, req, x.me->id, create ? "activity.created" : "activity.updated", "activity",
                  id, NULL) != 0 ||
        db_commit(x.c) != 0) {
        api_fail_tx(&x);
        goto out;
    }
    reply_activity(&x, id, create ? 201 : 200);
out:
    api_end(&x);
}

/*
 * Opens the transaction of a status change of activity id and locks its
 * row, so that a missing activity is told from one in the wrong status.
 * 0 with the transaction open, or -1 after answering 404 or the database
 * error (transaction closed).
 */
static int begin_on_activity(struct api_ctx *x, const char *id)
{
    const char *p[] = {id};
    struct db_result *r = NULL;
    if (db_begin(x->c) != 0 || (r = db_run(x->c, st_lock, 1, p)) == NULL) {
        api_reply_db_error(x->req, x->c); /* before the rollback clears the error */
        db_rollback(x->c);
        return -1;
    }
    bool found = db_nrows(r) == 1;
    db_result_free(r);
    if (!found) {
        db_rollback(x->c);
        api_reply_not_found(x->req, "activity");
        return -1;
    }
    return 0;
}

void activities_publish(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, no_members, NULL) != 0 || api_check(&x) != 0)
        goto out;
    const char *p[] = {http_param(req, "id")};
    if (begin_on_activity(&x, p[0]) != 0)
        goto out;
    struct db_result *r = db_run(x.c, st_publish, 1, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    bool done = db_nrows(r) == 1;
    db_result_free(r);
    if (!done) {
        db_rollback(x.c);
        http_reply_error(req, 409, "invalid_transition", "Only a draft activity can be published.");
        goto out;
    }
    if (api_audit_commit(&x, "activity.published", "activity", p[0], NULL) != 0)
        goto out;
    reply_activity(&x, p[0], 200);
out:
    api_end(&x);
}

void activities_cancel(struct http_req *req)
{
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, no_members, NULL) != 0 || api_check(&x) != 0)
        goto out;
    const char *p[] = {http_param(req, "id"), api_app(req)->cfg->base_url};
    if (begin_on_activity(&x, p[0]) != 0)
        goto out;
    /* convene_activity_cancel raises invalid_transition unless published. */
    struct db_result *r = db_run(x.c, st_cancel, 2, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    details = json_pack("{s:I}", "told", (json_int_t)strtoll(db_value(r, 0, 0), NULL, 10));
    db_result_free(r);
    if (api_audit_commit(&x, "activity.cancelled", "activity", p[0], details) != 0)
        goto out;
    reply_activity(&x, p[0], 200);
out:
    json_decref(details);
    api_end(&x);
}

/* ---- Questions ---- */

static const char *const question_kinds[] = {"text", "single_choice", "multiple_choice", "yes_no",
                                             NULL};

static const char *const question_members[] = {"id",      "kind",       "label", "required",
                                               "choices", "max_length", NULL};

static const struct question_rules registration_questions = {
    .kinds = question_kinds,
    .kinds_message = "Use text, single_choice, multiple_choice or yes_no.",
    .members = question_members,
};

/*
 * PUT /api/activities/{id}/questions: one statement deletes the questions
 * not listed, updates those with an id of this activity, inserts the new
 * ones in the order given, and answers the list as it is now.
 */
void activities_questions_put(struct http_req *req)
{
    static const char *const allowed[] = {"questions", NULL};
    char *text = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    json_t *list = json_object_get(x.body, "questions");
    if (!json_is_array(list) || json_array_size(list) > 50) {
        api_field_error(&x.f, "questions", list ? "invalid_type" : "required",
                        "Send a list of at most 50 questions.");
    } else {
        size_t i;
        json_t *q;
        json_array_foreach(list, i, q)
        {
            api_check_question(&x.f, i, q, &registration_questions);
        }
    }
    if (api_check(&x) != 0)
        goto out;
    text = json_dumps(list, JSON_COMPACT);
    const char *p[] = {http_param(req, "id"), text};
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_questions_put, 2, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    bool found = str_eq(db_value(r, 0, 0), "1");
    bool ids_ok = str_eq(db_value(r, 0, 1), db_value(r, 0, 2));
    db_result_free(r);
    if (!found || !ids_ok) {
        db_rollback(x.c);
        if (!found)
            api_reply_not_found(req, "activity");
        else
            http_reply_error(req, 422, "validation_failed",
                             "A question id does not belong to this activity.");
        goto out;
    }
    if (api_audit_commit(&x, "activity.questions_changed", "activity", p[0], NULL) != 0)
        goto out;
    api_reply_member_json(req, x.c, db_run(x.c, st_questions, 1, p), "questions");
out:
    free(text);
    api_end(&x);
}

void activities_statements(void)
{
    calendar_statements();
    enrol_statements();
    exports_statements();
    messages_statements();
}
