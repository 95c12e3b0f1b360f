/*
 * test_log.c - JSON string escaping used by every log line.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

Suite *make_log_suite(void);

static char *escape(const char *s)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(log_json_string(&b, s), 0);
    return strbuf_detach(&b, NULL);
}

START_TEST(escapes_round_trip_through_a_json_parser)
{
    const char *inputs[] = {"plain", "quote \" backslash \\", "new\nline\ttab\r", "\x01\x1f\x7f",
                            "김민준 สมชาย अमित"};
    for (size_t i = 0; i < ARRAY_LEN(inputs); i++) {
        char *lit = escape(inputs[i]);
        json_error_t e;
        json_t *j = json_loads(lit, JSON_DECODE_ANY, &e);
        ck_assert_msg(j != NULL, "not JSON: %s (%s)", lit, e.text);
        ck_assert_str_eq(json_string_value(j), inputs[i]);
        json_decref(j);
        free(lit);
    }
}
END_TEST

START_TEST(invalid_utf8_is_replaced)
{
    char *lit = escape("bad \xff\xfe end");
    json_t *j = json_loads(lit, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(j), "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
    json_decref(j);
    free(lit);
}
END_TEST

START_TEST(each_invalid_byte_becomes_one_replacement)
{
#define R "\xEF\xBF\xBD"
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a\xC3", "a" R},                                /* 2-byte sequence cut at the end */
        {"a\xE2\x82", "a" R R},                          /* 3-byte cut */
        {"a\xF0\x9F\x98", "a" R R R},                    /* 4-byte cut */
        {"\xC0\xAF", R R},                               /* overlong '/' */
        {"\xE0\x80\xAF", R R R},                         /* overlong, 3 bytes */
        {"\xED\xA0\x80", R R R},                         /* a UTF-16 surrogate */
        {"\xF4\x90\x80\x80", R R R R},                   /* past U+10FFFF */
        {"\xF5\x80", R R},                               /* no such lead byte */
        {"\x80x", R "x"},                                /* a lone continuation byte */
        {"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "é€😀"}, /* 2, 3 and 4 bytes kept */
        {"\xC3(", R "("},                                /* a lead byte then ASCII */
    };
#undef R
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *lit = escape(cases[i].in);
        json_t *j = json_loads(lit, JSON_DECODE_ANY, NULL);
        ck_assert_msg(j != NULL, "case %zu: not JSON: %s", i, lit);
        ck_assert_msg(strcmp(json_string_value(j), cases[i].want) == 0, "case %zu: %s", i, lit);
        json_decref(j);
        free(lit);
    }
}
END_TEST

START_TEST(quote_fits_its_bound)
{
    /* Control characters take six bytes each: the worst case fills the
     * bound exactly; a long string goes through log_json_string's heap
     * path and still round-trips. */
    char in[300], out[LOG_JSON_QUOTED_MAX(300) + 1];
    memset(in, '\x01', sizeof in);
    memset(out, 'X', sizeof out);
    size_t n = log_json_quote(out, in, sizeof in);
    ck_assert_uint_eq(n, LOG_JSON_QUOTED_MAX(sizeof in));
    ck_assert_int_eq(out[n], 'X');
    char zin[301];
    memcpy(zin, in, sizeof in);
    zin[300] = '\0';
    char *lit = escape(zin);
    ck_assert_uint_eq(strlen(lit), n);
    ck_assert_int_eq(memcmp(lit, out, n), 0);
    free(lit);
}
END_TEST

START_TEST(levels_parse)
{
    enum log_level l;
    ck_assert_int_eq(log_parse_level("warn", &l), 0);
    ck_assert_int_eq(l, LOG_WARN);
    ck_assert_int_eq(log_parse_level("verbose", &l), -1);
}
END_TEST

Suite *make_log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, escapes_round_trip_through_a_json_parser);
    tcase_add_test(tc, invalid_utf8_is_replaced);
    tcase_add_test(tc, each_invalid_byte_becomes_one_replacement);
    tcase_add_test(tc, quote_fits_its_bound);
    tcase_add_test(tc, levels_parse);
    suite_add_tcase(s, tc);
    return s;
}
