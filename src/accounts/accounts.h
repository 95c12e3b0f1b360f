/*
 * accounts.h - the accounts feature: sign-up, verification, log-in and
 * sessions, password reset, the profile (/api/me), organisations, and the
 * admin views of accounts, roles, the audit log and the mail outbox.
 */
#ifndef CONVENE_ACCOUNTS_H
#define CONVENE_ACCOUNTS_H

struct http_req;

/* Registers the feature's prepared statements (see db_register). */
void accounts_statements(void);

/* HTTP handlers (routed in src/routes.c) */
void accounts_organisations(struct http_req *req);
void accounts_signup(struct http_req *req);
void accounts_verify(struct http_req *req);
void accounts_verify_resend(struct http_req *req);
void accounts_login(struct http_req *req);
void accounts_logout(struct http_req *req);
void accounts_forgot(struct http_req *req);
void accounts_reset(struct http_req *req);
void accounts_me(struct http_req *req);
void accounts_session(struct http_req *req);
void accounts_me_update(struct http_req *req);
void accounts_change_password(struct http_req *req);
void accounts_sessions(struct http_req *req);
void accounts_session_revoke(struct http_req *req);
void accounts_admin_accounts(struct http_req *req);
void accounts_staff_accounts(struct http_req *req);
void accounts_confirm_organisation(struct http_req *req);
void accounts_role(struct http_req *req); /* PUT and DELETE */
void accounts_admin_audit(struct http_req *req);
void accounts_admin_outbox(struct http_req *req);
void accounts_admin_outbox_retry(struct http_req *req);

#endif
