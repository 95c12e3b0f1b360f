/*
 * test_mailsend.c - the pure pieces of mail.c: the retry backoff and the
 * attachment checks. (The outbox and the senders are covered end to end by
 * tests/integration/test_mail.c.)
 */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"

Suite *make_mailsend_suite(void);

#define MID    0x80000000u /* jitter factor 1.0 */
#define CAP_MS (10L * 60 * 1000)

START_TEST(backoff_doubles_from_the_base)
{
    ck_assert_int_eq(mail_backoff_ms(1, 2000, CAP_MS, MID), 2000);
    ck_assert_int_eq(mail_backoff_ms(2, 2000, CAP_MS, MID), 4000);
    ck_assert_int_eq(mail_backoff_ms(3, 2000, CAP_MS, MID), 8000);
    ck_assert_int_eq(mail_backoff_ms(9, 2000, CAP_MS, MID), 512000);
}
END_TEST

START_TEST(backoff_is_capped)
{
    ck_assert_int_eq(mail_backoff_ms(10, 2000, CAP_MS, MID), CAP_MS);
    ck_assert_int_eq(mail_backoff_ms(100, 2000, CAP_MS, MID), CAP_MS);
    ck_assert_int_eq(mail_backoff_ms(1000000, 2000, CAP_MS, MID), CAP_MS);
    /* No overflow near the top of long. */
    ck_assert_int_eq(mail_backoff_ms(200, 1L << 40, 1L << 50, MID), 1L << 50);
}
END_TEST

START_TEST(backoff_jitter_stays_within_a_quarter)
{
    ck_assert_int_eq(mail_backoff_ms(1, 2000, CAP_MS, 0), 1500);
    long hi = mail_backoff_ms(1, 2000, CAP_MS, UINT32_MAX);
    ck_assert_int_ge(hi, 2499);
    ck_assert_int_le(hi, 2500);
    ck_assert_int_le(mail_backoff_ms(50, 2000, CAP_MS, UINT32_MAX), CAP_MS * 5 / 4);
    ck_assert_int_ge(mail_backoff_ms(50, 2000, CAP_MS, 0), CAP_MS * 3 / 4);
    /* Different random values give different delays. */
    ck_assert_int_ne(mail_backoff_ms(3, 2000, CAP_MS, 12345),
                     mail_backoff_ms(3, 2000, CAP_MS, 3000000000u));
}
END_TEST

START_TEST(backoff_odd_arguments)
{
    ck_assert_int_ge(mail_backoff_ms(0, 2000, CAP_MS, MID), 1);
    ck_assert_int_ge(mail_backoff_ms(-5, 2000, CAP_MS, MID), 1);
    ck_assert_int_ge(mail_backoff_ms(1, 0, 0, 0), 1);
    ck_assert_int_eq(mail_backoff_ms(5, 3000, 1000, MID), 3000); /* cap below base */
}
END_TEST

static int check_json(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    char err[160];
    int rc = mail_attachments_check(j, err, sizeof err);
    json_decref(j);
    return rc;
}

START_TEST(attachments_accepted)
{
    ck_assert_int_eq(mail_attachments_check(NULL, NULL, 0), 0);
    ck_assert_int_eq(check_json("[]"), 0);
    ck_assert_int_eq(check_json("[{\"filename\": \"invite.ics\", \"content_type\": "
                                "\"text/calendar; charset=UTF-8; method=REQUEST\", \"data\": "
                                "\"BEGIN:VCALENDAR\\r\\n\"}]"),
                     0);
    ck_assert_int_eq(check_json("[{\"filename\": \"Participants 2023_v2-final.csv\", "
                                "\"content_type\": \"text/csv\", \"data\": \"\"}]"),
                     0);
}
END_TEST

START_TEST(attachments_by_reference)
{
    ck_assert_int_eq(check_json("[{\"filename\": \"certificate-2031-00042.pdf\", "
                                "\"content_type\": \"application/pdf\", \"source\": "
                                "\"certificate\", \"ref\": \"0123456789abcdef\"}]"),
                     0);
    static const char *bad[] = {
        /* No source, an unsafe or empty one, no ref, an unsafe ref. */
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"ref\": \"ab\"}]",
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"source\": "
        "\"Cert/x\", \"ref\": \"ab\"}]",
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"source\": \"\", "
        "\"ref\": \"ab\"}]",
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"source\": "
        "\"certificate\"}]",
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"source\": "
        "\"certificate\", \"ref\": \"a b\"}]",
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"source\": "
        "\"certificate\", \"ref\": \"\"}]",
        "[{\"filename\": \"c.pdf\", \"content_type\": \"application/pdf\", \"source\": "
        "\"certificate\", \"ref\": 5}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(check_json(bad[i]) == -1, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(attachments_refused)
{
    static const char *bad[] = {
        "{}",
        "[1]",
        "[{\"content_type\": \"text/plain\", \"data\": \"x\"}]",
        "[{\"filename\": \"\", \"content_type\": \"text/plain\", \"data\": \"x\"}]",
        "[{\"filename\": \"../x.txt\", \"content_type\": \"text/plain\", \"data\": \"x\"}]",
        "[{\"filename\": \".hidden\", \"content_type\": \"text/plain\", \"data\": \"x\"}]",
        "[{\"filename\": \"a\\\"b.txt\", \"content_type\": \"text/plain\", \"data\": \"x\"}]",
        "[{\"filename\": \"a\\r\\nBcc: x.txt\", \"content_type\": \"text/plain\", \"data\": "
        "\"x\"}]",
        "[{\"filename\": \"café.txt\", \"content_type\": \"text/plain\", \"data\": \"x\"}]",
        "[{\"filename\": \"a.txt\", \"data\": \"x\"}]",
        "[{\"filename\": \"a.txt\", \"content_type\": \"text\", \"data\": \"x\"}]",
        "[{\"filename\": \"a.txt\", \"content_type\": \"text/plain\\r\\nBcc: e@example.org\", "
        "\"data\": \"x\"}]",
        "[{\"filename\": \"a.txt\", \"content_type\": \"text/plain; name=\\\"x\\\"\", \"data\": "
        "\"x\"}]",
        "[{\"filename\": \"a.txt\", \"content_type\": \"text/plain;\", \"data\": \"x\"}]",
        "[{\"filename\": \"a.txt\", \"content_type\": \"text/plain\", \"data\": 5}]",
        "[{\"filename\": \"a.txt\", \"content_type\": \"text/plain\"}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(check_json(bad[i]) == -1, "accepted: %s", bad[i]);

    char name[MAIL_FILENAME_MAX + 2];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    json_t *j =
        json_pack("[{s:s, s:s, s:s}]", "filename", name, "content_type", "text/plain", "data", "x");
    ck_assert_int_eq(mail_attachments_check(j, NULL, 0), -1);
    json_decref(j);
}
END_TEST

START_TEST(attachments_size_and_count_caps)
{
    size_t n = (size_t)MAIL_ATTACHMENTS_MAX / 2 + 1;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    json_t *one = json_pack("{s:s, s:s, s:s}", "filename", "a.bin", "content_type",
                            "application/octet-stream", "data", big);
    json_t *list = json_array();
    json_array_append(list, one);
    ck_assert_int_eq(mail_attachments_check(list, NULL, 0), 0);
    json_array_append(list, one);
    char err[160];
    ck_assert_int_eq(mail_attachments_check(list, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "bytes"));
    json_decref(list);
    json_decref(one);
    free(big);

    list = json_array();
    for (int i = 0; i < 21; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "filename", "a.txt",
                                              "content_type", "text/plain", "data", "x"));
    ck_assert_int_eq(mail_attachments_check(list, NULL, 0), -1);
    json_decref(list);
}
END_TEST

/* ---- Sender settings: refused before any thread starts ---- */

static struct mail_sender_config good_config(void)
{
    struct mail_sender_config c = {
        /* Nothing listens there: the sender only retries until stopped. */
        .conninfo = "host=/nonexistent port=1 dbname=none connect_timeout=1",
        .smtp_url = "smtp://127.0.0.1:1",
        .mail_from = "convene@localhost",
        .templates_dir = "/nonexistent",
        .threads = 1,
        .max_attempts = 1,
    };
    return c;
}

START_TEST(sender_settings_refused)
{
    struct mail_sender_config c = good_config();
    c.conninfo = NULL;
    ck_assert_ptr_null(mail_sender_start(&c));
    c = good_config();
    c.smtp_url = NULL;
    ck_assert_ptr_null(mail_sender_start(&c));
    c = good_config();
    c.templates_dir = NULL;
    ck_assert_ptr_null(mail_sender_start(&c));
    c = good_config();
    c.threads = 0;
    ck_assert_ptr_null(mail_sender_start(&c));
    c = good_config();
    c.max_attempts = 0;
    ck_assert_ptr_null(mail_sender_start(&c));
    c = good_config();
    c.smtp_url = "http://127.0.0.1:1";
    ck_assert_ptr_null(mail_sender_start(&c));
    c = good_config();
    c.base_url = "https://example.org/\xC3";
    ck_assert_ptr_null(mail_sender_start(&c));
    static const char *bad_from[] = {
        "convene",
        "@localhost",
        "convene@",
        "convene@-host",
        "convene@host-",
        "convene@12345",
        "convene@ho_st",
        "con vene@localhost",
        "a<b@localhost",
        "convene@host@x",
        "convene@loc.al@x",
        NULL,
        "convene@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad_from / sizeof bad_from[0]; i++) {
        c = good_config();
        c.mail_from = bad_from[i];
        ck_assert_msg(mail_sender_start(&c) == NULL, "accepted sender %s",
                      bad_from[i] ? bad_from[i] : "NULL");
    }
}
END_TEST

START_TEST(sender_addresses_accepted)
{
    /* A plain address, or (the default) a local part at a single-label
     * host, up to 63 characters, not all digits. */
    static const char *good_from[] = {
        "convene@localhost", "no-reply@mail-1", "convene@example.org", "a.b@H0ST",
        "convene@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof good_from / sizeof good_from[0]; i++) {
        struct mail_sender_config c = good_config();
        c.mail_from = good_from[i];
        c.smtp_url = i % 2 ? "smtps://user:secret@127.0.0.1:1" : "smtp://127.0.0.1:1";
        c.base_url = i % 2 ? "https://example.org" : NULL;
        struct mail_sender *s = mail_sender_start(&c);
        ck_assert_msg(s != NULL, "refused sender %s", good_from[i]);
        mail_sender_stop(s);
    }
    mail_sender_stop(NULL);
}
END_TEST

Suite *make_mailsend_suite(void)
{
    Suite *s = suite_create("mailsend");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, backoff_doubles_from_the_base);
    tcase_add_test(tc, backoff_is_capped);
    tcase_add_test(tc, backoff_jitter_stays_within_a_quarter);
    tcase_add_test(tc, backoff_odd_arguments);
    tcase_add_test(tc, attachments_accepted);
    tcase_add_test(tc, attachments_refused);
    tcase_add_test(tc, attachments_by_reference);
    tcase_add_test(tc, attachments_size_and_count_caps);
    tcase_add_test(tc, sender_settings_refused);
    tcase_add_test(tc, sender_addresses_accepted);
    suite_add_tcase(s, tc);
    return s;
}
