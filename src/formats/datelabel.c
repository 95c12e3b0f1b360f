/*
 * datelabel.c - loose calendar labels to periods of days. A label is cut
 * into tokens (numbers, month names, quarters, ISO dates, range dashes),
 * read as one or two points, and the points are completed from each other
 * (a bare day borrows the month, a point without a year borrows the year).
 * Holds no state; see datelabel.h for the contract.
 */
#include "formats/datelabel.h"

#include <stdbool.h>
#include <string.h>

#define LABEL_MAX  200 /* longer labels are not dates */
#define TOKENS_MAX 12
#define WORD_MAX   16

/* ---- Calendar ---- */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static void write_iso(char out[DATELABEL_DATE_SIZE], int y, int m, int d)
{
    const int parts[3] = {y, m, d};
    const int widths[3] = {4, 2, 2};
    char *p = out;
    for (int k = 0; k < 3; k++) {
        if (k > 0)
            *p++ = '-';
        for (int w = widths[k] - 1, v = parts[k]; w >= 0; w--, v /= 10)
            p[w] = (char)('0' + v % 10);
        p += widths[k];
    }
    *p = '\0';
}

/* ---- Tokens ---- */

enum tok_kind { TOK_NUM, TOK_MONTH, TOK_QUARTER, TOK_ISO, TOK_DASH };

struct tok {
    enum tok_kind kind;
    int value;   /* NUM: the number; MONTH: 1..12; QUARTER: 1..4 */
    int digits;  /* NUM: how many digits were written */
    int y, m, d; /* ISO */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Length of the separator (white space, comma, full stop) at s, or 0. */
static size_t space_len(const char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == ',' || *s == '.')
        return 1;
    if (memcmp(s, "\xC2\xA0", 2) == 0) /* no-break space */
        return 2;
    return 0;
}

/* Length of the range dash at s, or 0: hyphen-minus, tilde, U+2010..U+2015
 * (hyphens and dashes, among them the en dash) and U+2212 minus sign. */
static size_t dash_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (*s == '-' || *s == '~')
        return 1;
    if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x95)
        return 3;
    if (u[0] == 0xE2 && u[1] == 0x88 && u[2] == 0x92)
        return 3;
    return 0;
}

static int month_of(const char *word)
{
    static const char *const names[12] = {"january",   "february", "march",    "april",
                                          "may",       "june",     "july",     "august",
                                          "september", "october",  "november", "december"};
    size_t n = strlen(word);
    for (int i = 0; i < 12; i++) {
        if (strcmp(word, names[i]) == 0 || (n == 3 && strncmp(word, names[i], 3) == 0))
            return i + 1;
    }
    return strcmp(word, "sept") == 0 ? 9 : 0;
}

/* "2023-04-03" at s, not followed by a letter or digit. */
static bool read_iso(const char *s, struct tok *t)
{
    for (int i = 0; i < 10; i++) {
        bool want_dash = i == 4 || i == 7;
        if (want_dash ? s[i] != '-' : !is_digit(s[i]))
            return false;
    }
    if (is_digit(s[10]) || is_alpha(s[10]))
        return false;
    t->kind = TOK_ISO;
    t->y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    t->m = (s[5] - '0') * 10 + (s[6] - '0');
    t->d = (s[8] - '0') * 10 + (s[9] - '0');
    return true;
}

/* Classifies a run of letters and digits (already lower case): a number
 * with an optional ordinal suffix, a month, a quarter or a range word. */
static int classify(const char *w, struct tok *t)
{
    size_t digits = 0;
    int value = 0;
    while (digits < 5 && is_digit(w[digits])) {
        value = value * 10 + (w[digits] - '0');
        digits++;
    }
    if (digits > 0) {
        const char *suffix = w + digits;
        bool ordinal = strcmp(suffix, "st") == 0 || strcmp(suffix, "nd") == 0 ||
                       strcmp(suffix, "rd") == 0 || strcmp(suffix, "th") == 0;
        if (digits > 4 || (*suffix != '\0' && !(ordinal && digits <= 2)))
            return -1;
        t->kind = TOK_NUM;
        t->value = value;
        t->digits = (int)digits;
        return 0;
    }
    if (w[0] == 'q' && w[1] >= '1' && w[1] <= '4' && w[2] == '\0') {
        t->kind = TOK_QUARTER;
        t->value = w[1] - '0';
        return 0;
    }
    if (strcmp(w, "to") == 0 || strcmp(w, "until") == 0 || strcmp(w, "through") == 0) {
        t->kind = TOK_DASH;
        return 0;
    }
    t->value = month_of(w);
    t->kind = TOK_MONTH;
    return t->value != 0 ? 0 : -1;
}

/* Cuts s into tokens; returns their number, or -1 on anything unknown. */
static int tokenize(const char *s, struct tok *toks)
{
    int n = 0;
    while (*s != '\0') {
        size_t skip = space_len(s);
        if (skip > 0) {
            s += skip;
            continue;
        }
        if (n == TOKENS_MAX)
            return -1;
        struct tok *t = &toks[n];
        size_t dash = dash_len(s);
        if (dash > 0) {
            t->kind = TOK_DASH;
            s += dash;
        } else if (read_iso(s, t)) {
            s += 10;
        } else if (is_alpha(*s) || is_digit(*s)) {
            char word[WORD_MAX + 1];
            size_t len = 0;
            for (; is_alpha(s[len]) || is_digit(s[len]); len++) {
                if (len == WORD_MAX)
                    return -1;
                word[len] = lower(s[len]);
            }
            word[len] = '\0';
            if (classify(word, t) != 0)
                return -1;
            s += len;
        } else {
            return -1;
        }
        n++;
    }
    return n;
}

/* ---- Points ---- */

/* One end of a period as written; 0 means "not given". */
struct point {
    int y, m, d, q;
};

static bool is_day(const struct tok *t)
{
    return t->kind == TOK_NUM && t->digits <= 2 && t->value >= 1;
}

static bool is_year(const struct tok *t)
{
    return t->kind == TOK_NUM && t->digits == 4 && t->value >= 1;
}

/* Reads one point at toks[*i]; returns 0 and advances *i, or -1. */
static int read_point(const struct tok *toks, int n, int *i, struct point *p)
{
    memset(p, 0, sizeof *p);
    int k = *i;
    if (k >= n)
        return -1;
    const struct tok *t = &toks[k];
    if (t->kind == TOK_ISO) {
        if (t->y == 0)
            return -1; /* 0 would read as "no year given" */
        p->y = t->y;
        p->m = t->m;
        p->d = t->d;
        *i = k + 1;
        return 0;
    }
    if (t->kind == TOK_QUARTER) {
        p->q = t->value;
        k++;
    } else if (t->kind == TOK_MONTH) {
        p->m = t->value;
        k++;
        if (k < n && is_day(&toks[k]))
            p->d = toks[k++].value;
    } else if (is_day(t)) {
        p->d = t->value;
        k++;
        if (k < n && toks[k].kind == TOK_MONTH)
            p->m = toks[k++].value;
    } else {
        return -1;
    }
    if (k < n && is_year(&toks[k]) && (p->m != 0 || p->q != 0))
        p->y = toks[k++].value;
    *i = k;
    return 0;
}

/* Gives each point what the other one states: the year, and for a bare
 * day the month of a point that names a day. */
static int complete(struct point *a, struct point *b, int year)
{
    if (a->y == 0)
        a->y = b->y != 0 ? b->y : year;
    if (b->y == 0)
        b->y = a->y;
    if (a->d != 0 && a->m == 0) {
        if (b->d == 0 || b->m == 0)
            return -1;
        a->m = b->m;
    }
    if (b->d != 0 && b->m == 0) {
        if (a->d == 0 || a->m == 0)
            return -1;
        b->m = a->m;
    }
    return 0;
}

/* The first (or, with last, the final) day a completed point stands for. */
static int point_day(const struct point *p, bool last, int *m, int *d)
{
    if (p->y < 1 || p->y > 9999)
        return -1;
    if (p->q != 0) {
        *m = last ? p->q * 3 : p->q * 3 - 2;
        *d = last ? days_in_month(p->y, *m) : 1;
        return 0;
    }
    if (p->m < 1 || p->m > 12)
        return -1;
    *m = p->m;
    if (p->d == 0) {
        *d = last ? days_in_month(p->y, p->m) : 1;
        return 0;
    }
    if (p->d > days_in_month(p->y, p->m))
        return -1;
    *d = p->d;
    return 0;
}

/* ---- Labels ---- */

/* The label in lower case with runs of white space made single spaces and
 * trimmed; false when it does not fit. */
static bool normalise(const char *label, char *out, size_t outlen)
{
    size_t j = 0;
    bool pending_space = false;
    for (const char *s = label; *s != '\0'; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            pending_space = j > 0;
            continue;
        }
        if (j + 2 >= outlen)
            return false;
        if (pending_space)
            out[j++] = ' ';
        pending_space = false;
        out[j++] = lower(*s);
    }
    out[j] = '\0';
    return true;
}

static bool is_whole_year(const char *label)
{
    static const char *const phrases[] = {"on a rolling basis", "rolling basis", "rolling",
                                          "year-round",         "year round",    "all year",
                                          "throughout the year"};
    char norm[LABEL_MAX + 1];
    if (!normalise(label, norm, sizeof norm))
        return false;
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
        if (strcmp(norm, phrases[i]) == 0)
            return true;
    }
    return false;
}

int datelabel_parse(const char *label, int year, char start_out[DATELABEL_DATE_SIZE],
                    char end_out[DATELABEL_DATE_SIZE])
{
    int rc = -1;
    int sm = 0, sd = 0, em = 0, ed = 0;
    struct point a, b;
    if (start_out != NULL)
        start_out[0] = '\0';
    if (end_out != NULL)
        end_out[0] = '\0';
    if (label == NULL || start_out == NULL || end_out == NULL || year < 1 || year > 9999 ||
        strlen(label) > LABEL_MAX)
        goto out;

    if (is_whole_year(label)) {
        a = (struct point){.y = year, .m = 1};
        b = (struct point){.y = year, .m = 12};
    } else {
        struct tok toks[TOKENS_MAX];
        int n = tokenize(label, toks);
        int i = 0;
        if (n <= 0 || read_point(toks, n, &i, &a) != 0)
            goto out;
        if (i == n) {
            b = a;
        } else {
            if (toks[i].kind != TOK_DASH)
                goto out;
            i++;
            if (read_point(toks, n, &i, &b) != 0 || i != n)
                goto out;
        }
        if (complete(&a, &b, year) != 0)
            goto out;
    }
    if (point_day(&a, false, &sm, &sd) != 0 || point_day(&b, true, &em, &ed) != 0)
        goto out;
    if (a.y > b.y || (a.y == b.y && (sm > em || (sm == em && sd > ed))))
        goto out;
    write_iso(start_out, a.y, sm, sd);
    write_iso(end_out, b.y, em, ed);
    rc = 0;
out:
    return rc;
}
