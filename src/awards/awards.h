/*
 * awards.h - the SDG Awards as the rest of the program sees it: cycles with
 * their categories, criteria and settings; cases submitted by member
 * organisations and their files; the public vote; judges assigned to
 * categories, their conflicts and scores; results, their publication, the
 * gallery and the CSV exports. Its files share internal.h, which nothing
 * outside this folder includes. The rules live in SQL (migrations
 * 0009_awards to 0012_awards_views).
 */
#ifndef CONVENE_AWARDS_H
#define CONVENE_AWARDS_H

struct http_req;

/* Registers the feature's prepared statements (see db_register). */
void awards_statements(void);

/* HTTP handlers (routed in src/routes.c) */
/* cycles.c */
void cycles_list(struct http_req *req);
void cycles_create(struct http_req *req);
void cycles_get(struct http_req *req);
void cycles_update(struct http_req *req);
/* submissions.c */
void submissions_create(struct http_req *req);
void submissions_get(struct http_req *req);
void submissions_update(struct http_req *req);
void submissions_submit(struct http_req *req);
void submissions_withdraw(struct http_req *req);
void submissions_mine(struct http_req *req);
/* votes.c */
void votes_put(struct http_req *req);
void votes_get(struct http_req *req);
void votes_delete(struct http_req *req);
void votes_candidates(struct http_req *req);
void votes_report(struct http_req *req);
void votes_void(struct http_req *req);
/* jury.c */
void jury_assign(struct http_req *req);
void jury_judges(struct http_req *req);
void jury_unassign(struct http_req *req);
void jury_conflict(struct http_req *req);
void jury_conflicts(struct http_req *req);
void jury_waive(struct http_req *req);
void jury_scores(struct http_req *req);
void jury_scores_get(struct http_req *req);
void jury_judging(struct http_req *req);
void jury_progress(struct http_req *req);
/* results.c */
void results_get(struct http_req *req);
void results_publish(struct http_req *req);
void results_gallery(struct http_req *req);
void results_gallery_one(struct http_req *req);
/* exports.c */
void award_exports_submissions(struct http_req *req);
void award_exports_scores(struct http_req *req);
void award_exports_votes(struct http_req *req);
/* files.c */
void files_upload(struct http_req *req);
void files_list(struct http_req *req);
void files_download(struct http_req *req);
void files_delete(struct http_req *req);

#endif
