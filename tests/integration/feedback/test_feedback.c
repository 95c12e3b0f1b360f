/*
 * test_feedback.c - evaluation forms after an activity, against the real
 * server, PostgreSQL and the mail catcher: writing a form (422 per field,
 * staff only, closing after the end, locked after the first answer), the
 * window (refused before the activity ends and after closing), invitations
 * (one mail per attended participant, a second send sends none), one answer
 * per attended participant (409 on a second, 403 for someone who did not
 * attend), anonymity (the answers table has no account and no time; two
 * anonymous answers cannot be told apart by joining to the respondents),
 * the results (counts, mean, distribution), the comparison of a programme
 * and the CSV export (formula cells neutralised).
 *
 * The tests share one server and database and run in order: the answers
 * given by one are counted by the next.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "harness.h"

Suite *make_feedback_suite(void);

#define DB "feedback"

static struct server srv;
static struct catcher mail;
static struct hsession staff;
/* fb-1 .. fb-4 attended activities A and B; fb-5 is confirmed in A (did
 * not attend); fb-6 attends A later (a second round of invitations). */
static struct hsession people[6];
/* A and B: ended, programme "SDG Online Courses" (A anonymous, B not);
 * C: in the future; D: ended 20 days ago; E: ended, no form. */
static long act_a, act_b, act_c, act_d, act_e;

static long make_activity(const char *slug, const char *title, const char *programme,
                          int start_days, int end_days)
{
    return harness_sql_longf(
        DB,
        "INSERT INTO activities (slug, kind, title, programme, timezone, mode, status, "
        "starts_on, ends_on, period_start, period_end) VALUES ('%s', 'online_course', '%s', "
        "'%s', 'Asia/Seoul', 'open', 'published', current_date + %d, current_date + %d, "
        "current_date + %d, current_date + %d) RETURNING id",
        slug, title, programme, start_days, end_days, start_days, end_days);
}

static void enrol(long act, const struct hsession *who, const char *status)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO enrollments (activity_id, account_id, status) VALUES (%ld, %ld, '%s')",
             act, who->id, status);
    harness_sql(DB, sql);
}

static void start_all(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    const char *env[] = {harness_catcher_env(&mail), "CONVENE_BASE_URL=http://convene.test", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    harness_sql(DB, "INSERT INTO organisations (name, city, country, kind) VALUES "
                    "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', "
                    "'member_city')");
    harness_make_users(DB, "staff", "Staff", 1, NULL, "staff", &staff);
    harness_make_users(DB, "fb", "Person", 6, "Seoul Metropolitan Government", "participant",
                       people);
    act_a = make_activity("sdg-water", "SDG Online Course: Water", "SDG Online Courses", -10, -3);
    act_b =
        make_activity("sdg-energy", "SDG Online Course: Energy", "SDG Online Courses", -20, -15);
    act_c = make_activity("future", "Future workshop", "Other", 30, 31);
    act_d = make_activity("long-ago", "Long ago", "Other", -25, -20);
    act_e = make_activity("no-form", "No form", "Other", -5, -4);
    for (int i = 0; i < 4; i++) {
        enrol(act_a, &people[i], "attended");
        enrol(act_b, &people[i], "attended");
        enrol(act_c, &people[i], "attended");
        enrol(act_d, &people[i], "attended");
    }
    enrol(act_a, &people[4], "confirmed");
    enrol(act_a, &people[5], "confirmed");
}

static void stop_all(void)
{
    harness_server_stop(&srv);
    harness_catcher_stop(&mail);
}

static const char *path(long act, const char *tail)
{
    static char p[160];
    snprintf(p, sizeof p, "/api/activities/%ld/feedback%s", act, tail);
    return p;
}

/* An instant days from now, as the API takes it. */
static const char *instant(int days)
{
    static char s[64];
    char q[256];
    snprintf(q, sizeof q,
             "SELECT to_char((now() + make_interval(days => %d)) AT TIME ZONE 'UTC', "
             "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
             days);
    char *t = harness_sql_text(DB, q);
    snprintf(s, sizeof s, "%s", t);
    free(t);
    return s;
}

#define QUESTIONS                                                                                  \
    "[{\"kind\":\"rating\",\"label\":\"Overall\",\"required\":true},"                              \
    "{\"kind\":\"rating\",\"label\":\"Speakers\"},"                                                \
    "{\"kind\":\"text\",\"label\":\"Comments\",\"max_length\":500},"                               \
    "{\"kind\":\"single_choice\",\"label\":\"Format\",\"choices\":[\"Online\",\"Hybrid\"]},"       \
    "{\"kind\":\"multiple_choice\",\"label\":\"Topics\",\"choices\":[\"Water\",\"Energy\","        \
    "\"Waste\"]},"                                                                                 \
    "{\"kind\":\"yes_no\",\"label\":\"Recommend\"}]"

static void put_form(long act, bool anonymous, int close_days, long want)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"title\":\"Course evaluation\",\"anonymous\":%s,\"closes_at\":\"%s\","
             "\"questions\":" QUESTIONS "}",
             anonymous ? "true" : "false", instant(close_days));
    HEXPECT(&srv, "PUT", path(act, ""), body, &staff, want, NULL);
}

/* The ids of the form's questions, in order (ids[0..5]). */
static void question_ids(long act, long ids[6])
{
    long st;
    json_t *j = hcall_json(&srv, "GET", path(act, ""), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    json_t *qs = json_object_get(j, "questions");
    ck_assert_int_eq(json_array_size(qs), 6);
    for (size_t i = 0; i < 6; i++)
        ids[i] = (long)json_integer_value(json_object_get(json_array_get(qs, i), "id"));
    json_decref(j);
}

/* Answers act's form as who: overall, speakers (0: none), comment (NULL:
 * none), format, topics (a JSON array), recommend. Returns the status. */
static long answer(long act, const struct hsession *who, int overall, int speakers,
                   const char *comment, const char *format, const char *topics, bool recommend,
                   struct hresp *r)
{
    long q[6];
    question_ids(act, q);
    char body[2048], sp[64] = "", co[600] = "";
    if (speakers)
        snprintf(sp, sizeof sp, ",\"%ld\":%d", q[1], speakers);
    if (comment)
        snprintf(co, sizeof co, ",\"%ld\":\"%s\"", q[2], comment);
    snprintf(body, sizeof body,
             "{\"answers\":{\"%ld\":%d%s%s,\"%ld\":\"%s\",\"%ld\":%s,\"%ld\":%s}}", q[0], overall,
             sp, co, q[3], format, q[4], topics, q[5], recommend ? "true" : "false");
    return hcall(&srv, "POST", path(act, "/answers"), body, who, r);
}

#define ANSWER_EXPECT(act, who, overall, speakers, comment, status, code)                          \
    do {                                                                                           \
        struct hresp ar_;                                                                          \
        long got_ = answer((act), (who), (overall), (speakers), (comment), "Online",               \
                           "[\"Water\"]", true, &ar_);                                             \
        ck_assert_msg(got_ == (status), "answer: %ld, want %d: %.300s", got_, (int)(status),       \
                      ar_.body ? ar_.body : "");                                                   \
        if ((code) != NULL)                                                                        \
            ck_assert_str_eq(herr_code(&ar_), (const char *)(code));                               \
        hresp_free(&ar_);                                                                          \
    } while (0)

/* ---- Writing the form ---- */

START_TEST(form_refuses_bad_input_and_non_staff)
{
    struct hresp r;
    char body[1024];
    ck_assert_int_eq(hcall(&srv, "PUT", path(act_a, ""),
                           "{\"closes_at\":\"tomorrow\",\"questions\":[{\"kind\":\"stars\","
                           "\"label\":\"\"},{\"kind\":\"single_choice\",\"label\":\"One\","
                           "\"choices\":[\"only\"]},{\"kind\":\"rating\",\"label\":\"R\","
                           "\"choices\":[\"a\",\"b\"],\"colour\":1}],\"secret\":1}",
                           &staff, &r),
                     422);
    ck_assert_str_eq(herr_code(&r), "validation_failed");
    ck_assert_str_eq(herr_field_code(&r, "anonymous"), "required");
    ck_assert_str_eq(herr_field_code(&r, "closes_at"), "invalid_format");
    ck_assert_str_eq(herr_field_code(&r, "questions[0].kind"), "invalid_choice");
    ck_assert_str_eq(herr_field_code(&r, "questions[0].label"), "invalid_format");
    ck_assert_str_eq(herr_field_code(&r, "questions[1].choices"), "out_of_range");
    ck_assert_str_eq(herr_field_code(&r, "questions[2].choices"), "out_of_range");
    ck_assert_str_eq(herr_field_code(&r, "questions[2].colour"), "unknown_member");
    ck_assert_str_eq(herr_field_code(&r, "secret"), "unknown_member");
    hresp_free(&r);
    /* Closing before the activity's end. */
    snprintf(body, sizeof body,
             "{\"anonymous\":true,\"closes_at\":\"%s\",\"questions\":" QUESTIONS "}", instant(-5));
    ck_assert_int_eq(hcall(&srv, "PUT", path(act_a, ""), body, &staff, &r), 422);
    ck_assert_str_eq(herr_field_code(&r, "closes_at"), "invalid_choice");
    hresp_free(&r);
    /* Participants may not write forms; nothing was saved. */
    snprintf(body, sizeof body,
             "{\"anonymous\":true,\"closes_at\":\"%s\",\"questions\":" QUESTIONS "}", instant(10));
    HEXPECT(&srv, "PUT", path(act_a, ""), body, &people[0], 403, "forbidden");
    HEXPECT(&srv, "PUT", path(act_a, ""), body, NULL, 401, NULL);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_forms"), 0);
    HEXPECT(&srv, "PUT", "/api/activities/999999/feedback", body, &staff, 404, "not_found");
}
END_TEST

START_TEST(form_saved_and_read)
{
    put_form(act_a, true, 10, 200);
    put_form(act_a, true, 10, 200); /* editable before any answer: replaced */
    put_form(act_b, false, 10, 200);
    put_form(act_c, true, 40, 200);
    put_form(act_d, true, -1, 200);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_forms"), 4);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM feedback_questions q JOIN "
                                       "feedback_forms f ON f.id = q.form_id WHERE "
                                       "f.activity_id = %ld",
                                       act_a),
                     6);
    long st;
    json_t *j = hcall_json(&srv, "GET", path(act_a, ""), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "open");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "attended")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 2);
    ck_assert(json_is_true(json_object_get(j, "anonymous")));
    json_decref(j);
    /* A participant who attended sees the form, without the counts. */
    j = hcall_json(&srv, "GET", path(act_a, ""), NULL, &people[0], &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(j, "answered")));
    ck_assert_ptr_null(json_object_get(j, "attended"));
    ck_assert_int_eq(json_array_size(json_object_get(j, "questions")), 6);
    json_decref(j);
    j = hcall_json(&srv, "GET", path(act_c, ""), NULL, &people[0], &st);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "not_open");
    json_decref(j);
    j = hcall_json(&srv, "GET", path(act_d, ""), NULL, &people[0], &st);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "closed");
    json_decref(j);
    /* Someone who did not attend, and an activity without a form. */
    HEXPECT(&srv, "GET", path(act_a, ""), NULL, &people[4], 403, "not_attended");
    HEXPECT(&srv, "GET", path(act_e, ""), NULL, &staff, 404, "not_found");
    HEXPECT(&srv, "GET", path(act_a, ""), NULL, NULL, 401, NULL);
}
END_TEST

/* ---- The window ---- */

START_TEST(window_before_end_and_after_closing)
{
    /* C has not ended: neither answers nor invitations. */
    ANSWER_EXPECT(act_c, &people[0], 5, 0, NULL, 409, "feedback_not_open");
    HEXPECT(&srv, "POST", path(act_c, "/invitations"), NULL, &staff, 409, "feedback_not_open");
    /* D closed yesterday. */
    ANSWER_EXPECT(act_d, &people[0], 5, 0, NULL, 409, "feedback_closed");
    HEXPECT(&srv, "POST", path(act_d, "/invitations"), NULL, &staff, 409, "feedback_closed");
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_respondents"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_responses"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_invitations"), 0);
}
END_TEST

/* ---- Invitations ---- */

static long invitation_rows(const char *email)
{
    return harness_sql_longf(DB,
                             "SELECT count(*) FROM mail_outbox WHERE template = "
                             "'feedback_invitation' AND to_address = '%s'",
                             email);
}

START_TEST(invitations_once_each)
{
    long st;
    json_t *j = hcall_json(&srv, "POST", path(act_a, "/invitations"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "sent")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "invited")), 4);
    json_decref(j);
    char link[128];
    snprintf(link, sizeof link, "http://convene.test/feedback/answer.html?activity=%ld", act_a);
    for (int i = 0; i < 4; i++) {
        json_t *m = harness_wait_mail(&mail, people[i].email, "Your feedback", 30000);
        ck_assert_msg(m != NULL, "no invitation for %s", people[i].email);
        const char *text = json_string_value(json_object_get(m, "text"));
        ck_assert_ptr_nonnull(strstr(text, link));
        ck_assert_ptr_nonnull(strstr(text, "anonymous"));
        /* The closing time with its weekday, year and zone (the activity's). */
        ck_assert_msg(strstr(text, "Seoul time (UTC+9)") != NULL && strstr(text, "day ") != NULL,
                      "closing time without its zone: %s", text);
        json_decref(m);
    }
    /* A second send sends none. */
    j = hcall_json(&srv, "POST", path(act_a, "/invitations"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "sent")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "invited")), 4);
    json_decref(j);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(invitation_rows(people[i].email), 1);
    /* Not attended: no invitation. */
    ck_assert_int_eq(invitation_rows(people[4].email), 0);
    /* Marked attended later: the next send invites that one person only. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE enrollments SET status = 'attended' WHERE activity_id = %ld AND "
             "account_id = %ld",
             act_a, people[5].id);
    harness_sql(DB, sql);
    j = hcall_json(&srv, "POST", path(act_a, "/invitations"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "sent")), 1);
    json_decref(j);
    json_t *m = harness_wait_mail(&mail, people[5].email, "Your feedback", 30000);
    ck_assert_ptr_nonnull(m);
    json_decref(m);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(invitation_rows(people[i].email), i == 4 ? 0 : 1);
    ck_assert_int_eq(harness_count_mail(&mail, people[0].email), 1);
    /* Participants cannot send them. */
    HEXPECT(&srv, "POST", path(act_a, "/invitations"), NULL, &people[0], 403, "forbidden");
}
END_TEST

/* ---- Answering ---- */

START_TEST(one_answer_per_attended_participant)
{
    /* Bad answers: 422 on the question, nothing stored. */
    long q[6];
    question_ids(act_a, q);
    char body[512];
    snprintf(body, sizeof body, "{\"answers\":{\"%ld\":6,\"%ld\":\"x\",\"99999\":1}}", q[0], q[5]);
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "POST", path(act_a, "/answers"), body, &people[0], &r), 422);
    char f0[32], f5[32];
    snprintf(f0, sizeof f0, "answers.%ld", q[0]);
    snprintf(f5, sizeof f5, "answers.%ld", q[5]);
    ck_assert_str_eq(herr_field_code(&r, f0), "out_of_range");
    ck_assert_str_eq(herr_field_code(&r, f5), "invalid_type");
    ck_assert_str_eq(herr_field_code(&r, "answers.99999"), "unknown_member");
    hresp_free(&r);
    snprintf(body, sizeof body, "{\"answers\":{\"%ld\":4}}", q[1]);
    ck_assert_int_eq(hcall(&srv, "POST", path(act_a, "/answers"), body, &people[0], &r), 422);
    ck_assert_str_eq(herr_field_code(&r, f0), "required");
    hresp_free(&r);
    ck_assert_int_eq(
        hcall(&srv, "POST", path(act_a, "/answers"), "{\"answers\":\"all good\"}", &people[0], &r),
        422);
    ck_assert_str_eq(herr_field_code(&r, "answers"), "invalid_type");
    hresp_free(&r);
    /* Answers checked against version 1 of the questions: the form is at
     * version 2 (saved twice), so they are refused. */
    snprintf(body, sizeof body, "{\"answers\":{\"%ld\":4},\"version\":1}", q[0]);
    HEXPECT(&srv, "POST", path(act_a, "/answers"), body, &people[0], 409, "feedback_form_changed");
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_responses"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_respondents"), 0);

    ANSWER_EXPECT(act_a, &people[0], 5, 4, "=HYPERLINK(\\\"http://evil.test\\\")", 201, NULL);
    /* Once. */
    ANSWER_EXPECT(act_a, &people[0], 1, 0, NULL, 409, "feedback_answered");
    /* Only those who attended; staff are not participants. */
    ANSWER_EXPECT(act_a, &people[4], 5, 0, NULL, 403, "not_attended");
    ANSWER_EXPECT(act_a, &staff, 5, 0, NULL, 403, "not_attended");
    HEXPECT(&srv, "POST", path(act_e, "/answers"), "{\"answers\":{}}", &people[0], 404,
            "not_found");
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_respondents"), 1);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM feedback_responses"), 1);
    long st;
    json_t *j = hcall_json(&srv, "GET", path(act_a, ""), NULL, &people[0], &st);
    ck_assert(json_is_true(json_object_get(j, "answered")));
    json_decref(j);
    /* The form is now locked. */
    put_form(act_a, false, 12, 409);
    HEXPECT(&srv, "GET", path(act_a, ""), NULL, &staff, 200, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM feedback_forms WHERE activity_id "
                                       "= %ld AND anonymous",
                                       act_a),
                     1);
}
END_TEST

START_TEST(locked_form_says_so)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"anonymous\":true,\"closes_at\":\"%s\",\"questions\":" QUESTIONS "}", instant(12));
    HEXPECT(&srv, "PUT", path(act_a, ""), body, &staff, 409, "feedback_form_locked");
}
END_TEST

/* ---- Anonymity ---- */

START_TEST(anonymous_answers_cannot_be_told_apart)
{
    ANSWER_EXPECT(act_a, &people[1], 4, 2, "Good pace", 201, NULL);
    ANSWER_EXPECT(act_a, &people[2], 2, 0, "Too fast", 201, NULL);
    /* The answers table: no account column, no time of any kind, random
     * keys. */
    char *cols = harness_sql_text(DB, "SELECT string_agg(column_name || ':' || data_type, ',' "
                                      "ORDER BY column_name) FROM information_schema.columns "
                                      "WHERE table_name = 'feedback_responses'");
    ck_assert_str_eq(cols, "answers:jsonb,form_id:bigint,id:uuid");
    free(cols);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM information_schema.columns WHERE "
                                          "table_name = 'feedback_respondents' AND column_name "
                                          "NOT IN ('form_id', 'account_id')"),
                     0);
    /* No foreign key ties the answers to anything but the form. */
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM pg_constraint WHERE conrelid = "
                                          "'feedback_responses'::regclass AND contype = 'f' AND "
                                          "confrelid <> 'feedback_forms'::regclass"),
                     0);
    long form =
        harness_sql_longf(DB, "SELECT id FROM feedback_forms WHERE activity_id = %ld", act_a);
    /* Three respondents, three answers. Joined on everything they share,
     * each respondent matches each answer alike (3 x 3). */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM feedback_responses r JOIN "
                                       "feedback_respondents p ON p.form_id = r.form_id JOIN "
                                       "accounts a ON a.id = p.account_id WHERE r.form_id = %ld",
                                       form),
                     9);
    /* The writing transaction (xmin) is the same for every answer: the
     * last answer rewrote them all, so it does not point at a respondent. */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(DISTINCT xmin::text) FROM "
                                       "feedback_responses WHERE form_id = %ld",
                                       form),
                     1);
    /* ...and it is not the transaction of any respondent but the last. */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM feedback_respondents p JOIN "
                                       "feedback_responses r ON r.xmin::text = p.xmin::text "
                                       "WHERE p.form_id = %ld",
                                       form),
                     3);
    /* No author rows for an anonymous form. */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM feedback_response_authors au JOIN "
                                       "feedback_responses r ON r.id = au.response_id WHERE "
                                       "r.form_id = %ld",
                                       form),
                     0);
    /* The two answers of fb-2 and fb-3 differ only in their content: the
     * ids were all drawn again by the last answer (none is the id the
     * first answer got). */
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(DISTINCT id) FROM feedback_responses "
                                       "WHERE form_id = %ld",
                                       form),
                     3);
}
END_TEST

START_TEST(named_answers_keep_their_author)
{
    ANSWER_EXPECT(act_b, &people[0], 3, 0, "Named comment", 201, NULL);
    ck_assert_int_eq(harness_sql_longf(DB,
                                       "SELECT count(*) FROM feedback_response_authors au JOIN "
                                       "feedback_responses r ON r.id = au.response_id JOIN "
                                       "feedback_forms f ON f.id = r.form_id WHERE "
                                       "f.activity_id = %ld AND au.account_id = %ld",
                                       act_b, people[0].id),
                     1);
}
END_TEST

/* ---- Results ---- */

static json_t *question_result(json_t *results, const char *label)
{
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(results, "questions"), i, q)
    {
        if (str_eq(json_string_value(json_object_get(q, "label")), label))
            return q;
    }
    ck_abort_msg("no question %s", label);
    return NULL;
}

static long count_of(json_t *q, const char *choice)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(q, "counts"), i, c)
    {
        if (str_eq(json_string_value(json_object_get(c, "choice")), choice))
            return (long)json_integer_value(json_object_get(c, "count"));
    }
    return -1;
}

START_TEST(results_counts_mean_and_distribution)
{
    long st;
    json_t *j = hcall_json(&srv, "GET", path(act_a, "/results"), NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "respondents")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "attended")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "invited")), 5);
    /* Overall: 5, 4, 2 -> mean 3.67. */
    json_t *q = question_result(j, "Overall");
    ck_assert_int_eq(json_integer_value(json_object_get(q, "answers")), 3);
    ck_assert_double_eq_tol(json_number_value(json_object_get(q, "mean")), 3.67, 0.001);
    json_t *d = json_object_get(q, "distribution");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "1")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "2")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "3")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "4")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "5")), 1);
    /* Speakers (optional): 4 and 2 from two of three. */
    q = question_result(j, "Speakers");
    ck_assert_int_eq(json_integer_value(json_object_get(q, "answers")), 2);
    ck_assert_double_eq_tol(json_number_value(json_object_get(q, "mean")), 3.0, 0.001);
    q = question_result(j, "Comments");
    ck_assert_int_eq(json_array_size(json_object_get(q, "texts")), 3);
    ck_assert(json_is_null(json_object_get(q, "mean")));
    q = question_result(j, "Format");
    ck_assert_int_eq(count_of(q, "Online"), 3);
    ck_assert_int_eq(count_of(q, "Hybrid"), 0);
    q = question_result(j, "Topics");
    ck_assert_int_eq(count_of(q, "Water"), 3);
    ck_assert_int_eq(count_of(q, "Energy"), 0);
    q = question_result(j, "Recommend");
    ck_assert_int_eq(count_of(q, "yes"), 3);
    ck_assert_int_eq(count_of(q, "no"), 0);
    json_decref(j);
    HEXPECT(&srv, "GET", path(act_a, "/results"), NULL, &people[0], 403, "forbidden");
    HEXPECT(&srv, "GET", path(act_e, "/results"), NULL, &staff, 404, "not_found");
}
END_TEST

START_TEST(compare_a_programme)
{
    long st;
    json_t *j = hcall_json(&srv, "GET", "/api/feedback/compare?programme=SDG%20Online%20Courses",
                           NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    json_t *acts = json_object_get(j, "activities");
    ck_assert_int_eq(json_array_size(acts), 2);
    /* B started earlier: first. */
    json_t *b = json_array_get(acts, 0), *a = json_array_get(acts, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "id")), act_b);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "id")), act_a);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "respondents")), 3);
    json_t *ra = json_array_get(json_object_get(a, "ratings"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(ra, "label")), "Overall");
    ck_assert_double_eq_tol(json_number_value(json_object_get(ra, "mean")), 3.67, 0.001);
    json_t *rb = json_array_get(json_object_get(b, "ratings"), 0);
    ck_assert_double_eq_tol(json_number_value(json_object_get(rb, "mean")), 3.0, 0.001);
    ck_assert_int_eq(json_array_size(json_object_get(j, "labels")), 2);
    json_decref(j);
    /* A year with none of them; a missing programme; not staff. */
    j = hcall_json(&srv, "GET", "/api/feedback/compare?programme=SDG%20Online%20Courses&year=2001",
                   NULL, &staff, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(j, "activities")), 0);
    json_decref(j);
    HEXPECT(&srv, "GET", "/api/feedback/compare", NULL, &staff, 400, "bad_request");
    HEXPECT(&srv, "GET", "/api/feedback/compare?programme=X&year=abc", NULL, &staff, 400,
            "bad_request");
    HEXPECT(&srv, "GET", "/api/feedback/compare?programme=X", NULL, &people[0], 403, "forbidden");
}
END_TEST

/* ---- CSV ---- */

START_TEST(csv_export_escapes_formulas)
{
    struct hresp r;
    ck_assert_int_eq(hcall(&srv, "GET", path(act_a, "/answers.csv"), NULL, &staff, &r), 200);
    char ct[128];
    ck_assert_ptr_nonnull(hresp_header(&r, "Content-Type", ct, sizeof ct));
    ck_assert_ptr_nonnull(strstr(ct, "text/csv"));
    ck_assert(r.len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"Response\",\"Overall\",\"Speakers\",\"Comments\","
                                         "\"Format\",\"Topics\",\"Recommend\"\r\n"));
    /* The formula is neutralised; the anonymous file names no one. */
    ck_assert_ptr_nonnull(strstr(r.body, "\"'=HYPERLINK(\"\"http://evil.test\"\")\""));
    ck_assert_ptr_null(strstr(r.body, "\"=HYPERLINK"));
    ck_assert_ptr_null(strstr(r.body, "test.example.org"));
    ck_assert_ptr_null(strstr(r.body, "Person"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Water\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"yes\""));
    hresp_free(&r);
    /* The named form has the author's columns. */
    ck_assert_int_eq(hcall(&srv, "GET", path(act_b, "/answers.csv"), NULL, &staff, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"Response\",\"Name\",\"Email\",\"Organisation\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Person 1\",\"fb-1@test.example.org\","
                                         "\"Seoul Metropolitan Government\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"Named comment\""));
    hresp_free(&r);
    HEXPECT(&srv, "GET", path(act_a, "/answers.csv"), NULL, &people[0], 403, "forbidden");
    HEXPECT(&srv, "GET", path(act_e, "/answers.csv"), NULL, &staff, 404, "not_found");
}
END_TEST

START_TEST(server_exits_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_feedback_suite(void)
{
    Suite *s = suite_create("feedback");
    TCase *tc = tcase_create("feedback");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, form_refuses_bad_input_and_non_staff);
    tcase_add_test(tc, form_saved_and_read);
    tcase_add_test(tc, window_before_end_and_after_closing);
    tcase_add_test(tc, invitations_once_each);
    tcase_add_test(tc, one_answer_per_attended_participant);
    tcase_add_test(tc, locked_form_says_so);
    tcase_add_test(tc, anonymous_answers_cannot_be_told_apart);
    tcase_add_test(tc, named_answers_keep_their_author);
    tcase_add_test(tc, results_counts_mean_and_distribution);
    tcase_add_test(tc, compare_a_programme);
    tcase_add_test(tc, csv_export_escapes_formulas);
    tcase_add_test(tc, server_exits_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
