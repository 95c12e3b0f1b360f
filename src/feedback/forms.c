/*
 * forms.c - an activity's evaluation form: reading it (staff, and the
 * participants who attended), writing it (staff, until the first answer),
 * answering it (once per attended participant, inside its window) and
 * inviting the participants who attended (one mail each, ever).
 *
 * The rules (window, attendance, one answer, anonymity, one invitation)
 * are decided by the SQL functions of sql/migrations/0017_feedback.sql;
 * this file checks the shape of what comes in.
 */
#include "feedback/feedback.h"

#include "api/api.h"
#include "api/questions.h"
#include "api/app.h"
#include "api/auth.h"
#include "base/config.h"
#include "base/util.h"
#include "db/db.h"
#include "feedback/internal.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_form = -1, st_put = -1, st_answer = -1, st_invite = -1;

/* The form of activity $1 as JSON (column 0) as account $2 sees it, whether
 * $2 attended (column 1). No row when the activity has no form. */
#define FORM_JSON                                                                                  \
    "SELECT json_build_object('activity_id', a.id, 'activity_title', a.title, "                    \
    " 'programme', a.programme, 'title', f.title, 'intro', f.intro, 'anonymous', f.anonymous, "    \
    " 'opens_at', convene_activity_ends_at(a), 'closes_at', f.closes_at, "                         \
    " 'state', convene_feedback_state(f, a, now()), 'version', f.version, "                        \
    " 'questions', (SELECT coalesce(json_agg(json_build_object('id', q.id, 'kind', q.kind, "       \
    "   'label', q.label, 'required', q.required, 'choices', q.choices, 'max_length', "            \
    "   q.max_length) ORDER BY q.position), '[]') FROM feedback_questions q "                      \
    "   WHERE q.form_id = f.id), "                                                                 \
    " 'answered', EXISTS (SELECT 1 FROM feedback_respondents r WHERE r.form_id = f.id "            \
    "   AND r.account_id = $2), "                                                                  \
    " 'respondents', (SELECT count(*) FROM feedback_respondents r WHERE r.form_id = f.id), "       \
    " 'invited', (SELECT count(*) FROM feedback_invitations i WHERE i.form_id = f.id), "           \
    " 'attended', (SELECT count(*) FROM enrollments e WHERE e.activity_id = a.id "                 \
    "   AND e.status = 'attended'))::text, "                                                       \
    " EXISTS (SELECT 1 FROM enrollments e WHERE e.activity_id = a.id AND e.account_id = $2 "       \
    "   AND e.status = 'attended') "                                                               \
    "FROM feedback_forms f JOIN activities a ON a.id = f.activity_id WHERE f.activity_id = $1"

void feedback_forms_statements(void)
{
    st_form = db_register("fb_form", FORM_JSON);
    st_put = db_register("fb_put", "SELECT convene_feedback_form_put($1, $2, $3, $4::boolean, "
                                   "$5::timestamptz, $6::jsonb, $7)");
    st_answer =
        db_register("fb_answer", "SELECT convene_feedback_answer($1, $2, $3::int, $4::jsonb)");
    st_invite =
        db_register("fb_invite", "SELECT sent, invited FROM convene_feedback_invite($1, $2)");
}

void feedback_statements(void)
{
    feedback_forms_statements();
    feedback_results_statements();
}

/* ---- Reading the form ---- */

static bool is_staff(const struct api_ctx *x)
{
    return (x->me->roles & (ROLE_STAFF | ROLE_ADMIN)) != 0;
}

/* The form of the route's activity as x's caller sees it (new reference),
 * with *attended set; NULL after answering 404 or the database error. */
static json_t *load_form(struct api_ctx *x, bool *attended)
{
    const char *p[] = {http_param(x->req, "id"), api_num(x->req, x->me->id)};
    struct db_result *r = db_run(x->c, st_form, 2, p);
    if (r == NULL) {
        api_reply_db_error(x->req, x->c);
        return NULL;
    }
    json_t *form = NULL;
    if (db_nrows(r) == 1) {
        form = json_loads(db_value(r, 0, 0), 0, NULL);
        *attended = str_eq(db_value(r, 0, 1), "t");
    }
    db_result_free(r);
    if (form == NULL)
        http_reply_error(x->req, 404, "not_found", "This activity has no feedback form.");
    return form;
}

/*
 * GET /api/activities/{id}/feedback: staff see the form with its counts
 * (attended, invited, respondents); a participant who attended sees the
 * questions, the window and whether they have answered; anyone else 403.
 */
void feedback_form_get(struct http_req *req)
{
    json_t *form = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0)
        goto out;
    bool attended = false;
    form = load_form(&x, &attended);
    if (form == NULL)
        goto out;
    if (!is_staff(&x)) {
        if (!attended) {
            http_reply_error(req, 403, "not_attended",
                             "This form is for the participants who attended the activity.");
            goto out;
        }
        json_object_del(form, "respondents");
        json_object_del(form, "invited");
        json_object_del(form, "attended");
    }
    http_reply_json(req, 200, form);
    form = NULL;
out:
    json_decref(form);
    api_end(&x);
}

/* ---- Writing the form ---- */

static const char *const kinds[] = {"text",   "single_choice", "multiple_choice",
                                    "yes_no", "rating",        NULL};
static const char *const question_members[] = {"kind",    "label",      "required",
                                               "choices", "max_length", NULL};

/* The registration questions' rules, with the 1-5 rating scale, and no
 * choices on a kind that has none. */
static const struct question_rules form_questions = {
    .kinds = kinds,
    .kinds_message = "Use text, single_choice, multiple_choice, yes_no or rating.",
    .members = question_members,
    .choices_only_for_choice = true,
};

/* True for an instant with a zone from 1970 on (time_parse_rfc3339). */
static bool instant_ok(const char *s)
{
    double t;
    return time_parse_rfc3339(s, &t) && t >= 0;
}

/*
 * PUT /api/activities/{id}/feedback (staff): creates or replaces the form
 * and its questions (in the order given). 409 feedback_form_locked once
 * someone has answered.
 */
void feedback_form_put(struct http_req *req)
{
    static const char *const allowed[] = {"title",     "intro",     "anonymous",
                                          "closes_at", "questions", NULL};
    static const char *const read_only[] = {"activity_id", "version", "state",    "opens_at",
                                            "respondents", "invited", "attended", NULL};
    char *text = NULL;
    json_t *form = NULL, *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, read_only) != 0)
        goto out;
    const char *title = api_string(req, x.body, "title", &x.f, API_TRIM, 1, 200);
    const char *intro = api_string(req, x.body, "intro", &x.f, API_MULTILINE, 0, 2000);
    json_t *anon = json_object_get(x.body, "anonymous");
    if (anon == NULL || json_is_null(anon))
        api_field_error(&x.f, "anonymous", "required", "Say whether answers are anonymous.");
    else if (!json_is_boolean(anon))
        api_field_error(&x.f, "anonymous", "invalid_type", "Must be true or false.");
    const char *closes = api_string(req, x.body, "closes_at", &x.f, API_REQUIRED, 1, 64);
    if (closes != NULL && !instant_ok(closes))
        api_field_error(&x.f, "closes_at", "invalid_format",
                        "Must be a date and time with a zone, like 2030-06-01T17:00:00+09:00.");
    json_t *list = json_object_get(x.body, "questions");
    if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > 50) {
        api_field_error(&x.f, "questions",
                        list && !json_is_null(list) ? "out_of_range" : "required",
                        "Send a list of 1 to 50 questions.");
    } else {
        size_t i;
        json_t *q;
        json_array_foreach(list, i, q)
        {
            api_check_question(&x.f, i, q, &form_questions);
        }
    }
    if (api_check(&x) != 0)
        goto out;
    text = json_dumps(list, JSON_COMPACT);
    const char *act = http_param(req, "id");
    const char *p[] = {act,
                       title ? title : "Evaluation",
                       intro && *intro ? intro : NULL,
                       json_is_true(anon) ? "true" : "false",
                       closes,
                       text,
                       api_num(req, x.me->id)};
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_put, 7, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    db_result_free(r);
    details = json_pack("{s:b,s:I}", "anonymous", json_is_true(anon), "questions",
                        (json_int_t)json_array_size(list));
    if (api_audit_commit(&x, "feedback.form_saved", "activity", act, details) != 0)
        goto out;
    bool attended = false;
    form = load_form(&x, &attended);
    if (form == NULL)
        goto out;
    http_reply_json(req, 200, form);
    form = NULL;
out:
    free(text);
    json_decref(details);
    json_decref(form);
    api_end(&x);
}

/* ---- Answering ---- */

/*
 * POST /api/activities/{id}/feedback/answers {answers, version}: one
 * answer per attended participant while the form is open. The form's
 * version (from GET) guards against questions changed meanwhile.
 */
void feedback_answer(struct http_req *req)
{
    static const char *const allowed[] = {"answers", "version", NULL};
    json_t *form = NULL, *clean = NULL;
    char *text = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0 || api_body(&x, false, allowed, NULL) != 0)
        goto out;
    bool attended = false;
    form = load_form(&x, &attended);
    if (form == NULL)
        goto out;
    long version = (long)json_integer_value(json_object_get(form, "version"));
    api_integer(x.body, "version", &x.f, 0, 1, 1L << 30, &version);
    /* Someone who may not answer now hears why (from the SQL function)
     * before any complaint about the answers. */
    bool may = attended && str_eq(json_string_value(json_object_get(form, "state")), "open") &&
               !json_is_true(json_object_get(form, "answered"));
    if (may) {
        clean = api_check_answers(json_object_get(form, "questions"),
                                  json_object_get(x.body, "answers"), &x.f, true);
        if (api_check(&x) != 0)
            goto out;
    }
    text = may ? json_dumps(clean, JSON_COMPACT) : xstrdup("{}");
    const char *p[] = {http_param(req, "id"), api_num(req, x.me->id), api_num(req, version), text};
    struct db_result *r = db_run(x.c, st_answer, 4, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    db_result_free(r);
    http_reply_json(req, 201,
                    json_pack("{s:b,s:b}", "answered", true, "anonymous",
                              json_is_true(json_object_get(form, "anonymous"))));
out:
    free(text);
    json_decref(clean);
    json_decref(form);
    api_end(&x);
}

/* ---- Invitations ---- */

/*
 * POST /api/activities/{id}/feedback/invitations (staff): queues one mail
 * to every attended participant not invited before; a second call queues
 * none (and answers 0). Only while the form is open.
 */
void feedback_invite(struct http_req *req)
{
    static const char *const nothing[] = {NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, true, nothing, NULL) != 0 || api_check(&x) != 0)
        goto out;
    const char *act = http_param(req, "id");
    const char *p[] = {act, api_app(req)->cfg->base_url};
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    struct db_result *r = db_run(x.c, st_invite, 2, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    json_int_t sent = strtoll(db_value(r, 0, 0), NULL, 10);
    json_int_t total = strtoll(db_value(r, 0, 1), NULL, 10);
    db_result_free(r);
    details = json_pack("{s:I}", "sent", sent);
    if (sent > 0) {
        if (api_audit_commit(&x, "feedback.invitations_sent", "activity", act, details) != 0)
            goto out;
    } else if (db_commit(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    http_reply_json(req, 200, json_pack("{s:I,s:I}", "sent", sent, "invited", total));
out:
    json_decref(details);
    api_end(&x);
}
