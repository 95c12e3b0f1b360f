/*
 * internal.h - what the files of the activities feature share with each
 * other (and with nothing outside src/activities/): the enrolment and
 * export halves register their own statements, and both read
 * an activity's enrolment data and write it as iCalendar.
 */
#ifndef CONVENE_ACTIVITIES_INTERNAL_H
#define CONVENE_ACTIVITIES_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"

struct http_req;
struct db_conn;
struct strbuf;
struct account;

void enrol_statements(void);
void exports_statements(void);
void messages_statements(void);

/*
 * The data of activity id needed to enrol (mode, questions, dates, place,
 * time zone offset) as JSON (new reference), from the calendar cache or c.
 * NULL when there is no such activity (*db_failed tells a database error).
 */
json_t *activities_enrol_info(struct db_conn *c, long id, int *db_failed);

/*
 * Appends a VCALENDAR with one event for the activity described by info
 * (as returned by activities_enrol_info) to out. base_url makes its link.
 * 0, or -1 when the activity has no usable dates (out unchanged).
 */
int activities_ics(struct strbuf *out, json_t *info, const char *base_url);

/* Appends one VEVENT (and nothing else) for info; see activities_ics.
 * When info carries utc_start_date/_time and utc_end_date/_time (feeds),
 * a timed event is written in UTC instead of the activity's zone. */
int activities_ics_event(struct strbuf *out, json_t *info, const char *base_url);

#endif
