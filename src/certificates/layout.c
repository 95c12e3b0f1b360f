/*
 * layout.c - the network's certificate layout (one row: colours, the
 * signatory, a line of text, a PNG or SVG logo), its editing by staff
 * (audited) and the preview: a PDF with a sample name drawn with the
 * layout as it is now. Also the rendering shared with certificates.c.
 */
#include "certificates/certificates.h"
#include "certificates/internal.h"

#include "api/api.h"
#include "api/app.h"
#include "api/auth.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "db/db.h"
#include "formats/certificate.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_layout = -1, st_layout_json = -1, st_layout_put = -1, st_logo_put = -1;

#define LAYOUT_JSON                                                                                \
    "SELECT json_build_object('primary_colour', primary_colour, 'accent_colour', accent_colour, "  \
    "'signatory_name', signatory_name, 'signatory_title', signatory_title, 'text', body_text, "    \
    "'logo', CASE WHEN logo IS NULL THEN NULL ELSE json_build_object('content_type', logo_type, "  \
    "'size', octet_length(logo)) END, 'updated_at', updated_at)::text FROM certificate_layout"

void layout_statements(void)
{
    st_layout =
        db_register("cert_layout", "SELECT primary_colour, accent_colour, signatory_name, "
                                   "signatory_title, body_text, logo FROM certificate_layout");
    st_layout_json = db_register("cert_layout_json", LAYOUT_JSON);
    st_layout_put = db_register("cert_layout_put",
                                "WITH u AS (UPDATE certificate_layout SET primary_colour = $1, "
                                "accent_colour = $2, signatory_name = $3, signatory_title = $4, "
                                "body_text = $5, updated_at = now(), updated_by = $6 RETURNING 1) "
                                "SELECT count(*) FROM u");
    st_logo_put = db_register("cert_logo_put",
                              "WITH u AS (UPDATE certificate_layout SET logo = $1, logo_type = $2, "
                              "updated_at = now(), updated_by = $3 RETURNING 1) "
                              "SELECT count(*) FROM u");
}

struct db_result *cert_layout_row(struct db_conn *c)
{
    struct db_result *r = db_run_params(c, st_layout, 0, NULL, NULL, NULL, true);
    if (r != NULL && db_nrows(r) != 1) {
        db_result_free(r);
        return NULL;
    }
    return r;
}

int cert_render(const struct db_result *cert, const struct db_result *layout, const char *base_url,
                int png_width, strbuf *out, char *err, size_t errlen)
{
    struct certificate_layout l = {
        .primary_colour = db_value(layout, 0, 0),
        .accent_colour = db_value(layout, 0, 1),
        .signatory_name = db_value(layout, 0, 2),
        .signatory_title = db_value(layout, 0, 3),
        .text = db_value(layout, 0, 4),
        .logo = (const unsigned char *)db_value(layout, 0, 5),
        .logo_len = db_value_len(layout, 0, 5),
    };
    struct certificate_content c = {
        .participant_name = "Nguyễn Thị Lan",
        .activity_title = "Sample activity: Climate-Resilient Urban Water Systems",
        .dates_label = "22-24 May 2031",
        .host = "CityNet Secretariat",
        .number = "0000-00000",
        .issued_on = "25 May 2031",
    };
    const char *code = "00000000000000000000000000000000";
    if (cert != NULL) {
        c.participant_name = db_value(cert, 0, db_col(cert, "participant_name"));
        c.activity_title = db_value(cert, 0, db_col(cert, "activity_title"));
        c.dates_label = db_value(cert, 0, db_col(cert, "dates_label"));
        c.host = db_value(cert, 0, db_col(cert, "host"));
        c.number = db_value(cert, 0, db_col(cert, "number"));
        c.issued_on = db_value(cert, 0, db_col(cert, "issued_on"));
        code = db_value(cert, 0, db_col(cert, "code"));
    }
    char *url = xasprintf("%s%s%s", base_url ? base_url : "", CERT_VERIFY_PATH, code);
    c.verify_url = url;
    int rc = png_width > 0 ? certificate_render_png(&c, &l, png_width, out, err, errlen)
                           : certificate_render(&c, &l, out, err, errlen);
    free(url);
    return rc;
}

void cert_reply_pdf(struct http_req *req, const strbuf *out, const char *filename, int inline_)
{
    char disposition[160];
    snprintf(disposition, sizeof disposition, "%s; filename=\"%s\"",
             inline_ ? "inline" : "attachment", filename);
    http_add_header(req, "Content-Disposition", disposition);
    http_add_header(req, "Cache-Control", "private, no-store");
    http_reply(req, 200, "application/pdf", out->data, out->len);
}

void certificates_layout_get(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    api_reply_row_json(req, x.c, db_run(x.c, st_layout_json, 0, NULL), 200, "layout");
out:
    api_end(&x);
}

/* Reads an optional one-line text member (null or absent: none). */
static const char *line_member(struct api_ctx *x, const char *key, size_t max_chars)
{
    const char *s = api_string(x->req, x->body, key, &x->f, API_TRIM, 1, max_chars * 4);
    if (s != NULL && api_utf8_chars(s) > max_chars) {
        char msg[64];
        snprintf(msg, sizeof msg, "Must be at most %zu characters long.", max_chars);
        api_field_error(&x->f, key, "too_long", msg);
        return NULL;
    }
    return s;
}

static const char *colour_member(struct api_ctx *x, const char *key)
{
    const char *s = api_string(x->req, x->body, key, &x->f, API_REQUIRED, 1, 16);
    if (s != NULL && !certificate_colour_ok(s)) {
        api_field_error(&x->f, key, "invalid_format", "Must be a colour written #rrggbb.");
        return NULL;
    }
    return s;
}

void certificates_layout_put(struct http_req *req)
{
    static const char *const allowed[] = {"primary_colour",  "accent_colour", "signatory_name",
                                          "signatory_title", "text",          NULL};
    static const char *const read_only[] = {"logo", "updated_at", NULL};
    json_t *details = NULL;
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0 ||
        api_body(&x, false, allowed, read_only) != 0)
        goto out;
    const char *primary = colour_member(&x, "primary_colour");
    const char *accent = colour_member(&x, "accent_colour");
    const char *name = line_member(&x, "signatory_name", 200);
    const char *title = line_member(&x, "signatory_title", 200);
    const char *text = line_member(&x, "text", 300);
    if (api_check(&x) != 0)
        goto out;
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    const char *p[] = {primary, accent, name, title, text, api_num(req, x.me->id)};
    struct db_result *r = db_run(x.c, st_layout_put, 6, p);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    db_result_free(r);
    details = json_pack("{s:s,s:s,s:s?,s:s?,s:s?}", "primary_colour", primary, "accent_colour",
                        accent, "signatory_name", name, "signatory_title", title, "text", text);
    if (api_audit_commit(&x, "certificate.layout_changed", "certificate_layout", NULL, details) !=
        0)
        goto out;
    api_reply_row_json(req, x.c, db_run(x.c, st_layout_json, 0, NULL), 200, "layout");
out:
    json_decref(details);
    api_end(&x);
}

/* Stores logo (NULL: removes it) and answers the layout. */
static void store_logo(struct api_ctx *x, const unsigned char *logo, size_t len, const char *type)
{
    static const unsigned char empty[1];
    if (db_begin(x->c) != 0) {
        api_reply_db_error(x->req, x->c);
        return;
    }
    const char *values[] = {logo ? (const char *)logo : (const char *)empty, type,
                            api_num(x->req, x->me->id)};
    const int lengths[] = {(int)len, 0, 0};
    const int binary[] = {1, 0, 0};
    if (logo == NULL)
        values[0] = NULL;
    struct db_result *r = db_run_params(x->c, st_logo_put, 3, values, lengths, binary, false);
    if (r == NULL) {
        api_fail_tx(x);
        return;
    }
    db_result_free(r);
    json_t *details =
        logo ? json_pack("{s:s,s:I}", "content_type", type, "size", (json_int_t)len) : NULL;
    int rc = api_audit_commit(x, logo ? "certificate.logo_changed" : "certificate.logo_removed",
                              "certificate_layout", NULL, details);
    json_decref(details);
    if (rc == 0)
        api_reply_row_json(x->req, x->c, db_run(x->c, st_layout_json, 0, NULL), 200, "layout");
}

void certificates_logo_put(struct http_req *req)
{
    http_set_drain_limit(req, CERTIFICATE_LOGO_MAX + HTTP_FORM_OVERHEAD);
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    api_db_release(&x); /* no connection is held while the body arrives */
    struct http_form form;
    if (http_read_form(req, "file", CERTIFICATE_LOGO_MAX, &form) != 0)
        goto out;
    for (size_t i = 0; i < form.nvalues; i++)
        api_field_error(&x.f, "file", "unknown_member", "Send only the logo, in the field file.");
    const char *type = form.has_file ? certificate_logo_type(form.data, form.len) : NULL;
    if (!form.has_file)
        api_field_error(&x.f, "file", "required", "Attach a PNG or SVG logo in the field file.");
    else if (form.file_parts > 1)
        api_field_error(&x.f, "file", "invalid_format", "Send one file per request.");
    else if (type == NULL)
        api_field_error(&x.f, "file", "unsupported_type",
                        "The logo must be a PNG (at most 4000 pixels a side) or an SVG file.");
    if (api_check(&x) != 0 || api_db(&x) != 0)
        goto out;
    store_logo(&x, form.data, form.len, type);
out:
    api_end(&x);
}

void certificates_logo_delete(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    store_logo(&x, NULL, 0, NULL);
out:
    api_end(&x);
}

/* Width of the preview image: a page's column at twice its pixels. */
#define PREVIEW_PNG_WIDTH 1200

void certificates_preview(struct http_req *req)
{
    bool png = str_ends_with(http_path(req), ".png");
    struct db_result *layout = NULL;
    strbuf pdf;
    strbuf_init(&pdf, 0);
    struct api_ctx x;
    if (api_begin(&x, req, ROLE_STAFF | ROLE_ADMIN, 0) != 0)
        goto out;
    layout = cert_layout_row(x.c);
    if (layout == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    api_db_release(&x);
    char err[256];
    if (cert_render(NULL, layout, api_app(req)->cfg->base_url, png ? PREVIEW_PNG_WIDTH : 0, &pdf,
                    err, sizeof err) != 0) {
        log_error("certificate preview: %s", err);
        http_reply_error(req, 500, "server_error", "The preview could not be drawn.");
        goto out;
    }
    if (png) {
        http_add_header(req, "Cache-Control", "private, no-store");
        http_reply(req, 200, "image/png", pdf.data, pdf.len);
    } else {
        cert_reply_pdf(req, &pdf, "certificate-preview.pdf", 1);
    }
out:
    db_result_free(layout);
    strbuf_free(&pdf);
    api_end(&x);
}
