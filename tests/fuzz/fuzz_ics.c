/*
 * fuzz_ics.c - the iCalendar writer (src/formats/ics.c).
 *
 * Input: a 12-byte header (flags, a date, a span in days, two times, an
 * offset, a sequence), then text parts cut at 0x1F: prodid, calname, method,
 * uid, summary, description, location, url, status, tzid, and (when flag
 * 0x04 is clear) start_date, end_date, start_time, end_time as text.
 * Properties of every calendar written:
 *   - only CRLF line ends, no bare CR or LF anywhere;
 *   - no physical line longer than 75 octets, each one valid UTF-8 (folding
 *     never cuts a character), continuation lines start with a space;
 *   - SUMMARY, DESCRIPTION, LOCATION, PRODID unfold and unescape to the text
 *     given minus CR and other control characters (TAB and LF kept), and
 *     their escaping is well formed (a backslash only before \ ; , n);
 *   - DTEND is after DTSTART (all-day) or not before it (timed);
 *   - valid input (checked by a reference here) is accepted, and a capped
 *     buffer gets all of it or none of it.
 */
#include "fuzz.h"

#include "formats/ics.h"

#include <stdbool.h>

enum {
    P_PRODID,
    P_CALNAME,
    P_METHOD,
    P_UID,
    P_SUMMARY,
    P_DESC,
    P_LOCATION,
    P_URL,
    P_STATUS,
    P_TZID,
    P_SDATE,
    P_EDATE,
    P_STIME,
    P_ETIME,
    P_COUNT
};

struct ymd {
    int y, m, d;
};

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

static bool date_ok(struct ymd d)
{
    return d.y >= 1 && d.y <= 9999 && d.m >= 1 && d.m <= 12 && d.d >= 1 &&
           d.d <= month_days(d.y, d.m);
}

static struct ymd add_days(struct ymd d, int n)
{
    while (n-- > 0) {
        if (++d.d > month_days(d.y, d.m)) {
            d.d = 1;
            if (++d.m > 12) {
                d.m = 1;
                d.y++;
            }
        }
    }
    return d;
}

/* Checks the physical layout of a calendar and unfolds it into lines. */
static char *check_and_unfold(const char *s, size_t n, size_t *out_len)
{
    char *u = malloc(n + 1);
    size_t w = 0, line_start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            FUZZ_ASSERT(i > 0 && s[i - 1] == '\r', "no bare LF");
        if (s[i] == '\r')
            FUZZ_ASSERT(i + 1 < n && s[i + 1] == '\n', "no bare CR");
        if (s[i] != '\r')
            continue;
        size_t len = i - line_start;
        FUZZ_ASSERT(len <= 75, "no line longer than 75 octets");
        FUZZ_ASSERT(fuzz_utf8_ok(s + line_start, len), "every physical line is valid UTF-8");
        line_start = i + 2;
    }
    FUZZ_ASSERT(n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n', "ends with CRLF");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 2 < n && s[i + 2] == ' ') {
            i += 2; /* CRLF + space: a fold */
            continue;
        }
        u[w++] = s[i];
    }
    u[w] = '\0';
    *out_len = w;
    return u;
}

/* The value of the first unfolded line starting with name + ':' (a new
 * string), or NULL. */
static char *prop(const char *cal, const char *name)
{
    size_t nl = strlen(name);
    for (const char *line = cal; *line != '\0';) {
        const char *end = strstr(line, "\r\n");
        if (end == NULL)
            break;
        if (strncmp(line, name, nl) == 0 && line[nl] == ':')
            return strndup(line + nl + 1, (size_t)(end - line - (ptrdiff_t)nl - 1));
        line = end + 2;
    }
    return NULL;
}

/* What a TEXT value should read as: the input without CR and controls
 * other than TAB and LF. */
static char *expected_text(const char *in)
{
    char *e = malloc(strlen(in) + 1);
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
            continue;
        e[w++] = (char)*p;
    }
    e[w] = '\0';
    return e;
}

static void check_text(const char *cal, const char *name, const char *given)
{
    char *v = prop(cal, name);
    if (given == NULL) {
        FUZZ_ASSERT(v == NULL, "an absent text is not written");
        return;
    }
    FUZZ_ASSERT(v != NULL, "a given text is written");
    char *plain = malloc(strlen(v) + 1);
    size_t w = 0;
    for (const char *p = v; *p; p++) {
        FUZZ_ASSERT(*p != ';' && *p != ',', "; and , in TEXT are escaped");
        if (*p != '\\') {
            plain[w++] = *p;
            continue;
        }
        p++;
        FUZZ_ASSERT(*p == '\\' || *p == ';' || *p == ',' || *p == 'n',
                    "a backslash escapes only \\ ; , or n");
        plain[w++] = *p == 'n' ? '\n' : *p;
    }
    plain[w] = '\0';
    char *want = expected_text(given);
    FUZZ_ASSERT(strcmp(plain, want) == 0, "TEXT unescapes to the text given");
    free(want);
    free(plain);
    free(v);
}

static bool url_ok(const char *u)
{
    if (u == NULL)
        return true;
    size_t n = strlen(u);
    if (n == 0 || n > 2000 || !fuzz_utf8_ok(u, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
            return false;
    }
    return true;
}

static bool tzid_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > ICS_TZID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

static bool text_ok(const char *t)
{
    return t == NULL || fuzz_utf8_ok(t, strlen(t));
}

static bool token_ok(const char *t)
{
    if (t == NULL)
        return true;
    size_t n = strlen(t);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

static const char *nonempty_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    const uint8_t *h = data;
    unsigned flags = h[0];
    struct fuzz_parts p;
    fuzz_split(data + 12, size - 12, '\x1f', P_COUNT, &p);
    const char *part[P_COUNT];
    for (int i = 0; i < P_COUNT; i++)
        part[i] = fuzz_part(&p, (size_t)i);

    const char *prodid = part[P_PRODID] ? part[P_PRODID] : "-//CityNet//Convene//EN";
    const char *calname = (flags & 0x80) ? NULL : part[P_CALNAME];
    const char *method = (flags & 0x40) ? NULL : nonempty_or_null(part[P_METHOD]);

    /* Synthetic dates and times (flag 0x04) reach the writer far more often
     * than fuzzed text; text parts exercise the parser. */
    struct ymd start = {1 + (h[1] << 8 | h[2]) % 10000, h[3] % 14, h[4] % 33};
    int span = h[5] % 40 == 39 ? h[5] : h[5] % 40;
    struct ymd end = add_days(start, date_ok(start) ? span : 0);
    int sh = h[6] % 25, sm = h[7] % 61, eh = h[8] % 25, em = h[9] % 61;
    char sdate[16], edate[16], stime[8], etime[8];
    snprintf(sdate, sizeof sdate, "%04d-%02d-%02d", start.y % 10000, start.m, start.d);
    snprintf(edate, sizeof edate, "%04d-%02d-%02d", end.y % 10000, end.m, end.d);
    snprintf(stime, sizeof stime, "%02d:%02d", sh, sm);
    snprintf(etime, sizeof etime, "%02d:%02d", eh, em);
    bool synthetic = (flags & 0x04) != 0;

    struct ics_event e = {
        .uid = part[P_UID] ? part[P_UID] : "event@convene.example.org",
        .summary = part[P_SUMMARY],
        .description = part[P_DESC],
        .location = part[P_LOCATION],
        .url = nonempty_or_null(part[P_URL]),
        .status = nonempty_or_null(part[P_STATUS]),
        .tzid = (flags & 0x02) ? part[P_TZID] : NULL,
        .all_day = flags & 0x01,
        .start_date = synthetic ? sdate : part[P_SDATE],
        .end_date = (flags & 0x08) ? NULL
                    : synthetic    ? edate
                                   : part[P_EDATE],
        .start_time = synthetic ? stime : part[P_STIME],
        .end_time = (flags & 0x10) ? NULL
                    : synthetic    ? etime
                                   : part[P_ETIME],
        .dtstamp_unix = (int64_t)((uint32_t)h[1] << 24 | (uint32_t)h[5] << 16 | h[10] << 8 | h[4]) *
                        (h[11] & 0x80 ? 61 : 1),
        .sequence = h[11] & 0x7f,
    };
    int offset = ((int8_t)h[10]) * 900 + (h[11] & 1 ? 7 : 0);

    strbuf out;
    strbuf_init(&out, 0);
    bool ok_begin = ics_begin(&out, prodid, calname, method) == 0;
    bool want_begin = text_ok(prodid) && text_ok(calname) && token_ok(method);
    FUZZ_ASSERT(ok_begin == want_begin, "ics_begin accepts exactly the valid arguments");
    if (!ok_begin)
        goto done;

    bool ok_tz = e.tzid == NULL || ics_vtimezone(&out, e.tzid, offset) == 0;
    if (e.tzid != NULL)
        FUZZ_ASSERT(ok_tz == (tzid_ok(e.tzid) && offset >= -18 * 3600 && offset <= 18 * 3600),
                    "ics_vtimezone accepts exactly a valid TZID and offset");

    size_t before = out.len;
    bool ok_event = ics_event(&out, &e) == 0;
    if (!ok_event)
        FUZZ_ASSERT(out.len == before, "a refused event leaves the buffer as it was");
    if (synthetic && (e.all_day || e.tzid == NULL || tzid_ok(e.tzid))) {
        struct ymd last = e.end_date != NULL ? end : start;
        bool dates = date_ok(start) && date_ok(last);
        bool times =
            e.all_day || (sh < 24 && sm < 60 && (e.end_time == NULL || (eh < 24 && em < 60)));
        bool order;
        if (e.all_day)
            order = !(last.y == 9999 && last.m == 12 && last.d == 31);
        else if (e.end_time == NULL || (e.end_date != NULL && span > 0))
            order = true;
        else
            order = eh * 60 + em >= sh * 60 + sm;
        bool texts = e.uid[0] != '\0' && text_ok(e.uid) && text_ok(e.summary) &&
                     text_ok(e.description) && text_ok(e.location) && url_ok(e.url) &&
                     (e.status == NULL || strcmp(e.status, "CONFIRMED") == 0 ||
                      strcmp(e.status, "TENTATIVE") == 0 || strcmp(e.status, "CANCELLED") == 0);
        bool stamp = e.dtstamp_unix <= INT64_C(253402300799);
        FUZZ_ASSERT(ok_event == (dates && times && order && texts && stamp),
                    "ics_event accepts exactly the valid events");
    }
    FUZZ_ASSERT(ics_end(&out) == 0, "no cap, no failure");

    size_t ulen;
    char *cal = check_and_unfold(strbuf_cstr(&out), out.len, &ulen);
    FUZZ_ASSERT(strncmp(cal, "BEGIN:VCALENDAR\r\n", 17) == 0, "starts with BEGIN:VCALENDAR");
    check_text(cal, "PRODID", prodid);
    if (ok_event) {
        const char *ev = strstr(cal, "BEGIN:VEVENT\r\n");
        FUZZ_ASSERT(ev != NULL, "an accepted event is written");
        check_text(ev, "SUMMARY", e.summary);
        check_text(ev, "DESCRIPTION", e.description);
        check_text(ev, "LOCATION", e.location);
        char *ds = e.all_day ? prop(ev, "DTSTART;VALUE=DATE") : NULL;
        char *de = e.all_day ? prop(ev, "DTEND;VALUE=DATE") : NULL;
        if (e.all_day)
            FUZZ_ASSERT(ds && de && strlen(ds) == 8 && strlen(de) == 8 && strcmp(ds, de) < 0,
                        "an all-day event ends after it starts");
        free(ds);
        free(de);
    }
    free(cal);

    /* The same calendar under a cap: each call all or nothing, and what was
     * written is a prefix of the uncapped calendar. */
    strbuf small;
    strbuf_init(&small, 1 + (size_t)(h[11] ^ h[9]) * 4);
    size_t mark = 0;
    int rcs[4] = {ics_begin(&small, prodid, calname, method), 0, 0, 0};
    if (rcs[0] != 0)
        FUZZ_ASSERT(small.len == mark, "refused begin leaves the buffer");
    mark = small.len;
    if (rcs[0] == 0 && ok_event) {
        bool capped_tz = false;
        if (e.tzid != NULL && ics_vtimezone(&small, e.tzid, offset) != 0) {
            FUZZ_ASSERT(small.len == mark, "refused VTIMEZONE leaves the buffer");
            /* Refused for the cap alone (the uncapped run wrote it): a
             * writer stops there, or what follows would not be a prefix. */
            capped_tz = ok_tz;
        }
        mark = small.len;
        if (!capped_tz && ics_event(&small, &e) != 0)
            FUZZ_ASSERT(small.len == mark, "refused event leaves the buffer");
    }
    FUZZ_ASSERT(small.len <= out.len &&
                    memcmp(strbuf_cstr(&small), strbuf_cstr(&out), small.len) == 0,
                "a capped calendar is a prefix of the uncapped one");
    strbuf_free(&small);
done:
    strbuf_free(&out);
    fuzz_parts_free(&p);
    return 0;
}
