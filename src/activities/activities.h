/*
 * activities.h - the activity calendar feature as the rest of the program
 * sees it: the public calendar and activity pages, staff editing and
 * questions, enrolment with waiting lists and approvals, participant
 * exports and calendar feeds. Its files share internal.h, which nothing
 * outside this folder includes.
 */
#ifndef CONVENE_ACTIVITIES_H
#define CONVENE_ACTIVITIES_H

struct http_req;

/* Registers the feature's prepared statements (see db_register). */
void activities_statements(void);
/* The check-in statements (checkin.c), registered from main.c beside them. */
void checkin_statements(void);

/* HTTP handlers (routed in src/routes.c) */
/* activities.c: the calendar and its editing */
void activities_list(struct http_req *req);
void activities_write(struct http_req *req); /* POST (create) and PATCH */
void activities_detail(struct http_req *req);
void activities_publish(struct http_req *req);
void activities_cancel(struct http_req *req);
void activities_questions_put(struct http_req *req);
/* enrol.c: enrolment, waiting lists, approvals */
void enrol_create(struct http_req *req);
void enrol_list(struct http_req *req);
void enrol_cancel_own(struct http_req *req);
void enrol_mine(struct http_req *req);
void enrol_action(struct http_req *req);
/* Approve or move several registrations of one activity, a result per row. */
void enrol_bulk(struct http_req *req);
/* exports.c: participant lists and calendar feeds */
void exports_participants(struct http_req *req);
void exports_all_participants(struct http_req *req);
void exports_public_feed(struct http_req *req);
void exports_activity_ics(struct http_req *req);
void exports_private_feed(struct http_req *req);
void exports_calendar_token(struct http_req *req); /* GET, POST and DELETE */
/* messages.c: messages from staff to an activity's participants */
void messages_recipients(struct http_req *req);
void messages_send(struct http_req *req);
void messages_history(struct http_req *req);
/* checkin.c: check-in at the door, attendance per day */
void checkin_list(struct http_req *req);
void checkin_set_needed(struct http_req *req);
void checkin_mark(struct http_req *req);   /* PUT: the day attended */
void checkin_unmark(struct http_req *req); /* DELETE: undo */

#endif
