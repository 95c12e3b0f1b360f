/*
 * test_csv.c - unit tests of the CSV writer: formula neutralisation, quote
 * doubling, Asian scripts passed through, NULL versus empty cells, and the
 * COPY-output LF-to-CRLF filter fed in every chunking. Output is read back
 * with a small strict RFC 4180 parser written here.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv.h"
#include "base/util.h"

/* ---- A strict RFC 4180 reader for the tests ---- */

#define MAX_ROWS  16
#define MAX_CELLS 8

/* One parsed cell: its text, and whether it was quoted (an unquoted empty
 * cell is how NULL is written). */
struct cell {
    char *text;
    int quoted;
};

struct table {
    size_t rows;
    size_t cells[MAX_ROWS];
    struct cell cell[MAX_ROWS][MAX_CELLS];
};

static void table_free(struct table *t)
{
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cells[r]; c++)
            free(t->cell[r][c].text);
    }
    t->rows = 0;
}

/* Parses one field starting at *pos; returns 0 or -1 on malformed input. */
static int parse_field(const char *s, size_t n, size_t *pos, struct cell *out)
{
    strbuf b;
    strbuf_init(&b, 0);
    size_t i = *pos;
    out->quoted = i < n && s[i] == '"';
    if (out->quoted) {
        for (i++;; i++) {
            if (i >= n)
                goto fail; /* unterminated quote */
            if (s[i] == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    strbuf_putc(&b, '"');
                    i++;
                    continue;
                }
                i++;
                break;
            }
            strbuf_putc(&b, s[i]);
        }
    } else {
        for (; i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n'; i++) {
            if (s[i] == '"')
                goto fail; /* quote in an unquoted field */
            strbuf_putc(&b, s[i]);
        }
    }
    /* A field ends at a comma or a CRLF; a bare CR or LF is malformed. */
    if (i < n && s[i] != ',' && !(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
        goto fail;
    *pos = i;
    out->text = strbuf_detach(&b, NULL);
    return 0;
fail:
    strbuf_free(&b);
    return -1;
}

/* Parses a whole document whose every row ends with CRLF. */
static int parse_csv(const char *s, size_t n, struct table *t)
{
    memset(t, 0, sizeof *t);
    size_t i = 0;
    while (i < n) {
        if (t->rows == MAX_ROWS)
            goto fail;
        size_t r = t->rows++;
        for (;;) {
            if (t->cells[r] == MAX_CELLS)
                goto fail;
            if (parse_field(s, n, &i, &t->cell[r][t->cells[r]]) != 0)
                goto fail;
            t->cells[r]++;
            if (i >= n)
                goto fail; /* the last row must end with CRLF too */
            if (s[i] == ',') {
                i++;
                continue;
            }
            i += 2; /* CRLF, checked by parse_field */
            break;
        }
    }
    return 0;
fail:
    table_free(t);
    return -1;
}

/* ---- Cells ---- */

static char *cell_str(const char *value)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(csv_cell(&b, value), 0);
    return strbuf_detach(&b, NULL);
}

START_TEST(test_bom)
{
    ck_assert_str_eq(csv_bom(), "\xEF\xBB\xBF");
    ck_assert_uint_eq(strlen(csv_bom()), 3);
}
END_TEST

START_TEST(test_cell_plain_and_quotes)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"", "\"\"\"\""},
        {"\"\"", "\"\"\"\"\"\""},
        {"line1\nline2", "\"line1\nline2\""},
        {"crlf\r\ninside", "\"crlf\r\ninside\""},
        {"mid=dle", "\"mid=dle\""},
        {"5-3", "\"5-3\""},
        {" =leading space", "\" =leading space\""},
        {"'already", "\"'already\""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = cell_str(cases[i].in);
        ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: %s", i, got);
        free(got);
    }
}
END_TEST

START_TEST(test_cell_neutralises_formulas)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"=1+1", "\"'=1+1\""},
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"+82 2 123", "\"'+82 2 123\""},
        {"-5", "\"'-5\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\t=cmd", "\"'\t=cmd\""},
        {"\r=cmd", "\"'\r=cmd\""},
        {"=", "\"'=\""},
        {"\"=quoted\"", "\"\"\"=quoted\"\"\""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = cell_str(cases[i].in);
        ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: %s", i, got);
        free(got);
    }
}
END_TEST

START_TEST(test_cell_unicode_intact)
{
    static const char *const texts[] = {
        "김민준", "서울특별시, 대한민국", "กรุงเทพมหานคร", "สมชาย \"ใจดี\"", "नई दिल्ली", "अमित शर्मा"};
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        strbuf b;
        strbuf_init(&b, 0);
        ck_assert_int_eq(csv_row(&b, &texts[i], 1), 0);
        struct table t;
        ck_assert_int_eq(parse_csv(b.data, b.len, &t), 0);
        ck_assert_uint_eq(t.rows, 1);
        ck_assert_str_eq(t.cell[0][0].text, texts[i]);
        table_free(&t);
        strbuf_free(&b);
    }
}
END_TEST

START_TEST(test_cell_null_is_empty)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(csv_cell(&b, NULL), 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(strbuf_cstr(&b), "");
    strbuf_free(&b);
}
END_TEST

START_TEST(test_row_round_trip)
{
    const char *row1[] = {"id", "name", "note", "empty", "null"};
    const char *row2[] = {"1", "김민준", "two\nlines", "", NULL};
    const char *row3[] = {"=2+2", "say \"hi\", friend", "a\r\nb", "-", "@"};
    const char *const *rows[] = {row1, row2, row3};
    strbuf b;
    strbuf_init(&b, 0);
    for (size_t r = 0; r < ARRAY_LEN(rows); r++)
        ck_assert_int_eq(csv_row(&b, rows[r], 5), 0);
    ck_assert(str_ends_with(b.data, ",\"'@\"\r\n"));
    ck_assert_ptr_nonnull(strstr(b.data, "\"\",\r\n"));

    struct table t;
    ck_assert_int_eq(parse_csv(b.data, b.len, &t), 0);
    ck_assert_uint_eq(t.rows, 3);
    for (size_t r = 0; r < 3; r++) {
        ck_assert_uint_eq(t.cells[r], 5);
        for (size_t c = 0; c < 5; c++) {
            const char *want = rows[r][c];
            const struct cell *got = &t.cell[r][c];
            if (want == NULL) {
                ck_assert_str_eq(got->text, "");
                ck_assert(!got->quoted);
                continue;
            }
            ck_assert(got->quoted);
            if (want[0] != '\0' && strchr("=+-@\t\r", want[0]) != NULL) {
                ck_assert_int_eq(got->text[0], '\'');
                ck_assert_str_eq(got->text + 1, want);
            } else {
                ck_assert_str_eq(got->text, want);
            }
        }
    }
    table_free(&t);
    strbuf_free(&b);
}
END_TEST

START_TEST(test_row_edges)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(csv_row(&b, NULL, 0), 0);
    ck_assert_str_eq(b.data, "\r\n");
    ck_assert_int_eq(csv_row(&b, NULL, 2), -1);
    ck_assert_str_eq(b.data, "\r\n");
    const char *nulls[] = {NULL, NULL, NULL};
    ck_assert_int_eq(csv_row(&b, nulls, 3), 0);
    ck_assert_str_eq(b.data, "\r\n,,\r\n");
    strbuf_free(&b);
}
END_TEST

START_TEST(test_cap_leaves_buffer_unchanged)
{
    strbuf b;
    strbuf_init(&b, 12);
    ck_assert_int_eq(csv_cell(&b, "abc"), 0); /* "abc" = 5 bytes */
    ck_assert_int_eq(csv_cell(&b, "=toolong"), -1);
    ck_assert_str_eq(b.data, "\"abc\"");
    const char *cells[] = {"x", "yy"}; /* "x","yy"CRLF = 10 bytes: too many */
    ck_assert_int_eq(csv_row(&b, cells, 2), -1);
    ck_assert_str_eq(b.data, "\"abc\"");
    ck_assert_int_eq(csv_row(&b, cells, 1), 0); /* "x"CRLF = 5 bytes */
    ck_assert_str_eq(b.data, "\"abc\"\"x\"\r\n");
    strbuf_free(&b);

    strbuf_init(&b, 2);
    ck_assert_int_eq(csv_cell(&b, "\""), -1); /* fails at the doubled quote */
    ck_assert_uint_eq(b.len, 0);
    strbuf_free(&b);
}
END_TEST

/* ---- COPY output filter ---- */

/* What PostgreSQL's COPY ... TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)
 * writes: LF row ends, NULL as an unquoted empty field. */
static const char copy_in[] = "\"id\",\"name\",\"note\"\n"
                              "\"1\",\"김민준\",\"line1\nline2\"\n"
                              "\"2\",\"say \"\"hi\"\"\",\"a\r\nb\"\n"
                              ",\"\"\"\",\"\"\n"
                              "\"3\",\"สมชาย\n\n\",\"\"\"\n\"\"\"\n";

static const char copy_want[] = "\"id\",\"name\",\"note\"\r\n"
                                "\"1\",\"김민준\",\"line1\nline2\"\r\n"
                                "\"2\",\"say \"\"hi\"\"\",\"a\r\nb\"\r\n"
                                ",\"\"\"\",\"\"\r\n"
                                "\"3\",\"สมชาย\n\n\",\"\"\"\n\"\"\"\r\n";

static const char *const copy_cells[][3] = {
    {"id", "name", "note"}, {"1", "김민준", "line1\nline2"}, {"2", "say \"hi\"", "a\r\nb"},
    {NULL, "\"", ""},       {"3", "สมชาย\n\n", "\"\n\""},
};

/* Feeds in in the chunks ending at the given cut points. */
static char *feed_chunks(const char *in, size_t n, const size_t *cuts, size_t ncuts)
{
    struct csv_crlf st;
    csv_crlf_init(&st);
    strbuf b;
    strbuf_init(&b, 0);
    size_t from = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : n;
        ck_assert_int_eq(csv_crlf_feed(&st, in + from, to - from, &b), 0);
        from = to;
    }
    ck_assert_int_eq(st.in_quotes, 0);
    return strbuf_detach(&b, NULL);
}

START_TEST(test_crlf_whole)
{
    size_t n = sizeof copy_in - 1;
    const size_t no_cuts[1] = {0};
    char *got = feed_chunks(copy_in, n, no_cuts, 0);
    ck_assert_str_eq(got, copy_want);

    struct table t;
    ck_assert_int_eq(parse_csv(got, strlen(got), &t), 0);
    ck_assert_uint_eq(t.rows, ARRAY_LEN(copy_cells));
    for (size_t r = 0; r < t.rows; r++) {
        ck_assert_uint_eq(t.cells[r], 3);
        for (size_t c = 0; c < 3; c++) {
            const char *want = copy_cells[r][c];
            ck_assert_int_eq(t.cell[r][c].quoted, want != NULL);
            ck_assert_str_eq(t.cell[r][c].text, want != NULL ? want : "");
        }
    }
    table_free(&t);
    free(got);
}
END_TEST

START_TEST(test_crlf_every_two_way_split)
{
    size_t n = sizeof copy_in - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        char *got = feed_chunks(copy_in, n, &cut, 1);
        ck_assert_msg(strcmp(got, copy_want) == 0, "split at %zu", cut);
        free(got);
    }
}
END_TEST

START_TEST(test_crlf_every_three_way_split)
{
    size_t n = sizeof copy_in - 1;
    for (size_t a = 0; a <= n; a++) {
        for (size_t c = a; c <= n; c++) {
            size_t cuts[2] = {a, c};
            char *got = feed_chunks(copy_in, n, cuts, 2);
            ck_assert_msg(strcmp(got, copy_want) == 0, "split at %zu, %zu", a, c);
            free(got);
        }
    }
}
END_TEST

START_TEST(test_crlf_byte_by_byte)
{
    size_t n = sizeof copy_in - 1;
    size_t cuts[sizeof copy_in];
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    char *got = feed_chunks(copy_in, n, cuts, n);
    ck_assert_str_eq(got, copy_want);
    free(got);
}
END_TEST

START_TEST(test_crlf_existing_crlf_not_doubled)
{
    static const char in[] = "a,b\r\nc,\"d\r\n\"\r\n\n\r\r\n";
    static const char want[] = "a,b\r\nc,\"d\r\n\"\r\n\r\n\r\r\n";
    size_t n = sizeof in - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        char *got = feed_chunks(in, n, &cut, 1);
        ck_assert_msg(strcmp(got, want) == 0, "split at %zu", cut);
        free(got);
    }
}
END_TEST

START_TEST(test_crlf_empty_and_null_chunks)
{
    struct csv_crlf st;
    csv_crlf_init(&st);
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(csv_crlf_feed(&st, NULL, 0, &b), 0);
    ck_assert_int_eq(csv_crlf_feed(&st, "\"", 1, &b), 0);
    ck_assert_int_eq(csv_crlf_feed(&st, "", 0, &b), 0);
    ck_assert_int_eq(csv_crlf_feed(&st, "\n\"\n", 3, &b), 0);
    ck_assert_str_eq(b.data, "\"\n\"\r\n");
    strbuf_free(&b);
}
END_TEST

START_TEST(test_crlf_cap_failure_is_retryable)
{
    struct csv_crlf st;
    csv_crlf_init(&st);
    strbuf b;
    strbuf_init(&b, 8);
    ck_assert_int_eq(csv_crlf_feed(&st, "\"a\n", 3, &b), 0); /* inside quotes now */
    ck_assert_int_eq(csv_crlf_feed(&st, "\"\n\"xyz", 6, &b), -1);
    ck_assert_str_eq(b.data, "\"a\n");
    ck_assert_int_eq(st.in_quotes, 1);
    strbuf_reset(&b);
    ck_assert_int_eq(csv_crlf_feed(&st, "\"\n\"xyz", 6, &b), 0);
    ck_assert_str_eq(b.data, "\"\r\n\"xyz");
    ck_assert_int_eq(st.in_quotes, 1);
    strbuf_free(&b);
}
END_TEST

Suite *make_csv_suite(void);
Suite *make_csv_suite(void)
{
    Suite *s = suite_create("csv");

    TCase *tc = tcase_create("cells");
    tcase_add_test(tc, test_bom);
    tcase_add_test(tc, test_cell_plain_and_quotes);
    tcase_add_test(tc, test_cell_neutralises_formulas);
    tcase_add_test(tc, test_cell_unicode_intact);
    tcase_add_test(tc, test_cell_null_is_empty);
    tcase_add_test(tc, test_row_round_trip);
    tcase_add_test(tc, test_row_edges);
    tcase_add_test(tc, test_cap_leaves_buffer_unchanged);
    suite_add_tcase(s, tc);

    tc = tcase_create("copy_crlf");
    tcase_add_test(tc, test_crlf_whole);
    tcase_add_test(tc, test_crlf_every_two_way_split);
    tcase_add_test(tc, test_crlf_every_three_way_split);
    tcase_add_test(tc, test_crlf_byte_by_byte);
    tcase_add_test(tc, test_crlf_existing_crlf_not_doubled);
    tcase_add_test(tc, test_crlf_empty_and_null_chunks);
    tcase_add_test(tc, test_crlf_cap_failure_is_retryable);
    suite_add_tcase(s, tc);
    return s;
}
