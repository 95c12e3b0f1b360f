/*
 * mail.h - the mail outbox and its senders: the only door to libcurl.
 *
 * Mail is never sent from a request. A feature writes an outbox row with
 * mail_enqueue in the same transaction as the action that causes it, so the
 * mail exists exactly when the action committed. Sender threads (any number,
 * on any number of nodes) LISTEN on the channel 'mail_outbox', claim due rows
 * one at a time with FOR UPDATE SKIP LOCKED, render the template set, build a
 * MIME message with header-safe pieces from mailfmt.h, send it over SMTP and
 * record the outcome: sent, pending again with exponential backoff, or
 * failed. SMTP down means mail waits; a node killed mid-send leaves its row
 * in 'sending' until locked_until passes, when any sender takes it again.
 *
 * Outbox states (the only transitions):
 *   pending --claim--> sending --ok--> sent
 *                              --temporary error--> pending (later)
 *                              --permanent error / attempts used up--> failed
 *   failed --mail_outbox_retry--> pending
 *
 * Environment knobs (read once by mail_sender_start; meant for tests and
 * operators who know why):
 *   CONVENE_MAIL_BACKOFF_MS  first retry delay in ms (default 2000); each
 *                            further retry doubles it, capped at 10 minutes,
 *                            with +-25% jitter.
 *   CONVENE_MAIL_POLL_MS     safety-net poll interval in ms (default 5000).
 */
#ifndef CONVENE_MAIL_H
#define CONVENE_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db_conn;
struct mail_sender;
struct strbuf;

/* Cap on the attachments of one mail (sum of their data, bytes). */
#define MAIL_ATTACHMENTS_MAX (10L * 1024 * 1024)
/* Cap on one attachment file name (bytes). */
#define MAIL_FILENAME_MAX 100

/* ---- Outbox ---- */

/*
 * Queues one mail: INSERTs a mail_outbox row on the caller's connection, so
 * it commits or rolls back with the caller's transaction (the insert trigger
 * wakes the senders at commit).
 *
 * template_name: a template set under mail-templates/ ([a-z0-9_]+).
 * locale: language of the templates ([a-z0-9_-]+, at most 32 bytes); NULL
 *   means "en". A missing translation falls back to English when sending.
 * to_address: must pass mailfmt_valid_address.
 * to_name: display name, UTF-8 without CR, LF or NUL; NULL or "" for none.
 * vars: a JSON object of template variables, or NULL for {}. Borrowed.
 *   `base_url` is added by the sender; do not rely on passing your own.
 * attachments: NULL, or a JSON array (borrowed) of objects
 *   {"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST",
 *    "data": "<text>"}, or, for bytes made when the mail is sent,
 *   {"filename": "certificate-2031-00042.pdf", "content_type": "application/pdf",
 *    "source": "certificate", "ref": "<what the source needs>"}: the sender
 *   asks the source of that name (mail_sender_config.sources) for the bytes;
 *   see mail_attachments_check for the rules.
 *
 * Returns 0, or -1 when an argument is refused (logged as a warning, no
 * row written) or the INSERT failed (the caller's transaction is then
 * aborted and must be rolled back).
 */
int mail_enqueue(struct db_conn *c, const char *template_name, const char *locale,
                 const char *to_address, const char *to_name, json_t *vars, json_t *attachments);

/*
 * Checks an attachments value: NULL or an array of at most 20 objects, each
 * with a "filename" of 1..MAIL_FILENAME_MAX characters from [A-Za-z0-9._ -]
 * (not starting with '.' or ' '), a "content_type" like "type/subtype" with
 * optional "; name=value" parameters (token characters only), and either a
 * string "data" or a "source" ([a-z0-9_], 1..32) with a "ref" (1..200 of
 * [A-Za-z0-9._:-]); the data together at most MAIL_ATTACHMENTS_MAX bytes.
 * Returns 0, or -1 with a one-line reason in err (which never quotes the
 * data).
 */
int mail_attachments_check(const json_t *attachments, char *err, size_t errlen);

/*
 * Lists outbox rows, newest first, for the admin pages: a new object
 * {"items": [{id, template, to_address, status, attempts, last_error,
 * created_at, sent_at, next_attempt_at}], "total": n, "counts": {"pending":
 * n, "sending": n, "sent": n, "failed": n}} where total counts every row of
 * that status, counts every row of each status (the facet, whatever status
 * is asked), and times are RFC 3339 UTC strings (or null).
 * status: "pending", "sending", "sent", "failed", or NULL for all.
 * limit: 1..500; offset >= 0. Returns NULL for bad arguments or a database
 * error. The caller owns the result (json_decref).
 */
json_t *mail_outbox_list(struct db_conn *c, const char *status, int limit, int offset);

/*
 * Puts a failed row back in the queue: status 'pending', due now, attempts
 * back to 0 (the last error stays until the next outcome), and wakes the
 * senders when the caller's transaction commits. Returns the number of rows
 * put back (1, or 0 when there is no failed row with that id), or -1 when
 * the database failed.
 */
int mail_outbox_retry(struct db_conn *c, long id);

/* ---- Sender ---- */

/* What a source answers when the thing a reference names is gone for good
 * (the mail then fails: trying again would not help). */
#define MAIL_SOURCE_GONE (-2)

/*
 * Makes the bytes of an attachment by reference, when its mail is sent: a
 * feature above this layer (the certificates) renders them from the rows
 * `ref` names, read on c (the sender's own connection, outside any
 * transaction). Appends the bytes to out, whose cap is
 * MAIL_ATTACHMENTS_MAX. Returns 0; -1 for a failure that may pass (the
 * database; the mail is retried like an SMTP failure); MAIL_SOURCE_GONE
 * when ref names nothing (the mail fails). err gets a one-line reason.
 * Called from the sender threads, several at once.
 */
typedef int (*mail_source_fn)(struct db_conn *c, const char *ref, void *ud, struct strbuf *out,
                              char *err, size_t errlen);

struct mail_source {
    const char *name; /* as in an attachment's "source"; must outlive the sender */
    mail_source_fn fetch;
    void *ud; /* handed to fetch */
};

struct mail_sender_config {
    const char *conninfo;      /* libpq conninfo for the senders' own connections */
    const char *smtp_url;      /* smtp://host:port or smtps://user:pass@host:port */
    const char *mail_from;     /* envelope and header sender address */
    const char *templates_dir; /* <data dir>/mail-templates */
    const char *base_url;      /* public URL, added to every mail's vars; may be NULL */
    int threads;               /* sender threads, >= 1 */
    int max_attempts;          /* attempts before a mail is failed, >= 1 */
    int db_connect_timeout_s;  /* libpq connect_timeout (0: 5) */
    int smtp_timeout_s;        /* whole SMTP session cap (0: 60); connect gets 10 at most */
    /* Sources of attachments by reference (copied; may be NULL when
     * nsources is 0). A mail naming a source that is not here fails. */
    const struct mail_source *sources;
    int nsources;
};

/*
 * Starts cfg->threads sender threads. Every string of cfg is copied. Each
 * thread opens its own database connection (reconnecting with backoff when
 * it breaks), LISTENs on 'mail_outbox' and sends due mail until stopped.
 * The threads block every signal, so the caller's sigwait keeps receiving
 * SIGTERM and SIGINT. Returns NULL (logged) when the settings are unusable,
 * e.g. a mail_from that is not a plain address.
 */
struct mail_sender *mail_sender_start(const struct mail_sender_config *cfg);

/*
 * Stops the senders: wakes every thread, lets a send in progress finish
 * (bounded by smtp_timeout_s), joins them and frees everything. Accepts
 * NULL. The pointer is invalid afterwards.
 */
void mail_sender_stop(struct mail_sender *s);

/*
 * Delay before retry number `attempt` (1 = the retry after the first failed
 * attempt): base_ms * 2^(attempt-1), capped at cap_ms, then scaled by a
 * jitter factor between 0.75 and 1.25 taken from `random` (any 32-bit
 * value), and never above cap_ms * 1.25 or below 1. Pure; exposed for tests.
 */
long mail_backoff_ms(int attempt, long base_ms, long cap_ms, uint32_t random);

#endif
