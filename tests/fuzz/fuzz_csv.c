/*
 * fuzz_csv.c - the CSV writer (src/formats/csv.c).
 *
 * Input: byte 0 chooses the output cap and the chunking of the COPY filter;
 * the rest is cut at 0x1F into up to 16 cells, a cell of exactly 0x1E
 * standing for NULL. Properties:
 *   - a row read back by the RFC 4180 reader below has the same cells: NULL
 *     as an empty unquoted field, every other value quoted and equal to the
 *     input, with an apostrophe in front exactly when the value starts with
 *     = + - @ TAB or CR, so no cell a spreadsheet reads starts with those;
 *   - the row ends with CRLF; under a cap, csv_row and csv_cell either give
 *     the same bytes as without one or leave the buffer as it was;
 *   - the LF-to-CRLF filter gives the same output whatever the chunking,
 *     adds exactly one CR before each LF outside quotes that lacked one and
 *     changes nothing else; at a cap it leaves buffer and state unchanged.
 */
#include "fuzz.h"

#include "formats/csv.h"

#include <stdbool.h>

#define CELLS_MAX FUZZ_PARTS_MAX

struct read_cell {
    bool quoted;
    char *value; /* malloc'd, NUL-terminated */
    size_t len;
};

/* Reads one CRLF-terminated RFC 4180 record that must fill s[0..n) exactly.
 * Returns the number of fields, or -1 when the text is not such a record. */
static int read_record(const char *s, size_t n, struct read_cell *cells, int max)
{
    size_t i = 0;
    int count = 0;
    for (;;) {
        if (count == max)
            return -1;
        struct read_cell *c = &cells[count];
        c->value = malloc(n + 1);
        c->len = 0;
        c->quoted = i < n && s[i] == '"';
        count++;
        if (c->quoted) {
            i++;
            for (;;) {
                if (i >= n)
                    return -1; /* unterminated quote */
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        c->value[c->len++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                c->value[c->len++] = s[i++];
            }
        } else {
            while (i < n && s[i] != ',' && s[i] != '\r') {
                if (s[i] == '"' || s[i] == '\n')
                    return -1; /* a bare quote or LF outside quotes */
                c->value[c->len++] = s[i++];
            }
        }
        c->value[c->len] = '\0';
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        if (i + 2 == n && s[i] == '\r' && s[i + 1] == '\n')
            return count;
        return -1;
    }
}

static bool formula_start(const char *v)
{
    return v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;
}

/* Checks that the cells read back from a row are the cells written. */
static void check_row(const char *row, size_t len, const char *const *cells, size_t n)
{
    struct read_cell got[CELLS_MAX + 1];
    memset(got, 0, sizeof got);
    int count = read_record(row, len, got, CELLS_MAX + 1);
    FUZZ_ASSERT(count >= 0, "csv_row output is a valid RFC 4180 record ending in CRLF");
    /* A row of no cells is a bare CRLF, which reads as one empty field. */
    FUZZ_ASSERT((size_t)count == (n == 0 ? 1 : n), "a row reads back with as many cells");
    for (size_t i = 0; i < n; i++) {
        if (cells[i] == NULL) {
            FUZZ_ASSERT(!got[i].quoted && got[i].len == 0, "NULL is an empty unquoted cell");
            continue;
        }
        FUZZ_ASSERT(got[i].quoted, "a value is always quoted (so \"\" differs from NULL)");
        const char *v = got[i].value;
        size_t vlen = got[i].len;
        if (formula_start(cells[i])) {
            FUZZ_ASSERT(vlen > 0 && v[0] == '\'', "a formula-like value gets an apostrophe");
            v++;
            vlen--;
        }
        FUZZ_ASSERT(!formula_start(got[i].value), "no cell read back starts like a formula");
        FUZZ_ASSERT(vlen == strlen(cells[i]) && memcmp(v, cells[i], vlen) == 0,
                    "a cell reads back as the value written");
    }
    for (int i = 0; i < count; i++)
        free(got[i].value);
}

/* The CRs the filter must add: one before each LF outside quotes that does not
 * follow a CR outside quotes. Written independently of the filter's state. */
static size_t missing_crs(const char *s, size_t n)
{
    size_t add = 0;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && s[i] == '\n' && !(i > 0 && s[i - 1] == '\r'))
            add++;
    }
    return add;
}

static void check_filter(const char *in, size_t n, unsigned chunk_seed, size_t cap)
{
    strbuf whole, chunked, capped;
    strbuf_init(&whole, 0);
    strbuf_init(&chunked, 0);
    strbuf_init(&capped, cap);
    struct csv_crlf st;
    csv_crlf_init(&st);
    FUZZ_ASSERT(csv_crlf_feed(&st, in, n, &whole) == 0, "no cap, no failure");
    FUZZ_ASSERT(whole.len == n + missing_crs(in, n), "exactly the missing CRs are added");

    /* Every LF outside quotes now follows a CR, and dropping the added CRs
     * gives the input back. */
    bool quoted = false;
    size_t j = 0;
    const char *w = strbuf_cstr(&whole);
    for (size_t i = 0; i < whole.len; i++) {
        if (w[i] == '"')
            quoted = !quoted;
        if (!quoted && w[i] == '\n')
            FUZZ_ASSERT(i > 0 && w[i - 1] == '\r', "LF outside quotes follows a CR");
        /* An added CR stands where the input has the LF it precedes. */
        bool added = !quoted && w[i] == '\r' && j < n && in[j] == '\n';
        if (added)
            continue;
        FUZZ_ASSERT(j < n && w[i] == in[j], "the filter changes nothing but adding CRs");
        j++;
    }
    FUZZ_ASSERT(j == n, "the filter drops nothing");

    /* Any chunking gives the same bytes; a capped buffer refuses a chunk
     * without changing it or the state. */
    struct csv_crlf st2, st3;
    csv_crlf_init(&st2);
    csv_crlf_init(&st3);
    size_t pos = 0;
    unsigned seed = chunk_seed | 1u;
    bool capped_ok = true;
    while (pos < n) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % 7;
        if (len > n - pos)
            len = n - pos;
        FUZZ_ASSERT(csv_crlf_feed(&st2, in + pos, len, &chunked) == 0, "chunk without cap");
        if (capped_ok) {
            size_t before = capped.len;
            struct csv_crlf saved = st3;
            if (csv_crlf_feed(&st3, in + pos, len, &capped) != 0) {
                FUZZ_ASSERT(capped.len == before, "a refused chunk leaves the buffer");
                FUZZ_ASSERT(memcmp(&saved, &st3, sizeof saved) == 0,
                            "a refused chunk leaves the state");
                capped_ok = false;
            }
        }
        pos += len;
    }
    FUZZ_ASSERT(chunked.len == whole.len &&
                    memcmp(strbuf_cstr(&chunked), strbuf_cstr(&whole), whole.len) == 0,
                "chunking does not change the output");
    if (capped_ok)
        FUZZ_ASSERT(capped.len == whole.len &&
                        memcmp(strbuf_cstr(&capped), strbuf_cstr(&whole), whole.len) == 0,
                    "a cap that is not reached changes nothing");
    else
        FUZZ_ASSERT(memcmp(strbuf_cstr(&capped), strbuf_cstr(&whole), capped.len) == 0,
                    "what fit under the cap is a prefix of the output");
    strbuf_free(&whole);
    strbuf_free(&chunked);
    strbuf_free(&capped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    struct fuzz_parts p;
    fuzz_split(data + 1, size - 1, '\x1f', CELLS_MAX, &p);
    const char *cells[CELLS_MAX];
    size_t n = p.n;
    for (size_t i = 0; i < n; i++)
        cells[i] = strcmp(p.part[i].s, "\x1e") == 0 ? NULL : p.part[i].s;

    /* A row without a cap, after some existing content. */
    strbuf out;
    strbuf_init(&out, 0);
    FUZZ_ASSERT(strbuf_puts(&out, "x,y\r\n") == 0, "prefix");
    FUZZ_ASSERT(csv_row(&out, cells, n) == 0, "no cap, no failure");
    const char *row = strbuf_cstr(&out) + 5;
    size_t row_len = out.len - 5;
    check_row(row, row_len, cells, n);

    /* The same row under a cap: all or nothing. */
    strbuf small;
    strbuf_init(&small, 6 + (mode & 0x3f) * 3);
    FUZZ_ASSERT(strbuf_puts(&small, "x,y\r\n") == 0, "prefix");
    if (csv_row(&small, cells, n) == 0)
        FUZZ_ASSERT(small.len == out.len && memcmp(small.data, out.data, out.len) == 0,
                    "a row under a cap is the same row");
    else
        FUZZ_ASSERT(small.len == 5 && strcmp(strbuf_cstr(&small), "x,y\r\n") == 0,
                    "a refused row leaves the buffer as it was");

    /* Single cells: the same bytes as inside the row, all or nothing. */
    if (n > 0) {
        strbuf one;
        strbuf_init(&one, (mode & 0xc0) ? 2 + (mode & 0x1f) : 0);
        int rc = csv_cell(&one, cells[0]);
        if (rc == 0 && cells[0] != NULL)
            FUZZ_ASSERT(one.len <= row_len && memcmp(one.data, row, one.len) == 0,
                        "csv_cell writes what csv_row writes for the first cell");
        if (rc != 0)
            FUZZ_ASSERT(one.len == 0, "a refused cell leaves the buffer as it was");
        strbuf_free(&one);
    }

    /* The COPY filter over the raw input (LF row ends, quotes anywhere) and
     * over the row just written with its CRLF turned into LF. */
    check_filter((const char *)data + 1, size - 1, mode, (mode & 0x0f) * 4);
    char *lf_row = malloc(row_len);
    memcpy(lf_row, row, row_len - 2);
    lf_row[row_len - 2] = '\n';
    check_filter(lf_row, row_len - 1, mode >> 2, 0);
    free(lf_row);

    strbuf_free(&out);
    strbuf_free(&small);
    fuzz_parts_free(&p);
    return 0;
}
