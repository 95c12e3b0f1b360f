/*
 * jury.c - staff assign judges to categories (the judge's organisation and
 * its country recorded at assignment) and remove them; conflicts between
 * a judge and a case are declared by the judge (its scores of the case
 * are deleted), set by staff, or requested by a confirmed member of the
 * case's organisation; staff read every judge's conflicts with a case and
 * waive any but an organisation conflict; judges score the cases of their
 * category while evaluation is open (every criterion, one value each) and
 * list their own cases with their own status only; staff follow the
 * jury's progress.
 *
 * Derived conflicts (same organisation, same country when the cycle says
 * so) are computed by convene_conflicts from both the recorded and the
 * current organisation, so a profile edit cannot dodge one.
 */
#include "awards/awards.h"

#include "api/api.h"
#include "api/auth.h"
#include "awards/internal.h"
#include "db/db.h"
#include "http/http.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_assign = -1, st_unassign = -1, st_judges = -1, st_conflict = -1, st_conflicts = -1,
           st_waive = -1, st_criteria = -1, st_scores = -1, st_judging = -1, st_progress = -1,
           st_scores_get = -1;

void jury_statements(void)
{
    st_assign = db_register("aw_judge_assign", "SELECT convene_judge_assign($1, $2, $3)");
    st_unassign = db_register("aw_judge_unassign", "SELECT convene_judge_unassign($1, $2)");
    st_judges = db_register("aw_judges", "SELECT convene_category_judges_json($1)::text");
    st_conflict = db_register(
        "aw_conflict_add", "SELECT source, created FROM convene_conflict_add($1, $2, $3, $4, $5)");
    st_conflicts =
        db_register("aw_conflicts", "SELECT convene_submission_conflicts_json($1)::text");
    st_waive = db_register("aw_conflict_waive", "SELECT convene_conflict_waive($1, $2, $3, $4)");
    st_criteria = db_register("aw_case_criteria",
                              "SELECT k.id, k.scale_max FROM award_criteria k JOIN submissions s "
                              "ON s.cycle_id = k.cycle_id WHERE s.id = $1 ORDER BY k.id");
    st_scores =
        db_register("aw_scores_put", "SELECT convene_scores_put($1, $2, $3::jsonb, $4, $5)::text");
    st_scores_get =
        db_register("aw_scores_get", "SELECT convene_case_scores_json($1, $2, $3)::text");
    st_judging = db_register("aw_my_judging", "SELECT convene_my_judging_json($1)::text");
    st_progress = db_register("aw_progress", "SELECT convene_cycle_progress_json($1, $2)::text");
}

void jury_assign(struct http_req *req)
{
    static const char *const allowed[] = {"account_id", NULL};
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    long judge = 0;
    api_integer(x.body, "account_id", &x.f, API_REQUIRED, 1, 1L << 53, &judge);
    if (api_check(&x) != 0)
        goto out;
    const char *category = http_param(req, "id");
    const char *p[] = {category, api_num(req, judge), api_num(req, x.me->id)};
    struct db_result *r = awards_run_begun(&x, st_assign, 3, p);
    if (r == NULL)
        goto out;
    bool created = str_eq(db_value(r, 0, 0), "t");
    db_result_free(r);
    json_t *details = json_pack("{s:I}", "account_id", (json_int_t)judge);
    int rc =
        awards_commit(&x, created ? "judge.assigned" : NULL, "award_category", category, details);
    json_decref(details);
    if (rc != 0)
        goto out;
    http_reply_json(req, created ? 201 : 200,
                    json_pack("{s:I,s:I,s:b}", "category_id",
                              (json_int_t)strtoll(category, NULL, 10), "account_id",
                              (json_int_t)judge, "created", created));
out:
    api_end(&x);
}

void jury_unassign(struct http_req *req)
{
    struct api_ctx x;
    if (awards_begin_empty(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *category = http_param(req, "id");
    const char *judge = http_param(req, "account_id");
    const char *p[] = {category, judge};
    struct db_result *r = awards_run_begun(&x, st_unassign, 2, p);
    if (r == NULL)
        goto out;
    db_result_free(r);
    json_t *details = json_pack("{s:I}", "account_id", (json_int_t)strtoll(judge, NULL, 10));
    int rc = awards_commit(&x, "judge.removed", "award_category", category, details);
    json_decref(details);
    if (rc == 0)
        http_reply_json(req, 200, json_pack("{s:b}", "removed", true));
out:
    api_end(&x);
}

void jury_judges(struct http_req *req)
{
    awards_read(req, ROLE_STAFF | ROLE_ADMIN, 0, st_judges, AWARDS_ID, "award category");
}

/* {reason} from the judge itself; {judge_id, reason} from staff or from a
 * confirmed member of the case's organisation. */
void jury_conflict(struct http_req *req)
{
    static const char *const allowed[] = {"judge_id", "reason", NULL};
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0 || api_body(&x, false, allowed, NULL) != 0)
        goto out;
    long judge = x.me->id;
    api_integer(x.body, "judge_id", &x.f, 0, 1, 1L << 53, &judge);
    const char *reason =
        awards_text(req, x.body, "reason", &x.f, API_REQUIRED | API_MULTILINE, 2000);
    if (api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *p[] = {id, api_num(req, judge), api_num(req, x.me->id),
                       awards_staff(x.me) ? "true" : "false", reason};
    struct db_result *r = awards_run_begun(&x, st_conflict, 5, p);
    if (r == NULL)
        goto out;
    char *source = http_strdup(req, db_value(r, 0, 0));
    bool created = str_eq(db_value(r, 0, 1), "t");
    db_result_free(r);
    char action[48];
    snprintf(action, sizeof action, "conflict.%s", source);
    json_t *details = json_pack("{s:I,s:s}", "judge_id", (json_int_t)judge, "reason", reason);
    int rc = awards_commit(&x, action, "submission", id, details);
    json_decref(details);
    if (rc == 0)
        http_reply_json(req, created ? 201 : 200,
                        json_pack("{s:I,s:I,s:s,s:b}", "submission_id",
                                  (json_int_t)strtoll(id, NULL, 10), "judge_id", (json_int_t)judge,
                                  "source", source, "created", created));
out:
    api_end(&x);
}

void jury_conflicts(struct http_req *req)
{
    awards_read(req, ROLE_STAFF | ROLE_ADMIN, 0, st_conflicts, AWARDS_ID, "case");
}

/* Staff waive one conflict: {source} (country, declared, staff or
 * requested; an organisation conflict cannot be waived). */
void jury_waive(struct http_req *req)
{
    static const char *const allowed[] = {"source", NULL};
    static const char *const sources[] = {"organisation", "country", "declared", "staff",
                                          "requested"};
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    const char *source = api_string(req, x.body, "source", &x.f, API_REQUIRED, 1, 20);
    bool known = false;
    for (size_t i = 0; source && i < ARRAY_LEN(sources); i++)
        known |= str_eq(source, sources[i]);
    if (source && !known)
        api_field_error(&x.f, "source", "invalid_choice",
                        "One of country, declared, staff, requested.");
    if (api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *judge = http_param(req, "judge_id");
    const char *p[] = {id, judge, source, api_num(req, x.me->id)};
    struct db_result *r = awards_run_begun(&x, st_waive, 4, p);
    if (r == NULL)
        goto out;
    bool waived = str_eq(db_value(r, 0, 0), "t");
    db_result_free(r);
    json_t *details =
        json_pack("{s:I,s:s}", "judge_id", (json_int_t)strtoll(judge, NULL, 10), "source", source);
    int rc = awards_commit(&x, "conflict.waived", "submission", id, details);
    json_decref(details);
    if (rc == 0)
        http_reply_json(
            req, 200,
            json_pack("{s:s,s:b,s:b}", "source", source, "waived", true, "changed", waived));
out:
    api_end(&x);
}

/* ---- Scores ---- */

/*
 * Checks scores (an object keyed by criterion id) against the case's
 * criteria (rows id, scale_max of r): every criterion an integer
 * 1..scale_max, no other member; one error per problem on
 * "scores.<criterion id>".
 */
static void check_scores(json_t *scores, struct db_result *r, struct api_fields *f)
{
    if (!json_is_object(scores)) {
        api_field_error(f, "scores", scores ? "invalid_type" : "required",
                        "Send the scores as an object keyed by criterion id.");
        return;
    }
    int n = db_nrows(r);
    for (int i = 0; i < n; i++) {
        const char *id = db_value(r, i, 0);
        long max = strtol(db_value(r, i, 1), NULL, 10);
        char field[48];
        snprintf(field, sizeof field, "scores.%s", id);
        json_t *v = json_object_get(scores, id);
        char msg[80];
        snprintf(msg, sizeof msg, "Give a whole number from 1 to %ld.", max);
        if (v == NULL || json_is_null(v))
            api_field_error(f, field, "required", msg);
        else if (!json_is_integer(v))
            api_field_error(f, field, "invalid_type", msg);
        else if (json_integer_value(v) < 1 || json_integer_value(v) > max)
            api_field_error(f, field, "out_of_range", msg);
    }
    const char *key;
    json_t *v;
    json_object_foreach(scores, key, v)
    {
        bool known = false;
        for (int i = 0; i < n && !known; i++)
            known = str_eq(key, db_value(r, i, 0));
        if (!known) {
            char field[96];
            snprintf(field, sizeof field, "scores.%.80s", key);
            api_field_error(f, field, "unknown_member", "Not a criterion of this cycle.");
        }
    }
}

void jury_scores(struct http_req *req)
{
    static const char *const allowed[] = {"scores", "comment", "feedback", NULL};
    struct api_ctx x;
    struct db_result *crit = NULL;
    if (api_begin(&x, req, ROLE_JUDGE, AUTH_VERIFIED) != 0 ||
        api_body(&x, false, allowed, NULL) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *p1[] = {id};
    crit = db_run(x.c, st_criteria, 1, p1);
    if (crit == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    if (db_nrows(crit) == 0) {
        api_reply_not_found(req, "case");
        goto out;
    }
    check_scores(json_object_get(x.body, "scores"), crit, &x.f);
    const char *comment = awards_text(req, x.body, "comment", &x.f, API_MULTILINE, 5000);
    const char *feedback = awards_text(req, x.body, "feedback", &x.f, API_MULTILINE, 5000);
    if (api_check(&x) != 0)
        goto out;
    char *scores = json_dumps(json_object_get(x.body, "scores"), JSON_COMPACT);
    const char *p[] = {id, api_num(req, x.me->id), http_strdup(req, scores), comment, feedback};
    free(scores);
    awards_run_reply(&x, st_scores, 5, p, 200, "score.saved", "submission", id, NULL);
out:
    db_result_free(crit);
    api_end(&x);
}

/* The scores of a case as the caller may see them (convene_case_scores_json:
 * a judge its own while evaluation is open, every counted judge's after;
 * staff everything); 404 to anyone else. */
void jury_scores_get(struct http_req *req)
{
    awards_read(req, 0, API_CALLER_OPTIONAL, st_scores_get,
                AWARDS_ID | AWARDS_CALLER | AWARDS_STAFF, "case");
}

void jury_judging(struct http_req *req)
{
    awards_read(req, ROLE_JUDGE, 0, st_judging, AWARDS_CALLER, "judge");
}

/* Staff: where the jury stands in a cycle; ?sort=disagreement puts the
 * cases the judges disagree on most first. */
void jury_progress(struct http_req *req)
{
    char sort[16];
    if (api_query_string(req, "sort", sort, sizeof sort) != 0)
        return;
    if (sort[0] != '\0' && !str_eq(sort, "disagreement")) {
        http_reply_error(req, 400, "bad_request", "sort must be disagreement (or absent).");
        return;
    }
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    const char *p[] = {http_param(req, "id"), sort[0] ? sort : NULL};
    api_reply_row_json(req, x.c, db_run(x.c, st_progress, 2, p), 200, "award cycle");
out:
    api_end(&x);
}
