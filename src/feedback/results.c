/*
 * results.c - what staff read from the evaluation forms: the results of
 * one activity's form (per question: how many answered; for ratings the
 * mean and the distribution 1-5; for choices and yes/no the count of each
 * choice; for texts the answers), the activities of one programme side by
 * side (the mean of each rating question, matched by its label), and the
 * answers as CSV (streamed by csvout_stream: BOM, CRLF, RFC 4180, formula
 * cells neutralised by convene_csv_safe).
 *
 * Anonymous forms: nothing here can name a respondent, because the data
 * cannot (sql/migrations/0017_feedback.sql); text answers are listed in
 * alphabetical order and CSV rows in the order of their random ids.
 */
#include "feedback/feedback.h"

#include "api/api.h"
#include "api/auth.h"
#include "api/csvout.h"
#include "base/util.h"
#include "db/db.h"
#include "feedback/internal.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_results = -1, st_compare = -1, st_export_form = -1;

/* Per question q of form f: the number of answers (n) and the statistics
 * of its kind. */
#define QUESTION_STATS                                                                             \
    "SELECT coalesce(json_agg(json_build_object('id', q.id, 'kind', q.kind, 'label', q.label, "    \
    " 'required', q.required, 'answers', s.n, "                                                    \
    " 'mean', CASE WHEN q.kind = 'rating' THEN s.mean END, "                                       \
    " 'distribution', CASE WHEN q.kind = 'rating' THEN json_build_object('1', s.r1, '2', s.r2, "   \
    "   '3', s.r3, '4', s.r4, '5', s.r5) END, "                                                    \
    " 'counts', CASE WHEN q.kind = 'yes_no' THEN json_build_array(json_build_object('choice', "    \
    "   'yes', 'count', s.yes), json_build_object('choice', 'no', 'count', s.no)) "                \
    "   WHEN q.kind IN ('single_choice', 'multiple_choice') THEN (SELECT json_agg("                \
    "   json_build_object('choice', c.v, 'count', (SELECT count(*) FROM feedback_responses r "     \
    "   WHERE r.form_id = f.id AND (r.answers -> q.id::text = to_jsonb(c.v) OR "                   \
    "   (jsonb_typeof(r.answers -> q.id::text) = 'array' AND r.answers -> q.id::text ? c.v)))) "   \
    "   ORDER BY c.o) FROM jsonb_array_elements_text(q.choices) WITH ORDINALITY c (v, o)) END, "   \
    " 'texts', CASE WHEN q.kind = 'text' THEN (SELECT coalesce(json_agg(r.answers ->> q.id::text " \
    "   ORDER BY r.answers ->> q.id::text), '[]') FROM feedback_responses r "                      \
    "   WHERE r.form_id = f.id AND r.answers ? q.id::text) END) ORDER BY q.position), '[]') "      \
    "FROM feedback_questions q CROSS JOIN LATERAL (SELECT count(*) AS n, "                         \
    " round(avg(CASE WHEN q.kind = 'rating' THEN (r.answers ->> q.id::text)::numeric END), 2) "    \
    "   AS mean, "                                                                                 \
    " count(*) FILTER (WHERE r.answers -> q.id::text = '1') AS r1, "                               \
    " count(*) FILTER (WHERE r.answers -> q.id::text = '2') AS r2, "                               \
    " count(*) FILTER (WHERE r.answers -> q.id::text = '3') AS r3, "                               \
    " count(*) FILTER (WHERE r.answers -> q.id::text = '4') AS r4, "                               \
    " count(*) FILTER (WHERE r.answers -> q.id::text = '5') AS r5, "                               \
    " count(*) FILTER (WHERE r.answers -> q.id::text = 'true') AS yes, "                           \
    " count(*) FILTER (WHERE r.answers -> q.id::text = 'false') AS no "                            \
    " FROM feedback_responses r WHERE r.form_id = f.id AND r.answers ? q.id::text) s "             \
    "WHERE q.form_id = f.id"

void feedback_results_statements(void)
{
    st_results = db_register(
        "fb_results",
        "SELECT json_build_object('activity_id', a.id, 'activity_title', a.title, "
        " 'programme', a.programme, 'title', f.title, 'anonymous', f.anonymous, "
        " 'opens_at', convene_activity_ends_at(a), 'closes_at', f.closes_at, "
        " 'state', convene_feedback_state(f, a, now()), "
        " 'attended', (SELECT count(*) FROM enrollments e WHERE e.activity_id = a.id "
        "   AND e.status = 'attended'), "
        " 'invited', (SELECT count(*) FROM feedback_invitations i WHERE i.form_id = f.id), "
        " 'respondents', (SELECT count(*) FROM feedback_respondents p WHERE p.form_id = f.id), "
        " 'questions', (" QUESTION_STATS "))::text "
        "FROM feedback_forms f JOIN activities a ON a.id = f.activity_id "
        "WHERE f.activity_id = $1");
    st_compare = db_register(
        "fb_compare",
        "WITH acts AS (SELECT a.id, a.title, a.starts_on, a.date_label, f.id AS form_id "
        " FROM activities a JOIN feedback_forms f ON f.activity_id = a.id "
        " WHERE a.programme = $1 AND ($2::int IS NULL OR extract(year FROM "
        "   coalesce(a.starts_on, a.period_start)) = $2::int)), "
        "rq AS (SELECT acts.id AS activity_id, q.label, q.position, count(r.id) AS n, "
        " round(avg((r.answers ->> q.id::text)::numeric), 2) AS mean "
        " FROM acts JOIN feedback_questions q ON q.form_id = acts.form_id AND q.kind = 'rating' "
        " LEFT JOIN feedback_responses r ON r.form_id = acts.form_id AND r.answers ? q.id::text "
        " GROUP BY acts.id, q.id, q.label, q.position) "
        "SELECT json_build_object('programme', $1::text, 'year', $2::int, "
        " 'labels', (SELECT coalesce(json_agg(l.label ORDER BY l.pos, l.label), '[]') FROM "
        "   (SELECT label, min(position) AS pos FROM rq GROUP BY label) l), "
        " 'activities', (SELECT coalesce(json_agg(json_build_object('id', acts.id, 'title', "
        "   acts.title, 'starts_on', acts.starts_on, 'date_label', acts.date_label, "
        "   'attended', (SELECT count(*) FROM enrollments e WHERE e.activity_id = acts.id "
        "     AND e.status = 'attended'), "
        "   'respondents', (SELECT count(*) FROM feedback_respondents p "
        "     WHERE p.form_id = acts.form_id), "
        "   'ratings', (SELECT coalesce(json_agg(json_build_object('label', rq.label, 'mean', "
        "     rq.mean, 'answers', rq.n) ORDER BY rq.position), '[]') FROM rq "
        "     WHERE rq.activity_id = acts.id)) "
        "   ORDER BY acts.starts_on NULLS LAST, acts.id), '[]') FROM acts))::text");
    st_export_form =
        db_register("fb_export_form",
                    "SELECT f.id, f.anonymous, q.id, q.kind, q.label FROM feedback_forms f "
                    "LEFT JOIN feedback_questions q ON q.form_id = f.id WHERE f.activity_id = $1 "
                    "ORDER BY q.position");
}

/* GET /api/activities/{id}/feedback/results (staff). */
void feedback_results(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *p[] = {http_param(req, "id")};
    struct db_result *r = db_run(x.c, st_results, 1, p);
    if (r != NULL && db_nrows(r) == 0) {
        db_result_free(r);
        http_reply_error(req, 404, "not_found", "This activity has no feedback form.");
        goto out;
    }
    api_reply_row_json(req, x.c, r, 200, "feedback form");
out:
    api_end(&x);
}

/* GET /api/feedback/compare?programme=...[&year=YYYY] (staff): the
 * activities of a programme that have a form, side by side. */
void feedback_compare(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    char programme[201];
    if (api_query_string(req, "programme", programme, sizeof programme) != 0)
        goto out;
    if (programme[0] == '\0') {
        http_reply_error(req, 400, "bad_request", "programme is required (the programme's name).");
        goto out;
    }
    long year = 0;
    if (api_query_long(req, "year", 2000, 2100, &year) != 0)
        goto out;
    const char *p[] = {programme, year ? api_num(req, year) : NULL};
    api_reply_row_json(req, x.c, db_run(x.c, st_compare, 2, p), 200, "programme");
out:
    api_end(&x);
}

/* The kinds as constant SQL text (the COPY query names them). */
static const char *kind_literal(const char *kind)
{
    static const char *const kinds[] = {"text", "single_choice", "multiple_choice", "yes_no",
                                        "rating"};
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        if (str_eq(kind, kinds[i]))
            return kinds[i];
    }
    return "text";
}

static const char *const named_columns[] = {"Response", "Name", "Email", "Organisation",
                                            "Answered at (UTC)"};

/*
 * GET /api/activities/{id}/feedback/answers.csv (staff): one row per
 * response, one column per question (in the form's order). Anonymous
 * forms have no name columns.
 */
void feedback_export(struct http_req *req)
{
    struct db_result *r = NULL;
    const char **header = NULL;
    strbuf sql;
    strbuf_init(&sql, 64 * 1024);
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *act = http_param(req, "id");
    const char *p[] = {act};
    r = db_run(x.c, st_export_form, 1, p);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    int n = db_nrows(r);
    if (n == 0) {
        http_reply_error(req, 404, "not_found", "This activity has no feedback form.");
        goto out;
    }
    long form = strtol(db_value(r, 0, 0), NULL, 10);
    bool anonymous = str_eq(db_value(r, 0, 1), "t");
    size_t fixed = anonymous ? 1 : ARRAY_LEN(named_columns);
    header = xcalloc(fixed + (size_t)n, sizeof *header);
    size_t ncols = 0;
    for (size_t i = 0; i < fixed; i++)
        header[ncols++] = named_columns[i];
    strbuf_printf(&sql, "SELECT row_number() OVER (ORDER BY %s)",
                  anonymous ? "r.id" : "au.answered_at, r.id");
    if (!anonymous)
        strbuf_puts(&sql, ", convene_csv_safe(acc.name), convene_csv_safe(acc.email::text), "
                          "convene_csv_safe(o.name), convene_csv_utc(au.answered_at)");
    for (int i = 0; i < n; i++) {
        if (db_value(r, i, 2) == NULL)
            continue; /* a form without questions (none can be saved) */
        header[ncols++] = db_value(r, i, 4);
        strbuf_printf(&sql, ", convene_feedback_cell(r.answers, %ld, '%s')",
                      strtol(db_value(r, i, 2), NULL, 10), kind_literal(db_value(r, i, 3)));
    }
    strbuf_printf(&sql, " FROM feedback_responses r %s WHERE r.form_id = %ld ORDER BY %s",
                  anonymous ? ""
                            : "LEFT JOIN feedback_response_authors au ON au.response_id = r.id "
                              "LEFT JOIN accounts acc ON acc.id = au.account_id "
                              "LEFT JOIN organisations o ON o.id = acc.organisation_id",
                  form, anonymous ? "r.id" : "au.answered_at, r.id");
    char filename[64];
    snprintf(filename, sizeof filename, "feedback-%s.csv", act);
    csvout_stream(req, x.c, filename, header, ncols, strbuf_cstr(&sql));
out:
    free(header);
    db_result_free(r);
    strbuf_free(&sql);
    api_end(&x);
}
