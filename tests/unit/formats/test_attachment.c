/*
 * test_attachment.c - unit tests of the attachment helpers: the type from
 * the leading bytes (each signature, one byte short, near misses), the
 * filenames accepted (length in bytes, UTF-8, control, separator and
 * bidirectional characters) and the Content-Disposition encoding
 * (attr-chars kept, everything else %XX, the room it needs).
 */
#include <check.h>
#include <string.h>

#include "formats/attachment.h"

START_TEST(sniff_signatures)
{
    ck_assert_str_eq(attachment_sniff("%PDF-1.7\n", 9), "application/pdf");
    ck_assert_str_eq(attachment_sniff("%PDF-", 5), "application/pdf");
    ck_assert_ptr_null(attachment_sniff("%PDF", 4));
    ck_assert_ptr_null(attachment_sniff("%pdf-1.7", 8));
    ck_assert_ptr_null(attachment_sniff(" %PDF-1.7", 9));
    ck_assert_str_eq(attachment_sniff("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "image/png");
    ck_assert_ptr_null(attachment_sniff("\x89PNG\r\n\x1a", 7));
    ck_assert_ptr_null(attachment_sniff("\x89PNG\n\n\x1a\n", 8));
    ck_assert_str_eq(attachment_sniff("\xff\xd8\xff", 3), "image/jpeg");
    ck_assert_str_eq(attachment_sniff("\xff\xd8\xff\xe1", 4), "image/jpeg");
    ck_assert_ptr_null(attachment_sniff("\xff\xd8", 2));
    ck_assert_ptr_null(attachment_sniff("GIF89a", 6));
    ck_assert_ptr_null(attachment_sniff("<html>", 6));
    ck_assert_ptr_null(attachment_sniff(NULL, 0));
}
END_TEST

static bool ok(const char *s)
{
    return attachment_name_ok(s, strlen(s));
}

START_TEST(names_accepted)
{
    ck_assert(ok("report.pdf"));
    ck_assert(ok("Plan d\xe2\x80\x99\xc3\xa9t\xc3\xa9 2023 (final).pdf"));
    ck_assert(ok("\xec\x84\x9c\xec\x9a\xb8.png"));
    ck_assert(ok("\xf0\x9f\x8c\x8f.jpg")); /* four-byte sequence */
    ck_assert(ok(".hidden"));
    ck_assert(ok("a"));
    char name[ATTACHMENT_NAME_MAX + 2];
    memset(name, 'x', sizeof name);
    ck_assert(attachment_name_ok(name, ATTACHMENT_NAME_MAX));
    ck_assert(!attachment_name_ok(name, ATTACHMENT_NAME_MAX + 1));
    ck_assert(!attachment_name_ok("", 0));
    ck_assert(!attachment_name_ok(NULL, 0));
}
END_TEST

START_TEST(names_refused)
{
    const char *bad[] = {
        "a/b.pdf",
        "a\\b.pdf",
        "/etc/passwd",
        "tab\there.pdf",
        "cr\r.pdf",
        "lf\n.pdf",
        "del\x7f.pdf",
        "c1\xc2\x85.pdf",
        "c1\xc2\x9f.pdf",
        "\xff.pdf",
        "\xc3.pdf",
        "\xc0\xaf.pdf",
        "\xed\xa0\x80.pdf",     /* surrogate */
        "\xf4\x90\x80\x80.pdf", /* above U+10FFFF */
        "\xe0\x80\xaf.pdf",     /* overlong */
        "rlo\xe2\x80\xae"
        "fdp.exe",             /* U+202E */
        "lrm\xe2\x80\x8e.pdf", /* U+200E */
        "iso\xe2\x81\xa6.pdf", /* U+2066 */
        "ls\xe2\x80\xa8.pdf",  /* U+2028 */
        "bom\xef\xbb\xbf.pdf", /* U+FEFF */
        "cut\xe2\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!ok(bad[i]), "accepted bad name %zu", i);
    /* A NUL inside. */
    ck_assert(!attachment_name_ok("a\0b.pdf", 7));
    /* Near the refused ranges, but fine. */
    ck_assert(ok("\xc2\xa0nbsp.pdf")); /* U+00A0 */
    ck_assert(ok("\xe2\x80\x90"
                 "dash.pdf")); /* U+2010 */
}
END_TEST

START_TEST(disposition_encoding)
{
    char out[ATTACHMENT_DISPOSITION_MAX];
    size_t n = attachment_disposition("report.pdf", 10, out, sizeof out);
    ck_assert_str_eq(out, "attachment; filename*=UTF-8''report.pdf");
    ck_assert_uint_eq(n, strlen(out));
    const char *name = "Plan d\xe2\x80\x99\xc3\xa9t\xc3\xa9 (final) #2.pdf";
    attachment_disposition(name, strlen(name), out, sizeof out);
    ck_assert_str_eq(out, "attachment; filename*=UTF-8''Plan%20d%E2%80%99%C3%A9t%C3%A9%20%28final"
                          "%29%20#2.pdf");
    attachment_disposition("a\"b;c\r\n%'*,=", 12, out, sizeof out);
    ck_assert_str_eq(out, "attachment; filename*=UTF-8''a%22b%3Bc%0D%0A%25%27%2A%2C%3D");
    attachment_disposition("!#$&+-.^_`|~", 12, out, sizeof out);
    ck_assert_str_eq(out, "attachment; filename*=UTF-8''!#$&+-.^_`|~");
    attachment_disposition("a\0b", 3, out, sizeof out);
    ck_assert_str_eq(out, "attachment; filename*=UTF-8''a%00b");
    /* The worst accepted name fits the documented room. */
    char worst[ATTACHMENT_NAME_MAX];
    memset(worst, '\x80', sizeof worst);
    ck_assert_uint_gt(attachment_disposition(worst, sizeof worst, out, sizeof out), 0);
    ck_assert_uint_eq(strlen(out), 29 + 3 * ATTACHMENT_NAME_MAX);
    /* Too small: 0 and "". */
    char tiny[40];
    ck_assert_uint_eq(attachment_disposition("report.pdf", 10, tiny, 40), 39);
    ck_assert_uint_eq(attachment_disposition("report.pdf", 10, tiny, 39), 0);
    ck_assert_str_eq(tiny, "");
    ck_assert_uint_eq(attachment_disposition("report.pdfx", 11, tiny, 40), 0);
    ck_assert_str_eq(tiny, "");
}
END_TEST

Suite *make_attachment_suite(void);
Suite *make_attachment_suite(void)
{
    Suite *s = suite_create("attachment");
    TCase *tc = tcase_create("attachment");
    tcase_add_test(tc, sniff_signatures);
    tcase_add_test(tc, names_accepted);
    tcase_add_test(tc, names_refused);
    tcase_add_test(tc, disposition_encoding);
    suite_add_tcase(s, tc);
    return s;
}
