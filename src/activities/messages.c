/*
 * messages.c - staff messages to the participants of an activity, chosen
 * by the status of their registration: how many a choice reaches, sending
 * (one email per recipient in their language, through the outbox), and
 * the activity's history of messages.
 *
 * The history row and the outbox rows are written by one SQL function
 * (convene_send_activity_message, sql/migrations/0014_messages.sql) in one
 * transaction with the audit row. A repeated request with the same
 * idempotency key (the Idempotency-Key header or the "key" member) answers
 * the first message and queues nothing: a unique constraint decides, so a
 * double click or two requests at once send once.
 */
#include "activities/activities.h"
#include "activities/internal.h"
#include "api/api.h"
#include "api/app.h"
#include "api/audit.h"
#include "api/auth.h"
#include "base/config.h"
#include "base/util.h"
#include "db/db.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_recipients = -1, st_send = -1, st_history = -1;

void messages_statements(void)
{
    st_recipients = db_register(
        "msg_recipients",
        "SELECT json_build_object('count', count(*), 'names', "
        " coalesce((array_agg(r.name ORDER BY r.name, r.account_id))[1:10], '{}'))::text "
        "FROM convene_message_recipients($1, $2::text[]) r "
        "HAVING EXISTS (SELECT 1 FROM activities WHERE id = $1)");
    st_send = db_register("msg_send", "SELECT message_id, recipients, created FROM "
                                      "convene_send_activity_message($1, $2::text[], $3, $4, "
                                      "$5, $6, $7)");
    st_history = db_register(
        "msg_history",
        "SELECT json_build_object('items', coalesce(json_agg(json_build_object('id', m.id, "
        " 'statuses', m.statuses, 'subject', m.subject, 'body', m.body, 'sent_by', "
        " CASE WHEN acc.id IS NULL THEN NULL ELSE json_build_object('id', acc.id, 'name', "
        " acc.name) END, 'sent_at', m.sent_at, 'recipients', m.recipients) "
        " ORDER BY m.sent_at DESC, m.id DESC) FILTER (WHERE m.id IS NOT NULL), '[]'))::text "
        "FROM activity_messages m LEFT JOIN accounts acc ON acc.id = m.sent_by "
        "WHERE m.activity_id = $1 "
        "HAVING EXISTS (SELECT 1 FROM activities WHERE id = $1)");
}

/* The statuses a message may be sent to, in the order the array is stored
 * (so the same choice is the same array however it was sent). */
static const char *const statuses[] = {"confirmed", "waitlisted", "pending_approval", "attended"};
#define STATUS_LIST "confirmed, waitlisted, pending_approval or attended"

static int status_index(const char *s)
{
    for (size_t i = 0; i < ARRAY_LEN(statuses); i++) {
        if (str_eq(s, statuses[i]))
            return (int)i;
    }
    return -1;
}

/* The chosen statuses (chosen[i] for statuses[i]) as a PostgreSQL array
 * literal (request-scoped), NULL when none is chosen. */
static const char *status_array(struct http_req *req, const bool *chosen)
{
    char buf[128] = "{";
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(statuses); i++) {
        if (!chosen[i])
            continue;
        if (n++ > 0)
            strcat(buf, ",");
        strcat(buf, statuses[i]);
    }
    strcat(buf, "}");
    return n > 0 ? http_strdup(req, buf) : NULL;
}

/* Reads ?status= (repeatable) into a statuses array literal. NULL after
 * answering 400 (none, or one that is not a known status). */
static const char *query_statuses(struct http_req *req)
{
    bool chosen[ARRAY_LEN(statuses)] = {false};
    char v[32];
    for (size_t nth = 0;; nth++) {
        int n = http_query_at(req, "status", nth, v, sizeof v);
        if (n == HTTP_QUERY_ABSENT)
            break;
        int k = n > 0 ? status_index(v) : -1;
        if (k < 0 || nth >= 16) {
            http_reply_error(req, 400, "bad_request",
                             "status must be " STATUS_LIST " (repeat it for several).");
            return NULL;
        }
        chosen[k] = true;
    }
    const char *arr = status_array(req, chosen);
    if (arr == NULL)
        http_reply_error(req, 400, "bad_request",
                         "Choose at least one status: " STATUS_LIST " (repeat it for several).");
    return arr;
}

/* Reads the body's "statuses" into an array literal; NULL when invalid
 * (the problem recorded in f). */
static const char *body_statuses(struct http_req *req, json_t *body, struct api_fields *f)
{
    json_t *a = json_object_get(body, "statuses");
    if (a == NULL || json_is_null(a)) {
        api_field_error(f, "statuses", "required", "Choose at least one status.");
        return NULL;
    }
    if (!json_is_array(a)) {
        api_field_error(f, "statuses", "invalid_type", "Send the statuses as an array.");
        return NULL;
    }
    bool chosen[ARRAY_LEN(statuses)] = {false};
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s)
    {
        int k = json_is_string(s) ? status_index(json_string_value(s)) : -1;
        if (k < 0) {
            api_field_error(f, "statuses", "invalid_choice",
                            "Each status must be " STATUS_LIST ".");
            return NULL;
        }
        chosen[k] = true;
    }
    const char *arr = status_array(req, chosen);
    if (arr == NULL)
        api_field_error(f, "statuses", "required", "Choose at least one status.");
    return arr;
}

/* Reads a string of 1 to max_chars characters (multiline when asked). */
static const char *text_member(struct http_req *req, json_t *body, const char *key,
                               struct api_fields *f, unsigned flags, size_t max_chars)
{
    const char *s = api_string(req, body, key, f, API_REQUIRED | flags, 1, max_chars * 4);
    if (s != NULL && api_utf8_chars(s) > max_chars) {
        char msg[64];
        snprintf(msg, sizeof msg, "Must be at most %zu characters long.", max_chars);
        api_field_error(f, key, "too_long", msg);
        return NULL;
    }
    return s;
}

static bool key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = k[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* The idempotency key: the Idempotency-Key header or the "key" member
 * (both: the same). NULL when there is none or it is invalid (recorded). */
static const char *idempotency_key(struct api_ctx *x)
{
    const char *header = http_header(x->req, "Idempotency-Key");
    json_t *v = json_object_get(x->body, "key");
    const char *member = NULL;
    if (v != NULL && !json_is_null(v)) {
        member = json_string_value(v);
        if (member == NULL || strlen(member) != json_string_length(v)) {
            api_field_error(&x->f, "key", "invalid_type", "Must be a string.");
            return NULL;
        }
    }
    if (header != NULL && member != NULL && !str_eq(header, member)) {
        api_field_error(&x->f, "key", "invalid_format",
                        "The Idempotency-Key header and the key member differ.");
        return NULL;
    }
    const char *k = member ? member : header;
    if (k != NULL && !key_ok(k)) {
        api_field_error(&x->f, "key", "invalid_format",
                        "Use 1 to 100 letters, digits, '.', '_', ':' or '-'.");
        return NULL;
    }
    return k;
}

void messages_recipients(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *arr = query_statuses(req);
    if (arr == NULL)
        goto out;
    const char *p[] = {http_param(req, "id"), arr};
    api_reply_row_json(req, x.c, db_run(x.c, st_recipients, 2, p), 200, "activity");
out:
    api_end(&x);
}

void messages_send(struct http_req *req)
{
    static const char *const allowed[] = {"statuses", "subject", "body", "key", NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    const char *arr = body_statuses(req, x.body, &x.f);
    const char *subject = text_member(req, x.body, "subject", &x.f, API_TRIM, 200);
    const char *text = text_member(req, x.body, "body", &x.f, API_MULTILINE, 10000);
    const char *key = idempotency_key(&x);
    if (api_check(&x) != 0)
        goto out;
    const char *act = http_param(req, "id");
    const char *p[] = {
        act, arr, subject, text, key, api_num(req, x.me->id), api_app(req)->cfg->base_url};
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_send, 7, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    json_int_t id = strtoll(db_value(r, 0, 0), NULL, 10);
    json_int_t n = strtoll(db_value(r, 0, 1), NULL, 10);
    bool created = str_eq(db_value(r, 0, 2), "t");
    db_result_free(r);
    if (created) {
        details = json_pack("{s:I,s:I}", "message_id", id, "recipients", n);
        if (api_audit_commit(&x, "activity.message_sent", "activity", act, details) != 0)
            goto out;
    } else if (db_commit(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    http_reply_json(req, created ? 201 : 200,
                    json_pack("{s:I,s:I,s:b}", "id", id, "recipients", n, "created", created));
out:
    json_decref(details);
    api_end(&x);
}

void messages_history(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *p[] = {http_param(req, "id")};
    api_reply_row_json(req, x.c, db_run(x.c, st_history, 1, p), 200, "activity");
out:
    api_end(&x);
}
