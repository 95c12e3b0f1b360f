/*
 * internal.h - what the files of the certificates feature share: the
 * statement that reads a certificate with the layout, and rendering it.
 * Nothing outside src/certificates includes this.
 */
#ifndef CONVENE_CERTIFICATES_INTERNAL_H
#define CONVENE_CERTIFICATES_INTERNAL_H

#include <stddef.h>

#include "base/util.h"

struct db_conn;
struct db_result;
struct http_req;

/* Registers layout.c's statements (certificates_statements calls it). */
void layout_statements(void);

/* The sample the preview shows, and the verification link of a code. */
#define CERT_VERIFY_PATH "/certificates/verify.html?code="

/*
 * Reads the layout into a result (binary format: the logo as its bytes)
 * whose row 0 holds, in order: primary_colour, accent_colour,
 * signatory_name, signatory_title, body_text, logo. NULL on a database
 * failure. The caller frees it.
 */
struct db_result *cert_layout_row(struct db_conn *c);

/*
 * Renders a certificate into out, as a PDF (png_width 0) or a PNG image
 * png_width pixels wide: the content from the certificate row `cert`
 * (columns participant_name, activity_title, dates_label, host, number,
 * issued_on, code; NULL for the preview's sample), the look from the
 * layout row `layout` (as cert_layout_row reads it), the verification link
 * from base_url. 0, or -1 with the reason in err.
 */
int cert_render(const struct db_result *cert, const struct db_result *layout, const char *base_url,
                int png_width, strbuf *out, char *err, size_t errlen);

/* Replies 200 with the PDF in out, named filename (inline when inline_). */
void cert_reply_pdf(struct http_req *req, const strbuf *out, const char *filename, int inline_);

#endif
