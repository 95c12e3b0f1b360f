/*
 * test_api.c - the field validation helpers of src/api/api.c every handler
 * uses: strings (required, type, NUL, invalid UTF-8, control characters,
 * byte and character limits at and past the bound), integers (type and
 * range limits), unknown and read-only members, and the first error per
 * field winning.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "api/api.h"

Suite *make_api_suite(void);

static struct api_fields f;

static void setup(void)
{
    api_fields_init(&f);
}

static void teardown(void)
{
    api_fields_free(&f);
}

/* The error code recorded for field, or NULL. */
static const char *code_of(const char *field)
{
    json_t *e = f.errors ? json_object_get(f.errors, field) : NULL;
    return e ? json_string_value(json_object_get(e, "code")) : NULL;
}

START_TEST(strings_are_checked)
{
    json_t *body = json_object();
    json_object_set_new(body, "ok", json_string("Seoul"));
    json_object_set_new(body, "num", json_integer(3));
    json_object_set_new(body, "nul", json_stringn("a\0b", 3));
    json_object_set_new(body, "bad_utf8", json_stringn_nocheck("a\xC3(", 3));
    json_object_set_new(body, "tab", json_string("a\tb"));
    json_object_set_new(body, "del",
                        json_string("a\x7f"
                                    "b"));
    json_object_set_new(body, "lines", json_string("one\r\ntwo\tthree"));
    json_object_set_new(body, "empty", json_string(""));
    json_object_set_new(body, "nothing", json_null());
    json_object_set_new(body, "korean", json_string("서울")); /* 2 characters, 6 bytes */

    ck_assert_str_eq(api_string(NULL, body, "ok", &f, API_REQUIRED, 1, 5), "Seoul");
    ck_assert_ptr_null(api_string(NULL, body, "missing", &f, API_REQUIRED, 1, 5));
    ck_assert_str_eq(code_of("missing"), "required");
    ck_assert_ptr_null(api_string(NULL, body, "nothing", &f, API_REQUIRED, 1, 5));
    ck_assert_str_eq(code_of("nothing"), "required");
    ck_assert_ptr_null(api_string(NULL, body, "num", &f, 0, 1, 5));
    ck_assert_str_eq(code_of("num"), "invalid_type");
    ck_assert_ptr_null(api_string(NULL, body, "nul", &f, 0, 1, 5));
    ck_assert_str_eq(code_of("nul"), "invalid_format");
    ck_assert_ptr_null(api_string(NULL, body, "bad_utf8", &f, 0, 1, 5));
    ck_assert_str_eq(code_of("bad_utf8"), "invalid_format");
    ck_assert_ptr_null(api_string(NULL, body, "tab", &f, 0, 1, 5));
    ck_assert_str_eq(code_of("tab"), "invalid_format");
    ck_assert_ptr_null(api_string(NULL, body, "del", &f, API_MULTILINE, 1, 5));
    ck_assert_str_eq(code_of("del"), "invalid_format");
    ck_assert_ptr_null(api_string(NULL, body, "empty", &f, 0, 1, 5));
    ck_assert_str_eq(code_of("empty"), "required");
    ck_assert_ptr_null(api_string(NULL, body, "korean", &f, 0, 3, 100));
    ck_assert_str_eq(code_of("korean"), "too_short");
    ck_assert_ptr_null(code_of("ok"));
    ck_assert(!api_fields_ok(&f));
    api_fields_free(&f);
    api_fields_init(&f);

    /* Limits: bytes for the maximum, characters for the minimum. */
    ck_assert_str_eq(api_string(NULL, body, "korean", &f, 0, 2, 6), "서울");
    ck_assert_ptr_null(api_string(NULL, body, "korean", &f, 0, 2, 5));
    ck_assert_str_eq(code_of("korean"), "too_long");
    ck_assert_str_eq(api_string(NULL, body, "lines", &f, API_MULTILINE, 1, 100),
                     "one\r\ntwo\tthree");
    /* Optional and absent: no error. */
    ck_assert_ptr_null(api_string(NULL, body, "absent", &f, 0, 1, 5));
    ck_assert_ptr_null(code_of("absent"));
    ck_assert_ptr_null(api_string(NULL, body, "nothing", &f, 0, 1, 5));
    ck_assert_ptr_null(code_of("nothing"));
    json_decref(body);
}
END_TEST

START_TEST(integers_are_checked)
{
    json_t *body = json_pack("{s:i, s:i, s:i, s:f, s:s, s:b, s:n}", "lo", 1, "hi", 10, "over", 11,
                             "real", 2.0, "text", "5", "flag", 1, "nothing");
    long v = -1;
    ck_assert(api_integer(body, "lo", &f, API_REQUIRED, 1, 10, &v));
    ck_assert_int_eq(v, 1);
    ck_assert(api_integer(body, "hi", &f, API_REQUIRED, 1, 10, &v));
    ck_assert_int_eq(v, 10);
    ck_assert(api_fields_ok(&f));
    ck_assert(!api_integer(body, "over", &f, 0, 1, 10, &v));
    ck_assert_str_eq(code_of("over"), "out_of_range");
    ck_assert(!api_integer(body, "lo", &f, 0, 2, 10, &v));
    ck_assert_str_eq(code_of("lo"), "out_of_range");
    ck_assert(!api_integer(body, "real", &f, 0, 1, 10, &v));
    ck_assert_str_eq(code_of("real"), "invalid_type");
    ck_assert(!api_integer(body, "text", &f, 0, 1, 10, &v));
    ck_assert_str_eq(code_of("text"), "invalid_type");
    ck_assert(!api_integer(body, "flag", &f, 0, 0, 10, &v));
    ck_assert_str_eq(code_of("flag"), "invalid_type");
    ck_assert(!api_integer(body, "nothing", &f, API_REQUIRED, 1, 10, &v));
    ck_assert_str_eq(code_of("nothing"), "required");
    ck_assert(!api_integer(body, "absent", &f, 0, 1, 10, &v));
    ck_assert_ptr_null(code_of("absent"));
    ck_assert_int_eq(v, 10); /* untouched by failures */
    json_decref(body);
}
END_TEST

START_TEST(unknown_and_read_only_members)
{
    static const char *const allowed[] = {"title", "starts_on", NULL};
    static const char *const read_only[] = {"id", "created_at", NULL};
    json_t *body = json_pack("{s:s, s:i, s:s, s:s}", "title", "x", "id", 4, "created_at", "now",
                             "colour", "red");
    api_reject_unknown(&f, body, allowed, read_only);
    ck_assert_ptr_null(code_of("title"));
    ck_assert_str_eq(code_of("id"), "read_only");
    ck_assert_str_eq(code_of("created_at"), "read_only");
    ck_assert_str_eq(code_of("colour"), "unknown_member");
    ck_assert_int_eq(json_object_size(f.errors), 3);
    api_fields_free(&f);
    api_fields_init(&f);
    /* No read-only list; a body that is no object is left alone. */
    json_t *ok = json_pack("{s:s}", "starts_on", "2023-04-03");
    api_reject_unknown(&f, ok, allowed, NULL);
    ck_assert(api_fields_ok(&f));
    json_t *list = json_array();
    api_reject_unknown(&f, list, allowed, read_only);
    ck_assert(api_fields_ok(&f));
    json_decref(body);
    json_decref(ok);
    json_decref(list);
}
END_TEST

START_TEST(first_error_per_field_wins)
{
    api_field_error(&f, "email", "taken", "Already registered.");
    api_field_error(&f, "email", "invalid_format", "Not an address.");
    ck_assert_str_eq(code_of("email"), "taken");
    json_t *e = json_object_get(f.errors, "email");
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")), "Already registered.");
    ck_assert_uint_eq(api_utf8_chars("서울 x"), 4);
    ck_assert_uint_eq(api_utf8_chars(""), 0);
}
END_TEST

Suite *make_api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("fields");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, strings_are_checked);
    tcase_add_test(tc, integers_are_checked);
    tcase_add_test(tc, unknown_and_read_only_members);
    tcase_add_test(tc, first_error_per_field_wins);
    suite_add_tcase(s, tc);
    return s;
}
