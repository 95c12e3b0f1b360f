/*
 * seed.c - `convene seed`: loads CityNet's organisations from
 * sql/seed/organisations-2023.json and creates demo accounts (an admin,
 * staff, a judge and participants from several member cities), printing
 * the passwords of the accounts it creates. `--year YYYY` shifts the 2023
 * calendar to that year and adds demo registrations (a full activity with
 * a waiting list). Idempotent: what exists is left as it is.
 */
#include "api/auth.h"
#include "cli.h"
#include "base/config.h"
#include "formats/datelabel.h"
#include "db/db.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct demo_account {
    const char *email;
    const char *name;
    const char *organisation;
    const char *position;
    const char *roles; /* comma-separated */
};

/* Names in several scripts on purpose: the pages and mails must carry them. */
static const struct demo_account demo_accounts[] = {
    {"admin@convene.example.org", "Convene Administrator", "CityNet Secretariat",
     "System administrator", "admin,staff"},
    {"staff@convene.example.org", "Programme Officer", "CityNet Secretariat", "Programme officer",
     "staff"},
    {"judge@convene.example.org", "Aiko Tanaka", "City of Yokohama", "SDG Awards juror",
     "judge,participant"},
    {"minjun.kim@seoul.example.org", "김민준", "Seoul Metropolitan Government",
     "Urban planning officer", "participant"},
    {"somchai@bangkok.example.org", "สมชาย ใจดี", "Bangkok Metropolitan Administration",
     "Climate policy analyst", "participant"},
    {"amit.sharma@kathmandu.example.org", "अमित शर्मा", "Kathmandu Metropolitan City",
     "Municipal engineer", "participant"},
    {"maria.santos@makati.example.org", "Maria Santos", "Makati City Government",
     "Disaster risk reduction officer", "participant"},
    {"nguyen.lan@hanoi.example.org", "Nguyễn Thị Lan", "Hanoi People's Committee",
     "International cooperation officer", "participant"},
};

/* Loads sql/seed/NAME, a JSON array; NULL after printing why not. */
static json_t *load_seed_array(const char *data_dir, const char *name)
{
    char *path = xasprintf("%s/sql/seed/%s", data_dir, name);
    json_error_t err;
    json_t *list = json_load_file(path, 0, &err);
    if (!json_is_array(list)) {
        fprintf(stderr, "convene: %s: %s\n", path, err.text);
        json_decref(list);
        list = NULL;
    }
    free(path);
    return list;
}

/* One statement for the whole file: what exists (by name) is left alone. */
static int seed_organisations(struct db_conn *c, const char *data_dir, int *added)
{
    json_t *orgs = load_seed_array(data_dir, "organisations-2023.json");
    if (orgs == NULL)
        return -1;
    char *text = json_dumps(orgs, JSON_COMPACT);
    json_decref(orgs);
    const char *p[] = {text};
    struct db_result *r =
        db_query(c,
                 "INSERT INTO organisations (name, city, country, kind) "
                 "SELECT name, city, country, kind FROM jsonb_to_recordset($1::jsonb) "
                 "AS o(name text, city text, country text, kind text) "
                 "ON CONFLICT (name) DO NOTHING",
                 1, p);
    free(text);
    if (r == NULL) {
        /* One statement: PostgreSQL's detail ("Failing row contains ...")
         * names the row that was refused. */
        const char *detail = db_error_detail(c);
        fprintf(stderr, "convene: organisations-2023.json: %s%s%s\n", db_error_message(c),
                detail ? " " : "", detail ? detail : "");
        return -1;
    }
    *added = (int)db_affected(r);
    db_result_free(r);
    return 0;
}

static int seed_account(struct db_conn *c, const struct demo_account *d)
{
    char pw[48];
    auth_random_token(pw);
    pw[20] = '\0'; /* 20 URL-safe characters, about 120 bits */
    char hash[crypto_pwhash_STRBYTES];
    if (auth_hash_password(pw, hash) != 0)
        return -1;
    const char *p[] = {d->email, hash, d->name, d->organisation, d->position};
    struct db_result *r = db_query(
        c,
        "INSERT INTO accounts (email, password_hash, name, organisation_id, position, country, "
        " email_verified_at) "
        "SELECT $1, $2, $3, o.id, $5, o.country, now() FROM organisations o WHERE o.name = $4 "
        "ON CONFLICT (email) DO NOTHING RETURNING id",
        5, p);
    if (r == NULL) {
        fprintf(stderr, "convene: account %s: %s\n", d->email, db_error_message(c));
        return -1;
    }
    bool created = db_nrows(r) == 1;
    char *id = created ? xstrdup(db_value(r, 0, 0)) : NULL;
    db_result_free(r);
    if (!created) {
        printf("  %-36s exists; password unchanged\n", d->email);
        return 0;
    }
    char roles[64];
    snprintf(roles, sizeof roles, "%s", d->roles);
    char *save = NULL;
    int rc = 0;
    for (char *role = strtok_r(roles, ",", &save); role && rc == 0;
         role = strtok_r(NULL, ",", &save)) {
        const char *rp[] = {id, role};
        struct db_result *rr =
            db_query(c, "INSERT INTO account_roles (account_id, role) VALUES ($1, $2)", 2, rp);
        rc = rr ? 0 : -1;
        db_result_free(rr);
    }
    free(id);
    if (rc == 0)
        printf("  %-36s %-22s password: %s\n", d->email, d->roles, pw);
    return rc;
}

static const char *jtext(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A copy of text (NULL stays NULL) with every "2023" written as year
 * (four digits, so the length is kept); the caller frees. */
static char *with_year(const char *text, const char *year)
{
    if (text == NULL)
        return NULL;
    char *out = xstrdup(text);
    for (char *p = strstr(out, "2023"); p; p = strstr(p + 4, "2023"))
        memcpy(p, year, 4);
    return out;
}

/* Loads sql/seed/activities-2023.json: CityNet's calendar as written, all
 * published; partner events are external (no registration). With year (not
 * 0) the calendar moves to that year: exact dates by whole years (29
 * February becomes the 28th), labels' periods computed for that year, and
 * "2023" in slugs, titles, summaries and labels written as the year. */
static int seed_activities(struct db_conn *c, const char *data_dir, int year, int *added)
{
    json_t *list = load_seed_array(data_dir, "activities-2023.json");
    if (list == NULL)
        return -1;
    int rc = 0;
    size_t i;
    json_t *a;
    char ys[16], shift[16];
    snprintf(ys, sizeof ys, "%04d", year ? year : 2023);
    snprintf(shift, sizeof shift, "%d", year ? year - 2023 : 0);
    json_array_foreach(list, i, a)
    {
        char start[11] = "", end[11] = "", cap[16] = "";
        const char *starts = jtext(a, "starts_on"), *ends = jtext(a, "ends_on");
        char *slug = with_year(jtext(a, "slug"), ys), *title = with_year(jtext(a, "title"), ys),
             *summary = with_year(jtext(a, "summary"), ys),
             *label = with_year(jtext(a, "date_label"), ys);
        if (starts) {
            snprintf(start, sizeof start, "%s", starts);
            snprintf(end, sizeof end, "%s", ends ? ends : starts);
        } else if (label == NULL || datelabel_parse(label, year ? year : 2023, start, end) != 0) {
            start[0] = end[0] = '\0';
        }
        /* Exact dates move in SQL (make_interval); a label's period is
         * already for the year. */
        const char *start_shift = starts ? shift : "0";
        json_t *capacity = json_object_get(a, "capacity");
        if (json_is_integer(capacity))
            snprintf(cap, sizeof cap, "%lld", (long long)json_integer_value(capacity));
        const char *p[] = {slug,
                           jtext(a, "kind"),
                           jtext(a, "section"),
                           title,
                           summary,
                           jtext(a, "description"),
                           jtext(a, "host"),
                           jtext(a, "programme"),
                           jtext(a, "city"),
                           jtext(a, "country"),
                           json_is_true(json_object_get(a, "online")) ? "true" : "false",
                           jtext(a, "timezone") ? jtext(a, "timezone") : "Asia/Seoul",
                           label,
                           starts,
                           ends,
                           start[0] ? start : NULL,
                           end[0] ? end : NULL,
                           cap[0] ? cap : NULL,
                           jtext(a, "mode"),
                           jtext(a, "external_url"),
                           shift,
                           start_shift};
        struct db_result *r = db_query(
            c,
            "INSERT INTO activities (slug, kind, section, title, summary, description, "
            " host_organisation_id, programme, city, country, online, timezone, date_label, "
            " starts_on, ends_on, period_start, period_end, capacity, mode, external_url, status) "
            "VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM organisations WHERE name = $7), "
            " $8, $9, $10, $11, $12, $13, "
            " ($14::date + make_interval(years => $21::int))::date, "
            " ($15::date + make_interval(years => $21::int))::date, "
            " ($16::date + make_interval(years => $22::int))::date, "
            " ($17::date + make_interval(years => $22::int))::date, "
            " $18, $19, $20, 'published') "
            "ON CONFLICT (slug) DO NOTHING",
            22, p);
        free(title);
        free(summary);
        free(label);
        if (r == NULL) {
            fprintf(stderr, "convene: activity %s: %s\n", slug ? slug : "?", db_error_message(c));
            free(slug);
            rc = -1;
            break;
        }
        free(slug);
        *added += (int)db_affected(r);
        db_result_free(r);
    }
    json_decref(list);
    if (rc != 0)
        return rc;
    /* Registration questions for two activities, to show how they work. */
    struct db_result *q = db_query(
        c,
        "INSERT INTO activity_questions (activity_id, position, kind, label, required, choices) "
        "SELECT a.id, v.pos, v.kind, v.label, v.required, v.choices::jsonb FROM activities a, "
        "(VALUES (0, 'text', 'Which low carbon initiative of your city would you present?', "
        "  true, '[]'), "
        " (1, 'single_choice', 'Which session time suits you best?', true, "
        "  '[\"Morning (Seoul time)\", \"Afternoon (Seoul time)\"]'), "
        " (2, 'yes_no', 'Do you need a certificate of participation?', false, '[]')) "
        " AS v(pos, kind, label, required, choices) "
        "WHERE a.slug = 'training-low-carbon-built-environments-sdgs-' || $1 "
        "AND NOT EXISTS (SELECT 1 FROM activity_questions x WHERE x.activity_id = a.id)",
        1, (const char *[]){ys});
    db_result_free(q);
    return q ? 0 : -1;
}

/*
 * For a shifted calendar (a demo): the masterclass becomes a small group of
 * three, taken by three demo participants, and a fourth waits, so the
 * calendar shows a full activity with a waiting list. Written directly (no
 * mail is queued for the demo people). Only when the masterclass of that
 * year has no registration yet.
 */
static int seed_demo_registrations(struct db_conn *c, int year)
{
    char ys[16];
    snprintf(ys, sizeof ys, "%04d", year);
    const char *p[] = {ys};
    struct db_result *r = db_query(
        c,
        "WITH a AS (UPDATE activities SET capacity = 3, confirmed_count = 3, "
        "   waitlist_counter = 1 "
        "  WHERE slug = 'urban-safety-inclusive-spaces-masterclass-' || $1 AND NOT EXISTS "
        "   (SELECT 1 FROM enrollments e WHERE e.activity_id = activities.id) RETURNING id), "
        "p AS (SELECT acc.id, acc.organisation_id, row_number() OVER (ORDER BY acc.email) AS n "
        "  FROM accounts acc WHERE acc.email IN ('minjun.kim@seoul.example.org', "
        "   'somchai@bangkok.example.org', 'amit.sharma@kathmandu.example.org', "
        "   'maria.santos@makati.example.org')) "
        "INSERT INTO enrollments (activity_id, account_id, organisation_id, status, waitlist_seq) "
        "SELECT a.id, p.id, p.organisation_id, CASE WHEN p.n <= 3 THEN 'confirmed' "
        " ELSE 'waitlisted' END, CASE WHEN p.n > 3 THEN 1 END FROM a, p",
        1, p);
    if (r == NULL) {
        fprintf(stderr, "convene: demo registrations: %s\n", db_error_message(c));
        return -1;
    }
    if (db_affected(r) > 0)
        printf("demo registrations: %d (a full masterclass with a waiting list)\n",
               (int)db_affected(r));
    db_result_free(r);
    return 0;
}

/*
 * The 2023 CityNet-ESCAP SDG City Awards (the second edition), from
 * /work/shared/data/citynet-sdg-awards-2023.txt: four categories, seven
 * criteria (the call names them, not their scale or weights: 1-10 and
 * equal weights here), the ceremony at APUF-8 in Suwon on 25 October 2023.
 * The call's exact windows are not all known: the dates below are
 * plausible choices (submission March to June, voting mid-July to
 * mid-August, evaluation mid-July to mid-September, Seoul time), as are
 * the weights (jury 0.7, public 0.3). Not published: there are no results
 * to show. Added once (a cycle of 2023 already there is left alone).
 */
static const char awards_2023[] =
    "{\"year\": 2023, \"title\": \"CityNet-ESCAP SDG City Awards 2023\","
    " \"submission_opens_at\": \"2023-03-01T00:00:00+09:00\","
    " \"submission_closes_at\": \"2023-06-30T23:59:59+09:00\","
    " \"voting_opens_at\": \"2023-07-15T00:00:00+09:00\","
    " \"voting_closes_at\": \"2023-08-15T23:59:59+09:00\","
    " \"evaluation_opens_at\": \"2023-07-15T00:00:00+09:00\","
    " \"evaluation_closes_at\": \"2023-09-15T23:59:59+09:00\","
    " \"jury_weight\": 0.7, \"public_weight\": 0.3,"
    " \"ceremony_on\": \"2023-10-25\","
    " \"ceremony_place\": \"8th Asia-Pacific Urban Forum (APUF-8), Suwon, Republic of Korea\","
    " \"categories\": [{\"name\": \"Resilient urban and territorial planning\"},"
    "  {\"name\": \"City climate action\"},"
    "  {\"name\": \"Inclusive urban digital transformation\"},"
    "  {\"name\": \"Innovative urban finance\"}],"
    " \"criteria\": [{\"name\": \"Innovation\", \"weight\": 1, \"scale_max\": 10},"
    "  {\"name\": \"Leadership and governance\", \"weight\": 1, \"scale_max\": 10},"
    "  {\"name\": \"Clear implementation\", \"weight\": 1, \"scale_max\": 10},"
    "  {\"name\": \"Standard of quality\", \"weight\": 1, \"scale_max\": 10},"
    "  {\"name\": \"Positive outcomes\", \"weight\": 1, \"scale_max\": 10},"
    "  {\"name\": \"Long-term sustainability\", \"weight\": 1, \"scale_max\": 10},"
    "  {\"name\": \"Replicability\", \"weight\": 1, \"scale_max\": 10}]}";

static int seed_awards(struct db_conn *c, int *added)
{
    const char *p[] = {awards_2023};
    struct db_result *r =
        db_query(c,
                 "SELECT convene_award_cycle_create($1::jsonb, NULL) "
                 "WHERE NOT EXISTS (SELECT 1 FROM award_cycles WHERE year = 2023)",
                 1, p);
    if (r == NULL) {
        fprintf(stderr, "convene: awards 2023: %s\n", db_error_message(c));
        return -1;
    }
    *added = db_nrows(r);
    db_result_free(r);
    return 0;
}

int cli_seed(const struct config *cfg, const char *data_dir, int year)
{
    char err[512];
    struct db_conn *c =
        db_connect(cfg->database_url, (int)cfg->db_connect_timeout_s, err, sizeof err);
    if (c == NULL) {
        fprintf(stderr, "convene: cannot connect to the database: %s\n", err);
        return 1;
    }
    if (auth_init(cfg) != 0) {
        db_close(c);
        return 1;
    }
    int rc = 1, added = 0;
    if (db_begin(c) != 0 || seed_organisations(c, data_dir, &added) != 0)
        goto out;
    printf("organisations: %d added\n", added);
    int activities = 0;
    if (seed_activities(c, data_dir, year, &activities) != 0)
        goto out;
    if (year)
        printf("activities: %d added (CityNet's 2023 calendar, shifted to %d)\n", activities, year);
    else
        printf("activities: %d added (CityNet's 2023 calendar)\n", activities);
    int cycles = 0;
    if (seed_awards(c, &cycles) != 0)
        goto out;
    printf("award cycles: %d added (the 2023 SDG City Awards)\n", cycles);
    printf("demo accounts:\n");
    for (size_t i = 0; i < ARRAY_LEN(demo_accounts); i++) {
        if (seed_account(c, &demo_accounts[i]) != 0)
            goto out;
    }
    if (year && seed_demo_registrations(c, year) != 0)
        goto out;
    if (db_commit(c) == 0)
        rc = 0;
out:
    if (rc != 0)
        db_rollback(c);
    db_close(c);
    return rc;
}
