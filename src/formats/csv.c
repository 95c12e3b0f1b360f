/*
 * csv.c - RFC 4180 cells and rows for spreadsheets, and the LF-to-CRLF
 * filter for PostgreSQL COPY output. Holds no state of its own: the filter's
 * state lives in the caller's struct csv_crlf. See csv.h for the contracts.
 */
#include "formats/csv.h"

#include <string.h>

#define BOM "\xEF\xBB\xBF"

/* Undoes appends made since the buffer was mark bytes long, so that every
 * function here can promise all-or-nothing. */
static void truncate_to(strbuf *b, size_t mark)
{
    if (b->data == NULL)
        return;
    b->len = mark;
    b->data[mark] = '\0';
}

const char *csv_bom(void)
{
    return BOM;
}

/* ---- Cells and rows ---- */

/* Leading characters that make Excel, LibreOffice or Google Sheets treat a
 * cell as a formula (TAB and CR because some of them skip those first). */
static int starts_formula(const char *s)
{
    return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

static int append_quoted(strbuf *out, const char *value)
{
    if (strbuf_putc(out, '"') != 0)
        return -1;
    if (starts_formula(value) && strbuf_putc(out, '\'') != 0)
        return -1;
    const char *p = value;
    for (;;) {
        const char *q = strchr(p, '"');
        if (q == NULL)
            break;
        /* Copy through the quote, then add its double. */
        if (strbuf_append(out, p, (size_t)(q - p) + 1) != 0 || strbuf_putc(out, '"') != 0)
            return -1;
        p = q + 1;
    }
    if (strbuf_puts(out, p) != 0 || strbuf_putc(out, '"') != 0)
        return -1;
    return 0;
}

int csv_cell(strbuf *out, const char *value)
{
    if (value == NULL)
        return 0;
    size_t mark = out->len;
    if (append_quoted(out, value) != 0) {
        truncate_to(out, mark);
        return -1;
    }
    return 0;
}

int csv_row(strbuf *out, const char *const *cells, size_t n)
{
    if (cells == NULL && n > 0)
        return -1;
    size_t mark = out->len;
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strbuf_putc(out, ',') != 0)
            goto out;
        if (cells[i] != NULL && append_quoted(out, cells[i]) != 0)
            goto out;
    }
    if (strbuf_append(out, "\r\n", 2) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        truncate_to(out, mark);
    return rc;
}

/* ---- LF to CRLF for COPY output ---- */

void csv_crlf_init(struct csv_crlf *st)
{
    st->in_quotes = 0;
    st->last_cr = 0;
}

/*
 * Why toggling on every '"' is enough: in RFC 4180 a quote inside a quoted
 * field is written "", which toggles out and straight back in, with no byte
 * between the two quotes that the filter would treat differently. So the
 * two quotes may arrive in different chunks and the state still agrees with
 * a parser's at every LF.
 */
int csv_crlf_feed(struct csv_crlf *st, const char *in, size_t n, strbuf *out)
{
    struct csv_crlf saved = *st;
    size_t mark = out->len;
    size_t run = 0; /* start of the bytes not yet copied */
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '"') {
            st->in_quotes = !st->in_quotes;
            st->last_cr = 0;
        } else if (st->in_quotes) {
            continue;
        } else if (c == '\n') {
            if (!st->last_cr) {
                if (strbuf_append(out, in + run, i - run) != 0 || strbuf_putc(out, '\r') != 0)
                    goto out;
                run = i; /* the LF itself goes out with the next run */
            }
            st->last_cr = 0;
        } else {
            st->last_cr = c == '\r';
        }
    }
    if (n > 0 && strbuf_append(out, in + run, n - run) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        truncate_to(out, mark);
        *st = saved;
    }
    return rc;
}
