/*
 * submissions.c - cases: a confirmed member of an eligible organisation
 * creates a draft in a cycle's submission window, edits it, submits it
 * (mail submission_received) and may withdraw it (mail
 * submission_withdrawn). Staff and the organisation's confirmed members
 * read it, and so do judges assigned to its category who are not
 * conflicted with it, once evaluation opens; everyone else gets 404.
 *
 * The rules (eligibility, the window, the cap per organisation and
 * category) are decided in SQL under the cycle's and the case's row locks
 * (convene_submission_*), with the mail, in one transaction with the audit
 * row.
 */
#include "awards/awards.h"

#include "api/api.h"
#include "api/app.h"
#include "api/auth.h"
#include "awards/internal.h"
#include "base/config.h"
#include "db/db.h"
#include "http/http.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_create = -1, st_update = -1, st_get = -1, st_submit = -1, st_withdraw = -1,
           st_mine = -1;

void submissions_statements(void)
{
    st_create = db_register("aw_sub_create", "SELECT convene_submission_create($1, $2, $3::jsonb)");
    st_update = db_register("aw_sub_update",
                            "SELECT convene_submission_update($1, $2, $3, $4::jsonb)::text");
    st_get = db_register("aw_sub_get", "SELECT convene_submission_json($1)::text "
                                       "WHERE convene_case_visible($1, $2, $3)");
    st_submit = db_register(
        "aw_sub_submit", "SELECT status, changed FROM convene_submission_submit($1, $2, $3, $4)");
    st_withdraw =
        db_register("aw_sub_withdraw",
                    "SELECT status, changed FROM convene_submission_withdraw($1, $2, $3, $4)");
    st_mine = db_register("aw_sub_mine", "SELECT convene_my_submissions_json($1)::text");
}

static const char *const case_members[] = {
    "category_id", "sdgs",    "title",         "summary",         "description",
    "partners",    "results", "contact_email", "gallery_consent", NULL};
static const char *const case_read_only[] = {
    "id",           "cycle_id",   "status",     "organisation", "submitted_at",
    "withdrawn_at", "created_at", "updated_at", "files",        NULL};

/* Checks the members of a case body (create: the required ones too). */
static void check_case(struct http_req *req, json_t *body, bool create, struct api_fields *f)
{
    unsigned req_flag = create ? API_REQUIRED : 0;
    long n;
    /* Members a case cannot be without: null is no way to leave them out. */
    static const char *const needed[] = {"category_id", "title", "summary", "description"};
    for (size_t i = 0; i < ARRAY_LEN(needed) && !create; i++) {
        if (json_is_null(json_object_get(body, needed[i])))
            api_field_error(f, needed[i], "required", "This field is required.");
    }
    api_integer(body, "category_id", f, req_flag, 1, 1L << 53, &n);
    json_t *sdgs = json_object_get(body, "sdgs");
    if (sdgs == NULL || json_is_null(sdgs)) {
        if (create || sdgs != NULL)
            api_field_error(f, "sdgs", "required", "Choose 1 to 5 goals.");
    } else {
        bool ok = json_is_array(sdgs) && json_array_size(sdgs) >= 1 && json_array_size(sdgs) <= 5;
        bool seen[18] = {false};
        size_t i;
        json_t *g;
        json_array_foreach(sdgs, i, g)
        {
            json_int_t v = json_is_integer(g) ? json_integer_value(g) : 0;
            if (v < 1 || v > 17 || seen[v])
                ok = false;
            else
                seen[v] = true;
        }
        if (!ok)
            api_field_error(f, "sdgs", "invalid_choice",
                            "Choose 1 to 5 different goals, numbers from 1 to 17.");
    }
    awards_text(req, body, "title", f, req_flag | API_TRIM, 300);
    awards_text(req, body, "summary", f, req_flag | API_MULTILINE, 1000);
    awards_text(req, body, "description", f, req_flag | API_MULTILINE, 20000);
    awards_text(req, body, "partners", f, API_MULTILINE, 2000);
    awards_text(req, body, "results", f, API_MULTILINE, 5000);
    const char *mail = awards_text(req, body, "contact_email", f, API_TRIM, 254);
    if (mail != NULL) {
        const char *at = strchr(mail, '@');
        if (at == NULL || at == mail || at[1] == '\0' || strchr(mail, ' ') != NULL)
            api_field_error(f, "contact_email", "invalid_format", "Must be an email address.");
    }
    awards_boolean(body, "gallery_consent", f);
}

/* The prologue of creating (create) or changing a case: a verified
 * caller and a checked case body. 0, or -1 after answering. */
static int begin_case(struct api_ctx *x, struct http_req *req, bool create)
{
    if (api_begin(x, req, 0, AUTH_VERIFIED) != 0 ||
        api_body(x, false, case_members, case_read_only) != 0)
        return -1;
    check_case(req, x->body, create, &x->f);
    return api_check(x);
}

void submissions_create(struct http_req *req)
{
    struct api_ctx x;
    if (begin_case(&x, req, true) != 0)
        goto out;
    const char *p[] = {http_param(req, "id"), api_num(req, x.me->id), awards_body_text(&x)};
    struct db_result *r = awards_run_begun(&x, st_create, 3, p);
    if (r == NULL)
        goto out;
    long id = strtol(db_value(r, 0, 0), NULL, 10);
    db_result_free(r);
    json_t *details = json_pack("{s:s}", "cycle_id", http_param(req, "id"));
    int rc = awards_commit(&x, "submission.created", "submission", api_num(req, id), details);
    json_decref(details);
    if (rc == 0)
        http_reply_json(req, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", "draft"));
out:
    api_end(&x);
}

void submissions_get(struct http_req *req)
{
    awards_read(req, 0, API_CALLER_OPTIONAL, st_get, AWARDS_ID | AWARDS_CALLER | AWARDS_STAFF,
                "case");
}

void submissions_update(struct http_req *req)
{
    struct api_ctx x;
    if (begin_case(&x, req, false) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *p[] = {id, api_num(req, x.me->id), awards_staff(x.me) ? "true" : "false",
                       awards_body_text(&x)};
    json_t *details = json_pack("{s:O}", "request", x.body);
    awards_run_reply(&x, st_update, 4, p, 200, "submission.updated", "submission", id, details);
    json_decref(details);
out:
    api_end(&x);
}

/* Submit and withdraw: no body; an unchanged case is answered without an
 * audit row or mail. */
static void status_change(struct http_req *req, int stmt, const char *action)
{
    struct api_ctx x;
    if (awards_begin_empty(&x, req, 0, AUTH_VERIFIED) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *p[] = {id, api_num(req, x.me->id), awards_staff(x.me) ? "true" : "false",
                       api_app(req)->cfg->base_url};
    struct db_result *r = awards_run_begun(&x, stmt, 4, p);
    if (r == NULL)
        goto out;
    char *status = http_strdup(req, db_value(r, 0, 0));
    bool changed = str_eq(db_value(r, 0, 1), "t");
    db_result_free(r);
    if (awards_commit(&x, changed ? action : NULL, "submission", id, NULL) == 0)
        http_reply_json(req, 200,
                        json_pack("{s:I,s:s,s:b}", "id", (json_int_t)strtoll(id, NULL, 10),
                                  "status", status, "changed", changed));
out:
    api_end(&x);
}

void submissions_submit(struct http_req *req)
{
    status_change(req, st_submit, "submission.submitted");
}

void submissions_withdraw(struct http_req *req)
{
    status_change(req, st_withdraw, "submission.withdrawn");
}

/* The cases of the caller's organisation (confirmed members only). */
void submissions_mine(struct http_req *req)
{
    awards_read(req, 0, 0, st_mine, AWARDS_CALLER, "case");
}
