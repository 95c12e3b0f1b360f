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

/* Each kind of setting: values at and just past its limits, and every way a
 * value of that kind can be wrong; a refused value leaves the setting as it
 * was and the message names the source. */
struct case_ {
    const char *flag, *value;
    int rc;
};

START_TEST(every_kind_accepts_and_refuses)
{
    static const struct case_ cases[] = {
        {"database-url", "", -1},
        {"database-url", "host=/tmp dbname=x", 0},
        {"trusted-proxies", "10.0.0.1", 0},
        {"threads", "8", 0},
        {"threads", "7", -1},
        {"threads", "8192", 0},
        {"threads", "8193", -1},
        {"threads", "99999999999999999999", -1},
        {"body-limit", "1k", 0},
        {"body-limit", "1023", -1},
        {"body-limit", "512M", 0},
        {"body-limit", "513M", -1},
        {"body-limit", "1K", 0},
        {"body-limit", "1m", 0},
        {"body-limit", "", -1},
        {"body-limit", "1x", -1},
        {"base-url", "https://example.org/", 0},
        {"base-url", "http://", -1},
        {"base-url", "http:///path", -1},
        {"base-url", "http://a b", -1},
        {"base-url", "http://a\"b", -1},
        {"base-url", "http://a<b", -1},
        {"base-url", "http://a>b", -1},
        {"base-url", "http://a\\b", -1},
        {"base-url", "http://caf\xc3\xa9", -1},
        {"base-url", "http://a\x7f", -1},
        {"smtp-url", "smtps://u:p@mail.example.org:465", 0},
        {"smtp-url", "smtp://", -1},
        {"smtp-url", "smtp://a b", -1},
        {"smtp-url", "smtp://a\r\nb", -1},
        {"mail-from", "a@b", 0},
        {"mail-from", "@b", -1},
        {"mail-from", "a@", -1},
        {"mail-from", "ab", -1},
        {"mail-from", "a@b@c", -1},
        {"mail-from", "a b@c", -1},
        {"mail-from", "a<b@c", -1},
        {"mail-from", "a@b\xc3\xa9", -1},
        {"metrics-allow", "127.0.0.0/8, ::1,fd00::/8", 0},
        {"metrics-allow", "", -1},
        {"metrics-allow", ", ,", -1},
        {"metrics-allow", "127.0.0.1,nonsense", -1},
        {"metrics-allow", "10.0.0.0/33", -1},
        {"metrics-token", "0123456789abcdef", 0},
        {"metrics-token", "0123456789abcde", -1},
        {"metrics-token", "0123456789abcde\x01", -1},
        {"metrics-token", "0123456789abcde\x80", -1},
        {"metrics-token", "0123456789 abcdef", -1},
        {"listen", "[::1]:0", 0},
        {"listen", "[::1]", -1},
        {"listen", "[nonsense]:80", -1},
        {"listen", "[::1]:-1", -1},
        {"log-level", "debug", 0},
        {"log-level", "warn", 0},
        {"log-level", "WARN", -1},
        {"log-level", "verbose", -1},
        {"log-level", "", -1},
        {"no-such-setting", "1", -1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        err[0] = '\0';
        int rc = config_set(&c, cases[i].flag, cases[i].value, "SRC", err, sizeof err);
        ck_assert_msg(rc == cases[i].rc, "%s=%s gave %d", cases[i].flag, cases[i].value, rc);
        if (rc != 0)
            ck_assert_msg(strncmp(err, "SRC:", 4) == 0, "%s: message %s", cases[i].flag, err);
    }
    /* The last accepted value of each stays; refusals changed nothing. */
    ck_assert_str_eq(c.database_url, "host=/tmp dbname=x");
    ck_assert_int_eq(c.threads, 8192);
    ck_assert_int_eq(c.body_limit, 1 << 20);
    ck_assert_str_eq(c.base_url, "https://example.org/");
    ck_assert_str_eq(c.smtp_url, "smtps://u:p@mail.example.org:465");
    ck_assert_str_eq(c.mail_from, "a@b");
    ck_assert_str_eq(c.metrics_allow, "127.0.0.0/8, ::1,fd00::/8");
    ck_assert_str_eq(c.metrics_token, "0123456789abcdef");
    ck_assert_str_eq(c.listen_host, "::1");
    ck_assert_int_eq(c.listen_port, 0);
    ck_assert_str_eq(c.log_level, "warn");
}
END_TEST

START_TEST(secret_is_never_echoed)
{
    ck_assert_int_eq(config_set(&c, "metrics-token", "short secret", "T", err, sizeof err), -1);
    ck_assert_ptr_null(strstr(err, "short secret"));
    ck_assert_ptr_nonnull(strstr(err, "not shown"));
    /* 256 characters at most. */
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[257] = '\0';
    ck_assert_int_eq(config_set(&c, "metrics-token", big, "T", err, sizeof err), -1);
    big[256] = '\0';
    ck_assert_int_eq(config_set(&c, "metrics-token", big, "T", err, sizeof err), 0);
    ck_assert_uint_eq(strlen(c.metrics_token), 256);
}
END_TEST

START_TEST(booleans_in_every_spelling)
{
    static const char *yes[] = {"1", "true", "YES", "On"};
    static const char *no[] = {"0", "False", "no", "OFF"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        c.migrate_on_start = false;
        ck_assert_int_eq(config_set(&c, "migrate", yes[i], "M", err, sizeof err), 0);
        ck_assert_msg(c.migrate_on_start, "%s", yes[i]);
        ck_assert_int_eq(config_set(&c, "migrate", no[i], "M", err, sizeof err), 0);
        ck_assert_msg(!c.migrate_on_start, "%s", no[i]);
    }
    ck_assert_int_eq(config_set(&c, "migrate", "", "M", err, sizeof err), -1);
    ck_assert_int_eq(config_set(&c, "migrate", "truee", "M", err, sizeof err), -1);
    ck_assert(!c.migrate_on_start);
}
END_TEST

START_TEST(finish_derives_and_trims_base_url)
{
    ck_assert_int_eq(config_set(&c, "listen", "[::1]:8443", "L", err, sizeof err), 0);
    ck_assert_int_eq(config_finish(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.base_url, "http://[::1]:8443");
    ck_assert_int_eq(config_set(&c, "base-url", "https://example.org///", "B", err, sizeof err), 0);
    ck_assert_int_eq(config_finish(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.base_url, "https://example.org");
}
END_TEST

START_TEST(flag_without_value_is_named)
{
    char *argv[] = {"serve", "--listen", NULL};
    int next = 0;
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv, &next, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "a value is required"));
    char *argv2[] = {"serve", "-x", NULL};
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv2, &next, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown option"));
    char *argv3[] = {"serve", "--threads=3", NULL};
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv3, &next, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--threads"));
    char *argv4[] = {"serve", "-h", NULL};
    optind = 0;
    ck_assert_int_eq(config_from_args(&c, 2, argv4, &next, err, sizeof err), 1);
}
END_TEST

START_TEST(help_lists_every_setting)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print_help(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "--database-url"));
    ck_assert_ptr_nonnull(strstr(text, "CONVENE_LOGIN_LIMIT_PER_IP"));
    ck_assert_ptr_nonnull(strstr(text, "OWASP minimum: 19M"));
    free(text);
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
    tcase_add_test(tc, every_kind_accepts_and_refuses);
    tcase_add_test(tc, secret_is_never_echoed);
    tcase_add_test(tc, booleans_in_every_spelling);
    tcase_add_test(tc, finish_derives_and_trims_base_url);
    tcase_add_test(tc, flag_without_value_is_named);
    tcase_add_test(tc, help_lists_every_setting);
    suite_add_tcase(s, tc);
    return s;
}
