/*
 * test_router.c - patterns, parameters, precedence, 404 versus 405.
 */
#include <check.h>
#include <string.h>

#include "http/router.h"
#include "base/util.h"

Suite *make_router_suite(void);

static struct router *r;
static int h_list, h_create, h_one, h_mine, h_export, h_slug;

static void setup(void)
{
    r = router_new();
    ck_assert_int_ge(router_add(r, "GET", "/api/activities", &h_list, 0), 0);
    ck_assert_int_ge(router_add(r, "POST", "/api/activities", &h_create, 1), 0);
    ck_assert_int_ge(router_add(r, "GET", "/api/activities/{id:int}", &h_one, 0), 0);
    ck_assert_int_ge(router_add(r, "DELETE", "/api/activities/{id:int}/enrollments/me", &h_mine, 0),
                     0);
    ck_assert_int_ge(router_add(r, "POST", "/api/activities/export", &h_export, 0), 0);
    ck_assert_int_ge(router_add(r, "GET", "/api/pages/{slug}", &h_slug, 0), 0);
}

static void teardown(void)
{
    router_free(r);
}

START_TEST(literal_route_matches)
{
    struct route_match m;
    ck_assert_int_eq(router_match(r, "GET", "/api/activities", &m), ROUTER_FOUND);
    ck_assert_ptr_eq(m.handler, &h_list);
    ck_assert_int_eq(router_match(r, "POST", "/api/activities", &m), ROUTER_FOUND);
    ck_assert_ptr_eq(m.handler, &h_create);
    ck_assert_uint_eq(m.flags, 1);
    ck_assert_str_eq(m.pattern, "/api/activities");
}
END_TEST

START_TEST(parameters_are_captured)
{
    struct route_match m;
    ck_assert_int_eq(router_match(r, "DELETE", "/api/activities/42/enrollments/me", &m),
                     ROUTER_FOUND);
    ck_assert_ptr_eq(m.handler, &h_mine);
    ck_assert_str_eq(route_param(&m, "id"), "42");
    ck_assert_ptr_null(route_param(&m, "other"));
    ck_assert_int_eq(router_match(r, "GET", "/api/pages/about-citynet", &m), ROUTER_FOUND);
    ck_assert_str_eq(route_param(&m, "slug"), "about-citynet");
}
END_TEST

START_TEST(int_parameters_reject_non_digits)
{
    struct route_match m;
    ck_assert_int_eq(router_match(r, "GET", "/api/activities/abc", &m), ROUTER_NOT_FOUND);
    ck_assert_int_eq(router_match(r, "GET", "/api/activities/-1", &m), ROUTER_NOT_FOUND);
    ck_assert_int_eq(router_match(r, "GET", "/api/activities/1234567890123456789", &m),
                     ROUTER_NOT_FOUND);
}
END_TEST

START_TEST(literal_beats_parameter_and_gives_405)
{
    struct route_match m;
    /* "export" is a literal POST route: GET on it is 405, not {slug}. */
    ck_assert_int_eq(router_match(r, "GET", "/api/activities/export", &m),
                     ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(m.allow, "POST");
    ck_assert_int_eq(router_match(r, "POST", "/api/activities/export", &m), ROUTER_FOUND);
    ck_assert_ptr_eq(m.handler, &h_export);
}
END_TEST

START_TEST(wrong_method_lists_allowed)
{
    struct route_match m;
    ck_assert_int_eq(router_match(r, "PUT", "/api/activities", &m), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(m.allow, "GET, HEAD, POST");
    ck_assert_int_eq(router_match(r, "POST", "/api/activities/7", &m), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(m.allow, "GET, HEAD");
}
END_TEST

START_TEST(head_answers_get_routes)
{
    struct route_match m;
    ck_assert_int_eq(router_match(r, "HEAD", "/api/activities/7", &m), ROUTER_FOUND);
    ck_assert_ptr_eq(m.handler, &h_one);
}
END_TEST

START_TEST(odd_paths_never_match)
{
    struct route_match m;
    const char *paths[] = {"/api/activities/",
                           "/api//activities",
                           "/api/activities/7/..",
                           "/api/./activities",
                           "api/activities",
                           "/api/activities/7/extra",
                           "",
                           "/"};
    for (size_t i = 0; i < ARRAY_LEN(paths); i++)
        ck_assert_msg(router_match(r, "GET", paths[i], &m) == ROUTER_NOT_FOUND, "matched '%s'",
                      paths[i]);
}
END_TEST

START_TEST(long_parameters_are_refused)
{
    char path[600];
    strcpy(path, "/api/pages/");
    memset(path + strlen(path), 'a', 400);
    path[11 + 400] = '\0';
    struct route_match m;
    ck_assert_int_eq(router_match(r, "GET", path, &m), ROUTER_NOT_FOUND);
}
END_TEST

START_TEST(bad_patterns_are_rejected)
{
    struct router *x = router_new();
    const char *bad[] = {"api/x",   "/api/{",  "/api/{}",   "/api/{id:float}",
                         "/api//x", "/api/x/", "/api/{Id}", "/api/a{b}"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(router_add(x, "GET", bad[i], NULL, 0) == -1, "accepted %s", bad[i]);
    ck_assert_int_eq(router_add(x, "GET", "/ok", NULL, 0), 0);
    ck_assert_int_eq(router_add(x, "GET", "/ok", NULL, 0), -1);
    ck_assert_int_eq(router_count(x), 1);
    router_free(x);
}
END_TEST

START_TEST(pattern_limits)
{
    struct router *x = router_new();
    const char *bad[] = {"/api/{id",
                         "/api/{a-b}",
                         "/api/{id:in}",
                         "/api/{id:inx}",
                         "/api/{id:}",
                         "/api/a}b",
                         "/{a}/{b}/{c}/{d}/{e}/{f}/{g}",
                         "/1/2/3/4/5/6/7/8/9/10/11/12/13",
                         ""};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(router_add(x, "GET", bad[i], NULL, 0) == -1, "accepted '%s'", bad[i]);
    /* Exactly at the limits: six parameters, twelve segments. */
    ck_assert_int_eq(router_add(x, "GET", "/{a}/{b}/{c}/{d}/{e}/{f_9}", NULL, 0), 0);
    ck_assert_int_eq(router_add(x, "GET", "/1/2/3/4/5/6/7/8/9/10/11/12", NULL, 0), 1);
    /* A method fits in 11 bytes. */
    ck_assert_int_eq(router_add(x, "PROPPATCHXY", "/m", NULL, 0), 2);
    ck_assert_int_eq(router_add(x, "PROPPATCHXYZ", "/m", NULL, 0), -1);
    ck_assert_int_eq(router_count(x), 3);
    ck_assert_str_eq(router_pattern(x, 1), "/1/2/3/4/5/6/7/8/9/10/11/12");
    ck_assert_str_eq(router_method(x, 2), "PROPPATCHXY");
    ck_assert_ptr_null(router_pattern(x, 3));
    ck_assert_ptr_null(router_pattern(x, -1));
    ck_assert_ptr_null(router_method(x, 3));
    ck_assert_ptr_null(router_method(x, -1));

    struct route_match m;
    ck_assert_int_eq(router_match(x, "GET", "/1/2/3/4/5/6/7/8/9/10/11/12", &m), ROUTER_FOUND);
    ck_assert_int_eq(router_match(x, "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13", &m),
                     ROUTER_NOT_FOUND);
    ck_assert_int_eq(router_match(x, "GET", "/u/v/w/x/y/z", &m), ROUTER_FOUND);
    ck_assert_int_eq(m.nparams, 6);
    ck_assert_str_eq(route_param(&m, "f_9"), "z");
    ck_assert_ptr_null(route_param(&m, "g"));
    router_free(x);
    router_free(NULL);
}
END_TEST

START_TEST(int_parameters_at_their_limits)
{
    struct route_match m;
    /* 18 digits are an id; 19 could overflow and are no id at all. */
    ck_assert_int_eq(router_match(r, "GET", "/api/activities/999999999999999999", &m),
                     ROUTER_FOUND);
    ck_assert_str_eq(route_param(&m, "id"), "999999999999999999");
    ck_assert_int_eq(router_match(r, "GET", "/api/activities/1000000000000000000", &m),
                     ROUTER_NOT_FOUND);
    /* A parameter of 255 bytes fits; 256 does not. */
    char path[300] = "/api/pages/";
    size_t base = strlen(path);
    memset(path + base, 'p', 255);
    path[base + 255] = '\0';
    ck_assert_int_eq(router_match(r, "GET", path, &m), ROUTER_FOUND);
    ck_assert_uint_eq(strlen(route_param(&m, "slug")), 255);
    path[base + 255] = 'p';
    path[base + 256] = '\0';
    ck_assert_int_eq(router_match(r, "GET", path, &m), ROUTER_NOT_FOUND);
}
END_TEST

START_TEST(allow_lists_each_method_once)
{
    struct router *x = router_new();
    int h;
    ck_assert_int_ge(router_add(x, "GET", "/a", &h, 0), 0);
    ck_assert_int_ge(router_add(x, "HEAD", "/a", &h, 0), 0);
    ck_assert_int_ge(router_add(x, "PUTS", "/a", &h, 0), 0);
    ck_assert_int_ge(router_add(x, "XPUT", "/a", &h, 0), 0);
    ck_assert_int_ge(router_add(x, "PUT", "/a", &h, 0), 0);
    ck_assert_int_ge(router_add(x, "GET", "/b/{x}", &h, 0), 0);
    ck_assert_int_ge(router_add(x, "POST", "/b/c", &h, 0), 0);
    struct route_match m;
    ck_assert_int_eq(router_match(x, "DELETE", "/a", &m), ROUTER_METHOD_NOT_ALLOWED);
    /* HEAD from the GET route and from its own is listed once; names that
     * contain another method's name do not hide it. */
    ck_assert_str_eq(m.allow, "GET, HEAD, PUTS, XPUT, PUT");
    ck_assert_int_eq(router_match(x, "HEAD", "/a", &m), ROUTER_FOUND);
    ck_assert_int_eq(router_match(x, "PUT", "/a", &m), ROUTER_FOUND);
    /* The literal /b/c only takes POST, though /b/{x} takes GET. */
    ck_assert_int_eq(router_match(x, "GET", "/b/c", &m), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(m.allow, "POST");
    ck_assert_int_eq(router_match(x, "GET", "/b/d", &m), ROUTER_FOUND);
    ck_assert_str_eq(m.allow, "");
    router_free(x);
}
END_TEST

Suite *make_router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("match");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, literal_route_matches);
    tcase_add_test(tc, parameters_are_captured);
    tcase_add_test(tc, int_parameters_reject_non_digits);
    tcase_add_test(tc, literal_beats_parameter_and_gives_405);
    tcase_add_test(tc, wrong_method_lists_allowed);
    tcase_add_test(tc, head_answers_get_routes);
    tcase_add_test(tc, odd_paths_never_match);
    tcase_add_test(tc, long_parameters_are_refused);
    tcase_add_test(tc, int_parameters_at_their_limits);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("patterns");
    tcase_add_test(tp, bad_patterns_are_rejected);
    tcase_add_test(tp, pattern_limits);
    tcase_add_test(tp, allow_lists_each_method_once);
    suite_add_tcase(s, tp);
    return s;
}
