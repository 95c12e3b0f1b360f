/*
 * internal.h - what the files of the activities feature share with each
 * other (and with nothing outside src/activities/): the enrolment and
 * export halves register their own statements and routes, and both read
 * an activity's enrolment data and write it as iCalendar.
 */
#ifndef CONVENE_ACTIVITIES_INTERNAL_H
#define CONVENE_ACTIVITIES_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"

struct http_server;
struct http_req;
struct db_conn;
struct strbuf;
struct account;

/* ---- One handler shape ----
 *
 * Every handler of the feature reads: context (act_begin) -> body
 * (act_body, when the route takes one) -> one SQL call -> one reply, with
 * one `out:` label that calls act_end. */

struct act_ctx {
    struct http_req *req;
    struct db_conn *c;        /* pooled connection, NULL after act_end */
    const struct account *me; /* the caller; NULL on public routes */
    json_t *body;             /* the JSON object body, or NULL */
    struct api_fields f;      /* field problems found so far */
};

enum {
    ACT_PUBLIC = 1u << 30,    /* no login required: me is the caller or NULL */
    ACT_ANONYMOUS = 1u << 29, /* no caller looked up at all: me is NULL */
};

/*
 * Fills x for req: borrows a connection (503 otherwise) and requires a
 * caller as auth_require(roles_any, auth_flags) does, or with ACT_PUBLIC
 * in auth_flags just looks the caller up (ACT_ANONYMOUS: not even that).
 * 0, or -1 after answering; call
 * act_end in both cases.
 */
int act_begin(struct act_ctx *x, struct http_req *req, unsigned roles_any, unsigned auth_flags);

/*
 * Reads the JSON object body into x->body and records unknown_member for
 * members not in allowed and read_only for those in read_only (both
 * NULL-terminated; read_only may be NULL) into x->f, so that they are
 * answered with the handler's own field problems. With optional, a request
 * without a body leaves x->body NULL. 0, or -1 after answering (400/415).
 */
int act_body(struct act_ctx *x, bool optional, const char *const *allowed,
             const char *const *read_only);

/* Answers 422 with the recorded field problems and returns true, or
 * returns false when there are none. */
bool act_fields_reply(struct act_ctx *x);

/* Gives the connection back and frees the body and field problems. */
void act_end(struct act_ctx *x);

/* The decimal text of n for a statement parameter (request-scoped). */
const char *act_num(struct http_req *req, long n);

void enrol_statements(void);
int enrol_routes(struct http_server *s);
void exports_statements(void);
int exports_routes(struct http_server *s);

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
