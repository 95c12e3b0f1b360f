/*
 * certificate.h - a certificate of attendance as a one-page PDF (A4
 * landscape) rendered into memory: cairo's PDF surface writing into a
 * strbuf, pango for every piece of text (so Hangul, Thai, Devanagari and
 * Vietnamese are shaped, with the fonts fontconfig finds: Debian's Noto
 * fonts), the verification URL as a QR code (libqrencode) drawn as
 * rectangles, and an optional logo (PNG through cairo, SVG through
 * librsvg). Pure code: no database, no network, no files.
 *
 * Thread-safe: each call builds its own surface and pango context (pango
 * keeps one font map per thread).
 */
#ifndef CONVENE_CERTIFICATE_H
#define CONVENE_CERTIFICATE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

/* Largest logo accepted, in bytes, and its largest PNG side in pixels
 * (checked from the header before anything is decoded). */
#define CERTIFICATE_LOGO_MAX      (1024L * 1024)
#define CERTIFICATE_LOGO_SIDE_MAX 4000

/* The look of a network's certificates. Every member may be NULL (or a
 * logo of 0 bytes): then the default is used (no logo, dark blue and gold,
 * no signatory, "for attending"). Borrowed for the call. */
struct certificate_layout {
    const unsigned char *logo; /* PNG or SVG bytes */
    size_t logo_len;
    const char *primary_colour; /* "#rrggbb": border, heading, name */
    const char *accent_colour;  /* "#rrggbb": inner line, rule under the name */
    const char *signatory_name;
    const char *signatory_title;
    const char *text; /* the line between the name and the activity */
};

/* What one certificate says. UTF-8; NULL or "" leaves a line out (the
 * participant's name, the title and the number are expected). Borrowed. */
struct certificate_content {
    const char *participant_name;
    const char *activity_title;
    const char *dates_label; /* "22-24 May 2031" */
    const char *host;        /* the host organisation */
    const char *number;      /* the readable certificate number */
    const char *issued_on;   /* "29 November 2026" */
    const char *verify_url;  /* printed and encoded in the QR code */
};

/*
 * The media type of a logo judged from its bytes: "image/png" for the PNG
 * signature with a header of at most CERTIFICATE_LOGO_SIDE_MAX pixels a
 * side, "image/svg+xml" for text that opens (after a byte order mark,
 * blanks, an XML declaration and comments) with an <svg element; NULL for
 * anything else, an empty or larger than CERTIFICATE_LOGO_MAX one. Static
 * string.
 */
const char *certificate_logo_type(const unsigned char *data, size_t len);

/* True when s is a colour "#rrggbb" (hex digits, either case). */
bool certificate_colour_ok(const char *s);

/*
 * Renders the certificate into out (appended; out's cap bounds it). A logo
 * that does not decode is left out (not an error: it was checked when
 * uploaded). Returns 0, or -1 with a one-line reason in err (cairo failed,
 * out's cap was reached, the URL is too long for a QR code).
 */
int certificate_render(const struct certificate_content *content,
                       const struct certificate_layout *layout, strbuf *out, char *err,
                       size_t errlen);

/* Widest PNG certificate_render_png draws, in pixels. */
#define CERTIFICATE_PNG_WIDTH_MAX 2400

/*
 * The same certificate as a PNG image `width` pixels wide (100 ..
 * CERTIFICATE_PNG_WIDTH_MAX; the height follows the page), for previews
 * in a page (which may not frame a PDF). Same contract as
 * certificate_render.
 */
int certificate_render_png(const struct certificate_content *content,
                           const struct certificate_layout *layout, int width, strbuf *out,
                           char *err, size_t errlen);

#endif
