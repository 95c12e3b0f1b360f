/*
 * cycles.c - award cycles: the public list and view (categories, criteria,
 * settings and the phase computed from now), and staff creating and
 * changing them (convene_award_cycle_create / _update under the cycle's
 * row lock, audit-logged as award_cycle.created / award_cycle.updated).
 *
 * The API checks each member's type and range here; the order of the
 * phase instants and the weights are also checks of the table, so a PATCH
 * that breaks them is a 422 on the field too.
 */
#include "awards/awards.h"

#include "api/api.h"
#include "api/auth.h"
#include "awards/internal.h"
#include "db/db.h"
#include "http/http.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_list = -1, st_get = -1, st_create = -1, st_update = -1;

void cycles_statements(void)
{
    st_list = db_register("aw_cycles", "SELECT json_build_object('items', coalesce(json_agg("
                                       "convene_award_cycle_json(id) ORDER BY year DESC, id DESC)"
                                       ", '[]'))::text FROM award_cycles");
    st_get = db_register("aw_cycle", "SELECT convene_award_cycle_json($1)::text");
    st_create =
        db_register("aw_cycle_create", "SELECT convene_award_cycle_create($1::jsonb, $2)::text");
    st_update =
        db_register("aw_cycle_update", "SELECT convene_award_cycle_update($1, $2::jsonb)::text");
}

/* ---- Reading a cycle body ---- */

static const char *const instants[] = {"submission_opens_at", "submission_closes_at",
                                       "voting_opens_at",     "voting_closes_at",
                                       "evaluation_opens_at", "evaluation_closes_at"};

/* Checks the list member key ("categories" or "criteria") of body. */
static void check_items(struct http_req *req, json_t *body, const char *key, bool criteria,
                        bool required, struct api_fields *f)
{
    json_t *list = json_object_get(body, key);
    if (list == NULL) {
        if (required)
            api_field_error(f, key, "required", "This field is required.");
        return;
    }
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 50) {
        api_field_error(f, key, json_is_array(list) ? "out_of_range" : "invalid_type",
                        "Send a list of 1 to 50 items.");
        return;
    }
    static const char *const cat_members[] = {"id", "name", "description", NULL};
    static const char *const crit_members[] = {"id",     "name",      "description",
                                               "weight", "scale_max", NULL};
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "%s.%zu", key, i);
        if (!json_is_object(item)) {
            api_field_error(f, prefix, "invalid_type", "Each item must be an object.");
            continue;
        }
        struct api_fields inner;
        api_fields_init(&inner);
        api_reject_unknown(&inner, item, criteria ? crit_members : cat_members, NULL);
        long id;
        api_integer(item, "id", &inner, 0, 1, 1L << 53, &id);
        awards_text(req, item, "name", &inner, API_REQUIRED | API_TRIM, 200);
        awards_text(req, item, "description", &inner, API_MULTILINE, 2000);
        if (criteria) {
            long scale;
            api_integer(item, "scale_max", &inner, 0, 1, 100, &scale);
            json_t *w = json_object_get(item, "weight");
            if (w != NULL &&
                (!json_is_number(w) || json_number_value(w) <= 0 || json_number_value(w) > 1000))
                api_field_error(&inner, "weight",
                                json_is_number(w) ? "out_of_range" : "invalid_type",
                                "Must be a number above 0 and at most 1000.");
        }
        /* Each problem is reported as key.index.member. */
        const char *member;
        json_t *err;
        json_object_foreach(inner.errors, member, err)
        {
            char field[96];
            snprintf(field, sizeof field, "%s.%s", prefix, member);
            api_field_error(f, field, json_string_value(json_object_get(err, "code")),
                            json_string_value(json_object_get(err, "message")));
        }
        api_fields_free(&inner);
    }
}

/* Checks the members of a cycle body (create: the required ones too). */
static void check_cycle(struct http_req *req, json_t *body, bool create, struct api_fields *f)
{
    long n;
    unsigned req_flag = create ? API_REQUIRED : 0;
    api_integer(body, "year", f, req_flag, 2000, 2100, &n);
    awards_text(req, body, "title", f, req_flag | API_TRIM, 300);
    double at[6];
    bool have[6];
    for (size_t i = 0; i < ARRAY_LEN(instants); i++) {
        const char *s = api_string(req, body, instants[i], f, req_flag, 1, 64);
        have[i] = s != NULL && time_parse_rfc3339(s, &at[i]);
        if (s != NULL && !have[i])
            api_field_error(f, instants[i], "invalid_format",
                            "Must be a date and time with a zone, like 2023-03-01T00:00:00Z.");
    }
    /* The order of the windows, when the request names both ends. */
    for (size_t i = 0; i < 6; i += 2) {
        if (have[i] && have[i + 1] && at[i + 1] <= at[i])
            api_field_error(f, instants[i + 1], "end_before_start", "Must be after the opening.");
    }
    if (have[1] && have[2] && at[1] > at[2])
        api_field_error(f, "submission_closes_at", "out_of_range",
                        "Submission must close before voting opens.");
    if (have[1] && have[4] && at[1] > at[4])
        api_field_error(f, "submission_closes_at", "out_of_range",
                        "Submission must close before evaluation opens.");
    double w[2] = {-1, -1};
    static const char *const weights[] = {"jury_weight", "public_weight"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, weights[i]);
        if (v == NULL)
            continue;
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
            api_field_error(f, weights[i], json_is_number(v) ? "out_of_range" : "invalid_type",
                            "Must be a number from 0 to 1.");
        else
            w[i] = json_number_value(v);
    }
    if (w[0] >= 0 && w[1] >= 0 && fabs(w[0] + w[1] - 1.0) > 1e-9)
        api_field_error(f, "public_weight", "out_of_range",
                        "jury_weight and public_weight must add up to 1.");
    if (create && (w[0] >= 0) != (w[1] >= 0))
        api_field_error(f, w[0] >= 0 ? "public_weight" : "jury_weight", "required",
                        "Give both weights, adding up to 1.");
    api_integer(body, "min_judges", f, 0, 1, 100, &n);
    api_integer(body, "finalists_per_category", f, 0, 0, 100, &n);
    api_integer(body, "max_cases_per_org", f, 0, 1, 100, &n);
    awards_boolean(body, "normalise", f);
    awards_boolean(body, "country_conflicts", f);
    awards_boolean(body, "self_vote", f);
    json_t *kinds = json_object_get(body, "eligible_kinds");
    if (kinds != NULL) {
        static const char *const known[] = {"member_city", "partner", "national_chapter",
                                            "secretariat"};
        bool ok =
            json_is_array(kinds) && json_array_size(kinds) >= 1 && json_array_size(kinds) <= 4;
        size_t i, j;
        json_t *k;
        json_array_foreach(kinds, i, k)
        {
            bool found = false;
            for (j = 0; j < ARRAY_LEN(known); j++)
                found |= json_is_string(k) && str_eq(json_string_value(k), known[j]);
            for (j = 0; j < i; j++)
                found &= !json_equal(json_array_get(kinds, j), k);
            ok &= found;
        }
        if (!ok)
            api_field_error(f, "eligible_kinds", "invalid_choice",
                            "A list of distinct kinds: member_city, partner, national_chapter, "
                            "secretariat.");
    }
    const char *day = api_string(req, body, "ceremony_on", f, 0, 1, 10);
    if (day != NULL) {
        char probe[40];
        snprintf(probe, sizeof probe, "%sT00:00Z", day);
        double t;
        if (strlen(day) != 10 || !time_parse_rfc3339(probe, &t))
            api_field_error(f, "ceremony_on", "invalid_format", "Must be a date, YYYY-MM-DD.");
    }
    awards_text(req, body, "ceremony_place", f, API_TRIM, 300);
    check_items(req, body, "categories", false, create, f);
    check_items(req, body, "criteria", true, create, f);
}

static const char *const cycle_members[] = {"year",
                                            "title",
                                            "submission_opens_at",
                                            "submission_closes_at",
                                            "voting_opens_at",
                                            "voting_closes_at",
                                            "evaluation_opens_at",
                                            "evaluation_closes_at",
                                            "jury_weight",
                                            "public_weight",
                                            "min_judges",
                                            "normalise",
                                            "country_conflicts",
                                            "self_vote",
                                            "finalists_per_category",
                                            "max_cases_per_org",
                                            "eligible_kinds",
                                            "ceremony_on",
                                            "ceremony_place",
                                            "categories",
                                            "criteria",
                                            NULL};
static const char *const cycle_read_only[] = {"id", "phase", "published_at", NULL};

/* ---- Handlers ---- */

void cycles_list(struct http_req *req)
{
    awards_read(req, 0, API_NO_CALLER, st_list, 0, "award cycle");
}

void cycles_get(struct http_req *req)
{
    awards_read(req, 0, API_NO_CALLER, st_get, AWARDS_ID, "award cycle");
}

/* Creates a cycle (create) or changes the route's one from the checked
 * body; answers it (201 or 200) after the audit row and the commit. */
static void write_cycle(struct http_req *req, bool create)
{
    json_t *j = NULL, *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, cycle_members, cycle_read_only) != 0)
        goto out;
    check_cycle(req, x.body, create, &x.f);
    if (api_check(&x) != 0)
        goto out;
    const char *body = awards_body_text(&x);
    const char *create_p[] = {body, api_num(req, x.me->id)};
    const char *update_p[] = {http_param(req, "id"), body};
    struct db_result *r =
        awards_run_begun(&x, create ? st_create : st_update, 2, create ? create_p : update_p);
    if (r == NULL)
        goto out;
    const char *text = awards_take_text(&x, r);
    j = json_loads(text, 0, NULL);
    const char *id = api_num(req, (long)json_integer_value(json_object_get(j, "id")));
    details = json_pack("{s:O}", "request", x.body);
    awards_commit_reply(&x, text, create ? 201 : 200,
                        create ? "award_cycle.created" : "award_cycle.updated", "award_cycle", id,
                        details);
out:
    json_decref(details);
    json_decref(j);
    api_end(&x);
}

void cycles_create(struct http_req *req)
{
    write_cycle(req, true);
}

void cycles_update(struct http_req *req)
{
    write_cycle(req, false);
}
