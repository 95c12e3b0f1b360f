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

Suite *make_questions_suite(void)
{
    Suite *s = suite_create("questions");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, good_questions_pass);
    tcase_add_test(tc, each_problem_on_its_field);
    suite_add_tcase(s, tc);
    return s;
}
