/*
 * ics.h - an iCalendar (RFC 5545) writer for calendar feeds and "add to
 * calendar" downloads: the VCALENDAR envelope, a fixed-offset VTIMEZONE and
 * VEVENTs for all-day and timed events. Pure code: no database, no network,
 * no libc time zone functions (dates are computed here).
 *
 * Every content line is written with CRLF, folded at 75 octets with CRLF +
 * space without ever splitting a UTF-8 sequence, and TEXT values are escaped
 * (backslash, ';' and ',' get a backslash, LF becomes "\n", CR is dropped,
 * other control characters except TAB are dropped).
 *
 * Every function is all-or-nothing: on failure it returns -1 and leaves out
 * exactly as it was (strbuf cap exceeded, or an input refused as documented).
 *
 * A calendar is written as ics_begin, then ics_vtimezone once for each TZID
 * that the events use, then ics_event per event, then ics_end.
 */
#ifndef CONVENE_ICS_H
#define CONVENE_ICS_H

#include <stdint.h>

#include "base/util.h"

/* Longest TZID accepted (IANA names are far shorter). */
#define ICS_TZID_MAX 64

/*
 * Starts a calendar: BEGIN:VCALENDAR, VERSION:2.0, PRODID, CALSCALE, then
 * METHOD when method is not NULL, then NAME and X-WR-CALNAME (the latter is
 * what Google Calendar and Apple Calendar show) when calname is not NULL.
 * prodid (e.g. "-//CityNet//Convene//EN") is required; prodid and calname
 * must be UTF-8 and are written as escaped TEXT. method is NULL or an
 * iCalendar token such as "PUBLISH" (letters, digits and '-'). Returns 0, or
 * -1 when prodid is NULL, a text is not UTF-8, method is not a token, or the
 * cap is reached.
 */
int ics_begin(strbuf *out, const char *prodid, const char *calname, const char *method);

/* Ends a calendar with END:VCALENDAR. Returns 0, or -1 at the cap. */
int ics_end(strbuf *out);

/*
 * Writes a VTIMEZONE for tzid. When the system's zone data
 * (/usr/share/zoneinfo, or $CONVENE_ZONEINFO) has daylight-saving rules for
 * tzid (the POSIX TZ footer of its TZif file, "Mm.w.d" rules), it writes a
 * DAYLIGHT and a STANDARD observance with yearly RRULEs, so every date gets
 * the offset it really has (an event across a change, a feed with events
 * on both sides). Otherwise (no daylight saving, zone unknown, or a rule
 * form not read) it writes a single STANDARD component at the fixed offset
 * utc_offset_seconds east of UTC (TZOFFSETFROM = TZOFFSETTO,
 * DTSTART:19700101T000000); the caller passes the zone's offset on the date
 * of its events (e.g. 32400 for Asia/Seoul).
 *
 * tzid must be 1..ICS_TZID_MAX characters of letters, digits, '/', '_',
 * '+' and '-' (every IANA name qualifies), so it can appear unquoted in a
 * TZID parameter. The offset must lie within +-18 hours; seconds are
 * written only when not zero. Returns 0, or -1 on a bad tzid or offset or
 * at the cap.
 */
int ics_vtimezone(strbuf *out, const char *tzid, int utc_offset_seconds);

/* One event. Strings are borrowed for the call only; NULL means absent. */
struct ics_event {
    const char *uid;         /* required, non-empty, e.g. "slug@convene.example.org" */
    const char *summary;     /* TEXT */
    const char *description; /* TEXT */
    const char *location;    /* TEXT */
    const char *url;         /* URI: no spaces or control characters */
    const char *status;      /* CONFIRMED, TENTATIVE, CANCELLED or NULL */
    const char *tzid;        /* NULL for all-day or UTC */
    int all_day;
    /* dates as "YYYY-MM-DD"; times as "HH:MM" local in tzid */
    const char *start_date, *end_date, *start_time, *end_time;
    int64_t dtstamp_unix; /* when this copy was made, seconds since the epoch */
    int sequence;         /* revision number, >= 0 */
};

/*
 * Writes one VEVENT: UID, DTSTAMP (UTC), DTSTART, DTEND, SEQUENCE, then
 * SUMMARY, DESCRIPTION, LOCATION, URL and STATUS when given.
 *
 * All-day events (all_day != 0): DTSTART;VALUE=DATE:start_date and
 * DTEND;VALUE=DATE: the day after end_date (RFC 5545 ends are exclusive).
 * end_date NULL means start_date. tzid, start_time and end_time are ignored.
 *
 * Timed events: start_time is required. With a tzid,
 * DTSTART;TZID=<tzid>:YYYYMMDDTHHMM00 (the caller also writes a matching
 * ics_vtimezone); without one the times are taken as UTC and written with a
 * trailing Z. DTEND is written likewise from end_date (default start_date)
 * and end_time; with end_time NULL no DTEND is written (RFC 5545: the event
 * then takes no time).
 *
 * Dates must be exactly "YYYY-MM-DD" (year 0001..9999, a real day of that
 * month, leap years counted) and times exactly "HH:MM" (00:00..23:59). The
 * end must not come before the start, and an all-day event cannot end on
 * 9999-12-31 (its exclusive end would need a five-digit year). Text fields must be UTF-8; url must
 * be UTF-8 with no spaces or control characters; sequence must be >= 0;
 * dtstamp_unix must lie in 1970..9999. Returns 0, or -1 on any refused
 * input or at the cap.
 */
int ics_event(strbuf *out, const struct ics_event *e);

#endif
