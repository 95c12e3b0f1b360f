/*
 * exports.c - staff CSV exports of a cycle: its cases (with their results:
 * the published ones once published, else the live computation),
 * every judge's values per case and criterion with the judge's S, and the
 * votes with client address, user agent and voided flag. Streamed from
 * COPY by csvout_stream (api/csvout.h): BOM, CRLF, RFC 4180, formula-looking
 * cells neutralised by convene_csv_safe.
 */
#include "awards/awards.h"

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
                                                 "Status code",
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
                                                 "Award code",
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

/* One export: its file name is awards-<cycle id>-<name>.csv; select
 * returns the COPY query for a cycle (to free). */
struct export
{
    const char *name;
    const char *const *header;
    size_t ncols;
    char *(*select)(long cycle);
};

static char *submissions_select(long cycle)
{
    return xasprintf(
        "SELECT s.id, convene_csv_safe(g.name), convene_csv_safe(o.name), "
        "convene_csv_safe(o.city), convene_csv_safe(o.country), "
        "convene_submission_status_word(s.status), s.status, "
        "convene_csv_safe(s.title), convene_csv_safe(s.summary), "
        "convene_csv_safe(s.description), convene_csv_safe(s.partners), "
        "convene_csv_safe(s.results), array_to_string(s.sdgs, ' '), "
        "convene_csv_safe(s.contact_email), "
        "CASE WHEN s.gallery_consent THEN 'yes' ELSE 'no' END, "
        "convene_csv_utc(s.submitted_at), "
        "convene_csv_utc(s.created_at), "
        "r.rank, convene_award_word(r.award), r.award, r.judges, r.jury_score_raw, r.jury_score, "
        "r.public_votes, r.public_score, r.final_score "
        "FROM submissions s JOIN award_categories g ON g.id = s.category_id "
        "JOIN organisations o ON o.id = s.organisation_id "
        "LEFT JOIN (SELECT e.submission_id, e.rank, e.award, e.judges, "
        "e.jury_score_raw, e.jury_score, e.public_votes, e.public_score, "
        "e.final_score FROM convene_award_entries(%1$ld, NULL) e "
        "WHERE NOT EXISTS (SELECT 1 FROM award_publications p WHERE p.cycle_id = %1$ld) "
        "UNION ALL SELECT a.submission_id, a.rank, a.award, NULL, "
        "a.jury_score_raw, a.jury_score, a.public_votes, a.public_score, "
        "a.final_score FROM award_results a WHERE a.cycle_id = %1$ld) r "
        "ON r.submission_id = s.id WHERE s.cycle_id = %1$ld "
        "ORDER BY g.position, g.id, r.rank NULLS LAST, s.id",
        cycle);
}

static const struct export submissions_csv = {"submissions", submissions_header,
                                              ARRAY_LEN(submissions_header), submissions_select};

static char *scores_select(long cycle)
{
    return xasprintf(
        "SELECT s.id, convene_csv_safe(s.title), convene_csv_safe(g.name), a.id, "
        "convene_csv_safe(a.name), convene_csv_safe(k.name), k.weight, k.scale_max, v.value, "
        "round(js.s, 4), "
        "convene_csv_utc(v.updated_at) "
        "FROM scores v JOIN submissions s ON s.id = v.submission_id "
        "JOIN award_categories g ON g.id = s.category_id "
        "JOIN award_criteria k ON k.id = v.criterion_id "
        "JOIN accounts a ON a.id = v.judge_id "
        "LEFT JOIN convene_award_judge_scores(%1$ld) js "
        "ON js.submission_id = v.submission_id AND js.judge_id = v.judge_id "
        "WHERE s.cycle_id = %1$ld "
        "ORDER BY g.position, g.id, s.id, a.id, k.position, k.id",
        cycle);
}

static const struct export scores_csv = {"scores", scores_header, ARRAY_LEN(scores_header),
                                         scores_select};

static char *votes_select(long cycle)
{
    return xasprintf(
        "SELECT v.id, convene_csv_safe(g.name), s.id, convene_csv_safe(s.title), a.id, "
        "convene_csv_safe(a.name), convene_csv_safe(a.email::text), convene_csv_safe(o.name), "
        "convene_csv_safe(v.client_addr), convene_csv_safe(v.user_agent), "
        "convene_csv_utc(v.created_at), "
        "convene_csv_utc(v.updated_at), "
        "CASE WHEN v.voided_at IS NULL THEN 'no' ELSE 'yes' END, "
        "convene_csv_utc(v.voided_at), "
        "convene_csv_safe(v.voided_reason) "
        "FROM votes v JOIN award_categories g ON g.id = v.category_id "
        "JOIN submissions s ON s.id = v.submission_id "
        "JOIN accounts a ON a.id = v.account_id "
        "LEFT JOIN organisations o ON o.id = a.organisation_id "
        "WHERE v.cycle_id = %1$ld ORDER BY g.position, g.id, v.id",
        cycle);
}

static const struct export votes_csv = {"votes", votes_header, ARRAY_LEN(votes_header),
                                        votes_select};

/* Streams export e of the route's cycle (staff). The id in the COPY text
 * comes from an {id:int} route, checked to exist. */
static void export_csv(struct http_req *req, const struct export *e)
{
    char *select = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    long id = cycle_of(&x);
    if (id == 0)
        goto out;
    select = e->select(id);
    char filename[64];
    snprintf(filename, sizeof filename, "awards-%ld-%s.csv", id, e->name);
    csvout_stream(req, x.c, filename, e->header, e->ncols, select);
out:
    free(select);
    api_end(&x);
}

void award_exports_submissions(struct http_req *req)
{
    export_csv(req, &submissions_csv);
}

void award_exports_scores(struct http_req *req)
{
    export_csv(req, &scores_csv);
}

void award_exports_votes(struct http_req *req)
{
    export_csv(req, &votes_csv);
}
