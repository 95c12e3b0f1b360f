/*
 * test_config.c - defaults, environment, flags overriding the environment,
 * and a clear message naming the setting for every bad value.
 */
#include <check.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/util.h"

Suite *make_config_suite(void);

static struct config c;
static char err[512];

static void setup(void)
{
    unsetenv("CONVENE_LISTEN");
    unsetenv("CONVENE_THREADS");
    unsetenv("CONVENE_BODY_LIMIT");
    config_defaults(&c);
    err[0] = '\0';
}

static void teardown(void)
{
    config_free(&c);
}

START_TEST(defaults_are_sane)
{
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 8080);
    ck_assert_int_ge(c.threads, 300);
    ck_assert_int_eq(c.body_limit, 1 << 20);
    ck_assert(c.migrate_on_start);
    ck_assert_int_eq(config_finish(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.base_url, "http://127.0.0.1:8080");
}
END_TEST

START_TEST(listen_forms)
{
    char *host = NULL;
    int port = 0;
    ck_assert_int_eq(config_parse_listen("[::1]:9000", &host, &port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(port, 9000);
    free(host);
    ck_assert_int_eq(config_parse_listen("localhost:0", &host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    free(host);
    const char *bad[] = {"8080",    ":8080",     "127.0.0.1:", "127.0.0.1:65536",
                         "host:80", "[::1]8080", "1.2.3:80",   "127.0.0.1:80x",
                         ""};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(config_parse_listen(bad[i], &host, &port) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(sizes)
{
    long v;
    ck_assert_int_eq(config_parse_size("64k", 1, 1L << 30, &v), 0);
    ck_assert_int_eq(v, 65536);
    ck_assert_int_eq(config_parse_size("2M", 1, 1L << 30, &v), 0);
    ck_assert_int_eq(v, 2L << 20);
    ck_assert_int_eq(config_parse_size("1000", 1, 1L << 30, &v), 0);
    ck_assert_int_eq(v, 1000);
    ck_assert_int_eq(config_parse_size("2G", 1, 1L << 30, &v), -1);
    ck_assert_int_eq(config_parse_size("k", 1, 1L << 30, &v), -1);
    ck_assert_int_eq(config_parse_size("-1k", 1, 1L << 30, &v), -1);
    ck_assert_int_eq(config_parse_size("4096M", 1, 1L << 30, &v), -1);
}
END_TEST

START_TEST(bad_values_name_the_setting)
{
    ck_assert_int_eq(config_set(&c, "threads", "lots", "CONVENE_THREADS", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "CONVENE_THREADS"));
    ck_assert_ptr_nonnull(strstr(err, "lots"));
    ck_assert_int_eq(config_set(&c, "base-url", "ftp://x", "--base-url", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--base-url"));
    ck_assert_int_eq(
        config_set(&c, "web-root", "/nonexistent/dir", "CONVENE_WEB_ROOT", err, sizeof err), -1);
    ck_assert_int_eq(config_set(&c, "smtp-url", "http://x", "CONVENE_SMTP_URL", err, sizeof err),
                     -1);
    ck_assert_int_eq(
        config_set(&c, "mail-from", "a@b\r\nBcc: c@d", "CONVENE_MAIL_FROM", err, sizeof err), -1);
    ck_assert_int_eq(config_set(&c, "migrate", "maybe", "CONVENE_MIGRATE", err, sizeof err), -1);
    ck_assert_int_eq(config_set(&c, "threads", "4", "CONVENE_THREADS", err, sizeof err), -1);
    ck_assert_int_eq(c.threads, 512); /* unchanged after errors */
}
END_TEST

START_TEST(flags_override_environment)
{
    setenv("CONVENE_LISTEN", "127.0.0.1:9001", 1);
    setenv("CONVENE_THREADS", "64", 1);
    ck_assert_int_eq(config_from_env(&c, err, sizeof err), 0);
    ck_assert_int_eq(c.listen_port, 9001);
    ck_assert_int_eq(c.threads, 64);
    char *argv[] = {"serve", "--listen=127.0.0.1:9002", "--body-limit", "64k", "--no-migrate",
                    NULL};
    int next = 0;
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 5, argv, &next, err, sizeof err), 0);
    ck_assert_int_eq(c.listen_port, 9002);
    ck_assert_int_eq(c.threads, 64);
    ck_assert_int_eq(c.body_limit, 65536);
    ck_assert(!c.migrate_on_start);
    ck_assert_int_eq(next, 5);
}
END_TEST

START_TEST(bad_environment_is_reported)
{
    setenv("CONVENE_LISTEN", "nonsense", 1);
    ck_assert_int_eq(config_from_env(&c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "CONVENE_LISTEN"));
    unsetenv("CONVENE_LISTEN");
}
END_TEST

START_TEST(unknown_flags_are_errors)
{
    char *argv[] = {"serve", "--lisen=1", NULL};
    int next = 0;
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv, &next, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--lisen"));
    char *argv2[] = {"serve", "--threads", NULL};
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv2, &next, err, sizeof err), -1);
    char *argv3[] = {"serve", "--help", NULL};
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv3, &next, err, sizeof err), 1);
}
END_TEST

Suite *make_config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults_are_sane);
    tcase_add_test(tc, listen_forms);
    tcase_add_test(tc, sizes);
    tcase_add_test(tc, bad_values_name_the_setting);
    tcase_add_test(tc, flags_override_environment);
    tcase_add_test(tc, bad_environment_is_reported);
    tcase_add_test(tc, unknown_flags_are_errors);
    suite_add_tcase(s, tc);
    return s;
}
