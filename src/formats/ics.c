/*
 * ics.c - iCalendar (RFC 5545) writing: strict date and time parsing, the
 * proleptic Gregorian arithmetic an exclusive all-day end and a UTC DTSTAMP
 * need, TEXT escaping and 75-octet line folding. Holds no state; see ics.h
 * for the contracts.
 */
#include "formats/ics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the
 * line break; a continuation line starts with one space, which counts. */
#define LINE_MAX_OCTETS 75

/* Offsets beyond +-18 hours exist nowhere (real ones stay within +-14). */
#define OFFSET_MAX (18 * 3600)

/* 9999-12-31T23:59:59Z: the last instant with a four-digit year. */
#define UNIX_MAX INT64_C(253402300799)

#define SECONDS_PER_DAY    86400
#define DAYS_PER_400_YEARS 146097

/*
 * A component (or the calendar's head) being written: the output, a
 * scratch line for folding, and the output's length before it began, so
 * that a component that fails leaves nothing behind (a writer that stops
 * at the first refusal keeps a valid prefix).
 */
struct writer {
    strbuf *out;
    strbuf line;
    size_t mark;
};

static void writer_open(struct writer *wr, strbuf *out)
{
    wr->out = out;
    wr->mark = out->len;
    strbuf_init(&wr->line, out->cap);
}

/* Ends the component: kept when ok, else undone. 0 when ok, else -1. */
static int writer_close(struct writer *wr, bool ok)
{
    strbuf_free(&wr->line);
    if (!ok && wr->out->data != NULL) {
        wr->out->len = wr->mark;
        wr->out->data[wr->mark] = '\0';
    }
    return ok ? 0 : -1;
}

/* ---- Dates ---- */

struct ymd {
    int y, m, d;
};

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads n digits at s; false when any is not a digit. */
static bool read_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Exactly "YYYY-MM-DD" naming a real day in years 0001..9999. */
static int parse_date(const char *s, struct ymd *out)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    struct ymd d;
    if (!read_digits(s, 4, &d.y) || !read_digits(s + 5, 2, &d.m) || !read_digits(s + 8, 2, &d.d))
        return -1;
    if (d.y < 1 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > days_in_month(d.y, d.m))
        return -1;
    *out = d;
    return 0;
}

/* Exactly "HH:MM", 00:00..23:59; stored as minutes since midnight. */
static int parse_time(const char *s, int *minutes)
{
    int h, m;
    if (s == NULL || strlen(s) != 5 || s[2] != ':')
        return -1;
    if (!read_digits(s, 2, &h) || !read_digits(s + 3, 2, &m) || h > 23 || m > 59)
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

static int cmp_ymd(const struct ymd *a, const struct ymd *b)
{
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    if (a->m != b->m)
        return a->m < b->m ? -1 : 1;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return 0;
}

static void next_day(struct ymd *d)
{
    if (d->d < days_in_month(d->y, d->m)) {
        d->d++;
        return;
    }
    d->d = 1;
    if (d->m < 12) {
        d->m++;
        return;
    }
    d->m = 1;
    d->y++;
}

/*
 * The UTC calendar day of a non-negative day count since 1970-01-01. The
 * Gregorian leap pattern repeats every 400 years from any starting year, so
 * whole 400-year blocks are skipped first; what is left takes at most 400
 * years and 12 months of stepping.
 */
static struct ymd day_from_epoch(int64_t days)
{
    struct ymd r = {1970, 1, 1};
    r.y += (int)(days / DAYS_PER_400_YEARS) * 400;
    days %= DAYS_PER_400_YEARS;
    for (;;) {
        int year_days = is_leap(r.y) ? 366 : 365;
        if (days < year_days)
            break;
        days -= year_days;
        r.y++;
    }
    for (;;) {
        int month_days = days_in_month(r.y, r.m);
        if (days < month_days)
            break;
        days -= month_days;
        r.m++;
    }
    r.d += (int)days;
    return r;
}

/* ---- Content lines ---- */

/* Appends line to out folded at 75 octets (continuations start with a
 * space), never cutting inside a UTF-8 sequence, ending with CRLF. */
static int fold_into(strbuf *out, const strbuf *line)
{
    const char *s = strbuf_cstr(line);
    size_t n = line->len, pos = 0, room = LINE_MAX_OCTETS;
    while (n - pos > room) {
        size_t cut = pos + room;
        /* Back off continuation bytes (10xxxxxx) so the cut is at the start
         * of a character; a sequence has at most 3 of them, room is >= 74. */
        while (cut > pos && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        if (strbuf_append(out, s + pos, cut - pos) != 0 || strbuf_append(out, "\r\n ", 3) != 0)
            return -1;
        pos = cut;
        room = LINE_MAX_OCTETS - 1;
    }
    if (strbuf_append(out, s + pos, n - pos) != 0 || strbuf_append(out, "\r\n", 2) != 0)
        return -1;
    return 0;
}

/* Appends text escaped as an RFC 5545 TEXT value. */
static int escape_text(strbuf *line, const char *text)
{
    size_t run = 0, i = 0;
    for (; text[i] != '\0'; i++) {
        unsigned char c = (unsigned char)text[i];
        const char *rep;
        if (c == '\\' || c == ';' || c == ',')
            rep = c == '\\' ? "\\\\" : c == ';' ? "\\;" : "\\,";
        else if (c == '\n')
            rep = "\\n";
        else if ((c < 0x20 && c != '\t') || c == 0x7F)
            rep = ""; /* CR and other controls: not allowed in TEXT */
        else
            continue;
        if (strbuf_append(line, text + run, i - run) != 0 || strbuf_puts(line, rep) != 0)
            return -1;
        run = i + 1;
    }
    return strbuf_append(line, text + run, i - run);
}

static bool valid_text(const char *s)
{
    return s == NULL || str_valid_utf8(s, strlen(s));
}

/* Writes "NAME:value" when value is not NULL: TEXT escaped, or a URI as it
 * is (a URI is not TEXT; valid_url has kept out what would break the line). */
static int prop(struct writer *wr, const char *name, const char *value, bool is_text)
{
    if (value == NULL)
        return 0;
    strbuf *line = &wr->line;
    strbuf_reset(line);
    if (strbuf_puts(line, name) != 0 || strbuf_putc(line, ':') != 0 ||
        (is_text ? escape_text(line, value) : strbuf_puts(line, value)) != 0)
        return -1;
    return fold_into(wr->out, line);
}

static int text_prop(struct writer *wr, const char *name, const char *text)
{
    return prop(wr, name, text, true);
}

static int uri_prop(struct writer *wr, const char *name, const char *uri)
{
    return prop(wr, name, uri, false);
}

/* Writes one short line built from a format; the caller vouches for its
 * bytes (ASCII names, validated TZIDs and tokens, numbers). */
__attribute__((format(printf, 2, 3))) static int raw_prop(struct writer *wr, const char *fmt, ...)
{
    strbuf_reset(&wr->line);
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small)
        return -1; /* cannot happen: every raw line here is short */
    if (strbuf_append(&wr->line, small, (size_t)n) != 0)
        return -1;
    return fold_into(wr->out, &wr->line);
}

/* ---- Validation ---- */

/* Letters, digits, '/', '_', '+', '-': every IANA zone name, and safe
 * unquoted in a parameter (no ';', ':', ',' or '"'). */
static bool valid_tzid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > ICS_TZID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '/' ||
                  c == '_' || c == '+' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static bool valid_token(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || is_digit(*p) || *p == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* A URI value is not escaped, so it must not hold anything that would
 * break the line: no spaces, no control characters, valid UTF-8. */
static bool valid_url(const char *s)
{
    if (s == NULL)
        return true;
    size_t n = strlen(s);
    if (n == 0 || n > 2000 || !str_valid_utf8(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7F)
            return false;
    }
    return true;
}

static bool valid_status(const char *s)
{
    return s == NULL || strcmp(s, "CONFIRMED") == 0 || strcmp(s, "TENTATIVE") == 0 ||
           strcmp(s, "CANCELLED") == 0;
}

/* ---- Calendar ---- */

int ics_begin(strbuf *out, const char *prodid, const char *calname, const char *method)
{
    if (prodid == NULL || !valid_text(prodid) || !valid_text(calname))
        return -1;
    if (method != NULL && (!valid_token(method) || strlen(method) > 64))
        return -1;
    struct writer wr;
    writer_open(&wr, out);
    bool ok = raw_prop(&wr, "BEGIN:VCALENDAR") == 0 && raw_prop(&wr, "VERSION:2.0") == 0 &&
              text_prop(&wr, "PRODID", prodid) == 0 && raw_prop(&wr, "CALSCALE:GREGORIAN") == 0 &&
              (method == NULL || raw_prop(&wr, "METHOD:%s", method) == 0) &&
              text_prop(&wr, "NAME", calname) == 0 && text_prop(&wr, "X-WR-CALNAME", calname) == 0;
    return writer_close(&wr, ok);
}

int ics_end(strbuf *out)
{
    return strbuf_puts(out, "END:VCALENDAR\r\n");
}

/* Writes an offset as +HHMM or +HHMMSS (RFC 5545 UTC-OFFSET; "-0000" is
 * not allowed, so zero is "+0000"). */
static void format_offset(int seconds, char out[16])
{
    char sign = seconds < 0 ? '-' : '+';
    int a = seconds < 0 ? -seconds : seconds;
    if (a % 60 != 0)
        snprintf(out, 16, "%c%02d%02d%02d", sign, a / 3600, a / 60 % 60, a % 60);
    else
        snprintf(out, 16, "%c%02d%02d", sign, a / 3600, a / 60 % 60);
}

/* ---- Daylight-saving rules from the system's time zone data ---- */

/* Where the IANA zone files are (TZif, RFC 8536); tests may point
 * elsewhere with CONVENE_ZONEINFO. */
static const char *zoneinfo_dir(void)
{
    const char *d = getenv("CONVENE_ZONEINFO");
    return d != NULL && d[0] != '\0' ? d : "/usr/share/zoneinfo";
}

/* A yearly change of offset: month, week (1..4, 5 = last) and weekday
 * (0 = Sunday) of POSIX "Mm.w.d", and the local time of day it happens. */
struct tz_rule {
    int month, week, weekday, seconds;
};

/* A zone's current rules: the standard offset, and when has_dst the
 * daylight offset with the rules that start and end it. */
struct tz_rules {
    int std_offset, dst_offset;
    bool has_dst;
    struct tz_rule to_dst, to_std;
};

/* Reads the footer of a TZif file (the POSIX TZ string between the last
 * two newlines) into buf. Returns 0, or -1 when there is none. */
static int read_footer(const char *tzid, char *buf, size_t cap)
{
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", zoneinfo_dir(), tzid);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char head[5] = {0};
    char tail[128];
    size_t got = 0;
    bool ok = fread(head, 1, 4, f) == 4 && strcmp(head, "TZif") == 0 &&
              fseek(f, -(long)sizeof tail, SEEK_END) == 0;
    if (ok)
        got = fread(tail, 1, sizeof tail, f);
    fclose(f);
    if (!ok || got < 2 || tail[got - 1] != '\n')
        return -1;
    size_t start = got - 1;
    while (start > 0 && tail[start - 1] != '\n')
        start--;
    if (start == 0 || got - 1 - start >= cap)
        return -1; /* no newline before the footer within the tail */
    memcpy(buf, tail + start, got - 1 - start);
    buf[got - 1 - start] = '\0';
    return 0;
}

/* A zone abbreviation: letters, or <...> (such as <+0330>). */
static const char *skip_name(const char *p)
{
    if (*p == '<') {
        const char *q = strchr(p, '>');
        return q != NULL && q > p + 1 ? q + 1 : NULL;
    }
    const char *q = p;
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds; POSIX offsets are west of UTC, so the caller
 * negates them. Times of day may be negative or beyond 24 hours. */
static const char *read_hms(const char *p, int *seconds)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!is_digit(*p)) {
            if (i == 0)
                return NULL;
            break; /* "1:" then no digit: the parts read so far */
        }
        int v = 0;
        while (is_digit(*p) && v < 1000)
            v = v * 10 + (*p++ - '0');
        parts[i] = v;
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59)
        return NULL;
    *seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

/* ",Mm.w.d[/time]". Julian-day forms (Jn, n) are not read. */
static const char *read_rule(const char *p, struct tz_rule *r)
{
    if (p[0] != ',' || p[1] != 'M')
        return NULL;
    p += 2;
    int v[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!is_digit(*p))
            return NULL;
        while (is_digit(*p) && v[i] < 100)
            v[i] = v[i] * 10 + (*p++ - '0');
        if (i < 2 && *p++ != '.')
            return NULL;
    }
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
        return NULL;
    r->month = v[0];
    r->week = v[1];
    r->weekday = v[2];
    r->seconds = 7200;
    if (*p == '/' && (p = read_hms(p + 1, &r->seconds)) == NULL)
        return NULL;
    return p;
}

/* Parses a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". Returns 0,
 * or -1 on a form this writer does not handle. */
static int parse_posix_tz(const char *p, struct tz_rules *z)
{
    int off = 0;
    if ((p = skip_name(p)) == NULL || (p = read_hms(p, &off)) == NULL)
        return -1;
    z->std_offset = -off;
    z->has_dst = false;
    if (*p == '\0')
        return 0;
    if ((p = skip_name(p)) == NULL)
        return -1;
    z->dst_offset = z->std_offset + 3600;
    if (*p != ',' && *p != '\0') {
        if ((p = read_hms(p, &off)) == NULL)
            return -1;
        z->dst_offset = -off;
    }
    if ((p = read_rule(p, &z->to_dst)) == NULL || (p = read_rule(p, &z->to_std)) == NULL ||
        *p != '\0')
        return -1;
    /* The local onset is written as a time of day: keep to one day. */
    if (z->to_dst.seconds < 0 || z->to_dst.seconds >= 86400 || z->to_std.seconds < 0 ||
        z->to_std.seconds >= 86400)
        return -1;
    z->has_dst = true;
    return 0;
}

/* Days since 1970-01-01 of a date (proleptic Gregorian). */
static int64_t days_from_ymd(int y, int m, int d)
{
    int64_t days = 0;
    for (int yy = 1970; yy < y; yy++)
        days += is_leap(yy) ? 366 : 365;
    for (int mm = 1; mm < m; mm++)
        days += days_in_month(y, mm);
    return days + d - 1;
}

/* The day of the month a rule falls on in year y. */
static int rule_day(const struct tz_rule *r, int y)
{
    int first_wd = (int)((days_from_ymd(y, r->month, 1) + 4) % 7); /* 1970-01-01: Thursday */
    int day = 1 + (r->weekday - first_wd + 7) % 7 + (r->week - 1) * 7;
    while (day > days_in_month(y, r->month))
        day -= 7;
    return day;
}

static int write_observance(struct writer *wr, const char *kind, const struct tz_rule *r, int from,
                            int to)
{
    static const char *const days[7] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
    char f[16], t[16];
    format_offset(from, f);
    format_offset(to, t);
    bool ok = raw_prop(wr, "BEGIN:%s", kind) == 0 &&
              raw_prop(wr, "DTSTART:1970%02d%02dT%02d%02d%02d", r->month, rule_day(r, 1970),
                       r->seconds / 3600, r->seconds / 60 % 60, r->seconds % 60) == 0 &&
              raw_prop(wr, "RRULE:FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", r->month,
                       r->week == 5 ? -1 : r->week, days[r->weekday]) == 0 &&
              raw_prop(wr, "TZOFFSETFROM:%s", f) == 0 && raw_prop(wr, "TZOFFSETTO:%s", t) == 0 &&
              raw_prop(wr, "END:%s", kind) == 0;
    return ok ? 0 : -1;
}

int ics_vtimezone(strbuf *out, const char *tzid, int utc_offset_seconds)
{
    if (!valid_tzid(tzid) || utc_offset_seconds < -OFFSET_MAX || utc_offset_seconds > OFFSET_MAX)
        return -1;
    char footer[128];
    struct tz_rules z;
    bool rules = read_footer(tzid, footer, sizeof footer) == 0 && parse_posix_tz(footer, &z) == 0 &&
                 z.has_dst && z.std_offset >= -OFFSET_MAX && z.std_offset <= OFFSET_MAX &&
                 z.dst_offset >= -OFFSET_MAX && z.dst_offset <= OFFSET_MAX;
    char offset[16];
    format_offset(utc_offset_seconds, offset);
    struct writer wr;
    writer_open(&wr, out);
    bool ok = raw_prop(&wr, "BEGIN:VTIMEZONE") == 0 && raw_prop(&wr, "TZID:%s", tzid) == 0;
    if (rules)
        ok = ok && write_observance(&wr, "DAYLIGHT", &z.to_dst, z.std_offset, z.dst_offset) == 0 &&
             write_observance(&wr, "STANDARD", &z.to_std, z.dst_offset, z.std_offset) == 0;
    else
        ok = ok && raw_prop(&wr, "BEGIN:STANDARD") == 0 &&
             raw_prop(&wr, "DTSTART:19700101T000000") == 0 &&
             raw_prop(&wr, "TZOFFSETFROM:%s", offset) == 0 &&
             raw_prop(&wr, "TZOFFSETTO:%s", offset) == 0 && raw_prop(&wr, "END:STANDARD") == 0;
    ok = ok && raw_prop(&wr, "END:VTIMEZONE") == 0;
    return writer_close(&wr, ok);
}

/* ---- Events ---- */

/* An event's start and end, checked and resolved. */
struct when {
    struct ymd start, end; /* for all-day events, end is already exclusive */
    int start_min, end_min;
    bool has_end;
};

static int resolve_when(const struct ics_event *e, struct when *w)
{
    if (parse_date(e->start_date, &w->start) != 0)
        return -1;
    if (e->end_date == NULL)
        w->end = w->start;
    else if (parse_date(e->end_date, &w->end) != 0)
        return -1;
    int order = cmp_ymd(&w->start, &w->end);
    if (order > 0)
        return -1;
    if (e->all_day) {
        if (w->end.y == 9999 && w->end.m == 12 && w->end.d == 31)
            return -1; /* the exclusive end would need a five-digit year */
        next_day(&w->end);
        w->has_end = true;
        return 0;
    }
    if (parse_time(e->start_time, &w->start_min) != 0)
        return -1;
    w->has_end = e->end_time != NULL;
    if (!w->has_end)
        return 0;
    if (parse_time(e->end_time, &w->end_min) != 0)
        return -1;
    if (order == 0 && w->end_min < w->start_min)
        return -1;
    return 0;
}

static int date_time_prop(struct writer *wr, const char *name, const char *tzid,
                          const struct ymd *d, int minutes)
{
    if (tzid != NULL)
        return raw_prop(wr, "%s;TZID=%s:%04d%02d%02dT%02d%02d00", name, tzid, d->y, d->m, d->d,
                        minutes / 60, minutes % 60);
    return raw_prop(wr, "%s:%04d%02d%02dT%02d%02d00Z", name, d->y, d->m, d->d, minutes / 60,
                    minutes % 60);
}

static int write_when(struct writer *wr, const struct ics_event *e, const struct when *w)
{
    if (e->all_day) {
        if (raw_prop(wr, "DTSTART;VALUE=DATE:%04d%02d%02d", w->start.y, w->start.m, w->start.d) !=
            0)
            return -1;
        return raw_prop(wr, "DTEND;VALUE=DATE:%04d%02d%02d", w->end.y, w->end.m, w->end.d);
    }
    if (date_time_prop(wr, "DTSTART", e->tzid, &w->start, w->start_min) != 0)
        return -1;
    if (w->has_end && date_time_prop(wr, "DTEND", e->tzid, &w->end, w->end_min) != 0)
        return -1;
    return 0;
}

static bool valid_event(const struct ics_event *e)
{
    return e->uid != NULL && e->uid[0] != '\0' && valid_text(e->uid) && valid_text(e->summary) &&
           valid_text(e->description) && valid_text(e->location) && valid_url(e->url) &&
           valid_status(e->status) && (e->all_day || e->tzid == NULL || valid_tzid(e->tzid)) &&
           e->sequence >= 0 && e->dtstamp_unix >= 0 && e->dtstamp_unix <= UNIX_MAX;
}

int ics_event(strbuf *out, const struct ics_event *e)
{
    struct when w;
    if (e == NULL || !valid_event(e) || resolve_when(e, &w) != 0)
        return -1;
    struct ymd stamp = day_from_epoch(e->dtstamp_unix / SECONDS_PER_DAY);
    int secs = (int)(e->dtstamp_unix % SECONDS_PER_DAY);

    struct writer wr;
    writer_open(&wr, out);
    bool ok = raw_prop(&wr, "BEGIN:VEVENT") == 0 && text_prop(&wr, "UID", e->uid) == 0 &&
              raw_prop(&wr, "DTSTAMP:%04d%02d%02dT%02d%02d%02dZ", stamp.y, stamp.m, stamp.d,
                       secs / 3600, secs / 60 % 60, secs % 60) == 0 &&
              write_when(&wr, e, &w) == 0 && raw_prop(&wr, "SEQUENCE:%d", e->sequence) == 0 &&
              text_prop(&wr, "SUMMARY", e->summary) == 0 &&
              text_prop(&wr, "DESCRIPTION", e->description) == 0 &&
              text_prop(&wr, "LOCATION", e->location) == 0 && uri_prop(&wr, "URL", e->url) == 0 &&
              (e->status == NULL || raw_prop(&wr, "STATUS:%s", e->status) == 0) &&
              raw_prop(&wr, "END:VEVENT") == 0;
    return writer_close(&wr, ok);
}
