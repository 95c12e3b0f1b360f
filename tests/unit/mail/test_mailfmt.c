/*
 * test_mailfmt.c - unit tests of header-safe mail formatting: address
 * tables, RFC 2047 round trips of Asian names (decoded here with libsodium),
 * mailboxes, CRLF normalisation, dates and Message-IDs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mail/mailfmt.h"
#include "base/util.h"

/* ---- Addresses ---- */

static const char *const good_addresses[] = {
    "someone@example.org",
    "a.b+tag@mail.example.co.kr",
    "first.last@city.go.th",
    "o'brien@example.ie",
    "x_y-z!#$%&*/=?^`{|}~@example.com",
    "UPPER@Example.ORG",
    "a@b.co",
    "user@xn--9n2bp8q.xn--3e0b707e",
    "a@1domain.example",
    /* 64-character local part, the maximum */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
};

static const char *const bad_addresses[] = {
    "a@b.c\r\nBcc: x@y.z",
    "a@b.c\nBcc: x@y.z",
    "a@b.c\r",
    "",
    "plain",
    "@example.org",
    "someone@",
    "a@@example.org",
    "a@b@example.org",
    ".a@example.org",
    "a.@example.org",
    "a..b@example.org",
    "a@localhost",
    "a@example",
    "a@-example.org",
    "a@example-.org",
    "a@example..org",
    "a@.example.org",
    "a@example.org.",
    "a@1.2.3.4",
    "a@[127.0.0.1]",
    "a b@example.org",
    " a@example.org",
    "a@example.org ",
    "<a@example.org>",
    "a@example.org>",
    "a@example.org,b@example.org",
    "\"a\"@example.org",
    "a\"b@example.org",
    "a(b)@example.org",
    "a;b@example.org",
    "a\\b@example.org",
    "김민준@example.org",
    "kim@예시.한국",
    "a@exa_mple.org",
    "a\tb@example.org",
    /* 65-character local part */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
    /* 64-character label */
    "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
};

START_TEST(test_valid_addresses)
{
    const char *addr = good_addresses[_i];
    ck_assert_msg(mailfmt_valid_address(addr), "should be valid: %s", addr);
}
END_TEST

START_TEST(test_invalid_addresses)
{
    const char *addr = bad_addresses[_i];
    ck_assert_msg(!mailfmt_valid_address(addr), "should be invalid: %s", addr);
}
END_TEST

START_TEST(test_address_length_limits)
{
    /* 64 + '@' + 63 + '.' + 63 + '.' + 57 + ".org" = 254 bytes: the most allowed.
     * One more byte in the last label makes 255, refused on length alone. */
    char addr[300];
    char *p = addr;
    memset(p, 'a', 64);
    p += 64;
    *p++ = '@';
    memset(p, 'b', 63);
    p += 63;
    *p++ = '.';
    memset(p, 'c', 63);
    p += 63;
    *p++ = '.';
    memset(p, 'd', 57);
    p += 57;
    memcpy(p, ".org", 5);
    ck_assert_uint_eq(strlen(addr), 254);
    ck_assert(mailfmt_valid_address(addr));
    memmove(p + 1, p, 5);
    *p = 'd';
    ck_assert_uint_eq(strlen(addr), 255);
    ck_assert(!mailfmt_valid_address(addr));
    ck_assert(!mailfmt_valid_address(NULL));
}
END_TEST

/* ---- RFC 2047 ---- */

/*
 * Decodes folded "=?UTF-8?B?...?=" words back to text, checking on the way
 * that every word is well-formed, at most 75 characters (and our tighter
 * MAILFMT_WORD_MAX), plain ASCII, and decodes to whole UTF-8 characters.
 * Returns a new string, or NULL when any check fails.
 */
static char *decode_words(const char *enc)
{
    static const char prefix[] = "=?UTF-8?B?";
    strbuf out;
    strbuf_init(&out, 0);
    const char *p = enc;
    for (;;) {
        const char *sep = strstr(p, "\r\n ");
        size_t len = sep != NULL ? (size_t)(sep - p) : strlen(p);
        if (len > 75 || len > MAILFMT_WORD_MAX || len < sizeof prefix + 1)
            goto fail;
        for (size_t i = 0; i < len; i++) {
            if (p[i] <= 0x20 || p[i] >= 0x7f)
                goto fail;
        }
        if (strncmp(p, prefix, sizeof prefix - 1) != 0 || strncmp(p + len - 2, "?=", 2) != 0)
            goto fail;
        unsigned char bin[128];
        size_t bin_len = 0;
        const char *b64 = p + sizeof prefix - 1;
        size_t b64_len = len - (sizeof prefix - 1) - 2;
        if (sodium_base642bin(bin, sizeof bin, b64, b64_len, NULL, &bin_len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
            goto fail;
        if (!str_valid_utf8((const char *)bin, bin_len))
            goto fail; /* a multi-byte sequence was split between words */
        if (strbuf_append(&out, bin, bin_len) != 0)
            goto fail;
        if (sep == NULL)
            break;
        p = sep + 3;
    }
    return strbuf_detach(&out, NULL);
fail:
    strbuf_free(&out);
    return NULL;
}

static const char *const unicode_texts[] = {
    "김민준",
    "สมชาย ใจดี",
    "अमित शर्मा",
    "Nguyễn Thị Minh Khai",
    "Confirm your email address for CityNet Convene · 김민준 · สมชาย ใจดี · अमित शर्मा",
    "ทดสอบภาษาไทยยาวมากเพื่อให้ต้องแบ่งเป็นหลายคำเข้ารหัสตามมาตรฐาน RFC 2047 ครับ",
    /* one ASCII byte first, so 3-byte characters straddle every word boundary */
    "x김민준김민준김민준김민준김민준김민준김민준김민준김민준김민준김민준김민준",
    "emoji 🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂",
    "ASCII with =?UTF-8?B?ZXZpbA==?= inside",
    "tab\tinside",
};

START_TEST(test_encode_round_trip)
{
    const char *text = unicode_texts[_i];
    char *enc = mailfmt_encode_header_text(text);
    ck_assert_ptr_nonnull(enc);
    ck_assert_str_ne(enc, text);
    char *dec = decode_words(enc);
    ck_assert_msg(dec != NULL, "bad encoding of %s: %s", text, enc);
    ck_assert_str_eq(dec, text);
    free(dec);
    free(enc);
}
END_TEST

START_TEST(test_encode_long_text_folds)
{
    const char *text = unicode_texts[5];
    char *enc = mailfmt_encode_header_text(text);
    ck_assert_ptr_nonnull(enc);
    ck_assert_ptr_nonnull(strstr(enc, "?=\r\n =?UTF-8?B?"));
    free(enc);
}
END_TEST

START_TEST(test_encode_plain_ascii_unchanged)
{
    static const char *const plain[] = {"Reset your CityNet Convene password", "", "a=b?c",
                                        "Kim, Lee <and> \"friends\""};
    for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
        char *enc = mailfmt_encode_header_text(plain[i]);
        ck_assert_ptr_nonnull(enc);
        ck_assert_str_eq(enc, plain[i]);
        free(enc);
    }
}
END_TEST

START_TEST(test_encode_very_long_ascii_is_folded)
{
    char text[MAILFMT_PLAIN_MAX + 2];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    char *enc = mailfmt_encode_header_text(text);
    ck_assert_ptr_nonnull(enc);
    char *dec = decode_words(enc);
    ck_assert_ptr_nonnull(dec);
    ck_assert_str_eq(dec, text);
    free(dec);
    free(enc);
}
END_TEST

START_TEST(test_encode_rejects_unsafe)
{
    static const char *const bad[] = {
        "Hello\r\nBcc: x@y.z", "Hello\nBcc: x@y.z", "Hello\r", "김민준\n",
        "bad \xC3\x28 utf-8",  "\xED\xA0\x80",      "\xFF",    "overlong \xC0\xAF",
        "cut \xE0\xB8"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(mailfmt_encode_header_text(bad[i]) == NULL, "accepted bad[%zu]", i);
    ck_assert_ptr_null(mailfmt_encode_header_text(NULL));
}
END_TEST

/* ---- Mailboxes ---- */

START_TEST(test_mailbox_forms)
{
    static const struct {
        const char *name;
        const char *want;
    } cases[] = {
        {"Kim Minjun", "Kim Minjun <kim@example.org>"},
        {"O'Brien", "O'Brien <kim@example.org>"},
        {"Kim, Minjun", "\"Kim, Minjun\" <kim@example.org>"},
        {"Dr. Kim", "\"Dr. Kim\" <kim@example.org>"},
        {"Say \"hi\" \\o/", "\"Say \\\"hi\\\" \\\\o/\" <kim@example.org>"},
        {"Two  spaces", "\"Two  spaces\" <kim@example.org>"},
        {"Evil <x@y.z>", "\"Evil <x@y.z>\" <kim@example.org>"},
        {NULL, "kim@example.org"},
        {"", "kim@example.org"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *box = mailfmt_mailbox(cases[i].name, "kim@example.org");
        ck_assert_ptr_nonnull(box);
        ck_assert_str_eq(box, cases[i].want);
        free(box);
    }
}
END_TEST

START_TEST(test_mailbox_encodes_unicode_names)
{
    static const char *const names[] = {"김민준", "สมชาย ใจดี", "अमित शर्मा", "=?UTF-8?Q?x?="};
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        char *box = mailfmt_mailbox(names[i], "someone@example.org");
        ck_assert_ptr_nonnull(box);
        ck_assert(str_ends_with(box, " <someone@example.org>"));
        box[strlen(box) - strlen(" <someone@example.org>")] = '\0';
        char *dec = decode_words(box);
        ck_assert_msg(dec != NULL, "bad encoding: %s", box);
        ck_assert_str_eq(dec, names[i]);
        free(dec);
        free(box);
    }
}
END_TEST

START_TEST(test_mailbox_refuses_unsafe)
{
    ck_assert_ptr_null(mailfmt_mailbox("Kim\r\nBcc: x@y.z", "kim@example.org"));
    ck_assert_ptr_null(mailfmt_mailbox("Kim\n", "kim@example.org"));
    ck_assert_ptr_null(mailfmt_mailbox("김민준\r", "kim@example.org"));
    ck_assert_ptr_null(mailfmt_mailbox("bad \xC3\x28", "kim@example.org"));
    ck_assert_ptr_null(mailfmt_mailbox("Kim", "kim@example.org\r\nBcc: x@y.z"));
    ck_assert_ptr_null(mailfmt_mailbox("Kim", "not an address"));
    ck_assert_ptr_null(mailfmt_mailbox("Kim", NULL));
}
END_TEST

/* ---- Line ends ---- */

START_TEST(test_crlf_normalisation)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"", ""},
        {"no line end", "no line end"},
        {"a\nb\n", "a\r\nb\r\n"},
        {"a\rb\r", "a\r\nb\r\n"},
        {"a\r\nb\r\n", "a\r\nb\r\n"},
        {"a\n\rb", "a\r\n\r\nb"},
        {"\r\r\n\n", "\r\n\r\n\r\n"},
        {"\n\n", "\r\n\r\n"},
        {"김\n민준", "김\r\n민준"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *out = mailfmt_crlf(cases[i].in);
        ck_assert_ptr_nonnull(out);
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu", i);
        free(out);
    }
    ck_assert_ptr_null(mailfmt_crlf(NULL));
}
END_TEST

/* ---- Date and Message-ID ---- */

START_TEST(test_date_format)
{
    char out[64];
    mailfmt_date(INT64_C(1682326800000), out); /* 2023-04-24T09:00:00Z */
    ck_assert_str_eq(out, "Mon, 24 Apr 2023 09:00:00 +0000");
    mailfmt_date(INT64_C(1688169600999), out); /* 2023-07-01T00:00:00.999Z */
    ck_assert_str_eq(out, "Sat, 01 Jul 2023 00:00:00 +0000");
    mailfmt_date(INT64_C(1703980799000), out); /* 2023-12-30T23:59:59Z */
    ck_assert_str_eq(out, "Sat, 30 Dec 2023 23:59:59 +0000");
    mailfmt_date(0, out);
    ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 +0000");
    mailfmt_date(-1, out);
    ck_assert_str_eq(out, "Wed, 31 Dec 1969 23:59:59 +0000");
}
END_TEST

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

START_TEST(test_message_id_shape)
{
    char *a = mailfmt_message_id("convene.example.org");
    char *b = mailfmt_message_id("convene.example.org");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(strlen(a), 1 + 32 + 1 + strlen("convene.example.org") + 1);
    ck_assert_int_eq(a[0], '<');
    for (size_t i = 1; i <= 32; i++)
        ck_assert_msg(is_lower_hex(a[i]), "not hex at %zu: %s", i, a);
    ck_assert_str_eq(a + 33, "@convene.example.org>");
    ck_assert_str_ne(a, b);
    free(a);
    free(b);

    char *local = mailfmt_message_id("localhost");
    ck_assert_ptr_nonnull(local);
    ck_assert(str_ends_with(local, "@localhost>"));
    free(local);

    ck_assert_ptr_null(mailfmt_message_id(NULL));
    ck_assert_ptr_null(mailfmt_message_id(""));
    ck_assert_ptr_null(mailfmt_message_id("exa mple.org"));
    ck_assert_ptr_null(mailfmt_message_id("example.org>\r\nBcc: x@y.z"));
    ck_assert_ptr_null(mailfmt_message_id("a@example.org"));
}
END_TEST

Suite *make_mailfmt_suite(void);
Suite *make_mailfmt_suite(void)
{
    Suite *s = suite_create("mailfmt");

    TCase *tc = tcase_create("addresses");
    tcase_add_loop_test(tc, test_valid_addresses, 0, (int)ARRAY_LEN(good_addresses));
    tcase_add_loop_test(tc, test_invalid_addresses, 0, (int)ARRAY_LEN(bad_addresses));
    tcase_add_test(tc, test_address_length_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("rfc2047");
    tcase_add_loop_test(tc, test_encode_round_trip, 0, (int)ARRAY_LEN(unicode_texts));
    tcase_add_test(tc, test_encode_long_text_folds);
    tcase_add_test(tc, test_encode_plain_ascii_unchanged);
    tcase_add_test(tc, test_encode_very_long_ascii_is_folded);
    tcase_add_test(tc, test_encode_rejects_unsafe);
    suite_add_tcase(s, tc);

    tc = tcase_create("mailbox");
    tcase_add_test(tc, test_mailbox_forms);
    tcase_add_test(tc, test_mailbox_encodes_unicode_names);
    tcase_add_test(tc, test_mailbox_refuses_unsafe);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_test(tc, test_crlf_normalisation);
    tcase_add_test(tc, test_date_format);
    tcase_add_test(tc, test_message_id_shape);
    suite_add_tcase(s, tc);
    return s;
}
