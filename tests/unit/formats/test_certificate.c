/*
 * test_certificate.c - unit tests of the certificate renderer: logo types
 * judged from the bytes (PNG with its size from the header, SVG after a
 * prolog, refusals), colours, and rendering (a PDF comes out, with or
 * without a layout, with a PNG or SVG logo and with one that does not
 * decode; a full buffer or an overlong URL is an error that leaves the
 * buffer as it was).
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "formats/certificate.h"

/* A PNG header (signature and IHDR) of w x h pixels; 24 bytes. */
static void png_head(unsigned char *b, uint32_t w, uint32_t h)
{
    static const unsigned char sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                        0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    memcpy(b, sig, sizeof sig);
    for (int i = 0; i < 4; i++) {
        b[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        b[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
}

static const char *type_of(const char *s)
{
    return certificate_logo_type((const unsigned char *)s, strlen(s));
}

START_TEST(logo_types)
{
    unsigned char png[24];
    png_head(png, 200, 80);
    ck_assert_str_eq(certificate_logo_type(png, sizeof png), "image/png");
    png_head(png, CERTIFICATE_LOGO_SIDE_MAX, CERTIFICATE_LOGO_SIDE_MAX);
    ck_assert_str_eq(certificate_logo_type(png, sizeof png), "image/png");
    png_head(png, CERTIFICATE_LOGO_SIDE_MAX + 1, 10);
    ck_assert_ptr_null(certificate_logo_type(png, sizeof png));
    png_head(png, 0, 10);
    ck_assert_ptr_null(certificate_logo_type(png, sizeof png));
    ck_assert_ptr_null(certificate_logo_type(png, 20));

    ck_assert_str_eq(type_of("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
    ck_assert_str_eq(type_of("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- logo -->\n"
                             "<!DOCTYPE svg>\n  <svg>\n</svg>"),
                     "image/svg+xml");
    ck_assert_ptr_null(type_of("<svgx>"));
    ck_assert_ptr_null(type_of("<html><svg></svg></html>"));
    ck_assert_ptr_null(type_of("<?xml version=\"1.0\"?>"));
    ck_assert_ptr_null(type_of("<!-- never closed <svg>"));
    ck_assert_ptr_null(type_of("GIF89a"));
    ck_assert_ptr_null(certificate_logo_type(NULL, 0));
    ck_assert_ptr_null(
        certificate_logo_type((const unsigned char *)"<svg>", (size_t)CERTIFICATE_LOGO_MAX + 1));
}
END_TEST

START_TEST(colours)
{
    ck_assert(certificate_colour_ok("#0b4f6C"));
    ck_assert(!certificate_colour_ok("0b4f6c"));
    ck_assert(!certificate_colour_ok("#0b4f6"));
    ck_assert(!certificate_colour_ok("#0b4f6cc"));
    ck_assert(!certificate_colour_ok("#0b4g6c"));
    ck_assert(!certificate_colour_ok(NULL));
}
END_TEST

static const struct certificate_content sample = {
    .participant_name = "Nguyễn Thị Lan",
    .activity_title = "Training",
    .dates_label = "22-24 May 2031",
    .host = "Seoul",
    .number = "2031-00001",
    .issued_on = "25 May 2031",
    .verify_url = "http://convene.test/certificates/verify.html?code=00",
};

static bool is_pdf(const strbuf *b)
{
    return b->len > 1000 && memcmp(b->data, "%PDF-", 5) == 0 &&
           strstr(b->data + b->len - 16, "%%EOF") != NULL;
}

START_TEST(renders_a_pdf)
{
    strbuf out;
    strbuf_init(&out, 0);
    char err[128];
    ck_assert_int_eq(certificate_render(&sample, NULL, &out, err, sizeof err), 0);
    ck_assert(is_pdf(&out));

    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"60\" "
                              "height=\"20\"><rect width=\"60\" height=\"20\"/></svg>";
    struct certificate_layout l = {.logo = (const unsigned char *)svg,
                                   .logo_len = strlen(svg),
                                   .primary_colour = "#112233",
                                   .accent_colour = "not a colour",
                                   .signatory_name = "김민준",
                                   .signatory_title = "Secretary General",
                                   .text = "took part in"};
    strbuf_reset(&out);
    ck_assert_int_eq(certificate_render(&sample, &l, &out, err, sizeof err), 0);
    ck_assert(is_pdf(&out));

    /* A PNG header that does not decode: drawn without the logo. */
    unsigned char png[64] = {0};
    png_head(png, 10, 10);
    l.logo = png;
    l.logo_len = sizeof png;
    strbuf_reset(&out);
    ck_assert_int_eq(certificate_render(&sample, &l, &out, err, sizeof err), 0);
    ck_assert(is_pdf(&out));
    strbuf_free(&out);
}
END_TEST

START_TEST(failures_leave_the_buffer)
{
    strbuf out;
    strbuf_init(&out, 2000); /* too small for any certificate */
    strbuf_puts(&out, "kept");
    char err[128];
    ck_assert_int_eq(certificate_render(&sample, NULL, &out, err, sizeof err), -1);
    ck_assert_str_eq(strbuf_cstr(&out), "kept");
    ck_assert_ptr_nonnull(strstr(err, "cairo"));
    strbuf_free(&out);

    char url[1200];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    struct certificate_content c = sample;
    c.verify_url = url;
    strbuf_init(&out, 0);
    ck_assert_int_eq(certificate_render(&c, NULL, &out, err, sizeof err), -1);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_ptr_nonnull(strstr(err, "QR"));
    strbuf_free(&out);
}
END_TEST

Suite *make_certificate_suite(void);
Suite *make_certificate_suite(void)
{
    Suite *s = suite_create("certificate");
    TCase *tc = tcase_create("certificate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, logo_types);
    tcase_add_test(tc, colours);
    tcase_add_test(tc, renders_a_pdf);
    tcase_add_test(tc, failures_leave_the_buffer);
    suite_add_tcase(s, tc);
    return s;
}
