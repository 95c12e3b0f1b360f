/*
 * api.c - validation, error replies and pagination for handlers. See api.h.
 */
#include "api/api.h"

#include "api/app.h"
#include "db/db.h"
#include "http/http.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Field validation ---- */

void api_fields_init(struct api_fields *f)
{
    f->errors = NULL;
}

void api_fields_free(struct api_fields *f)
{
    json_decref(f->errors);
    f->errors = NULL;
}

void api_field_error(struct api_fields *f, const char *field, const char *code, const char *message)
{
    if (f->errors == NULL)
        f->errors = json_object();
    if (json_object_get(f->errors, field) == NULL)
        json_object_set_new(f->errors, field,
                            json_pack("{s:s,s:s}", "code", code, "message", message));
}

void api_reject_unknown(struct api_fields *f, json_t *body, const char *const *allowed,
                        const char *const *read_only)
{
    if (!json_is_object(body))
        return;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        bool known = false;
        for (size_t i = 0; read_only && read_only[i]; i++) {
            if (str_eq(key, read_only[i])) {
                api_field_error(f, key, "read_only", "This member cannot be set here.");
                known = true;
            }
        }
        for (size_t i = 0; !known && allowed[i]; i++)
            known = str_eq(key, allowed[i]);
        if (!known)
            api_field_error(f, key, "unknown_member", "This member is not part of the request.");
    }
}

bool api_fields_ok(const struct api_fields *f)
{
    return f->errors == NULL;
}

int api_fields_check(struct http_req *req, struct api_fields *f)
{
    if (f->errors == NULL)
        return 0;
    json_t *extra = json_pack("{s:O}", "fields", f->errors);
    api_fields_free(f);
    http_reply_error_with(req, 422, "validation_failed", extra,
                          "Some fields need attention; see \"fields\".");
    return -1;
}

size_t api_utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80)
            n++;
    }
    return n;
}

static bool has_control(const char *s, bool multiline)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f)
            return true;
        if (*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r')))
            return true;
    }
    return false;
}

const char *api_string(struct http_req *req, json_t *obj, const char *key, struct api_fields *f,
                       unsigned flags, size_t min_chars, size_t max_bytes)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (flags & API_REQUIRED)
            api_field_error(f, key, "required", "This field is required.");
        return NULL;
    }
    if (!json_is_string(v)) {
        api_field_error(f, key, "invalid_type", "Must be a string.");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len || !str_valid_utf8(s, len)) {
        api_field_error(f, key, "invalid_format",
                        "Must be valid UTF-8 text without NUL characters.");
        return NULL;
    }
    if (flags & API_TRIM) {
        while (*s == ' ')
            s++;
        len = strlen(s);
        while (len > 0 && s[len - 1] == ' ')
            len--;
        char *copy = http_alloc(req, len + 1);
        memcpy(copy, s, len);
        copy[len] = '\0';
        s = copy;
    }
    if (has_control(s, (flags & API_MULTILINE) != 0)) {
        api_field_error(f, key, "invalid_format", "Must not contain control characters.");
        return NULL;
    }
    if (len > max_bytes) {
        char msg[96];
        snprintf(msg, sizeof msg, "Must be at most %zu bytes long.", max_bytes);
        api_field_error(f, key, "too_long", msg);
        return NULL;
    }
    if (api_utf8_chars(s) < min_chars) {
        char msg[96];
        if (min_chars == 1)
            snprintf(msg, sizeof msg, "Must not be empty.");
        else
            snprintf(msg, sizeof msg, "Must be at least %zu characters long.", min_chars);
        api_field_error(f, key, min_chars == 1 ? "required" : "too_short", msg);
        return NULL;
    }
    return s;
}

bool api_integer(json_t *obj, const char *key, struct api_fields *f, unsigned flags, long min,
                 long max, long *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (flags & API_REQUIRED)
            api_field_error(f, key, "required", "This field is required.");
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "Must be a whole number from %ld to %ld.", min, max);
        api_field_error(f, key, json_is_integer(v) ? "out_of_range" : "invalid_type", msg);
        return false;
    }
    *out = (long)json_integer_value(v);
    return true;
}

/* ---- Request context ---- */

struct app *api_app(struct http_req *req)
{
    return http_app(req);
}

struct db_conn *api_acquire(struct http_req *req)
{
    struct db_conn *c = db_acquire(api_app(req)->db);
    if (c == NULL)
        http_reply_unavailable(req);
    return c;
}

/* ---- Replies ---- */

/* ---- The error map ---- */

/*
 * Rules live in SQL functions, which refuse with RAISE EXCEPTION 'code'
 * (SQLSTATE P0001). This table is the one place that says what each code
 * means to a client. A code missing here is a bug, answered 500 (the
 * database layer has logged the statement and the message).
 */
static const struct sql_error {
    const char *raised; /* the text of RAISE EXCEPTION */
    int status;
    const char *code; /* the API's error code */
    const char *message;
    const char *field; /* when set: a 422 field error on this member instead */
} sql_errors[] = {
    {"activity_not_found", 404, "not_found", "No such activity."},
    {"enrollment_not_found", 404, "not_found", "No such registration."},
    {"activity_cancelled", 409, "activity_cancelled", "This activity has been cancelled."},
    {"registration_external", 409, "registration_external",
     "This activity is run by a partner: register on its own website."},
    {"invitation_only", 403, "invitation_only",
     "This activity is by invitation only; the Secretariat registers participants."},
    {"registration_closed", 409, "registration_closed", "Registration is not open now."},
    /* Messages to participants (convene_send_activity_message). */
    {"no_recipients", 422, "no_recipients",
     "Nobody has a registration with the chosen statuses: this message would reach no one."},
    {"idempotency_key_reused", 409, "idempotency_key_reused",
     "This key was used for another message to this activity; send a new message with a new "
     "key."},
    {"invalid_transition", 409, "invalid_transition",
     "This registration cannot make that change from its current status."},
    {"no_one_waiting", 409, "no_one_waiting",
     "Nobody else on the waiting list can take this seat, so this person would get it straight "
     "back: leave the registration as it is, or cancel or reject it."},
    {"account_not_found", 404, "not_found", "No such account."},
    {"no_organisation", 409, "no_organisation",
     "This account has no organisation to confirm; it must choose one first."},
    {"organisation_locked", 409, "organisation_locked",
     "Your organisation cannot change while you hold a registration in an activity that "
     "limits seats per organisation; cancel that registration first."},
    {"organisation_required", 409, "organisation_required",
     "This activity limits places per organisation: set your organisation in your profile "
     "first."},
    {"organisation_limit_reached", 409, "organisation_limit_reached",
     "This organisation already has as many places as the activity allows; approve over the "
     "limit explicitly to go past it."},
    /* Check-in (convene_checkin_mark, convene_checkin_set_needed);
     * checkin_not_confirmed comes with {status}, checkin_day_not_found with
     * {days}. */
    {"checkin_not_confirmed", 409, "not_confirmed",
     "Only confirmed registrations can be checked in; this one is not confirmed."},
    {"checkin_day_not_found", 404, "not_found", "The activity has no such day."},
    {"checkin_days_needed_too_many", 422, "validation_failed",
     "The activity does not have that many days.", "days_needed"},
    /* Certificates of attendance (convene_certificates_due). */
    {"certificates_disabled", 409, "certificates_disabled",
     "Certificates are not switched on for this activity; switch them on first."},
    /* The SDG Awards. The three *_closed codes come with {phase, opens_at,
     * closes_at} in the error object (the RAISE's DETAIL). */
    {"cycle_not_found", 404, "not_found", "No such award cycle."},
    {"category_not_found", 404, "not_found", "No such award category."},
    {"submission_not_found", 404, "not_found", "No such case."},
    {"cycle_published", 409, "cycle_published",
     "The results of this cycle are published; it cannot change any more."},
    {"criteria_locked", 409, "criteria_locked",
     "Judges have started scoring; the criteria cannot change any more."},
    {"category_in_use", 409, "category_in_use", "A category that holds cases cannot be removed."},
    {"unknown_item", 422, "validation_failed", "Not a category or criterion of this cycle.", "id"},
    {"organisation_unconfirmed", 403, "organisation_unconfirmed",
     "Cases are submitted by confirmed members of an eligible organisation; ask the Secretariat "
     "to confirm your affiliation."},
    {"submission_closed", 409, "submission_closed", "Submission is not open now."},
    {"voting_closed", 409, "voting_closed", "Voting is not open now."},
    {"evaluation_closed", 409, "evaluation_closed", "Evaluation is not open now."},
    {"category_not_in_cycle", 422, "validation_failed", "Not a category of this cycle.",
     "category_id"},
    {"case_limit", 409, "case_limit",
     "Your organisation already has as many cases in this category as the cycle allows."},
    {"submission_not_member", 403, "forbidden",
     "Only confirmed members of the submitting organisation may change a case."},
    {"submission_not_candidate", 422, "validation_failed", "Not a submitted case of this category.",
     "submission_id"},
    {"own_organisation", 403, "own_organisation",
     "You cannot vote for a case of your own organisation."},
    {"judge_cannot_vote", 403, "judge_cannot_vote", "Judges of a category do not vote in it."},
    {"vote_voided", 409, "vote_voided",
     "Your vote in this category was voided by the Secretariat; it cannot change."},
    {"vote_not_found", 404, "not_found", "You have not voted in this category."},
    {"not_a_judge", 422, "validation_failed", "This account does not hold the judge role.",
     "account_id"},
    {"judge_not_assigned", 404, "not_found", "This judge is not assigned to the category."},
    {"conflict_judge_not_assigned", 422, "validation_failed",
     "This judge is not assigned to the case's category.", "judge_id"},
    {"conflict_not_waivable", 409, "conflict_not_waivable",
     "A judge of the case's own organisation stays conflicted; it cannot be waived."},
    {"conflict_not_found", 404, "not_found", "This judge has no such conflict with the case."},
    {"judge_conflicted", 403, "judge_conflicted",
     "You have a conflict of interest with this case; you do not score it."},
    {"invalid_scores", 422, "validation_failed",
     "Give every criterion of the cycle a whole number from 1 to its scale maximum.", "scores"},
    {"vote_row_not_found", 404, "not_found", "No such vote."},
    {"phase_open", 409, "phase_open",
     "Results are published once voting and evaluation have both closed."},
    {"vote_rate_limited", 429, "rate_limited",
     "Too many vote changes in the last hour; please try again later."},
    /* Attachments: file_quota comes with {files, bytes, max_files,
     * max_bytes} in the error object. */
    {"file_quota", 409, "file_quota",
     "A case holds at most 10 files and 25 MB in all; delete one to add another."},
    {"file_not_found", 404, "not_found", "No such file of this case."},
    /* Feedback forms (sql/migrations/0017_feedback.sql). */
    {"feedback_not_found", 404, "not_found", "This activity has no feedback form."},
    {"feedback_form_locked", 409, "feedback_form_locked",
     "Someone has answered this form already; its questions cannot change any more."},
    {"feedback_closes_before_end", 422, "validation_failed",
     "The form must close after the activity ends (and the activity needs exact dates).",
     "closes_at"},
    {"feedback_form_changed", 409, "feedback_form_changed",
     "The form changed while you were answering; reload it and answer again."},
    {"feedback_not_open", 409, "feedback_not_open", "This form opens when the activity has ended."},
    {"feedback_closed", 409, "feedback_closed", "This form is closed."},
    {"not_attended", 403, "not_attended",
     "This form is for the participants who attended the activity."},
    {"feedback_answered", 409, "feedback_answered", "You have answered this form already."},
};

json_t *api_sql_error_object(const char *raised)
{
    for (size_t i = 0; raised != NULL && i < ARRAY_LEN(sql_errors); i++) {
        const struct sql_error *e = &sql_errors[i];
        if (str_eq(raised, e->raised))
            return json_pack("{s:s,s:s}", "code", e->field ? "validation_failed" : e->code,
                             "message", e->message);
    }
    return json_pack("{s:s,s:s}", "code", "server_error", "message",
                     "Something went wrong on our side; this row was not changed.");
}

/* The field a constraint violation is about: the column PostgreSQL names,
 * else the column part of a conventionally named constraint
 * (table_column_check, table_column_fkey), else "". */
static void violated_field(struct db_conn *c, char *out, size_t size)
{
    const char *col = db_error_column(c);
    if (col[0] != '\0') {
        snprintf(out, size, "%s", col);
        return;
    }
    snprintf(out, size, "%s", db_error_constraint(c));
    char *first = strchr(out, '_');
    char *last = strrchr(out, '_');
    if (first == NULL || last == NULL || last <= first) {
        out[0] = '\0';
        return;
    }
    *last = '\0';
    memmove(out, first + 1, strlen(first + 1) + 1);
}

static void reply_violation(struct http_req *req, struct db_conn *c, const char *code,
                            const char *message)
{
    char field[64];
    violated_field(c, field, sizeof field);
    struct api_fields f;
    api_fields_init(&f);
    api_field_error(&f, field[0] ? field : "body", code, message);
    api_fields_check(req, &f);
}

void api_reply_db_error(struct http_req *req, struct db_conn *c)
{
    if (db_error_is_connection(c)) {
        http_reply_unavailable(req);
        return;
    }
    const char *state = db_error_state(c);
    if (str_eq(state, "P0001")) {
        for (size_t i = 0; i < ARRAY_LEN(sql_errors); i++) {
            const struct sql_error *e = &sql_errors[i];
            if (!str_eq(db_error_message(c), e->raised))
                continue;
            if (e->field) {
                struct api_fields f;
                api_fields_init(&f);
                api_field_error(&f, e->field, "invalid_choice", e->message);
                api_fields_check(req, &f);
                return;
            }
            /* A JSON object in the DETAIL joins the error object. */
            json_t *extra = NULL;
            const char *detail = db_error_detail(c);
            if (detail[0] == '{')
                extra = json_loads(detail, 0, NULL);
            if (!json_is_object(extra)) {
                json_decref(extra);
                extra = NULL;
            }
            if (e->status == 429)
                http_add_header(req, "Retry-After", "60");
            http_reply_error_with(req, e->status, e->code, extra, "%s", e->message);
            return;
        }
    } else if (str_eq(state, "23502")) {
        reply_violation(req, c, "required", "A value is required.");
        return;
    } else if (str_eq(state, "23514") || str_eq(state, "23503") || str_starts_with(state, "22")) {
        reply_violation(req, c, "invalid", "This value is not accepted.");
        return;
    } else if (str_eq(state, "23505")) {
        http_reply_error(req, 409, "conflict", "That already exists.");
        return;
    }
    http_reply_error(req, 500, "server_error",
                     "Something went wrong on our side; the request was not completed.");
}

void api_reply_not_found(struct http_req *req, const char *what)
{
    http_reply_error(req, 404, "not_found", "No such %s.", what);
}

void api_reply_row_json(struct http_req *req, struct db_conn *c, struct db_result *r, int status,
                        const char *what)
{
    if (r == NULL) {
        api_reply_db_error(req, c);
        return;
    }
    const char *text = db_value(r, 0, 0);
    if (text == NULL)
        api_reply_not_found(req, what);
    else
        http_reply(req, status, "application/json", text, strlen(text));
    db_result_free(r);
}

void api_reply_member_json(struct http_req *req, struct db_conn *c, struct db_result *r,
                           const char *member)
{
    if (r == NULL) {
        api_reply_db_error(req, c);
        return;
    }
    const char *text = db_nrows(r) > 0 ? db_value(r, 0, 0) : NULL;
    char *body = xasprintf("{\"%s\":%s}", member, text ? text : "[]");
    http_reply(req, 200, "application/json", body, strlen(body));
    free(body);
    db_result_free(r);
}

/* ---- Query parameters ---- */

int api_query_string(struct http_req *req, const char *name, char *buf, size_t size)
{
    if (http_query(req, name, buf, size) != HTTP_QUERY_UNUSABLE)
        return 0;
    http_reply_error(req, 400, "bad_request", "%s must be UTF-8 text of at most %zu bytes.", name,
                     size - 1);
    return -1;
}

int api_query_long(struct http_req *req, const char *name, long min, long max, long *out)
{
    char buf[24];
    int n = http_query(req, name, buf, sizeof buf);
    if (n == HTTP_QUERY_ABSENT)
        return 0;
    long v;
    if (n < 0 || str_to_long(buf, min, max, &v) != 0) {
        http_reply_error(req, 400, "bad_request", "%s must be a whole number from %ld to %ld.",
                         name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- Pagination ---- */

int api_page_query(struct http_req *req, long def, struct api_page *out)
{
    out->page = 1;
    out->per_page = def;
    if (api_query_long(req, "page", 1, 1000000, &out->page) != 0 ||
        api_query_long(req, "per_page", 1, 100, &out->per_page) != 0)
        return -1;
    out->offset = (out->page - 1) * out->per_page;
    return 0;
}
