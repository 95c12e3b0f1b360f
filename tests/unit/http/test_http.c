/*
 * test_http.c - the pure helpers of the HTTP layer: the JSON nesting scan
 * that guards the parser, and address lists with CIDR blocks.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

Suite *make_http_suite(void);

static size_t depth(const char *s)
{
    return http_json_depth(s, strlen(s), 1000);
}

START_TEST(json_depth_counts_arrays_and_objects)
{
    ck_assert_uint_eq(depth(""), 0);
    ck_assert_uint_eq(depth("1"), 0);
    ck_assert_uint_eq(depth("{}"), 1);
    ck_assert_uint_eq(depth("{\"a\":[1,{\"b\":[]}]}"), 4);
    ck_assert_uint_eq(depth("[[],[],[[]]]"), 3);
    /* Brackets in strings, escaped quotes included, do not count. */
    ck_assert_uint_eq(depth("{\"a\":\"[[[{{{\"}"), 1);
    ck_assert_uint_eq(depth("{\"a\\\"[[[\":\"\\\\\",\"b\":[\"]]]\"]}"), 2);
    /* Unbalanced input is scanned without harm. */
    ck_assert_uint_eq(depth("]]]]["), 1);
    ck_assert_uint_eq(depth("[[[\""), 3);
    ck_assert_uint_eq(depth("\"\\"), 0);
}
END_TEST

START_TEST(json_depth_stops_early)
{
    size_t n = 1000000;
    char *s = malloc(n);
    memset(s, '[', n);
    ck_assert_uint_eq(http_json_depth(s, n, HTTP_JSON_MAX_DEPTH), HTTP_JSON_MAX_DEPTH + 1);
    ck_assert_uint_eq(http_json_depth(s, 32, HTTP_JSON_MAX_DEPTH), 32);
    ck_assert_uint_eq(http_json_depth(s, 33, HTTP_JSON_MAX_DEPTH), 33);
    /* Not NUL-terminated: only len bytes are read. */
    ck_assert_uint_eq(http_json_depth(s, 0, HTTP_JSON_MAX_DEPTH), 0);
    free(s);
}
END_TEST

START_TEST(address_lists_and_blocks)
{
    ck_assert(http_addr_in_list("127.0.0.1", "127.0.0.1,::1"));
    ck_assert(http_addr_in_list("::1", "127.0.0.1,::1"));
    ck_assert(!http_addr_in_list("127.0.0.2", "127.0.0.1,::1"));
    ck_assert(http_addr_in_list("127.0.0.2", "127.0.0.0/8"));
    ck_assert(http_addr_in_list("10.1.2.3", " 192.168.0.0/16 , 10.0.0.0/8"));
    ck_assert(!http_addr_in_list("11.0.0.1", "10.0.0.0/8"));
    ck_assert(http_addr_in_list("203.0.113.77", "203.0.113.64/26"));
    ck_assert(!http_addr_in_list("203.0.113.128", "203.0.113.64/26"));
    ck_assert(http_addr_in_list("8.8.8.8", "0.0.0.0/0"));
    ck_assert(http_addr_in_list("2001:db8::5", "2001:db8::/32"));
    ck_assert(!http_addr_in_list("2001:db9::5", "2001:db8::/32"));
    ck_assert(http_addr_in_list("fe80::1", "::/0"));
    /* An IPv4-mapped IPv6 client counts as its IPv4 address. */
    ck_assert(http_addr_in_list("::ffff:127.0.0.1", "127.0.0.1"));
    ck_assert(http_addr_in_list("::ffff:10.0.0.9", "10.0.0.0/8"));
    /* IPv4 blocks do not take IPv6 addresses, and the reverse. */
    ck_assert(!http_addr_in_list("::1", "0.0.0.0/0"));
    ck_assert(!http_addr_in_list("127.0.0.1", "::1"));
    /* Malformed entries and addresses never match. */
    ck_assert(!http_addr_in_list("127.0.0.1", "127.0.0.1/33"));
    ck_assert(!http_addr_in_list("127.0.0.1", "127.0.0.1/"));
    ck_assert(!http_addr_in_list("127.0.0.1", "/8"));
    ck_assert(!http_addr_in_list("127.0.0.1", "localhost"));
    ck_assert(!http_addr_in_list("not an address", "0.0.0.0/0"));
    ck_assert(!http_addr_in_list("127.0.0.1", ""));
    ck_assert(!http_addr_in_list("127.0.0.1", NULL));
    ck_assert(!http_addr_in_list(NULL, "0.0.0.0/0"));
}
END_TEST

Suite *make_http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, json_depth_counts_arrays_and_objects);
    tcase_add_test(tc, json_depth_stops_early);
    tcase_add_test(tc, address_lists_and_blocks);
    suite_add_tcase(s, tc);
    return s;
}
