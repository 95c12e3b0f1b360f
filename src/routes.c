/*
 * routes.c - every route of the HTTP API with its handler, in one table:
 * what `convene routes` prints. Handlers live in their feature and are
 * declared in its public header. Rows are added in this order (a route's
 * index labels its metrics); literal segments win over parameters whatever
 * the order (see http/router.h).
 */
#include "routes.h"

#include "accounts/accounts.h"
#include "activities/activities.h"
#include "awards/awards.h"
#include "certificates/certificates.h"
#include "base/util.h"
#include "feedback/feedback.h"
#include "http/http.h"
#include "ops/ops.h"

static const struct http_route_def routes[] = {
#ifdef CONVENE_TEST_ROUTES
    /* Diagnostics, test builds only (-DCONVENE_TEST_ROUTES=ON):
     * src/ops/testroutes.c */
    {"GET", "/api/_test/stack", testroutes_stack},
    {"POST", "/api/_test/echo", testroutes_echo},
    {"GET", "/api/_test/sleep", testroutes_sleep},
    {"GET", "/api/_test/db-sleep", testroutes_db_sleep},
#endif

    /* Operations: src/ops/ops.c */
    {"GET", "/healthz", ops_healthz},
    {"GET", "/readyz", ops_readyz},
    {"GET", "/metrics", ops_metrics},

    /* Accounts: sign-up, log-in, sessions, the profile, organisations and
     * the admin views: src/accounts/accounts.c */
    {"GET", "/api/organisations", accounts_organisations},
    {"POST", "/api/auth/signup", accounts_signup},
    {"POST", "/api/auth/verify", accounts_verify},
    {"POST", "/api/auth/verify/resend", accounts_verify_resend},
    {"POST", "/api/auth/login", accounts_login},
    {"POST", "/api/auth/logout", accounts_logout},
    {"POST", "/api/auth/password/forgot", accounts_forgot},
    {"POST", "/api/auth/password/reset", accounts_reset},
    {"GET", "/api/session", accounts_session},
    {"GET", "/api/me", accounts_me},
    {"PATCH", "/api/me", accounts_me_update},
    {"POST", "/api/me/password", accounts_change_password},
    {"GET", "/api/me/sessions", accounts_sessions},
    {"DELETE", "/api/me/sessions/{id:int}", accounts_session_revoke},
    {"GET", "/api/admin/accounts", accounts_admin_accounts},
    {"GET", "/api/accounts", accounts_staff_accounts},
    {"POST", "/api/accounts/{id:int}/organisation/confirm", accounts_confirm_organisation},
    {"PUT", "/api/admin/accounts/{id:int}/roles/{role}", accounts_role},
    {"DELETE", "/api/admin/accounts/{id:int}/roles/{role}", accounts_role},
    {"GET", "/api/admin/audit", accounts_admin_audit},
    {"GET", "/api/admin/outbox", accounts_admin_outbox},
    {"POST", "/api/admin/outbox/{id:int}/retry", accounts_admin_outbox_retry},

    /* Activities, enrolment: src/activities/enrol.c */
    {"POST", "/api/activities/{id:int}/enrollments", enrol_create},
    {"GET", "/api/activities/{id:int}/enrollments", enrol_list},
    {"POST", "/api/activities/{id:int}/enrollments/bulk", enrol_bulk},
    {"DELETE", "/api/activities/{id:int}/enrollments/me", enrol_cancel_own},
    {"GET", "/api/me/enrollments", enrol_mine},
    {"POST", "/api/enrollments/{id:int}/{action}", enrol_action},

    /* Activities, participant lists and calendar feeds:
     * src/activities/exports.c */
    {"GET", "/api/activities/{id:int}/participants.csv", exports_participants},
    {"GET", "/api/exports/participants.csv", exports_all_participants},
    {"GET", "/api/calendar.ics", exports_public_feed},
    {"GET", "/api/activities/{id:int}/calendar.ics", exports_activity_ics},
    {"GET", "/api/feeds/{token}", exports_private_feed},
    {"GET", "/api/me/calendar-token", exports_calendar_token},
    {"POST", "/api/me/calendar-token", exports_calendar_token},
    {"DELETE", "/api/me/calendar-token", exports_calendar_token},

    /* Activities, messages to participants: src/activities/messages.c */
    {"GET", "/api/activities/{id:int}/messages/recipients", messages_recipients},
    {"POST", "/api/activities/{id:int}/messages", messages_send},
    {"GET", "/api/activities/{id:int}/messages", messages_history},

    /* Activities, check-in at the door: src/activities/checkin.c */
    {"GET", "/api/activities/{id:int}/checkin", checkin_list},
    {"PUT", "/api/activities/{id:int}/checkin", checkin_set_needed},
    {"PUT", "/api/enrollments/{id:int}/attendance/{day:int}", checkin_mark},
    {"DELETE", "/api/enrollments/{id:int}/attendance/{day:int}", checkin_unmark},

    /* Activities, the calendar and its editing: src/activities/activities.c */
    {"GET", "/api/activities", activities_list},
    {"POST", "/api/activities", activities_write},
    {"GET", "/api/activities/{id:int}", activities_detail},
    {"PATCH", "/api/activities/{id:int}", activities_write},
    {"POST", "/api/activities/{id:int}/publish", activities_publish},
    {"POST", "/api/activities/{id:int}/cancel", activities_cancel},
    {"PUT", "/api/activities/{id:int}/questions", activities_questions_put},

    /* Certificates, the network's layout and its preview:
     * src/certificates/layout.c */
    {"GET", "/api/certificates/layout", certificates_layout_get},
    {"PUT", "/api/certificates/layout", certificates_layout_put},
    {"PUT", "/api/certificates/layout/logo", certificates_logo_put},
    {"DELETE", "/api/certificates/layout/logo", certificates_logo_delete},
    {"GET", "/api/certificates/preview.pdf", certificates_preview},
    {"GET", "/api/certificates/preview.png", certificates_preview},

    /* Certificates per activity, the participant's own, verification and
     * revocation: src/certificates/certificates.c */
    {"GET", "/api/activities/{id:int}/certificate-settings", certificates_settings_get},
    {"PUT", "/api/activities/{id:int}/certificate-settings", certificates_settings_put},
    {"POST", "/api/activities/{id:int}/certificates", certificates_issue},
    {"GET", "/api/activities/{id:int}/certificates", certificates_list},
    {"GET", "/api/activities/{id:int}/certificate.pdf", certificates_download_own},
    {"GET", "/api/certificates/{code}", certificates_verify},
    {"POST", "/api/certificates/{code}/revocation", certificates_revoke},
    {"DELETE", "/api/certificates/{code}/revocation", certificates_revoke},

    /* Awards, cycles: src/awards/cycles.c */
    {"GET", "/api/awards/cycles", cycles_list},
    {"POST", "/api/awards/cycles", cycles_create},
    {"GET", "/api/awards/cycles/{id:int}", cycles_get},
    {"PATCH", "/api/awards/cycles/{id:int}", cycles_update},

    /* Awards, submitted cases: src/awards/submissions.c */
    {"POST", "/api/awards/cycles/{id:int}/submissions", submissions_create},
    {"GET", "/api/submissions/{id:int}", submissions_get},
    {"PATCH", "/api/submissions/{id:int}", submissions_update},
    {"POST", "/api/submissions/{id:int}/submit", submissions_submit},
    {"POST", "/api/submissions/{id:int}/withdraw", submissions_withdraw},
    {"GET", "/api/me/submissions", submissions_mine},

    /* Awards, the public vote: src/awards/votes.c */
    {"PUT", "/api/awards/categories/{id:int}/vote", votes_put},
    {"GET", "/api/awards/categories/{id:int}/vote", votes_get},
    {"DELETE", "/api/awards/categories/{id:int}/vote", votes_delete},
    {"GET", "/api/awards/categories/{id:int}/candidates", votes_candidates},
    {"GET", "/api/awards/cycles/{id:int}/vote-report", votes_report},
    {"POST", "/api/awards/votes/{id:int}/void", votes_void},

    /* Awards, judges, conflicts and scores: src/awards/jury.c */
    {"POST", "/api/awards/categories/{id:int}/judges", jury_assign},
    {"GET", "/api/awards/categories/{id:int}/judges", jury_judges},
    {"DELETE", "/api/awards/categories/{id:int}/judges/{account_id:int}", jury_unassign},
    {"POST", "/api/submissions/{id:int}/conflicts", jury_conflict},
    {"GET", "/api/submissions/{id:int}/conflicts", jury_conflicts},
    {"POST", "/api/submissions/{id:int}/conflicts/{judge_id:int}/waive", jury_waive},
    {"PUT", "/api/submissions/{id:int}/scores", jury_scores},
    {"GET", "/api/submissions/{id:int}/scores", jury_scores_get},
    {"GET", "/api/me/judging", jury_judging},
    {"GET", "/api/awards/cycles/{id:int}/progress", jury_progress},

    /* Awards, results and the gallery: src/awards/results.c */
    {"GET", "/api/awards/cycles/{id:int}/results", results_get},
    {"POST", "/api/awards/cycles/{id:int}/publish", results_publish},
    {"GET", "/api/awards/gallery", results_gallery},
    {"GET", "/api/awards/gallery/{id:int}", results_gallery_one},

    /* Awards, CSV exports: src/awards/exports.c */
    {"GET", "/api/awards/cycles/{id:int}/submissions.csv", award_exports_submissions},
    {"GET", "/api/awards/cycles/{id:int}/scores.csv", award_exports_scores},
    {"GET", "/api/awards/cycles/{id:int}/votes.csv", award_exports_votes},

    /* Awards, a case's files: src/awards/files.c */
    {"POST", "/api/submissions/{id:int}/files", files_upload},
    {"GET", "/api/submissions/{id:int}/files", files_list},
    {"GET", "/api/submissions/{id:int}/files/{file_id:int}", files_download},
    {"DELETE", "/api/submissions/{id:int}/files/{file_id:int}", files_delete},

    /* Feedback forms after an activity: src/feedback/forms.c, results.c */
    {"GET", "/api/activities/{id:int}/feedback", feedback_form_get},
    {"PUT", "/api/activities/{id:int}/feedback", feedback_form_put},
    {"POST", "/api/activities/{id:int}/feedback/answers", feedback_answer},
    {"POST", "/api/activities/{id:int}/feedback/invitations", feedback_invite},
    {"GET", "/api/activities/{id:int}/feedback/results", feedback_results},
    {"GET", "/api/activities/{id:int}/feedback/answers.csv", feedback_export},
    {"GET", "/api/feedback/compare", feedback_compare},
};

int routes_register(struct http_server *s)
{
    return http_routes(s, routes, ARRAY_LEN(routes));
}
