/*
 * feedback.h - evaluation forms after an activity, as the rest of the
 * program sees them: staff attach a form to an activity (questions of the
 * registration kinds plus a 1-5 rating), invite the participants who
 * attended (one mail each, ever), read the results, compare the activities
 * of one programme and export the answers as CSV; participants who
 * attended answer once, anonymously when the form says so. The rules live
 * in sql/migrations/0017_feedback.sql. Its files share internal.h, which
 * nothing outside this folder includes.
 */
#ifndef CONVENE_FEEDBACK_H
#define CONVENE_FEEDBACK_H

struct http_req;

/* Registers the feature's prepared statements (see db_register). */
void feedback_statements(void);

/* HTTP handlers (routed in src/routes.c) */
/* forms.c: the form, answering it, the invitations */
void feedback_form_get(struct http_req *req);
void feedback_form_put(struct http_req *req);
void feedback_answer(struct http_req *req);
void feedback_invite(struct http_req *req);
/* results.c: results, the comparison of a programme, the CSV export */
void feedback_results(struct http_req *req);
void feedback_compare(struct http_req *req);
void feedback_export(struct http_req *req);

#endif
