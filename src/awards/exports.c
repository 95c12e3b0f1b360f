/*
 * exports.c - staff CSV exports of a cycle: its cases (with their results:
 * the published ones once published, else the live computation),
 * every judge's values per case and criterion with the judge's S, and the
 * votes with client address, user agent and voided flag. Streamed from
 * COPY by csvout_stream (api/csvout.h): BOM, CRLF, RFC 4180, formula-looking
 * cells neutralised by convene_csv_safe.
 */
#include "api/api.h"
#include "api/auth.h"
#include "api/csvout.h"
#include "awards/internal.h"
#include "base/util.h"
#include "db/db.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>

static int st_exists = -1;

void award_exports_statements(void)
{
    st_exists = db_register("aw_export_cycle", "SELECT 1 FROM award_cycles WHERE id = $1");
}

#define UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The cycle's id from the route, once it is known to exist (else 0 after
 * answering 404 or the database error). */
static long cycle_of(struct api_ctx *x)
{
    const char *id = http_param(x->req, "id");
    const char *p[] = {id};
    struct db_result *r = db_run(x->c, st_exists, 1, p);
    if (r == NULL) {
        api_reply_db_error(x->req, x->c);
        return 0;
    }
    int n = db_nrows(r);
    db_result_free(r);
    if (n != 1) {
        api_reply_not_found(x->req, "award cycle");
        return 0;
    }
    return strtol(id, NULL, 10);
}

static const char *const submissions_header[] = {"Id",
                                                 "Category",
                                                 "Organisation",
                                                 "City",
                                                 "Country",
                                                 "Status",
                                                 "Title",
                                                 "Summary",
                                                 "Description",
                                                 "Partners",
                                                 "Results",
                                                 "SDGs",
                                                 "Contact email",
                                                 "Gallery consent",
                                                 "Submitted at (UTC)",
                                                 "Created at (UTC)",
                                                 "Rank",
                                                 "Award",
                                                 "Judges",
                                                 "Jury score (raw)",
                                                 "Jury score",
                                                 "Public votes",
                                                 "Public score",
                                                 "Final score"};

static const char *const scores_header[] = {
    "Case id",         "Case title",
    "Category",        "Judge id",
    "Judge",           "Criterion",
    "Weight",          "Scale max",
    "Value",           "S (judge's score of the case, 0-100)",
    "Updated at (UTC)"};

static const char *const votes_header[] = {"Vote id",    "Category",        "Case id",
                                           "Case title", "Account id",      "Voter",
                                           "Email",      "Organisation",    "Client address",
                                           "User agent", "Cast at (UTC)",   "Changed at (UTC)",
                                           "Voided",     "Voided at (UTC)", "Void reason"};

/* Ids in the COPY text come from an {id:int} route, checked to exist. */
static void h_submissions(struct http_req *req)
{
    char *select = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    long id = cycle_of(&x);
    if (id == 0)
        goto out;
    select = xasprintf(
        "SELECT s.id, convene_csv_safe(g.name), convene_csv_safe(o.name), "
        "convene_csv_safe(o.city), convene_csv_safe(o.country), s.status, "
        "convene_csv_safe(s.title), convene_csv_safe(s.summary), "
        "convene_csv_safe(s.description), convene_csv_safe(s.partners), "
        "convene_csv_safe(s.results), array_to_string(s.sdgs, ' '), "
        "convene_csv_safe(s.contact_email), CASE WHEN s.gallery_consent THEN 'yes' ELSE 'no' "
        "END, " UTC("s.submitted_at") ", " UTC(
            "s.created_at") ", r.rank, r.award, r.judges, "
                            "r.jury_score_raw, r.jury_score, r.public_votes, r.public_score, "
                            "r.final_score "
                            "FROM submissions s JOIN award_categories g ON g.id = s.category_id "
                            "JOIN organisations o ON o.id = s.organisation_id LEFT JOIN ("
                            "SELECT e.submission_id, e.rank, e.award, e.judges, e.jury_score_raw, "
                            "e.jury_score, "
                            "e.public_votes, e.public_score, e.final_score FROM "
                            "convene_award_entries(%ld, NULL) e "
                            "WHERE NOT EXISTS (SELECT 1 FROM award_publications p WHERE p.cycle_id "
                            "= %ld) "
                            "UNION ALL SELECT a.submission_id, a.rank, a.award, NULL, "
                            "a.jury_score_raw, "
                            "a.jury_score, a.public_votes, a.public_score, a.final_score FROM "
                            "award_results a "
                            "WHERE a.cycle_id = %ld) r ON r.submission_id = s.id "
                            "WHERE s.cycle_id = %ld ORDER BY g.position, g.id, r.rank NULLS LAST, "
                            "s.id",
        id, id, id, id);
    char filename[64];
    snprintf(filename, sizeof filename, "awards-%ld-submissions.csv", id);
    csvout_stream(req, x.c, filename, submissions_header, ARRAY_LEN(submissions_header), select);
out:
    free(select);
    api_end(&x);
}

static void h_scores(struct http_req *req)
{
    char *select = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    long id = cycle_of(&x);
    if (id == 0)
        goto out;
    select = xasprintf(
        "SELECT s.id, convene_csv_safe(s.title), convene_csv_safe(g.name), a.id, "
        "convene_csv_safe(a.name), convene_csv_safe(k.name), k.weight, k.scale_max, v.value, "
        "round(js.s, 4), " UTC(
            "v.updated_at") " FROM scores v "
                            "JOIN submissions s ON s.id = v.submission_id "
                            "JOIN award_categories g ON g.id = s.category_id "
                            "JOIN award_criteria k ON k.id = v.criterion_id JOIN accounts a ON "
                            "a.id = v.judge_id "
                            "LEFT JOIN convene_award_judge_scores(%ld) js ON js.submission_id = "
                            "v.submission_id "
                            "AND js.judge_id = v.judge_id WHERE s.cycle_id = %ld "
                            "ORDER BY g.position, g.id, s.id, a.id, k.position, k.id",
        id, id);
    char filename[64];
    snprintf(filename, sizeof filename, "awards-%ld-scores.csv", id);
    csvout_stream(req, x.c, filename, scores_header, ARRAY_LEN(scores_header), select);
out:
    free(select);
    api_end(&x);
}

static void h_votes(struct http_req *req)
{
    char *select = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    long id = cycle_of(&x);
    if (id == 0)
        goto out;
    select = xasprintf(
        "SELECT v.id, convene_csv_safe(g.name), s.id, convene_csv_safe(s.title), a.id, "
        "convene_csv_safe(a.name), convene_csv_safe(a.email::text), convene_csv_safe(o.name), "
        "convene_csv_safe(v.client_addr), convene_csv_safe(v.user_agent), " UTC(
            "v.created_at") ", " UTC("v.updated_at") ", CASE WHEN v.voided_at IS NULL THEN 'no' "
                                                     "ELSE 'yes' END, "
                                                     "" UTC(
                                                         "v.voided_at") ", "
                                                                        "convene_csv_safe(v.voided_"
                                                                        "reason) "
                                                                        "FROM votes v JOIN "
                                                                        "award_categories g ON "
                                                                        "g.id = v.category_id "
                                                                        "JOIN submissions s ON "
                                                                        "s.id = v.submission_id "
                                                                        "JOIN accounts a ON a.id = "
                                                                        "v.account_id "
                                                                        "LEFT JOIN organisations o "
                                                                        "ON o.id = "
                                                                        "a.organisation_id WHERE "
                                                                        "v.cycle_id = %ld "
                                                                        "ORDER BY g.position, "
                                                                        "g.id, v.id",
        id);
    char filename[64];
    snprintf(filename, sizeof filename, "awards-%ld-votes.csv", id);
    csvout_stream(req, x.c, filename, votes_header, ARRAY_LEN(votes_header), select);
out:
    free(select);
    api_end(&x);
}

int award_exports_routes(struct http_server *s)
{
    int rc = 0;
    rc |= http_route(s, "GET", "/api/awards/cycles/{id:int}/submissions.csv", h_submissions);
    rc |= http_route(s, "GET", "/api/awards/cycles/{id:int}/scores.csv", h_scores);
    rc |= http_route(s, "GET", "/api/awards/cycles/{id:int}/votes.csv", h_votes);
    return rc ? -1 : 0;
}
