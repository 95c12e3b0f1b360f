/*
 * certificate.c - renders a certificate of attendance to PDF in memory.
 * Owns the page's geometry (A4 landscape, points), the text through pango
 * (shaping and font fallback: the fonts are fontconfig's business), the QR
 * code drawn module by module, and the logo's decoding. See certificate.h.
 */
#include "formats/certificate.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W   841.89 /* A4 landscape, points */
#define PAGE_H   595.28
#define MARGIN   28.0
#define QR_SIZE  92.0 /* side of the QR code with its quiet zone */
#define QR_QUIET 4    /* modules of white around the code */
#define LOGO_W   200.0
#define LOGO_H   64.0
#define URL_MAX  1000

/* The fonts asked for; fontconfig falls back per character to the Noto
 * family that has it (CJK, Thai, Devanagari). */
#define FONT_SANS  "Noto Sans, Noto Sans CJK KR, Noto Sans Thai, Noto Sans Devanagari, sans-serif"
#define FONT_SERIF "Noto Serif, Noto Serif CJK KR, Noto Serif Thai, Noto Serif Devanagari, serif"

/* ---- Checks ---- */

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

bool certificate_colour_ok(const char *s)
{
    if (s == NULL || strlen(s) != 7 || s[0] != '#')
        return false;
    for (int i = 1; i < 7; i++) {
        if (!is_hex(s[i]))
            return false;
    }
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Skips blanks, an XML declaration, comments and a doctype; the rest. */
static const char *skip_prolog(const char *p, const char *end)
{
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        const char *close = NULL;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
            close = "-->";
        else if (end - p >= 2 && (memcmp(p, "<?", 2) == 0 || memcmp(p, "<!", 2) == 0))
            close = ">";
        if (close == NULL)
            return p;
        const char *q = memmem(p + 2, (size_t)(end - p - 2), close, strlen(close));
        if (q == NULL)
            return end;
        p = q + strlen(close);
    }
}

const char *certificate_logo_type(const unsigned char *data, size_t len)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (data == NULL || len == 0 || len > (size_t)CERTIFICATE_LOGO_MAX)
        return NULL;
    if (len >= 24 && memcmp(data, png, 8) == 0 && memcmp(data + 12, "IHDR", 4) == 0) {
        uint32_t w = be32(data + 16), h = be32(data + 20);
        if (w >= 1 && h >= 1 && w <= CERTIFICATE_LOGO_SIDE_MAX && h <= CERTIFICATE_LOGO_SIDE_MAX)
            return "image/png";
        return NULL;
    }
    const char *p = (const char *)data, *end = p + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    p = skip_prolog(p, end);
    if (end - p >= 5 && memcmp(p, "<svg", 4) == 0 &&
        (p[4] == ' ' || p[4] == '\t' || p[4] == '\r' || p[4] == '\n' || p[4] == '>'))
        return "image/svg+xml";
    return NULL;
}

/* ---- Drawing helpers ---- */

struct rgb {
    double r, g, b;
};

static struct rgb colour(const char *s, struct rgb def)
{
    if (s == NULL || !certificate_colour_ok(s))
        return def;
    unsigned long v = strtoul(s + 1, NULL, 16); /* six hex digits: checked above */
    return (struct rgb){((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0};
}

static void set_colour(cairo_t *cr, struct rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static bool present(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/*
 * Draws text (UTF-8) in a box `width` wide whose top is at y, centred on
 * x (PANGO_ALIGN_CENTER) or starting at x (LEFT) or ending at x + width
 * (RIGHT), wrapping at words and at most max_lines lines (ellipsised
 * beyond). Returns the height drawn.
 */
static double draw_text(cairo_t *cr, const char *text, const char *family, double size, bool bold,
                        PangoAlignment align, double x, double y, double width, int max_lines)
{
    if (!present(text))
        return 0;
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(family);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
    pango_layout_set_height(layout, -max_lines);
    pango_layout_set_alignment(layout, align);
    pango_layout_set_text(layout, text, -1);
    int w = 0, h = 0;
    pango_layout_get_size(layout, &w, &h);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    pango_font_description_free(fd);
    g_object_unref(layout);
    return (double)h / PANGO_SCALE;
}

/* Draws the QR code of url with its top-left corner at (x, y). */
static int draw_qr(cairo_t *cr, const char *url, double x, double y, double side, char *err,
                   size_t errlen)
{
    if (strlen(url) > URL_MAX)
        return errf(err, errlen, "verification URL too long for a QR code");
    QRcode *qr = QRcode_encodeString8bit(url, 0, QR_ECLEVEL_M);
    if (qr == NULL)
        return errf(err, errlen, "cannot encode the QR code");
    int n = qr->width;
    double m = side / (n + 2 * QR_QUIET);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, side, side);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int row = 0; row < n; row++) {
        for (int col = 0; col < n; col++) {
            if (qr->data[row * n + col] & 1)
                cairo_rectangle(cr, x + (col + QR_QUIET) * m, y + (row + QR_QUIET) * m, m, m);
        }
    }
    cairo_fill(cr);
    QRcode_free(qr);
    return 0;
}

struct png_reader {
    const unsigned char *data;
    size_t len, pos;
};

static cairo_status_t png_read(void *closure, unsigned char *out, unsigned int n)
{
    struct png_reader *r = closure;
    if (r->len - r->pos < n)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
    return CAIRO_STATUS_SUCCESS;
}

/* Fits a w x h picture into the logo box centred at top; scale and origin. */
static void fit(double w, double h, double top, double *scale, double *x, double *y)
{
    double s = LOGO_W / w < LOGO_H / h ? LOGO_W / w : LOGO_H / h;
    *scale = s;
    *x = (PAGE_W - w * s) / 2;
    *y = top + (LOGO_H - h * s) / 2;
}

/* Draws the logo in its box below the top margin; false when there is
 * none or it does not decode. */
static bool draw_logo(cairo_t *cr, const struct certificate_layout *l, double top)
{
    const char *type = certificate_logo_type(l->logo, l->logo_len);
    if (type == NULL)
        return false;
    double s, x, y;
    if (strcmp(type, "image/png") == 0) {
        struct png_reader rd = {l->logo, l->logo_len, 0};
        cairo_surface_t *img = cairo_image_surface_create_from_png_stream(png_read, &rd);
        bool ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS;
        if (ok) {
            double w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
            fit(w, h, top, &s, &x, &y);
            cairo_save(cr);
            cairo_translate(cr, x, y);
            cairo_scale(cr, s, s);
            cairo_set_source_surface(cr, img, 0, 0);
            cairo_paint(cr);
            cairo_restore(cr);
        }
        cairo_surface_destroy(img);
        return ok;
    }
    GError *gerr = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data(l->logo, l->logo_len, &gerr);
    if (h == NULL) {
        g_clear_error(&gerr);
        return false;
    }
    gdouble w = 0, hh = 0;
    bool ok = false;
    if (rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &hh) && w > 0 && hh > 0) {
        fit(w, hh, top, &s, &x, &y);
        RsvgRectangle vp = {x, y, w * s, hh * s};
        ok = rsvg_handle_render_document(h, cr, &vp, &gerr);
    } else {
        /* No intrinsic size (a viewBox only): use the whole box. */
        RsvgRectangle vp = {(PAGE_W - LOGO_W) / 2, top, LOGO_W, LOGO_H};
        ok = rsvg_handle_render_document(h, cr, &vp, &gerr);
    }
    g_clear_error(&gerr);
    g_object_unref(h);
    return ok;
}

/* ---- The page ---- */

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
    return strbuf_append(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void draw_page(cairo_t *cr, const struct certificate_content *c,
                      const struct certificate_layout *l)
{
    struct rgb primary = colour(l->primary_colour, (struct rgb){0.10, 0.22, 0.42});
    struct rgb accent = colour(l->accent_colour, (struct rgb){0.72, 0.56, 0.20});
    struct rgb ink = {0.15, 0.15, 0.15};
    struct rgb grey = {0.40, 0.40, 0.40};

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    set_colour(cr, primary);
    cairo_set_line_width(cr, 6);
    cairo_rectangle(cr, MARGIN / 2, MARGIN / 2, PAGE_W - MARGIN, PAGE_H - MARGIN);
    cairo_stroke(cr);
    set_colour(cr, accent);
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, MARGIN, MARGIN, PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN);
    cairo_stroke(cr);

    double inner = PAGE_W - 4 * MARGIN;
    double left = 2 * MARGIN;
    double y = 1.6 * MARGIN;
    if (draw_logo(cr, l, y))
        y += LOGO_H + 10;
    else
        y += 44;
    set_colour(cr, primary);
    y += draw_text(cr, "CERTIFICATE OF ATTENDANCE", FONT_SERIF, 30, true, PANGO_ALIGN_CENTER, left,
                   y, inner, 1);
    y += 14;
    set_colour(cr, grey);
    y += draw_text(cr, "This is to certify that", FONT_SANS, 13, false, PANGO_ALIGN_CENTER, left, y,
                   inner, 1);
    y += 10;
    set_colour(cr, primary);
    y += draw_text(cr, c->participant_name, FONT_SANS, 32, true, PANGO_ALIGN_CENTER, left, y, inner,
                   2);
    y += 6;
    set_colour(cr, accent);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, PAGE_W / 2 - 150, y);
    cairo_line_to(cr, PAGE_W / 2 + 150, y);
    cairo_stroke(cr);
    y += 12;
    set_colour(cr, grey);
    y += draw_text(cr, present(l->text) ? l->text : "attended", FONT_SANS, 13, false,
                   PANGO_ALIGN_CENTER, left, y, inner, 2);
    y += 8;
    set_colour(cr, ink);
    y += draw_text(cr, c->activity_title, FONT_SERIF, 21, true, PANGO_ALIGN_CENTER, left, y, inner,
                   3);
    y += 6;
    set_colour(cr, grey);
    y += draw_text(cr, c->dates_label, FONT_SANS, 13, false, PANGO_ALIGN_CENTER, left, y, inner, 1);
    if (present(c->host)) {
        char *host = g_strdup_printf("Hosted by %s", c->host);
        draw_text(cr, host, FONT_SANS, 13, false, PANGO_ALIGN_CENTER, left, y, inner, 2);
        g_free(host);
    }

    /* The foot: signatory on the left, number, date and QR code on the right. */
    double foot = PAGE_H - 2 * MARGIN - QR_SIZE;
    if (present(l->signatory_name)) {
        double sy = PAGE_H - 2 * MARGIN - 40;
        set_colour(cr, ink);
        cairo_set_line_width(cr, 0.8);
        cairo_move_to(cr, left, sy);
        cairo_line_to(cr, left + 220, sy);
        cairo_stroke(cr);
        sy += 4;
        sy += draw_text(cr, l->signatory_name, FONT_SANS, 12, true, PANGO_ALIGN_LEFT, left, sy, 260,
                        1);
        set_colour(cr, grey);
        draw_text(cr, l->signatory_title, FONT_SANS, 10, false, PANGO_ALIGN_LEFT, left, sy, 260, 1);
    }
    double qx = PAGE_W - 2 * MARGIN - QR_SIZE;
    double tx = qx - 330;
    set_colour(cr, grey);
    double ty = foot + 8;
    if (present(c->number)) {
        char *no = g_strdup_printf("Certificate No. %s", c->number);
        ty += draw_text(cr, no, FONT_SANS, 10, false, PANGO_ALIGN_RIGHT, tx, ty, 320, 1);
        g_free(no);
    }
    if (present(c->issued_on)) {
        char *on = g_strdup_printf("Issued on %s", c->issued_on);
        ty += draw_text(cr, on, FONT_SANS, 10, false, PANGO_ALIGN_RIGHT, tx, ty, 320, 1);
        g_free(on);
    }
    if (present(c->verify_url)) {
        ty += draw_text(cr, "Verify at", FONT_SANS, 9, false, PANGO_ALIGN_RIGHT, tx, ty, 320, 1);
        draw_text(cr, c->verify_url, FONT_SANS, 8, false, PANGO_ALIGN_RIGHT, tx, ty, 320, 2);
    }
}

/* Draws the whole certificate on cr (page units: points). 0 or -1. */
static int draw_all(cairo_t *cr, const struct certificate_content *content,
                    const struct certificate_layout *layout, char *err, size_t errlen)
{
    static const struct certificate_layout none = {0};
    if (layout == NULL)
        layout = &none;
    draw_page(cr, content, layout);
    if (!present(content->verify_url))
        return 0;
    double qx = PAGE_W - 2 * MARGIN - QR_SIZE;
    double qy = PAGE_H - 2 * MARGIN - QR_SIZE;
    return draw_qr(cr, content->verify_url, qx, qy, QR_SIZE, err, errlen);
}

/* After drawing: the first failure of cr, the surface or the drawing, and
 * out back to its length before (start) on failure. Destroys both. */
static int finish(cairo_t *cr, cairo_surface_t *surface, int rc, strbuf *out, size_t start,
                  char *err, size_t errlen)
{
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && cairo_surface_get_type(surface) == CAIRO_SURFACE_TYPE_IMAGE &&
        rc == 0) {
        cairo_surface_flush(surface);
        st = cairo_surface_write_to_png_stream(surface, write_out, out);
    }
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
        rc = errf(err, errlen, "cairo: %s", cairo_status_to_string(st));
    if (rc != 0) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    }
    return rc;
}

int certificate_render(const struct certificate_content *content,
                       const struct certificate_layout *layout, strbuf *out, char *err,
                       size_t errlen)
{
    size_t start = out->len;
    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(write_out, out, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "Certificate of attendance");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Convene");
    cairo_t *cr = cairo_create(surface);
    int rc = draw_all(cr, content, layout, err, errlen);
    return finish(cr, surface, rc, out, start, err, errlen);
}

int certificate_render_png(const struct certificate_content *content,
                           const struct certificate_layout *layout, int width, strbuf *out,
                           char *err, size_t errlen)
{
    if (width < 100 || width > CERTIFICATE_PNG_WIDTH_MAX)
        return errf(err, errlen, "width out of range");
    size_t start = out->len;
    double scale = width / PAGE_W;
    cairo_surface_t *surface =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, (int)(PAGE_H * scale + 0.5));
    cairo_t *cr = cairo_create(surface);
    cairo_scale(cr, scale, scale);
    int rc = draw_all(cr, content, layout, err, errlen);
    return finish(cr, surface, rc, out, start, err, errlen);
}
