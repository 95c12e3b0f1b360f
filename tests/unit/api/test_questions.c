/*
 * test_questions.c - the rules of a question's definition shared by the
 * registration questions and the feedback forms (src/api/questions.c):
 * the object, unknown members, the kind, the label, choices for choice
 * kinds (and, where asked, none on other kinds), required, id and
 * max_length, each problem on its own "questions[i].member" field.
 */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"
#include "api/questions.h"

Suite *make_questions_suite(void);

static const char *const kinds[] = {"text", "single_choice", "multiple_choice", "rating", NULL};
static const char *const members[] = {"id",      "kind",       "label", "required",
                                      "choices", "max_length", NULL};
static const char *const members_no_id[] = {"kind", "label", "required", "choices", NULL};

static const struct question_rules loose = {
    .kinds = kinds, .kinds_message = "Use one of the kinds.", .members = members};
static const struct question_rules strict = {.kinds = kinds,
                                             .kinds_message = "Use one of the kinds.",
                                             .members = members_no_id,
                                             .choices_only_for_choice = true};

static struct api_fields f;

static void setup(void)
{
    api_fields_init(&f);
}

static void teardown(void)
{
    api_fields_free(&f);
}

static const char *code_of(const char *field)
{
    json_t *e = f.errors ? json_object_get(f.errors, field) : NULL;
    return e ? json_string_value(json_object_get(e, "code")) : NULL;
}

/* Checks the question written as JSON text as question 2. */
static void check(const char *text, const struct question_rules *r)
{
    api_fields_free(&f);
    api_fields_init(&f);
    json_error_t err;
    json_t *q = json_loads(text, 0, &err);
    ck_assert_msg(q != NULL, "bad test JSON: %s", text);
    api_check_question(&f, 2, q, r);
    json_decref(q);
}

static bool no_errors(void)
{
    return f.errors == NULL || json_object_size(f.errors) == 0;
}

START_TEST(good_questions_pass)
{
    check("{\"kind\":\"text\",\"label\":\"Your role in the city\",\"required\":true,"
          "\"max_length\":500}",
          &loose);
    ck_assert(no_errors());
    check("{\"id\":7,\"kind\":\"single_choice\",\"label\":\"Mode\",\"choices\":[\"On site\","
          "\"Online\"]}",
          &loose);
    ck_assert(no_errors());
    check("{\"kind\":\"rating\",\"label\":\"How useful was it? 서울\",\"choices\":null}", &strict);
    ck_assert(no_errors());
    /* A text question that kept choices from an earlier kind: fine where
     * they are ignored, refused where asked. */
    check("{\"kind\":\"text\",\"label\":\"Why\",\"choices\":[\"a\",\"b\"]}", &loose);
    ck_assert(no_errors());
    check("{\"kind\":\"text\",\"label\":\"Why\",\"choices\":[\"a\",\"b\"]}", &strict);
    ck_assert_str_eq(code_of("questions[2].choices"), "out_of_range");
    check("{\"kind\":\"text\",\"label\":\"Why\",\"choices\":[]}", &strict);
    ck_assert(no_errors());
}
END_TEST

START_TEST(each_problem_on_its_field)
{
    check("[1]", &loose);
    ck_assert_str_eq(code_of("questions[2]"), "invalid_type");
    check("{\"kind\":\"text\",\"label\":\"x\",\"colour\":\"red\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].colour"), "unknown_member");
    check("{\"label\":\"x\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].kind"), "required");
    check("{\"kind\":\"essay\",\"label\":\"x\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].kind"), "invalid_choice");
    check("{\"kind\":5,\"label\":\"x\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].kind"), "invalid_choice");
    check("{\"kind\":\"text\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].label"), "required");
    check("{\"kind\":\"text\",\"label\":\"\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].label"), "invalid_format");
    check("{\"kind\":\"text\",\"label\":\"two\\nlines\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].label"), "invalid_format");
    check("{\"kind\":\"single_choice\",\"label\":\"x\",\"choices\":\"a,b\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].choices"), "invalid_type");
    check("{\"kind\":\"single_choice\",\"label\":\"x\",\"choices\":[\"only\"]}", &loose);
    ck_assert_str_eq(code_of("questions[2].choices"), "out_of_range");
    check("{\"kind\":\"multiple_choice\",\"label\":\"x\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].choices"), "out_of_range");
    check("{\"kind\":\"single_choice\",\"label\":\"x\",\"choices\":[\"a\",\"\"]}", &loose);
    ck_assert_str_eq(code_of("questions[2].choices"), "invalid_format");
    check("{\"kind\":\"single_choice\",\"label\":\"x\",\"choices\":[\"a\",3]}", &loose);
    ck_assert_str_eq(code_of("questions[2].choices"), "invalid_format");
    check("{\"kind\":\"text\",\"label\":\"x\",\"required\":\"yes\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].required"), "invalid_type");
    check("{\"kind\":\"text\",\"label\":\"x\",\"id\":\"7\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].id"), "invalid_type");
    check("{\"kind\":\"text\",\"label\":\"x\",\"id\":7}", &strict);
    ck_assert_str_eq(code_of("questions[2].id"), "unknown_member");
    check("{\"kind\":\"text\",\"label\":\"x\",\"max_length\":0}", &loose);
    ck_assert_str_eq(code_of("questions[2].max_length"), "out_of_range");
    check("{\"kind\":\"text\",\"label\":\"x\",\"max_length\":10001}", &loose);
    ck_assert_str_eq(code_of("questions[2].max_length"), "out_of_range");
    check("{\"kind\":\"text\",\"label\":\"x\",\"max_length\":\"long\"}", &loose);
    ck_assert_str_eq(code_of("questions[2].max_length"), "out_of_range");
}
END_TEST

/* Stored questions: 1 text (max 2 characters, required), 2 yes_no, 3 a
 * rating, 4 single choice, 5 multiple choice. */
static const char stored[] =
    "[{\"id\":1,\"kind\":\"text\",\"required\":true,\"max_length\":2},"
    "{\"id\":2,\"kind\":\"yes_no\",\"required\":false},"
    "{\"id\":3,\"kind\":\"rating\",\"required\":false},"
    "{\"id\":4,\"kind\":\"single_choice\",\"required\":false,\"choices\":[\"On site\",\"Online\"]},"
    "{\"id\":5,\"kind\":\"multiple_choice\",\"required\":false,\"choices\":[\"a\",\"b\"]}]";

/* Checks answers (JSON text) with refuse_unknown; answers the good ones. */
static json_t *answers(const char *text, bool refuse_unknown)
{
    api_fields_free(&f);
    api_fields_init(&f);
    json_t *qs = json_loads(stored, 0, NULL);
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    ck_assert(qs != NULL && (text == NULL || a != NULL));
    json_t *good = api_check_answers(qs, a, &f, refuse_unknown);
    json_decref(qs);
    json_decref(a);
    return good;
}

START_TEST(answers_are_checked)
{
    /* Characters, not bytes: two Hangul syllables are two. */
    json_t *g = answers("{\"1\":\"서울\",\"2\":true,\"3\":5,\"4\":\"Online\",\"5\":[\"b\",\"a\"],"
                        "\"99\":\"ignored\"}",
                        false);
    ck_assert(no_errors());
    ck_assert_int_eq(json_object_size(g), 5);
    ck_assert_ptr_null(json_object_get(g, "99"));
    json_decref(g);
    g = answers("{\"1\":\"ok\",\"99\":\"x\"}", true);
    ck_assert_str_eq(code_of("answers.99"), "unknown_member");
    json_decref(g);

    g = answers(NULL, false);
    ck_assert_str_eq(code_of("answers.1"), "required");
    json_decref(g);
    g = answers("[1]", false);
    ck_assert_str_eq(code_of("answers"), "invalid_type");
    json_decref(g);
    g = answers("{\"1\":\"abc\",\"2\":\"yes\",\"3\":6,\"4\":\"Offline\",\"5\":[\"a\",\"a\",\"a\"]}",
                false);
    ck_assert_str_eq(code_of("answers.1"), "too_long");
    ck_assert_str_eq(code_of("answers.2"), "invalid_type");
    ck_assert_str_eq(code_of("answers.3"), "out_of_range");
    ck_assert_str_eq(code_of("answers.4"), "invalid_choice");
    ck_assert_str_eq(code_of("answers.5"), "invalid_choice");
    ck_assert_int_eq(json_object_size(g), 0);
    json_decref(g);
    g = answers("{\"1\":7,\"3\":\"3\",\"4\":[\"Online\"],\"5\":[\"c\"]}", false);
    ck_assert_str_eq(code_of("answers.1"), "invalid_type");
    ck_assert_str_eq(code_of("answers.3"), "invalid_type");
    ck_assert_str_eq(code_of("answers.4"), "invalid_choice");
    ck_assert_str_eq(code_of("answers.5"), "invalid_choice");
    json_decref(g);
    /* Empty answers to optional questions are no answers. */
    g = answers("{\"1\":\"x\",\"2\":null,\"4\":\"\",\"5\":[]}", false);
    ck_assert(no_errors());
    ck_assert_int_eq(json_object_size(g), 1);
    json_decref(g);
}
END_TEST

Suite *make_questions_suite(void)
{
    Suite *s = suite_create("questions");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, good_questions_pass);
    tcase_add_test(tc, each_problem_on_its_field);
    tcase_add_test(tc, answers_are_checked);
    suite_add_tcase(s, tc);
    return s;
}
