/*
 * test_util.c - the capped buffer, UTF-8 validation, integer parsing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

START_TEST(site_paths_and_query_escaping)
{
    static const char *const good[] = {"/", "/activity.html?id=42", "/a/b-c_d.e~f?x=1&y=%20#top"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(str_is_site_path(good[i]), "refused %s", good[i]);
    static const char *const bad[] = {NULL,   "",      "activity.html", "//evil.example", "/\\evil",
                                      "/a b", "/a\"b", "/a<b>",         "/a\nb",          "/é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!str_is_site_path(bad[i]), "accepted case %zu", i);
    char longest[302];
    memset(longest, 'a', sizeof longest);
    longest[0] = '/';
    longest[300] = '\0';
    ck_assert(str_is_site_path(longest));
    longest[300] = 'a';
    longest[301] = '\0';
    ck_assert(!str_is_site_path(longest));

    char *e = str_query_escape("/activity.html?id=42&x=a b#c~d_e-f");
    ck_assert_str_eq(e, "%2Factivity.html%3Fid%3D42%26x%3Da%20b%23c~d_e-f");
    free(e);
    e = str_query_escape("\xea\xb9\x80");
    ck_assert_str_eq(e, "%EA%B9%80");
    free(e);
    e = str_query_escape("");
    ck_assert_str_eq(e, "");
    free(e);
}
END_TEST

START_TEST(rfc3339_parse)
{
    double t = -1;
    ck_assert(time_parse_rfc3339("1970-01-01T00:00:00Z", &t));
    ck_assert(t == 0);
    ck_assert(time_parse_rfc3339("2023-08-29T09:00+07:00", &t));
    ck_assert(t == 1693274400);
    ck_assert(time_parse_rfc3339("2023-08-29 02:00:00.5Z", &t));
    ck_assert(t == 1693274400.5);
    ck_assert(time_parse_rfc3339("2024-02-29T23:59:59-05:30", &t));
    ck_assert(t == 1709270999);
    static const char *const bad[] = {
        "2023-02-29T00:00Z",     /* no such day */
        "2023-13-01T00:00Z",     /* no such month */
        "2023-08-29T24:00Z",     /* no such hour */
        "2023-08-29T09:00",      /* no zone: a wall-clock time */
        "2023-08-29",            /* a day */
        "2023-08-29T09:00:00.Z", /* a point without digits */
        "2023-08-29T09:00+7",    /* a short offset */
        "2023-08-29T09:00+07:00:00",
        "2023-08-29T09:00:00.0000000000000000000000000000Z", /* over 40 bytes */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = -1;
        ck_assert_msg(!time_parse_rfc3339(bad[i], &t), "accepted %s", bad[i]);
        ck_assert(t == -1);
    }
}
END_TEST

Suite *make_util_suite(void);

START_TEST(strbuf_grows_and_stays_terminated)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_str_eq(strbuf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(strbuf_printf(&b, "%d,", i), 0);
    ck_assert_uint_eq(b.len, strlen(b.data));
    ck_assert(str_starts_with(b.data, "0,1,2,"));
    ck_assert(str_ends_with(b.data, "998,999,"));
    strbuf_free(&b);
}
END_TEST

START_TEST(strbuf_refuses_to_pass_its_cap)
{
    strbuf b;
    strbuf_init(&b, 8);
    ck_assert_int_eq(strbuf_puts(&b, "12345678"), 0);
    ck_assert_int_eq(strbuf_putc(&b, '9'), -1);
    ck_assert_int_eq(strbuf_puts(&b, "x"), -1);
    ck_assert_str_eq(strbuf_cstr(&b), "12345678");
    ck_assert_int_eq(strbuf_printf(&b, "%s", ""), 0);
    strbuf_reset(&b);
    ck_assert_int_eq(strbuf_printf(&b, "%0300d", 1), -1);
    ck_assert_uint_eq(b.len, 0);
    strbuf_free(&b);
}
END_TEST

START_TEST(strbuf_detach_hands_over)
{
    strbuf b;
    strbuf_init(&b, 0);
    size_t n = 99;
    char *empty = strbuf_detach(&b, &n);
    ck_assert_str_eq(empty, "");
    ck_assert_uint_eq(n, 0);
    free(empty);
    strbuf_puts(&b, "abc");
    char *s = strbuf_detach(&b, &n);
    ck_assert_str_eq(s, "abc");
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_null(b.data);
    free(s);
}
END_TEST

START_TEST(utf8_accepts_asian_scripts)
{
    const char *ok[] = {"plain", "김민준", "สมชาย ใจดี", "अमित शर्मा", "Đà Nẵng", "😀", ""};
    for (size_t i = 0; i < ARRAY_LEN(ok); i++)
        ck_assert_msg(str_valid_utf8(ok[i], strlen(ok[i])), "rejected %s", ok[i]);
}
END_TEST

START_TEST(utf8_rejects_malformed)
{
    const char *bad[] = {
        "\xc0\xaf",         /* overlong slash */
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xff",             /* never valid */
        "abc\xe2\x82",      /* truncated */
        "\x80",             /* lone continuation */
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(!str_valid_utf8(bad[i], strlen(bad[i])), "accepted case %zu", i);
    ck_assert(!str_valid_utf8("a\0b", 3));
}
END_TEST

START_TEST(to_long_is_strict)
{
    long v = 0;
    ck_assert_int_eq(str_to_long("42", 0, 100, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(str_to_long("-5", -10, 10, &v), 0);
    ck_assert_int_eq(v, -5);
    const char *bad[] = {"",     " 1",  "1 ",  "+1",  "1x",  "101", "-1", "99999999999999999999",
                         "0x10", "\r2", "\n2", "\v2", "\f2", "- 1", "--1"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(str_to_long(bad[i], 0, 100, &v) == -1, "accepted '%s'", bad[i]);
    /* Negatives keep the same strictness. */
    ck_assert_int_eq(str_to_long("-\r5", -10, 10, &v), -1);
    ck_assert_int_eq(str_to_long("\t-5", -10, 10, &v), -1);
}
END_TEST

START_TEST(ip_blocks_and_lists)
{
    unsigned char net[16];
    int bits = 0;
    ck_assert_int_eq(ip_block_parse("10.0.0.0/8", net, &bits), 0);
    ck_assert_int_eq(bits, 96 + 8); /* IPv4 counts after the mapped prefix */
    ck_assert_int_eq(ip_block_parse("10.1.2.3", net, &bits), 0);
    ck_assert_int_eq(bits, 128);
    ck_assert_int_eq(ip_block_parse("fd00::/8", net, &bits), 0);
    ck_assert_int_eq(bits, 8);
    ck_assert_int_eq(ip_block_parse("0.0.0.0/0", net, &bits), 0);
    ck_assert_int_eq(ip_block_parse("::/128", net, &bits), 0);
    static const char *bad[] = {
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "/8",
        "10.0.0.0/-1",
        "10.0.0/8",
        "nonsense/8",
        "10.0.0.0/8x",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/8"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(ip_block_parse(bad[i], net, &bits) == -1, "accepted %s", bad[i]);

    /* Membership, with prefixes that end inside a byte. */
    ck_assert(ip_in_list("10.1.2.3", "10.0.0.0/8"));
    ck_assert(!ip_in_list("11.1.2.3", "10.0.0.0/8"));
    ck_assert(ip_in_list("10.127.0.1", "10.0.0.0/9"));
    ck_assert(!ip_in_list("10.128.0.1", "10.0.0.0/9"));
    ck_assert(ip_in_list("192.0.2.1", "192.0.2.0/31"));
    ck_assert(!ip_in_list("192.0.2.2", "192.0.2.0/31"));
    ck_assert(ip_in_list("2001:db8::1", "127.0.0.1, 2001:db8::/32"));
    ck_assert(!ip_in_list("2001:db9::1", "127.0.0.1, 2001:db8::/32"));
    ck_assert(ip_in_list("fd12::1", "fc00::/7"));
    ck_assert(!ip_in_list("fe00::1", "fc00::/7"));
    /* An IPv4-mapped address is that IPv4 address. */
    ck_assert(ip_in_list("::ffff:10.0.0.1", "10.0.0.0/8"));
    ck_assert(ip_in_list("10.0.0.1", "::ffff:10.0.0.0/104"));
    /* Bad entries are skipped, not fatal; bad input is never in a list. */
    ck_assert(ip_in_list("127.0.0.1", "junk, 10.0.0.0/99 127.0.0.0/8"));
    ck_assert(!ip_in_list("127.0.0.1", "junk, 10.0.0.0/99"));
    ck_assert(ip_in_list("1.2.3.4", "0.0.0.0/0"));
    ck_assert(!ip_in_list("not an address", "0.0.0.0/0"));
    ck_assert(!ip_in_list(NULL, "0.0.0.0/0"));
    ck_assert(!ip_in_list("1.2.3.4", NULL));
    ck_assert(!ip_in_list("1.2.3.4", ""));
}
END_TEST

START_TEST(crlf_detection)
{
    ck_assert(str_has_crlf("a\r\nb", 4));
    ck_assert(str_has_crlf("a\nb", 3));
    ck_assert(str_has_crlf("a\rb", 3));
    ck_assert(!str_has_crlf("a b", 3));
}
END_TEST

START_TEST(rfc3339_format)
{
    char out[40];
    time_format_rfc3339(1682326800123LL, out, sizeof out);
    ck_assert_str_eq(out, "2023-04-24T09:00:00.123Z");
}
END_TEST

Suite *make_util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, strbuf_grows_and_stays_terminated);
    tcase_add_test(tc, strbuf_refuses_to_pass_its_cap);
    tcase_add_test(tc, strbuf_detach_hands_over);
    tcase_add_test(tc, utf8_accepts_asian_scripts);
    tcase_add_test(tc, utf8_rejects_malformed);
    tcase_add_test(tc, to_long_is_strict);
    tcase_add_test(tc, ip_blocks_and_lists);
    tcase_add_test(tc, crlf_detection);
    tcase_add_test(tc, site_paths_and_query_escaping);
    tcase_add_test(tc, rfc3339_format);
    tcase_add_test(tc, rfc3339_parse);
    suite_add_tcase(s, tc);
    return s;
}
