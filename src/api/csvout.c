/*
 * csvout.c - CSV answers streamed from COPY (see csvout.h).
 */
#include "api/csvout.h"

#include "base/log.h"
#include "base/util.h"
#include "db/db.h"
#include "formats/csv.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>

struct csv_stream {
    struct http_req *req;
    struct csv_crlf crlf;
    strbuf buf;
};

/* Receives COPY output: LF row ends become CRLF, then it goes out as a
 * chunk. Returns -1 when the client has gone (the copy is abandoned). */
static int csv_sink(const char *data, size_t len, void *ud)
{
    struct csv_stream *s = ud;
    strbuf_reset(&s->buf);
    if (csv_crlf_feed(&s->crlf, data, len, &s->buf) != 0)
        return -1;
    return http_stream_write(s->req, strbuf_cstr(&s->buf), s->buf.len);
}

void csvout_stream(struct http_req *req, struct db_conn *c, const char *filename,
                   const char *const *header, size_t ncols, const char *select)
{
    char disp[200];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
    http_add_header(req, "Content-Disposition", disp);
    http_stream_begin(req, 200, "text/csv; charset=utf-8");
    struct csv_stream s = {.req = req};
    csv_crlf_init(&s.crlf);
    strbuf_init(&s.buf, 0);
    strbuf_puts(&s.buf, csv_bom());
    csv_row(&s.buf, header, ncols);
    int rc = http_stream_write(req, strbuf_cstr(&s.buf), s.buf.len);
    if (rc == 0) {
        char *copy = xasprintf("COPY (%s) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", select);
        uint64_t t0 = time_mono_ns();
        rc = db_copy_out(c, copy, csv_sink, &s);
        free(copy);
        if (rc == 0)
            log_info("csv export %s: sent in %.0f ms", filename,
                     (double)(time_mono_ns() - t0) / 1e6);
        else
            log_warn("csv export %s: interrupted after %.0f ms (%s); the client sees a "
                     "truncated transfer",
                     filename, (double)(time_mono_ns() - t0) / 1e6, db_error_message(c));
    }
    strbuf_free(&s.buf);
    if (rc == 0)
        http_stream_end(req);
    else
        http_stream_abort(req);
}
