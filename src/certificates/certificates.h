/*
 * certificates.h - certificates of attendance as the rest of the program
 * sees them: the network's layout and its preview, the switch per
 * activity, issuing to the participants marked attended (with a mail that
 * carries the PDF), the participant's own download, the public
 * verification by code and revocation by staff. Its files share
 * internal.h, which nothing outside this folder includes.
 */
#ifndef CONVENE_CERTIFICATES_H
#define CONVENE_CERTIFICATES_H

#include <stddef.h>

struct db_conn;
struct http_req;
struct strbuf;

/* Registers the feature's prepared statements (see db_register). */
void certificates_statements(void);

/*
 * The mail sender's source "certificate" (a mail_source_fn, see
 * src/mail/mail.h): renders the certificate whose code is ref into out,
 * read on c, with ud the server's base URL (const char *, for the
 * verification link). 0; -1 when the database failed or the rendering
 * did (the mail is retried); MAIL_SOURCE_GONE when there is no such
 * certificate (revoked ones are still sent: the mail was queued when it
 * was valid, and the verification page tells the truth).
 */
int certificates_mail_source(struct db_conn *c, const char *ref, void *ud, struct strbuf *out,
                             char *err, size_t errlen);

/* HTTP handlers (routed in src/routes.c) */
/* layout.c: the network's layout and its preview */
void certificates_layout_get(struct http_req *req);
void certificates_layout_put(struct http_req *req);
void certificates_logo_put(struct http_req *req);
void certificates_logo_delete(struct http_req *req);
void certificates_preview(struct http_req *req); /* preview.pdf and preview.png */
/* certificates.c: per activity, per participant, and the public check */
void certificates_settings_get(struct http_req *req);
void certificates_settings_put(struct http_req *req);
void certificates_issue(struct http_req *req);
void certificates_list(struct http_req *req);
void certificates_download_own(struct http_req *req);
void certificates_verify(struct http_req *req);
void certificates_revoke(struct http_req *req); /* POST revokes, DELETE reinstates */

#endif
