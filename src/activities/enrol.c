/*
 * enrol.c - registering for activities: enrol (with answers to the
 * activity's questions), cancel one's own registration, one's registrations
 * list, and the staff side: the registrations of an activity, approve,
 * reject, promote, move back to the waiting list, mark attended, register
 * someone on their behalf.
 *
 * Capacity, per-organisation limits and the waiting list are decided in
 * PostgreSQL (convene_enroll, convene_enrollment_action) under the
 * activity's row lock, together with the email, in one statement.
 */
#include "activities/activities.h"

#include "activities/internal.h"
#include "api/api.h"
#include "api/questions.h"
#include "api/app.h"
#include "api/audit.h"
#include "api/auth.h"
#include "base/config.h"
#include "db/db.h"
#include "http/http.h"
#include "base/log.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_enroll = -1, st_cancel_own = -1, st_action = -1, st_list = -1, st_mine = -1,
           st_enrollment_activity = -1, st_account_exists = -1, st_bulk = -1;

void enrol_statements(void)
{
    st_enroll = db_register("enr_enroll", "SELECT enrollment_id, status, waitlist_position, "
                                          "created FROM convene_enroll($1, $2, $3::jsonb, $4, "
                                          "$5, $6)");
    st_cancel_own = db_register(
        "enr_cancel_own", "SELECT convene_enrollment_action(id, 'cancel', $2, false, $3, $4) FROM "
                          "enrollments "
                          "WHERE activity_id = $1 AND account_id = $2");
    st_action = db_register("enr_action", "SELECT status, over_limit FROM "
                                          "convene_enrollment_action($1, $2, $3, $4, $5, $6)");
    /* $5: the search (name, email or organisation, any case). counts are
     * the facet over every status, with the search but without ?status=. */
    st_list = db_register(
        "enr_list",
        "WITH s AS (SELECT e.*, a.name, a.email, o.name AS org "
        " FROM enrollments e JOIN accounts a ON a.id = e.account_id "
        " LEFT JOIN organisations o ON o.id = e.organisation_id "
        " WHERE e.activity_id = $1 AND ($5::text IS NULL OR strpos(lower(concat_ws(' ', "
        "   a.name, a.email::text, o.name)), lower($5)) > 0)), "
        "f AS (SELECT s.*, count(*) OVER () AS total FROM s "
        " WHERE ($2::text IS NULL OR s.status = $2) "
        " ORDER BY CASE s.status WHEN 'waitlisted' THEN 1 ELSE 0 END, s.waitlist_seq, "
        "  s.created_at, s.id LIMIT $3 OFFSET $4) "
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object('id', f.id, "
        " 'account_id', f.account_id, 'name', f.name, 'email', f.email, 'organisation', f.org, "
        " 'status', f.status, 'waitlist_position', CASE WHEN f.status = 'waitlisted' THEN "
        "   (SELECT count(*) + 1 FROM enrollments w WHERE w.activity_id = f.activity_id AND "
        "    w.status = 'waitlisted' AND w.waitlist_seq < f.waitlist_seq) END, "
        " 'answers', f.answers, 'registered_at', f.created_at, 'updated_at', f.updated_at) "
        " ORDER BY CASE f.status WHEN 'waitlisted' THEN 1 ELSE 0 END, f.waitlist_seq, "
        " f.created_at, f.id), '[]'), "
        " 'total', coalesce(max(f.total), (SELECT count(*) FROM s "
        "   WHERE $2::text IS NULL OR s.status = $2)), "
        " 'counts', (SELECT json_object_agg(k.st, (SELECT count(*) FROM s "
        "   WHERE s.status = k.st) ORDER BY k.n) FROM unnest(ARRAY['pending_approval', "
        "   'confirmed', 'waitlisted', 'attended', 'rejected', 'cancelled']) WITH ORDINALITY "
        "   AS k(st, n)))::text FROM f "
        "HAVING EXISTS (SELECT 1 FROM activities WHERE id = $1)");
    st_bulk = db_register("enr_bulk", "SELECT r_id, r_status, r_over_limit, r_error FROM "
                                      "convene_enrollment_bulk($1, $2::bigint[], $3, $4, $5, $6)");
    st_mine = db_register(
        "enr_mine",
        "SELECT coalesce(json_agg(json_build_object('id', e.id, 'status', e.status, "
        " 'waitlist_position', CASE WHEN e.status = 'waitlisted' THEN (SELECT count(*) + 1 "
        "   FROM enrollments w WHERE w.activity_id = e.activity_id AND w.status = 'waitlisted' "
        "   AND w.waitlist_seq < e.waitlist_seq) END, "
        " 'registered_at', e.created_at, 'answers', e.answers, 'activity', v.item) "
        " ORDER BY v.sort_start NULLS LAST, e.id), '[]')::text "
        "FROM enrollments e JOIN activity_items v ON v.id = e.activity_id "
        "WHERE e.account_id = $1");
    st_enrollment_activity =
        db_register("enr_activity", "SELECT activity_id FROM enrollments WHERE id = $1");
    st_account_exists =
        db_register("enr_account_exists", "SELECT email_verified_at IS NOT NULL FROM accounts "
                                          "WHERE id = $1 AND disabled_at IS NULL");
}

/* ---- Answers ---- */

/* ---- Shared steps ---- */

/* The activity's enrolment data (see activities_enrol_info), or NULL after
 * answering 404 (no such activity) or the database error. */
static json_t *enrol_info_or_reply(struct api_ctx *x, long activity)
{
    int failed = 0;
    json_t *info = activities_enrol_info(x->c, activity, &failed);
    if (info == NULL) {
        if (failed)
            api_reply_db_error(x->req, x->c);
        else
            api_reply_not_found(x->req, "activity");
    }
    return info;
}

/* The activity's calendar file for the confirmation mail (request-scoped),
 * or NULL when it has no exact dates (info may be NULL). */
static const char *ics_text(struct http_req *req, json_t *info)
{
    if (info == NULL)
        return NULL;
    strbuf ics;
    strbuf_init(&ics, 256 * 1024);
    const char *out = NULL;
    if (activities_ics(&ics, info, api_app(req)->cfg->base_url) == 0)
        out = http_strdup(req, strbuf_cstr(&ics));
    strbuf_free(&ics);
    return out;
}

/* ---- Enrol ---- */

/* Records not_found on account_id unless account is an enabled account.
 * 0, or -1 after answering a database error. */
static int check_account(struct api_ctx *x, long account)
{
    const char *p[] = {api_num(x->req, account)};
    struct db_result *r = db_run(x->c, st_account_exists, 1, p);
    if (r == NULL) {
        api_reply_db_error(x->req, x->c);
        return -1;
    }
    if (db_nrows(r) != 1)
        api_field_error(&x->f, "account_id", "not_found", "No such account.");
    db_result_free(r);
    return 0;
}

void enrol_create(struct http_req *req)
{
    static const char *const allowed[] = {"answers", "account_id", NULL};
    json_t *info = NULL, *clean = NULL, *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0 || api_body(&x, false, allowed, NULL) != 0)
        goto out;
    long activity = strtol(http_param(req, "id"), NULL, 10);
    info = enrol_info_or_reply(&x, activity);
    if (info == NULL)
        goto out;
    /* Staff may register someone else: {"account_id": n}. */
    long account = x.me->id;
    if (json_object_get(x.body, "account_id")) {
        if (!(x.me->roles & (ROLE_STAFF | ROLE_ADMIN))) {
            http_reply_error(req, 403, "forbidden", "Only staff may register someone else.");
            goto out;
        }
        if (api_integer(x.body, "account_id", &x.f, API_REQUIRED, 1, 1L << 53, &account) &&
            account != x.me->id && check_account(&x, account) != 0)
            goto out;
    }
    clean = api_check_answers(json_object_get(info, "questions"),
                              json_object_get(x.body, "answers"), &x.f, false);
    if (api_check(&x) != 0)
        goto out;
    char *answers = json_dumps(clean, JSON_COMPACT);
    const char *act = api_num(req, activity);
    const char *p[] = {act,
                       api_num(req, account),
                       answers,
                       api_num(req, x.me->id),
                       ics_text(req, info),
                       api_app(req)->cfg->base_url};
    struct db_result *r = db_run(x.c, st_enroll, 6, p);
    free(answers);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    bool created = str_eq(db_value(r, 0, 3), "t");
    const char *pos = db_value(r, 0, 2);
    json_t *res = json_pack(
        "{s:I,s:I,s:s,s:o,s:b}", "id", (json_int_t)strtoll(db_value(r, 0, 0), NULL, 10),
        "activity_id", (json_int_t)activity, "status", db_value(r, 0, 1), "waitlist_position",
        pos ? json_integer(strtoll(pos, NULL, 10)) : json_null(), "created", created);
    db_result_free(r);
    if (account != x.me->id && created) {
        details = json_pack("{s:I}", "account_id", (json_int_t)account);
        audit_log(x.c, req, x.me->id, "enrollment.registered_for", "activity", act, details);
    }
    http_reply_json(req, created ? 201 : 200, res);
out:
    json_decref(details);
    json_decref(clean);
    json_decref(info);
    api_end(&x);
}

void enrol_cancel_own(struct http_req *req)
{
    json_t *info = NULL;
    static const char *const nothing[] = {NULL};
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0 || api_body(&x, true, nothing, NULL) != 0 ||
        api_check(&x) != 0)
        goto out;
    info = enrol_info_or_reply(&x, strtol(http_param(req, "id"), NULL, 10));
    if (info == NULL)
        goto out;
    const char *p[] = {http_param(req, "id"), api_num(req, x.me->id), ics_text(req, info),
                       api_app(req)->cfg->base_url};
    struct db_result *r = db_run(x.c, st_cancel_own, 4, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    bool found = db_nrows(r) == 1;
    db_result_free(r);
    if (found)
        http_reply_json(req, 200, json_pack("{s:s}", "status", "cancelled"));
    else
        http_reply_error(req, 404, "not_found", "You are not registered for this activity.");
out:
    json_decref(info);
    api_end(&x);
}

void enrol_mine(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, 0) != 0)
        goto out;
    const char *p[] = {api_num(req, x.me->id)};
    api_reply_member_json(req, x.c, db_run(x.c, st_mine, 1, p), "items");
out:
    api_end(&x);
}

/* ---- Staff ---- */

void enrol_list(struct http_req *req)
{
    /* The caller first: a stranger learns nothing from the query's checks. */
    struct api_ctx x;
    struct api_page pg;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 || api_page_query(req, 100, &pg) != 0)
        goto out;
    char status[24];
    int sn = http_query(req, "status", status, sizeof status);
    static const char *const statuses[] = {"pending_approval", "confirmed", "waitlisted",
                                           "cancelled",        "rejected",  "attended"};
    bool ok = sn == HTTP_QUERY_ABSENT;
    for (size_t i = 0; i < ARRAY_LEN(statuses) && !ok; i++)
        ok = sn > 0 && str_eq(status, statuses[i]);
    if (!ok) {
        http_reply_error(req, 400, "bad_request",
                         "status must be pending_approval, confirmed, waitlisted, cancelled, "
                         "rejected or attended.");
        goto out;
    }
    /* ?q=: 200 characters of any script. */
    char q[600];
    if (api_query_string(req, "q", q, sizeof q) != 0)
        goto out;
    /* No row (404) when the activity does not exist. */
    const char *p[] = {http_param(req, "id"), sn > 0 ? status : NULL, api_num(req, pg.per_page),
                       api_num(req, pg.offset), q[0] ? q : NULL};
    api_reply_row_json(req, x.c, db_run(x.c, st_list, 5, p), 200, "activity");
out:
    api_end(&x);
}

/* The activity of enrolment id; 0 after answering 404 or the database
 * error. */
static long enrollment_activity(struct api_ctx *x, const char *id)
{
    const char *p[] = {id};
    struct db_result *r = db_run(x->c, st_enrollment_activity, 1, p);
    long activity = 0;
    if (r == NULL)
        api_reply_db_error(x->req, x->c);
    else if (db_nrows(r) != 1)
        api_reply_not_found(x->req, "registration");
    else
        activity = strtol(db_value(r, 0, 0), NULL, 10);
    db_result_free(r);
    return activity;
}

void enrol_action(struct http_req *req)
{
    const char *action = http_param(req, "action");
    static const char *const actions[] = {"approve",  "reject",   "promote",
                                          "waitlist", "attended", "cancel"};
    bool known = false;
    for (size_t i = 0; i < ARRAY_LEN(actions); i++)
        known |= str_eq(action, actions[i]);
    if (!known) {
        http_reply_error(req, 404, "not_found",
                         "Unknown action; use approve, reject, promote, waitlist, attended or "
                         "cancel.");
        return;
    }
    /* Approve and promote may go past the organisation's limit, on
     * purpose only: {"override_limit": true}. Other actions take no body. */
    bool may_override = str_eq(action, "approve") || str_eq(action, "promote");
    static const char *const with_override[] = {"override_limit", NULL};
    static const char *const nothing[] = {NULL};
    json_t *info = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, may_override ? with_override : nothing, NULL) != 0)
        goto out;
    json_t *ov = json_object_get(x.body, "override_limit");
    if (ov && !json_is_boolean(ov))
        api_field_error(&x.f, "override_limit", "invalid_type", "Must be true or false.");
    if (api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    long activity = enrollment_activity(&x, id);
    if (activity == 0)
        goto out;
    info = enrol_info_or_reply(&x, activity);
    if (info == NULL)
        goto out;
    const char *p[] = {id,
                       action,
                       api_num(req, x.me->id),
                       json_is_true(ov) ? "true" : "false",
                       ics_text(req, info),
                       api_app(req)->cfg->base_url};
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_action, 6, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    char *status = http_strdup(req, db_value(r, 0, 0));
    bool over = str_eq(db_value(r, 0, 1), "t");
    db_result_free(r);
    char what[48];
    if (over)
        snprintf(what, sizeof what, "enrollment.%s_over_limit",
                 str_eq(action, "approve") ? "approved" : "promoted");
    else
        snprintf(what, sizeof what, "enrollment.%s", action);
    if (api_audit_commit(&x, what, "enrollment", id, NULL) != 0)
        goto out;
    http_reply_json(req, 200,
                    json_pack("{s:I,s:s,s:b}", "id", (json_int_t)strtoll(id, NULL, 10), "status",
                              status, "over_limit", over));
out:
    json_decref(info);
    api_end(&x);
}

/* ---- Several at once ---- */

/* At most this many registrations per bulk request. */
#define BULK_MAX 200

/* Reads {"action": "approve"|"waitlist", "ids": [n, ...]} (distinct ids,
 * 1 to BULK_MAX) into *action and the array text ids ("{1,2}",
 * request-scoped); problems go to x->f. */
static void read_bulk(struct api_ctx *x, const char **action, const char **ids)
{
    *action = NULL;
    *ids = NULL;
    json_t *a = json_object_get(x->body, "action");
    if (a == NULL)
        api_field_error(&x->f, "action", "required", "Choose approve or waitlist.");
    else if (!json_is_string(a))
        api_field_error(&x->f, "action", "invalid_type", "Must be approve or waitlist.");
    else if (!str_eq(json_string_value(a), "approve") && !str_eq(json_string_value(a), "waitlist"))
        api_field_error(&x->f, "action", "invalid_choice", "Must be approve or waitlist.");
    else
        *action = json_string_value(a);
    json_t *list = json_object_get(x->body, "ids");
    if (list == NULL) {
        api_field_error(&x->f, "ids", "required", "Choose at least one registration.");
        return;
    }
    if (!json_is_array(list)) {
        api_field_error(&x->f, "ids", "invalid_type", "Send the registrations' ids as an array.");
        return;
    }
    size_t n = json_array_size(list);
    if (n == 0) {
        api_field_error(&x->f, "ids", "too_short", "Choose at least one registration.");
        return;
    }
    if (n > BULK_MAX) {
        api_field_error(&x->f, "ids", "too_long", "Change at most 200 registrations at once.");
        return;
    }
    strbuf sb;
    strbuf_init(&sb, 32 * BULK_MAX);
    strbuf_printf(&sb, "{");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(list, i);
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : 0;
        bool repeated = false;
        for (size_t k = 0; k < i && id > 0; k++)
            repeated |= json_integer_value(json_array_get(list, k)) == id;
        if (id < 1 || id > ((json_int_t)1 << 53)) {
            api_field_error(&x->f, "ids", "invalid_type",
                            "Every id must be a whole number above zero.");
            break;
        }
        if (repeated) {
            api_field_error(&x->f, "ids", "invalid_format", "Each registration may appear once.");
            break;
        }
        strbuf_printf(&sb, "%s%lld", i ? "," : "", (long long)id);
    }
    strbuf_printf(&sb, "}");
    *ids = http_strdup(x->req, strbuf_cstr(&sb));
    strbuf_free(&sb);
}

void enrol_bulk(struct http_req *req)
{
    static const char *const allowed[] = {"action", "ids", NULL};
    json_t *info = NULL, *results = NULL;
    struct api_ctx x;
    const char *action, *ids;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    read_bulk(&x, &action, &ids);
    if (api_check(&x) != 0)
        goto out;
    long activity = strtol(http_param(req, "id"), NULL, 10);
    info = enrol_info_or_reply(&x, activity);
    if (info == NULL)
        goto out;
    const char *p[] = {
        api_num(req, activity),     ids, action, api_num(req, x.me->id), ics_text(req, info),
        api_app(req)->cfg->base_url};
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_bulk, 6, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    /* Each change done is audit-logged as the single action is. */
    results = json_array();
    long done = 0, failed = 0;
    int rc = 0;
    char what[48];
    snprintf(what, sizeof what, "enrollment.%s", action);
    json_t *details = json_pack("{s:b}", "bulk", 1);
    for (int i = 0; i < db_nrows(r) && rc == 0; i++) {
        const char *id = db_value(r, i, 0);
        json_int_t idn = (json_int_t)strtoll(id, NULL, 10);
        const char *error = db_value(r, i, 3);
        if (error != NULL) {
            failed++;
            json_array_append_new(results, json_pack("{s:I,s:b,s:o}", "id", idn, "ok", 0, "error",
                                                     api_sql_error_object(error)));
            continue;
        }
        done++;
        json_array_append_new(
            results, json_pack("{s:I,s:b,s:s}", "id", idn, "ok", 1, "status", db_value(r, i, 1)));
        rc = audit_log(x.c, req, x.me->id, what, "enrollment", id, details);
    }
    json_decref(details);
    db_result_free(r);
    if (rc != 0) {
        api_fail_tx(&x);
        goto out;
    }
    if (db_commit(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    http_reply_json(req, 200,
                    json_pack("{s:s,s:I,s:I,s:O}", "action", action, "done", (json_int_t)done,
                              "failed", (json_int_t)failed, "results", results));
out:
    json_decref(results);
    json_decref(info);
    api_end(&x);
}
