/*
 * test_ics.c - unit tests of the iCalendar writer: TEXT escaping, folding of
 * long Thai, Korean and Devanagari text (line lengths, UTF-8 on every
 * physical line, exact unfolding), exclusive all-day ends across month and
 * year ends and leap days, timed events with a TZID, strict rejection of
 * bad dates and times, DTSTAMP against gmtime_r, and, when Debian's
 * python3-icalendar is installed, a parse of a whole calendar by that
 * independent implementation.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/ics.h"
#include "base/util.h"

#define PYTHON "/usr/bin/python3"

/* ---- Helpers ---- */

static struct ics_event base_event(void)
{
    struct ics_event e = {
        .uid = "test-1@convene.example.org",
        .summary = "Urban Resilience Forum",
        .all_day = 1,
        .start_date = "2023-04-03",
        .end_date = "2023-04-04",
        .dtstamp_unix = INT64_C(1682326800), /* 2023-04-24T09:00:00Z */
    };
    return e;
}

/* Writes one event and returns the output; fails the test on -1. */
static char *event_str(const struct ics_event *e)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_event(&b, e), 0);
    return strbuf_detach(&b, NULL);
}

/* The text with every CRLF + space removed (RFC 5545 unfolding). */
static char *unfold(const char *s)
{
    strbuf b;
    strbuf_init(&b, 0);
    for (const char *p = s; *p != '\0'; p++) {
        if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
            p += 2;
            continue;
        }
        strbuf_putc(&b, *p);
    }
    return strbuf_detach(&b, NULL);
}

/* The value of the first unfolded line "NAME:value" or "NAME;...:value",
 * as a new string, or NULL. */
static char *prop_value(const char *ics, const char *name)
{
    char *flat = unfold(ics);
    char *result = NULL;
    size_t n = strlen(name);
    for (const char *line = flat; *line != '\0';) {
        const char *end = strstr(line, "\r\n");
        ck_assert_ptr_nonnull(end);
        if (strncmp(line, name, n) == 0 && (line[n] == ':' || line[n] == ';')) {
            const char *colon = memchr(line, ':', (size_t)(end - line));
            ck_assert_ptr_nonnull(colon);
            result = xstrndup(colon + 1, (size_t)(end - colon - 1));
            break;
        }
        line = end + 2;
    }
    free(flat);
    return result;
}

/* The parameters and value of property name, e.g. ";VALUE=DATE:20230301". */
static char *prop_tail(const char *ics, const char *name)
{
    char *flat = unfold(ics);
    char *result = NULL;
    char *key = xasprintf("\r\n%s", name);
    const char *at = strstr(flat, key);
    if (at != NULL) {
        at += strlen(key);
        if (*at == ':' || *at == ';')
            result = xstrndup(at, strcspn(at, "\r"));
    }
    free(key);
    free(flat);
    return result;
}

/* Undoes TEXT escaping; NULL when an escape is not one RFC 5545 knows. */
static char *unescape(const char *s)
{
    strbuf b;
    strbuf_init(&b, 0);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p != '\\') {
            strbuf_putc(&b, *p);
            continue;
        }
        p++;
        if (*p == 'n' || *p == 'N') {
            strbuf_putc(&b, '\n');
        } else if (*p == '\\' || *p == ';' || *p == ',') {
            strbuf_putc(&b, *p);
        } else {
            strbuf_free(&b);
            return NULL;
        }
    }
    return strbuf_detach(&b, NULL);
}

/* Every physical line ends with CRLF, has at most 75 octets and is UTF-8
 * by itself; no bare CR or LF anywhere. */
static void check_lines(const char *ics)
{
    size_t lines = 0;
    for (const char *line = ics; *line != '\0';) {
        const char *end = strstr(line, "\r\n");
        ck_assert_msg(end != NULL, "last line without CRLF: %s", line);
        size_t len = (size_t)(end - line);
        ck_assert_msg(len <= 75, "line of %zu octets: %.*s", len, (int)len, line);
        ck_assert_msg(str_valid_utf8(line, len), "line not UTF-8: %.*s", (int)len, line);
        ck_assert_ptr_null(memchr(line, '\r', len));
        ck_assert_ptr_null(memchr(line, '\n', len));
        line = end + 2;
        lines++;
    }
    ck_assert_uint_gt(lines, 0);
}

/* ---- Text ---- */

START_TEST(test_text_escaping)
{
    struct ics_event e = base_event();
    e.summary = "a\\b;c,d\ne\r\nf\rg\th\x01i";
    e.location = "Seoul, Korea; Room 1";
    e.description = "";
    char *ics = event_str(&e);
    check_lines(ics);
    char *v = prop_value(ics, "SUMMARY");
    ck_assert_str_eq(v, "a\\\\b\\;c\\,d\\ne\\nfg\thi");
    free(v);
    v = prop_value(ics, "LOCATION");
    ck_assert_str_eq(v, "Seoul\\, Korea\\; Room 1");
    free(v);
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDESCRIPTION:\r\n"));
    free(ics);
}
END_TEST

static const char *const long_texts[] = {
    "การประชุมเชิงปฏิบัติการว่าด้วยการพัฒนาเมืองอย่างยั่งยืนและการท่องเที่ยวอัจฉริยะ "
    "สำหรับเมืองสมาชิกในภูมิภาคเอเชียแปซิฟิก, ครั้งที่ ๓; กรุงเทพมหานคร",
    "지속 가능한 관광: 서울의 교훈 — 스마트 관광 도시 서울과 서울관광플라자 사례를 통해 본 "
    "도시 관광 정책의 방향, 그리고 아시아 태평양 회원 도시들과의 협력 방안",
    "सतत शहरी विकास पर क्षेत्रीय कार्यशाला; नगर निगमों के लिए जलवायु अनुकूलन, "
    "स्मार्ट पर्यटन और आपदा जोखिम न्यूनीकरण, काठमांडू और नई दिल्ली",
    "Mixed 한국어 ไทย हिन्दी text with emoji "
    "🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂 and "
    "a newline\nin the middle, to check that folding never splits a sequence anywhere",
};

START_TEST(test_folding_unicode)
{
    const char *text = long_texts[_i];
    struct ics_event e = base_event();
    e.summary = text;
    e.description = text;
    char *ics = event_str(&e);
    check_lines(ics);
    ck_assert_ptr_nonnull(strstr(ics, "\r\n ")); /* it was folded */
    static const char *const names[] = {"SUMMARY", "DESCRIPTION"};
    for (size_t k = 0; k < ARRAY_LEN(names); k++) {
        char *v = prop_value(ics, names[k]);
        ck_assert_ptr_nonnull(v);
        char *plain = unescape(v);
        ck_assert_ptr_nonnull(plain);
        ck_assert_str_eq(plain, text);
        free(plain);
        free(v);
    }
    free(ics);
}
END_TEST

START_TEST(test_folding_boundaries)
{
    /* "SUMMARY:" is 8 octets: 67 more fill the first line exactly. */
    char text[300];
    for (size_t len = 60; len < 220; len++) {
        memset(text, 'x', len);
        text[len] = '\0';
        struct ics_event e = base_event();
        e.summary = text;
        char *ics = event_str(&e);
        check_lines(ics);
        char *v = prop_value(ics, "SUMMARY");
        ck_assert_str_eq(v, text);
        free(v);
        const char *line = strstr(ics, "SUMMARY:");
        bool folded = strncmp(line + 75, "\r\n ", 3) == 0;
        ck_assert_int_eq(folded, len > 67);
        free(ics);
    }
}
END_TEST

/* ---- Dates ---- */

START_TEST(test_all_day_exclusive_end)
{
    static const struct {
        const char *start, *end, *dtstart, *dtend;
    } cases[] = {
        {"2023-02-28", "2023-02-28", ";VALUE=DATE:20230228", ";VALUE=DATE:20230301"},
        {"2024-02-28", "2024-02-28", ";VALUE=DATE:20240228", ";VALUE=DATE:20240229"},
        {"2024-02-29", NULL, ";VALUE=DATE:20240229", ";VALUE=DATE:20240301"},
        {"2023-12-31", "2023-12-31", ";VALUE=DATE:20231231", ";VALUE=DATE:20240101"},
        {"2023-12-30", "2023-12-31", ";VALUE=DATE:20231230", ";VALUE=DATE:20240101"},
        {"2023-04-03", "2023-04-04", ";VALUE=DATE:20230403", ";VALUE=DATE:20230405"},
        {"2023-01-31", NULL, ";VALUE=DATE:20230131", ";VALUE=DATE:20230201"},
        {"2023-04-30", NULL, ";VALUE=DATE:20230430", ";VALUE=DATE:20230501"},
        {"2023-03-28", "2023-04-01", ";VALUE=DATE:20230328", ";VALUE=DATE:20230402"},
        {"2000-02-28", NULL, ";VALUE=DATE:20000228", ";VALUE=DATE:20000229"},
        {"2100-02-28", NULL, ";VALUE=DATE:21000228", ";VALUE=DATE:21000301"},
        {"0001-01-01", NULL, ";VALUE=DATE:00010101", ";VALUE=DATE:00010102"},
        {"9999-12-30", NULL, ";VALUE=DATE:99991230", ";VALUE=DATE:99991231"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct ics_event e = base_event();
        e.start_date = cases[i].start;
        e.end_date = cases[i].end;
        e.tzid = "Asia/Seoul";  /* ignored for all-day events */
        e.start_time = "25:00"; /* ignored too */
        char *ics = event_str(&e);
        char *s = prop_tail(ics, "DTSTART");
        char *t = prop_tail(ics, "DTEND");
        ck_assert_msg(strcmp(s, cases[i].dtstart) == 0, "case %zu: %s", i, s);
        ck_assert_msg(strcmp(t, cases[i].dtend) == 0, "case %zu: %s", i, t);
        free(s);
        free(t);
        free(ics);
    }
}
END_TEST

START_TEST(test_timed_with_tzid)
{
    struct ics_event e = base_event();
    e.all_day = 0;
    e.tzid = "Asia/Seoul";
    e.start_date = "2023-04-24";
    e.end_date = "2023-05-12";
    e.start_time = "09:00";
    e.end_time = "17:30";
    char *ics = event_str(&e);
    check_lines(ics);
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDTSTART;TZID=Asia/Seoul:20230424T090000\r\n"));
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDTEND;TZID=Asia/Seoul:20230512T173000\r\n"));
    free(ics);

    e.end_date = NULL; /* same day */
    ics = event_str(&e);
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDTEND;TZID=Asia/Seoul:20230424T173000\r\n"));
    free(ics);

    e.end_time = NULL; /* no DTEND at all */
    ics = event_str(&e);
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDTSTART;TZID=Asia/Seoul:20230424T090000\r\n"));
    ck_assert_ptr_null(strstr(ics, "DTEND"));
    free(ics);

    e.tzid = NULL; /* UTC */
    e.end_time = "09:00";
    ics = event_str(&e);
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDTSTART:20230424T090000Z\r\n"));
    ck_assert_ptr_nonnull(strstr(ics, "\r\nDTEND:20230424T090000Z\r\n"));
    free(ics);
}
END_TEST

START_TEST(test_event_layout)
{
    struct ics_event e = base_event();
    e.description = "Two days.";
    e.location = "Seoul";
    e.url = "https://citynet-ap.org/events/urban-resilience?x=1&y=%20";
    e.status = "CONFIRMED";
    e.sequence = 3;
    char *ics = event_str(&e);
    ck_assert_str_eq(ics, "BEGIN:VEVENT\r\n"
                          "UID:test-1@convene.example.org\r\n"
                          "DTSTAMP:20230424T090000Z\r\n"
                          "DTSTART;VALUE=DATE:20230403\r\n"
                          "DTEND;VALUE=DATE:20230405\r\n"
                          "SEQUENCE:3\r\n"
                          "SUMMARY:Urban Resilience Forum\r\n"
                          "DESCRIPTION:Two days.\r\n"
                          "LOCATION:Seoul\r\n"
                          "URL:https://citynet-ap.org/events/urban-resilience?x=1&y=%20\r\n"
                          "STATUS:CONFIRMED\r\n"
                          "END:VEVENT\r\n");
    free(ics);
}
END_TEST

START_TEST(test_dtstamp_matches_gmtime)
{
    static const struct {
        int64_t t;
        const char *want;
    } fixed[] = {
        {0, "19700101T000000Z"},
        {INT64_C(951782400), "20000229T000000Z"},
        {INT64_C(1704067199), "20231231T235959Z"},
        {INT64_C(1709164800), "20240229T000000Z"},
        {INT64_C(4107542400), "21000301T000000Z"},
        {INT64_C(253402300799), "99991231T235959Z"},
    };
    for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
        struct ics_event e = base_event();
        e.dtstamp_unix = fixed[i].t;
        char *ics = event_str(&e);
        char *v = prop_value(ics, "DTSTAMP");
        ck_assert_str_eq(v, fixed[i].want);
        free(v);
        free(ics);
    }
    /* Days spread over 1970..2500 at varying times of day, against libc. */
    for (int64_t t = 0; t < INT64_C(16725225600); t += INT64_C(86400) * 37 + 4321) {
        struct ics_event e = base_event();
        e.dtstamp_unix = t;
        time_t tt = (time_t)t;
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
        char want[96]; /* room for any int, to keep -Wformat-truncation quiet */
        snprintf(want, sizeof want, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        char *ics = event_str(&e);
        char *v = prop_value(ics, "DTSTAMP");
        ck_assert_msg(strcmp(v, want) == 0, "t=%lld: %s, want %s", (long long)t, v, want);
        free(v);
        free(ics);
    }
}
END_TEST

/* ---- Rejections ---- */

static void assert_refused(const struct ics_event *e, const char *what)
{
    strbuf b;
    strbuf_init(&b, 0);
    strbuf_puts(&b, "before\r\n");
    ck_assert_msg(ics_event(&b, e) == -1, "accepted %s", what);
    ck_assert_str_eq(b.data, "before\r\n");
    strbuf_free(&b);
}

START_TEST(test_rejects_bad_dates)
{
    static const char *const dates[] = {
        "2023-13-01",  "2023-02-30", "2023-02-29",  "2023-00-10", "2023-04-31",     "2023-04-00",
        "2100-02-29",  "0000-01-01", "2023-4-03",   "2023/04/03", "23-04-03",       "2023-04-03 ",
        " 2023-04-03", "2023-04-3",  "2023-04-03x", "",           "２０２３-04-03", "+023-04-03",
    };
    for (size_t i = 0; i < ARRAY_LEN(dates); i++) {
        struct ics_event e = base_event();
        e.start_date = dates[i];
        e.end_date = NULL;
        assert_refused(&e, dates[i]);
        e = base_event();
        e.end_date = dates[i];
        assert_refused(&e, dates[i]);
    }
    struct ics_event e = base_event();
    e.start_date = NULL;
    assert_refused(&e, "NULL start");
    e = base_event();
    e.start_date = "2023-04-05";
    e.end_date = "2023-04-04";
    assert_refused(&e, "end before start");
    e.end_date = "9999-12-31";
    e.start_date = "9999-12-31";
    assert_refused(&e, "all-day ending 9999-12-31");
}
END_TEST

START_TEST(test_rejects_bad_times)
{
    static const char *const times[] = {"25:00",    "24:00", "23:60", "9:00",  "09:0", "0900",
                                        "09:00:00", "-1:00", "09-00", " 9:00", "",     "ab:cd"};
    for (size_t i = 0; i < ARRAY_LEN(times); i++) {
        struct ics_event e = base_event();
        e.all_day = 0;
        e.tzid = "Asia/Seoul";
        e.start_time = times[i];
        e.end_time = "23:59";
        e.end_date = NULL;
        assert_refused(&e, times[i]);
        e.start_time = "00:00";
        e.end_time = times[i];
        assert_refused(&e, times[i]);
    }
    struct ics_event e = base_event();
    e.all_day = 0;
    e.start_time = NULL;
    assert_refused(&e, "timed without start_time");
    e.start_time = "10:00";
    e.end_time = "09:59";
    e.end_date = NULL;
    assert_refused(&e, "end before start on one day");
    e.end_date = "2023-04-04"; /* the next day: fine */
    char *ics = event_str(&e);
    free(ics);
}
END_TEST

START_TEST(test_rejects_bad_fields)
{
    struct ics_event e = base_event();
    e.uid = NULL;
    assert_refused(&e, "NULL uid");
    e.uid = "";
    assert_refused(&e, "empty uid");
    e = base_event();
    e.summary = "bad \xC3\x28 utf-8";
    assert_refused(&e, "invalid UTF-8");
    e = base_event();
    e.status = "confirmed";
    assert_refused(&e, "lower-case status");
    e.status = "DONE";
    assert_refused(&e, "unknown status");
    e = base_event();
    e.url = "https://example.org/a b";
    assert_refused(&e, "url with space");
    e.url = "https://example.org/\r\nX-EVIL:1";
    assert_refused(&e, "url with CRLF");
    e = base_event();
    e.all_day = 0;
    e.start_time = "09:00";
    e.tzid = "Asia/Seoul\r\nX-EVIL:1";
    assert_refused(&e, "tzid with CRLF");
    e.tzid = "Asia/Seoul;VALUE=DATE";
    assert_refused(&e, "tzid with ';'");
    e = base_event();
    e.sequence = -1;
    assert_refused(&e, "negative sequence");
    e = base_event();
    e.dtstamp_unix = -1;
    assert_refused(&e, "dtstamp before 1970");
    e.dtstamp_unix = INT64_C(253402300800);
    assert_refused(&e, "dtstamp after 9999");
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_event(&b, NULL), -1);
    strbuf_free(&b);
}
END_TEST

START_TEST(test_cap_leaves_buffer_unchanged)
{
    struct ics_event e = base_event();
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_event(&b, &e), 0);
    size_t need = b.len;
    strbuf_free(&b);
    strbuf_init(&b, need - 1);
    ck_assert_int_eq(ics_event(&b, &e), -1);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(ics_begin(&b, "-//CityNet//Convene//EN", "x", NULL), 0);
    size_t len = b.len;
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul", 32400), -1);
    ck_assert_uint_eq(b.len, len);
    strbuf_free(&b);
}
END_TEST

/* Every cap short of what a piece needs: the writer refuses (-1) and leaves
 * what was already in the buffer exactly as it was, whichever line the cap
 * falls in (a truncated calendar would be read as a complete one). */
static void check_every_cap(int (*write)(strbuf *, const void *), const void *arg)
{
    static const char prefix[] = "BEGIN:VCALENDAR\r\n";
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(write(&b, arg), 0);
    size_t need = b.len;
    char *want = strbuf_detach(&b, NULL);
    for (size_t cap = sizeof prefix - 1; cap < need + sizeof prefix - 1; cap++) {
        strbuf_init(&b, cap);
        ck_assert_int_eq(strbuf_puts(&b, prefix), 0);
        ck_assert_msg(write(&b, arg) == -1, "cap %zu of %zu accepted", cap, need);
        ck_assert_str_eq(b.data, prefix);
        strbuf_free(&b);
    }
    strbuf_init(&b, need + sizeof prefix - 1);
    ck_assert_int_eq(strbuf_puts(&b, prefix), 0);
    ck_assert_int_eq(write(&b, arg), 0);
    ck_assert_str_eq(b.data + sizeof prefix - 1, want);
    strbuf_free(&b);
    free(want);
}

static int write_event(strbuf *b, const void *arg)
{
    return ics_event(b, arg);
}

static int write_begin(strbuf *b, const void *arg)
{
    (void)arg;
    return ics_begin(b, "-//CityNet//Convene//EN", "CityNet, 2023 활동", "PUBLISH");
}

static int write_vtimezone(strbuf *b, const void *arg)
{
    (void)arg;
    return ics_vtimezone(b, "Asia/Kathmandu", 20700);
}

START_TEST(test_every_cap_is_refused_whole)
{
    struct ics_event timed = base_event();
    timed.all_day = 0;
    timed.tzid = "Asia/Seoul";
    timed.start_time = "09:30";
    timed.end_time = "17:00";
    timed.end_date = "2023-04-05";
    timed.summary = "서울 도시 회복력 포럼: 기후, 물, 에너지, 그리고 모두를 위한 도시";
    timed.description = "Line one;\nline two, with \\ and a long tail that has to fold over "
                        "more than one physical line of seventy-five octets";
    timed.location = "Seoul; City Hall";
    timed.url = "https://example.org/a?b=c&d=e";
    timed.status = "CONFIRMED";
    timed.sequence = 3;
    check_every_cap(write_event, &timed);
    struct ics_event allday = base_event();
    allday.end_date = "2023-04-30";
    check_every_cap(write_event, &allday);
    check_every_cap(write_begin, NULL);
    check_every_cap(write_vtimezone, NULL);
}
END_TEST

START_TEST(test_event_field_limits)
{
    strbuf b;
    strbuf_init(&b, 0);
    /* Controls other than tab and LF are dropped from TEXT; tab stays. */
    struct ics_event e = base_event();
    e.summary = "a\x01"
                "b\tc\x7f"
                "d\re";
    char *ics = event_str(&e);
    ck_assert_ptr_nonnull(strstr(ics, "\r\nSUMMARY:ab\tcde\r\n"));
    free(ics);
    /* A URL of 2000 bytes is kept; 2001, invalid UTF-8, DEL or tab are not. */
    char url[2002] = "https://example.org/";
    size_t base = strlen(url);
    memset(url + base, 'u', 2000 - base);
    url[2000] = '\0';
    e = base_event();
    e.url = url;
    ck_assert_int_eq(ics_event(&b, &e), 0);
    url[2000] = 'u';
    url[2001] = '\0';
    assert_refused(&e, "url of 2001 bytes");
    static const char *bad_urls[] = {"", "https://example.org/\xC3", "https://a\x7f",
                                     "https://a\tb"};
    for (size_t i = 0; i < ARRAY_LEN(bad_urls); i++) {
        e.url = bad_urls[i];
        assert_refused(&e, bad_urls[i]);
    }
    /* A TZID of 64 characters from the IANA alphabet is kept; 65 is not. */
    char tz[66];
    memset(tz, 'A', 64);
    memcpy(tz, "Etc/GMT+1_x-", 12);
    tz[64] = '\0';
    e = base_event();
    e.all_day = 0;
    e.start_time = "23:59";
    e.tzid = tz;
    ck_assert_int_eq(ics_event(&b, &e), 0);
    tz[64] = 'A';
    tz[65] = '\0';
    assert_refused(&e, "tzid of 65");
    static const char *bad_tz[] = {"", "Europe/Par is", "Europe/Paris,X", "Europe/Paris:X",
                                   "Europe/Pari\xC3\xA9"};
    for (size_t i = 0; i < ARRAY_LEN(bad_tz); i++) {
        e.tzid = bad_tz[i];
        assert_refused(&e, bad_tz[i]);
    }
    ck_assert_int_eq(ics_vtimezone(&b, "", 0), -1);
    strbuf_free(&b);
}
END_TEST

START_TEST(test_begin_method_limits)
{
    strbuf b;
    strbuf_init(&b, 0);
    char method[67];
    memset(method, 'X', 66);
    method[64] = '\0';
    ck_assert_int_eq(ics_begin(&b, "p", NULL, method), 0);
    strbuf_reset(&b);
    method[64] = 'X';
    method[65] = '\0';
    ck_assert_int_eq(ics_begin(&b, "p", NULL, method), -1);
    static const char *bad[] = {"PUB LISH", "PUB_LISH", "PUB;X", "PUB\xC3\xA9"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        ck_assert_msg(ics_begin(&b, "p", NULL, bad[i]) == -1, "%s", bad[i]);
    ck_assert_int_eq(ics_begin(&b, "p\xC3", NULL, NULL), -1);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(ics_begin(&b, "p", NULL, "x-Custom-9"), 0);
    strbuf_free(&b);
}
END_TEST

/* ---- Calendar and time zones ---- */

START_TEST(test_begin_end)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_begin(&b, "-//CityNet//Convene//EN", "CityNet, 2023 활동", "PUBLISH"), 0);
    ck_assert_int_eq(ics_end(&b), 0);
    ck_assert_str_eq(b.data, "BEGIN:VCALENDAR\r\n"
                             "VERSION:2.0\r\n"
                             "PRODID:-//CityNet//Convene//EN\r\n"
                             "CALSCALE:GREGORIAN\r\n"
                             "METHOD:PUBLISH\r\n"
                             "NAME:CityNet\\, 2023 활동\r\n"
                             "X-WR-CALNAME:CityNet\\, 2023 활동\r\n"
                             "END:VCALENDAR\r\n");
    strbuf_reset(&b);
    ck_assert_int_eq(ics_begin(&b, "-//x//y//EN", NULL, NULL), 0);
    ck_assert_str_eq(b.data, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
                             "CALSCALE:GREGORIAN\r\n");
    strbuf_reset(&b);
    ck_assert_int_eq(ics_begin(&b, NULL, NULL, NULL), -1);
    ck_assert_int_eq(ics_begin(&b, "p", NULL, "PUBLISH\r\nX:1"), -1);
    ck_assert_int_eq(ics_begin(&b, "p", NULL, ""), -1);
    ck_assert_int_eq(ics_begin(&b, "p", "\xFF", NULL), -1);
    ck_assert_uint_eq(b.len, 0);
    strbuf_free(&b);
}
END_TEST

START_TEST(test_vtimezone_offsets)
{
    static const struct {
        int seconds;
        const char *want;
    } cases[] = {
        {32400, "+0900"},  {0, "+0000"},     {-12600, "-0330"}, {20700, "+0545"},  {19800, "+0530"},
        {-36000, "-1000"}, {50400, "+1400"}, {3661, "+010101"}, {-64800, "-1800"}, {64800, "+1800"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        strbuf b;
        strbuf_init(&b, 0);
        ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul", cases[i].seconds), 0);
        char *want = xasprintf("BEGIN:VTIMEZONE\r\n"
                               "TZID:Asia/Seoul\r\n"
                               "BEGIN:STANDARD\r\n"
                               "DTSTART:19700101T000000\r\n"
                               "TZOFFSETFROM:%s\r\n"
                               "TZOFFSETTO:%s\r\n"
                               "END:STANDARD\r\n"
                               "END:VTIMEZONE\r\n",
                               cases[i].want, cases[i].want);
        ck_assert_str_eq(b.data, want);
        free(want);
        strbuf_free(&b);
    }
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul", 64801), -1);
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul", -64801), -1);
    ck_assert_int_eq(ics_vtimezone(&b, NULL, 0), -1);
    ck_assert_int_eq(ics_vtimezone(&b, "", 0), -1);
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul:x", 0), -1);
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul\"", 0), -1);
    ck_assert_int_eq(ics_vtimezone(&b, "America/Argentina/Buenos_Aires", -10800), 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Etc/GMT+9", -32400), 0);
    strbuf_free(&b);
}
END_TEST

/* ---- An independent parser: Python's icalendar ---- */

/* Runs PYTHON with args (argv[0] is filled in); returns its exit status, or
 * -1 when it could not run. quiet sends its stderr to /dev/null. */
static int run_python(const char **args, size_t nargs, bool quiet)
{
    char **argv = xcalloc(nargs + 2, sizeof *argv);
    argv[0] = xstrdup(PYTHON);
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = xstrdup(args[i]);
    int status = -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (quiet && freopen("/dev/null", "w", stderr) == NULL)
            _exit(127);
        execv(PYTHON, argv);
        _exit(127);
    }
    int ws;
    if (pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
        status = WEXITSTATUS(ws);
    for (size_t i = 0; i <= nargs; i++)
        free(argv[i]);
    free(argv);
    return status;
}

static char *hex(const char *s)
{
    strbuf b;
    strbuf_init(&b, 0);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        strbuf_printf(&b, "%02x", *p);
    return strbuf_detach(&b, NULL);
}

/* Checks what icalendar reads: the number of events, each SUMMARY (given
 * as hex so that no locale touches it), the description of the second
 * event, and the exclusive DTEND of the first. */
static const char py_check[] =
    "import sys, icalendar\n"
    "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n"
    "evs = cal.walk('VEVENT')\n"
    "want = [bytes.fromhex(h).decode('utf-8') for h in sys.argv[3:]]\n"
    "assert len(evs) == int(sys.argv[2]), 'count %d' % len(evs)\n"
    "got = [str(e.get('SUMMARY')) for e in evs]\n"
    "assert got == want, 'summaries %r != %r' % (got, want)\n"
    "assert str(evs[1].get('DESCRIPTION')) == 'Line one,\\nline two; \\\\ done', "
    "repr(evs[1].get('DESCRIPTION'))\n"
    "assert evs[0].decoded('DTEND').isoformat() == '2024-01-01', evs[0].decoded('DTEND')\n"
    "assert evs[1].decoded('DTSTART').hour == 9\n"
    "assert cal.walk('VTIMEZONE')[0]['TZID'] == 'Asia/Seoul'\n"
    "print('icalendar read %d events' % len(evs))\n";

START_TEST(test_python_icalendar_parses)
{
    const char *probe[] = {"-c", "import icalendar"};
    /* The package is in deploy/deps.sh's TEST_PACKAGES: a missing module is
     * a broken test machine, not a reason to pass. */
    ck_assert_msg(run_python(probe, ARRAY_LEN(probe), true) == 0,
                  "%s cannot import icalendar: install the Debian package python3-icalendar "
                  "(deploy/deps.sh --test)",
                  PYTHON);
    const char *summaries[] = {long_texts[0], long_texts[1], long_texts[2]};
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_begin(&b, "-//CityNet//Convene//EN", "CityNet 2023", "PUBLISH"), 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul", 32400), 0);

    struct ics_event e = base_event();
    e.uid = "a@convene.example.org";
    e.summary = summaries[0];
    e.start_date = "2023-12-30";
    e.end_date = "2023-12-31";
    ck_assert_int_eq(ics_event(&b, &e), 0);

    e = base_event();
    e.uid = "b@convene.example.org";
    e.summary = summaries[1];
    e.description = "Line one,\nline two; \\ done";
    e.all_day = 0;
    e.tzid = "Asia/Seoul";
    e.start_date = "2023-04-24";
    e.end_date = NULL;
    e.start_time = "09:00";
    e.end_time = "17:30";
    e.status = "TENTATIVE";
    e.url = "https://citynet-ap.org/";
    ck_assert_int_eq(ics_event(&b, &e), 0);

    e = base_event();
    e.uid = "c@convene.example.org";
    e.summary = summaries[2];
    e.all_day = 0;
    e.start_time = "03:15";
    e.end_time = "04:00";
    e.location = long_texts[3];
    ck_assert_int_eq(ics_event(&b, &e), 0);
    ck_assert_int_eq(ics_end(&b), 0);
    check_lines(b.data);

    char path[] = "/tmp/convene-test-ics-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);

    char *hexes[ARRAY_LEN(summaries)];
    const char *args[4 + ARRAY_LEN(hexes)] = {"-c", py_check, path, "3"};
    for (size_t i = 0; i < ARRAY_LEN(hexes); i++) {
        hexes[i] = hex(summaries[i]);
        args[4 + i] = hexes[i];
    }
    int status = run_python(args, ARRAY_LEN(args), false);
    unlink(path);
    for (size_t i = 0; i < ARRAY_LEN(hexes); i++)
        free(hexes[i]);
    strbuf_free(&b);
    ck_assert_msg(status == 0, "icalendar check failed (status %d)", status);
}
END_TEST

/* ---- Zones with daylight saving ---- */

/* A zone with daylight saving gets both observances with their yearly
 * rules (from the system's zone data), so a calendar app reads the right
 * offset on each side of a change. */
START_TEST(test_vtimezone_dst_rules)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Europe/Berlin", 7200), 0);
    check_lines(b.data);
    ck_assert_str_eq(b.data, "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
                             "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n"
                             "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                             "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n"
                             "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
                             "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
                             "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
                             "END:VTIMEZONE\r\n");
    strbuf_free(&b);

    /* The southern hemisphere: daylight from October to April. */
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Australia/Sydney", 39600), 0);
    ck_assert_ptr_nonnull(strstr(b.data, "BEGIN:DAYLIGHT\r\nDTSTART:19701004T020000\r\n"
                                         "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\n"
                                         "TZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100\r\n"));
    ck_assert_ptr_nonnull(strstr(b.data, "BEGIN:STANDARD\r\nDTSTART:19700405T030000\r\n"
                                         "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\n"
                                         "TZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\n"));
    strbuf_free(&b);

    /* A zone without daylight saving, or one the system does not know,
     * keeps the single fixed offset given. */
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Asia/Seoul", 32400), 0);
    ck_assert_ptr_null(strstr(b.data, "DAYLIGHT"));
    ck_assert_ptr_nonnull(strstr(b.data, "TZOFFSETTO:+0900\r\n"));
    strbuf_reset(&b);
    ck_assert_int_eq(ics_vtimezone(&b, "Nowhere/Atlantis", 3600), 0);
    ck_assert_ptr_nonnull(strstr(b.data, "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\n"));
    strbuf_free(&b);
}
END_TEST

/* Reads the file with icalendar, turns its VTIMEZONE into a tzinfo, and for
 * every day of the event checks that the start and end times of day have
 * the UTC offset the zone really has then (Python's zoneinfo). */
static const char py_dst_check[] =
    "import sys, datetime, icalendar\n"
    "from zoneinfo import ZoneInfo\n"
    "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n"
    "tz = cal.walk('VTIMEZONE')[0].to_tz()\n"
    "real = ZoneInfo(sys.argv[2])\n"
    "ev = cal.walk('VEVENT')[0]\n"
    "s, e = ev.decoded('DTSTART'), ev.decoded('DTEND')\n"
    "assert s.utcoffset() == s.replace(tzinfo=None).replace(tzinfo=real).utcoffset(), s\n"
    "assert e.utcoffset() == e.replace(tzinfo=None).replace(tzinfo=real).utcoffset(), e\n"
    "d, n = s.date(), 0\n"
    "while d <= e.date():\n"
    "    for t in (s.time(), e.time()):\n"
    "        local = datetime.datetime.combine(d, t)\n"
    "        got = tz.localize(local).utcoffset()\n"
    "        want = local.replace(tzinfo=real).utcoffset()\n"
    "        assert got == want, '%s: %s != %s' % (local, got, want)\n"
    "    d += datetime.timedelta(days=1)\n"
    "    n += 1\n"
    "assert n == int(sys.argv[3]), n\n"
    "print('%s: %d days right' % (sys.argv[2], n))\n";

static const struct {
    const char *tzid;
    int offset; /* at the start, as the caller computes it */
    const char *start, *end;
    const char *days;
} dst_spans[] = {
    {"Europe/Berlin", 7200, "2026-10-22", "2026-10-28", "7"},      /* ends 25 October */
    {"Australia/Sydney", 39600, "2026-04-02", "2026-04-08", "7"},  /* ends 5 April */
    {"America/New_York", -18000, "2026-03-06", "2026-03-10", "5"}, /* starts 8 March */
};

START_TEST(test_python_dst_span)
{
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_begin(&b, "-//CityNet//Convene//EN", NULL, "PUBLISH"), 0);
    ck_assert_int_eq(ics_vtimezone(&b, dst_spans[_i].tzid, dst_spans[_i].offset), 0);
    struct ics_event e = base_event();
    e.all_day = 0;
    e.tzid = dst_spans[_i].tzid;
    e.start_date = dst_spans[_i].start;
    e.end_date = dst_spans[_i].end;
    e.start_time = "09:00";
    e.end_time = "17:00";
    ck_assert_int_eq(ics_event(&b, &e), 0);
    ck_assert_int_eq(ics_end(&b), 0);

    char path[] = "/tmp/convene-test-ics-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    const char *args[] = {"-c", py_dst_check, path, dst_spans[_i].tzid, dst_spans[_i].days};
    int status = run_python(args, ARRAY_LEN(args), false);
    unlink(path);
    strbuf_free(&b);
    ck_assert_msg(status == 0, "%s: the times across the change are not right (status %d)",
                  dst_spans[_i].tzid, status);
}
END_TEST

/* ---- Zone rules read from TZif footers (CONVENE_ZONEINFO) ---- */

/* A zone file for the table below: the magic, filler, and the footer
 * between two newlines, like the end of a real TZif file. */
struct tz_case {
    const char *name;   /* file under the test's zoneinfo directory */
    const char *footer; /* NULL: the file is written raw from `raw` */
    const char *raw;
    const char *expect; /* a substring of the VTIMEZONE, or NULL */
    bool dst;           /* daylight rules expected (else the fixed offset) */
};

static const struct tz_case tz_cases[] = {
    /* Rules that are read. */
    {"T/Cet", "CET-1CEST,M3.5.0,M10.5.0/3", NULL,
     "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", true},
    {"T/Explicit", "AAA-1BBB-3,M3.2.0/2:30:15,M11.1.6", NULL,
     "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0300", true},
    {"T/Angle", "<+0330>-3:30<+0430>,M3.4.3/0,M9.3.5/23:59:59", NULL,
     "DTSTART:19700918T235959\r\nRRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=3FR", true},
    {"T/West", "EST5EDT,M3.2.0,M11.1.0", NULL, "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400", true},
    /* Standard time only, or forms the writer does not handle: the fixed
     * offset given by the caller. */
    {"T/NoDst", "XYZ-1:30:15", NULL, NULL, false},
    {"T/Colon", "XYZ-1:", NULL, NULL, false},
    {"T/Short", "XY-1", NULL, NULL, false},
    {"T/EmptyAngle", "<>-1", NULL, NULL, false},
    {"T/OpenAngle", "<+07-7", NULL, NULL, false},
    {"T/NoOffset", "CET", NULL, NULL, false},
    {"T/Hours", "CET-168", NULL, NULL, false},
    {"T/Minutes", "CET-1:60", NULL, NULL, false},
    {"T/Seconds", "CET-1:00:60", NULL, NULL, false},
    {"T/NoRules", "CET-1CEST", NULL, NULL, false},
    {"T/ShortDst", "CET-1CE,M3.5.0,M10.5.0", NULL, NULL, false},
    {"T/BadDstOffset", "CET-1CEST+,M3.5.0,M10.5.0", NULL, NULL, false},
    {"T/Julian", "CET-1CEST,J60,J300", NULL, NULL, false},
    {"T/Month", "CET-1CEST,M13.1.0,M10.5.0", NULL, NULL, false},
    {"T/MonthZero", "CET-1CEST,M0.1.0,M10.5.0", NULL, NULL, false},
    {"T/Week", "CET-1CEST,M3.6.0,M10.5.0", NULL, NULL, false},
    {"T/WeekZero", "CET-1CEST,M3.0.0,M10.5.0", NULL, NULL, false},
    {"T/Weekday", "CET-1CEST,M3.5.7,M10.5.0", NULL, NULL, false},
    {"T/NoDot", "CET-1CEST,M3.5,M10.5.0", NULL, NULL, false},
    {"T/NoDigit", "CET-1CEST,M3.x.0,M10.5.0", NULL, NULL, false},
    {"T/BadTime", "CET-1CEST,M3.5.0/x,M10.5.0", NULL, NULL, false},
    {"T/NegativeOnset", "CET-1CEST,M3.5.0/-1,M10.5.0", NULL, NULL, false},
    {"T/LateOnset", "CET-1CEST,M3.5.0,M10.5.0/24", NULL, NULL, false},
    {"T/OneRule", "CET-1CEST,M3.5.0", NULL, NULL, false},
    {"T/Trailing", "CET-1CEST,M3.5.0,M10.5.0x", NULL, NULL, false},
    {"T/FarDst", "AAA-1BBB-25,M3.5.0,M10.5.0", NULL, NULL, false},
    {"T/FarStd", "AAA-19BBB-1,M3.5.0,M10.5.0", NULL, NULL, false},
    /* Files that are not TZif, or whose end is not a footer. */
    {"T/Magic", NULL,
     "NotTZif, a file long enough to hold a footer in its last 128 bytes, which is read only "
     "when the file begins with the TZif magic\nCET-1CEST,M3.5.0,M10.5.0/3\n",
     NULL, false},
    {"T/Tiny", NULL, "TZif\nCET-1CEST,M3.5.0,M10.5.0/3\n", NULL, false},
    {"T/NoNewline", NULL, NULL, NULL, false},
    {"T/NoStart", NULL, NULL, NULL, false},
};

static char tz_dir[] = "/tmp/convene-tz-XXXXXX";

static void write_tz_file(const struct tz_case *c)
{
    char path[256];
    snprintf(path, sizeof path, "%s/T", tz_dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", tz_dir, c->name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (c->raw != NULL) {
        fputs(c->raw, f);
    } else if (c->footer != NULL) {
        fputs("TZif2", f);
        for (int i = 0; i < 300; i++)
            fputc(i % 7 == 0 ? '\n' : 'x', f);
        fprintf(f, "\n%s\n", c->footer);
    } else if (strcmp(c->name, "T/NoNewline") == 0) {
        fputs("TZif2", f);
        for (int i = 0; i < 300; i++)
            fputc('x', f);
        fputs("\nCET-1CEST,M3.5.0,M10.5.0/3", f); /* no final newline */
    } else {
        fputs("TZif2", f); /* 200 bytes without a newline, then one */
        for (int i = 0; i < 200; i++)
            fputc('x', f);
        fputc('\n', f);
    }
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_vtimezone_footers)
{
    const struct tz_case *c = &tz_cases[_i];
    write_tz_file(c);
    ck_assert_int_eq(setenv("CONVENE_ZONEINFO", tz_dir, 1), 0);
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_vtimezone(&b, c->name, 3600), 0);
    check_lines(b.data);
    if (c->dst) {
        ck_assert_msg(strstr(b.data, "BEGIN:DAYLIGHT\r\n") != NULL, "%s: no daylight rules in\n%s",
                      c->name, b.data);
        ck_assert_ptr_nonnull(strstr(b.data, "BEGIN:STANDARD\r\n"));
    } else {
        ck_assert_msg(strstr(b.data, "DAYLIGHT") == NULL, "%s: unexpected rules in\n%s", c->name,
                      b.data);
        ck_assert_ptr_nonnull(strstr(
            b.data, "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\n"));
    }
    if (c->expect != NULL)
        ck_assert_msg(strstr(b.data, c->expect) != NULL, "%s: no \"%s\" in\n%s", c->name, c->expect,
                      b.data);
    strbuf_free(&b);
    unsetenv("CONVENE_ZONEINFO");
}
END_TEST

/* A zone path longer than the directory buffer is not read. */
START_TEST(test_vtimezone_long_path)
{
    char dir[600];
    memset(dir, 'd', sizeof dir - 1);
    dir[0] = '/';
    dir[sizeof dir - 1] = '\0';
    ck_assert_int_eq(setenv("CONVENE_ZONEINFO", dir, 1), 0);
    strbuf b;
    strbuf_init(&b, 0);
    ck_assert_int_eq(ics_vtimezone(&b, "Europe/Berlin", 3600), 0);
    ck_assert_ptr_null(strstr(b.data, "DAYLIGHT"));
    strbuf_free(&b);
    unsetenv("CONVENE_ZONEINFO");
}
END_TEST

static void tz_setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(tz_dir));
}

static void tz_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tz_dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(tz_dir, "/tmp/convene-tz-XXXXXX");
}

Suite *make_ics_suite(void);
Suite *make_ics_suite(void)
{
    Suite *s = suite_create("ics");

    TCase *tc = tcase_create("text");
    tcase_add_test(tc, test_text_escaping);
    tcase_add_loop_test(tc, test_folding_unicode, 0, (int)ARRAY_LEN(long_texts));
    tcase_add_test(tc, test_folding_boundaries);
    suite_add_tcase(s, tc);

    tc = tcase_create("events");
    tcase_add_test(tc, test_all_day_exclusive_end);
    tcase_add_test(tc, test_timed_with_tzid);
    tcase_add_test(tc, test_event_layout);
    tcase_add_test(tc, test_dtstamp_matches_gmtime);
    tcase_add_test(tc, test_rejects_bad_dates);
    tcase_add_test(tc, test_rejects_bad_times);
    tcase_add_test(tc, test_rejects_bad_fields);
    tcase_add_test(tc, test_cap_leaves_buffer_unchanged);
    tcase_add_test(tc, test_every_cap_is_refused_whole);
    tcase_add_test(tc, test_event_field_limits);
    tcase_add_test(tc, test_begin_method_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("calendar");
    tcase_add_test(tc, test_begin_end);
    tcase_add_test(tc, test_vtimezone_offsets);
    tcase_add_test(tc, test_python_icalendar_parses);
    tcase_add_test(tc, test_vtimezone_dst_rules);
    tcase_add_loop_test(tc, test_python_dst_span, 0, (int)ARRAY_LEN(dst_spans));
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("zone files");
    tcase_add_checked_fixture(tc, tz_setup, tz_teardown);
    tcase_add_loop_test(tc, test_vtimezone_footers, 0, (int)ARRAY_LEN(tz_cases));
    tcase_add_test(tc, test_vtimezone_long_path);
    suite_add_tcase(s, tc);
    return s;
}
