/*
 * checkin.c - check-in at the door: every registration of an activity
 * with its days attended and the counts expected / arrived per day (one
 * list for the staff page, searched in the browser), marking and
 * unmarking one day of one registration, and how many days make
 * "attended".
 *
 * The rule lives in PostgreSQL (convene_checkin_mark and
 * convene_checkin_set_needed, sql/migrations/0015_checkin.sql): a day
 * recorded or removed and the registration's status recomputed between
 * confirmed and attended, under the activity's row lock, in one
 * statement; the audit row is written in the same transaction.
 */
#include "activities/activities.h"
#include "activities/internal.h"
#include "api/api.h"
#include "api/audit.h"
#include "api/auth.h"
#include "base/util.h"
#include "db/db.h"
#include "http/http.h"

#include <stdlib.h>

/* The most days an activity has for check-in (as in the migration). */
#define CHECKIN_MAX_DAYS 366

static int st_list = -1, st_mark = -1, st_needed = -1;

void checkin_statements(void)
{
    st_list = db_register(
        "chk_list",
        "WITH a AS (SELECT x.id, x.title, x.status, x.starts_on, "
        "  convene_activity_days(x.starts_on, x.ends_on) AS n, "
        "  (SELECT s.days_needed FROM checkin_settings s WHERE s.activity_id = x.id) AS needed "
        " FROM activities x WHERE x.id = $1) "
        "SELECT json_build_object("
        " 'activity', json_build_object('id', a.id, 'title', a.title, 'status', a.status, "
        "  'days', (SELECT json_agg(json_build_object('day', g, 'date', a.starts_on + g - 1) "
        "   ORDER BY g) FROM generate_series(1, a.n) g), "
        "  'days_needed', a.needed, 'needed', convene_checkin_needed(a.id, a.n)), "
        " 'counts', convene_checkin_counts(a.id), "
        " 'items', (SELECT coalesce(json_agg(json_build_object('id', e.id, "
        "   'account_id', e.account_id, 'name', acc.name, 'email', acc.email, "
        "   'organisation', o.name, 'status', e.status, "
        "   'days', coalesce((SELECT json_agg(d.day ORDER BY d.day) FROM attendance d "
        "     WHERE d.enrollment_id = e.id AND d.day <= a.n), '[]')) "
        "   ORDER BY lower(acc.name), e.id), '[]') "
        "  FROM enrollments e JOIN accounts acc ON acc.id = e.account_id "
        "  LEFT JOIN organisations o ON o.id = coalesce(e.organisation_id, acc.organisation_id) "
        "  WHERE e.activity_id = a.id))::text "
        "FROM a");
    st_mark = db_register("chk_mark", "SELECT convene_checkin_mark($1, $2, $3, $4)::text");
    st_needed = db_register("chk_needed", "SELECT convene_checkin_set_needed($1, $2, $3)::text");
}

void checkin_list(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    /* No row (404) when the activity does not exist. */
    const char *p[] = {http_param(req, "id")};
    api_reply_row_json(req, x.c, db_run(x.c, st_list, 1, p), 200, "activity");
out:
    api_end(&x);
}

/* Runs statement st with parameters p in a transaction and answers its
 * JSON object; when the object's "changed" member is not false, writes the
 * audit row (action on target) in the same transaction. */
static void run_audited(struct api_ctx *x, int st, int n, const char *const *p, const char *action,
                        const char *target_type, const char *target_id, json_t *details)
{
    json_t *res = NULL;
    if (db_begin(x->c) != 0) {
        api_reply_db_error(x->req, x->c);
        return;
    }
    struct db_result *r = db_run(x->c, st, n, p);
    if (r == NULL) {
        api_fail_tx(x);
        return;
    }
    res = json_loads(db_value(r, 0, 0), 0, NULL);
    db_result_free(r);
    if (res == NULL) {
        db_rollback(x->c);
        http_reply_error(x->req, 500, "server_error",
                         "Something went wrong on our side; the request was not completed.");
        return;
    }
    if (!json_is_false(json_object_get(res, "changed"))) {
        if (api_audit_commit(x, action, target_type, target_id, details) != 0) {
            json_decref(res);
            return;
        }
    } else if (db_commit(x->c) != 0) {
        api_reply_db_error(x->req, x->c);
        json_decref(res);
        return;
    }
    http_reply_json(x->req, 200, res);
}

/* PUT (present) and DELETE (not) /api/enrollments/{id}/attendance/{day}. */
static void mark(struct http_req *req, bool present)
{
    static const char *const nothing[] = {NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, nothing, NULL) != 0 || api_check(&x) != 0)
        goto out;
    long day = strtol(http_param(req, "day"), NULL, 10);
    if (day < 1 || day > CHECKIN_MAX_DAYS) {
        http_reply_error(req, 404, "not_found", "The activity has no such day.");
        goto out;
    }
    const char *id = http_param(req, "id");
    const char *p[] = {id, api_num(req, day), present ? "true" : "false", api_num(req, x.me->id)};
    details = json_pack("{s:I}", "day", (json_int_t)day);
    run_audited(&x, st_mark, 4, p, present ? "enrollment.checked_in" : "enrollment.checkin_undone",
                "enrollment", id, details);
out:
    json_decref(details);
    api_end(&x);
}

void checkin_mark(struct http_req *req)
{
    mark(req, true);
}

void checkin_unmark(struct http_req *req)
{
    mark(req, false);
}

void checkin_set_needed(struct http_req *req)
{
    static const char *const allowed[] = {"days_needed", NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    /* A number of days, or null for all of them; the member is required. */
    json_t *v = json_object_get(x.body, "days_needed");
    long needed = 0;
    if (v == NULL)
        api_field_error(&x.f, "days_needed", "required",
                        "Give the number of days that make attended, or null for all days.");
    else if (!json_is_null(v))
        api_integer(x.body, "days_needed", &x.f, API_REQUIRED, 1, CHECKIN_MAX_DAYS, &needed);
    if (api_check(&x) != 0)
        goto out;
    const char *act = http_param(req, "id");
    const char *p[] = {act, needed > 0 ? api_num(req, needed) : NULL, api_num(req, x.me->id)};
    details = needed > 0 ? json_pack("{s:I}", "days_needed", (json_int_t)needed)
                         : json_pack("{s:n}", "days_needed");
    run_audited(&x, st_needed, 3, p, "activity.checkin_days_set", "activity", act, details);
out:
    json_decref(details);
    api_end(&x);
}
