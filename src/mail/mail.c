/*
 * mail.c - the mail outbox and the sender threads; the only module that
 * calls libcurl. Owns: the outbox rows' state machine (one setter,
 * record_outcome), the senders' database connections, their curl handles
 * and the MIME messages they build. Templates come from tmpl.c and every
 * header from mailfmt.c, so no user text reaches a header unencoded.
 * See mail.h for the contracts and the outbox states.
 */
#include "mail/mail.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "base/log.h"
#include "mail/mailfmt.h"
#include "mail/tmpl.h"
#include "base/util.h"

#define LISTEN_CHANNEL "mail_outbox"

#define BACKOFF_DEFAULT_MS 2000L
#define BACKOFF_CAP_MS     (10L * 60 * 1000)
#define POLL_DEFAULT_MS    5000L
#define RECONNECT_MIN_MS   250L
#define RECONNECT_MAX_MS   5000L
#define NOTIFY_SLICE_MS    200 /* how often a waiting thread checks for stop */
#define BUSY_FLOOR_MS      50L /* least wait when a due row was just taken */
#define SMTP_TIMEOUT_S     60
#define SMTP_CONNECT_MAX_S 10
#define DB_TIMEOUT_DEFAULT 5
#define MAX_ATTACHMENTS    20
#define ERROR_TEXT_MAX     480
#define TEMPLATE_NAME_MAX  64
#define LOCALE_MAX         32

/* ---- Small checks shared by enqueue and the sender ---- */

static bool chars_in(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char ch = s[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr(extra, ch);
        if (!ok || n >= max)
            return false;
    }
    return n >= min;
}

static bool valid_template_name(const char *s)
{
    return s != NULL && chars_in(s, 1, TEMPLATE_NAME_MAX, "_");
}

static bool valid_locale(const char *s)
{
    return s != NULL && chars_in(s, 1, LOCALE_MAX, "_-");
}

/* RFC 2045 token characters (no specials, no spaces). */
static bool is_token_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$&^_.+-", ch) != NULL);
}

/* Skips a run of token characters; returns how many. */
static size_t token_len(const char *s)
{
    size_t n = 0;
    while (is_token_char(s[n]))
        n++;
    return n;
}

/* Skips a non-empty token followed by `sep`: the position after them, or
 * NULL. */
static const char *token_then(const char *s, char sep)
{
    size_t n = token_len(s);
    return n == 0 || s[n] != sep ? NULL : s + n + 1;
}

/* "type/subtype" optionally followed by "; name=value" parameters, tokens
 * only: nothing that could close the header line or open a quoted string. */
static bool valid_content_type(const char *s)
{
    s = token_then(s, '/');
    if (s == NULL || token_len(s) == 0)
        return false;
    s += token_len(s);
    while (*s == ';') {
        s++;
        while (*s == ' ')
            s++;
        s = token_then(s, '=');
        if (s == NULL || token_len(s) == 0)
            return false;
        s += token_len(s);
    }
    return *s == '\0';
}

static bool valid_filename(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAIL_FILENAME_MAX || s[0] == '.' || s[0] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == ' ';
        if (!ok)
            return false;
    }
    return true;
}

/* A source's reference: 1..200 characters of [A-Za-z0-9._:-]. */
static bool valid_ref(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char ch = s[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
        if (!ok || n >= 200)
            return false;
    }
    return n >= 1;
}

int mail_attachments_check(const json_t *attachments, char *err, size_t errlen)
{
    if (attachments == NULL)
        return 0;
    if (!json_is_array(attachments))
        return errf(err, errlen, "attachments: not an array");
    size_t count = json_array_size(attachments);
    if (count > MAX_ATTACHMENTS)
        return errf(err, errlen, "attachments: more than %d", MAX_ATTACHMENTS);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        const json_t *a = json_array_get(attachments, i);
        const char *name = json_string_value(json_object_get(a, "filename"));
        const char *type = json_string_value(json_object_get(a, "content_type"));
        const json_t *data = json_object_get(a, "data");
        if (!json_is_object(a))
            return errf(err, errlen, "attachment %zu: not an object", i);
        if (name == NULL || !valid_filename(name))
            return errf(err, errlen, "attachment %zu: missing or unsafe filename", i);
        if (type == NULL || !valid_content_type(type))
            return errf(err, errlen, "attachment %zu: missing or invalid content_type", i);
        if (data == NULL) {
            const char *source = json_string_value(json_object_get(a, "source"));
            const char *ref = json_string_value(json_object_get(a, "ref"));
            if (source == NULL || !chars_in(source, 1, 32, "_"))
                return errf(err, errlen, "attachment %zu: no data and no valid source", i);
            if (ref == NULL || !valid_ref(ref))
                return errf(err, errlen, "attachment %zu: missing or invalid ref", i);
            continue;
        }
        if (!json_is_string(data))
            return errf(err, errlen, "attachment %zu: data is not a string", i);
        total += json_string_length(data);
        if (total > (size_t)MAIL_ATTACHMENTS_MAX)
            return errf(err, errlen, "attachments: more than %ld bytes in all",
                        MAIL_ATTACHMENTS_MAX);
    }
    return 0;
}

/* ---- Enqueue ---- */

static void log_refused(const char *template_name, const char *to_address, const char *why)
{
    strbuf f;
    strbuf_init(&f, 2048);
    strbuf_puts(&f, "\"template\":");
    log_json_string(&f, template_name ? template_name : "");
    strbuf_puts(&f, ",\"to\":");
    log_json_string(&f, to_address ? to_address : "");
    strbuf_puts(&f, ",\"error\":");
    log_json_string(&f, why);
    log_fields(LOG_WARN, "mail refused", strbuf_cstr(&f));
    strbuf_free(&f);
}

int mail_enqueue(struct db_conn *c, const char *template_name, const char *locale,
                 const char *to_address, const char *to_name, json_t *vars, json_t *attachments)
{
    char why[160];
    int rc = -1;
    char *vars_text = NULL;
    char *att_text = NULL;
    if (locale == NULL)
        locale = "en";
    if (!valid_template_name(template_name)) {
        log_refused(template_name, to_address, "invalid template name");
        goto out;
    }
    if (!valid_locale(locale)) {
        log_refused(template_name, to_address, "invalid locale");
        goto out;
    }
    if (!mailfmt_valid_address(to_address)) {
        log_refused(template_name, to_address, "invalid recipient address");
        goto out;
    }
    if (to_name != NULL && to_name[0] != '\0') {
        size_t n = strlen(to_name);
        if (str_has_crlf(to_name, n) || !str_valid_utf8(to_name, n)) {
            log_refused(template_name, to_address, "recipient name has CR/LF or is not UTF-8");
            goto out;
        }
    }
    if (vars != NULL && !json_is_object(vars)) {
        log_refused(template_name, to_address, "vars is not an object");
        goto out;
    }
    if (mail_attachments_check(attachments, why, sizeof why) != 0) {
        log_refused(template_name, to_address, why);
        goto out;
    }
    vars_text = vars ? json_dumps(vars, JSON_COMPACT) : xstrdup("{}");
    att_text = attachments ? json_dumps(attachments, JSON_COMPACT) : xstrdup("[]");
    if (vars_text == NULL || att_text == NULL) {
        log_refused(template_name, to_address, "cannot serialise vars or attachments");
        goto out;
    }
    const char *params[] = {template_name, locale,
                            to_address,    (to_name && to_name[0]) ? to_name : NULL,
                            vars_text,     att_text};
    struct db_result *r =
        db_query(c,
                 "INSERT INTO mail_outbox (template, locale, to_address, to_name, vars, "
                 "attachments) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)",
                 6, params);
    if (r != NULL)
        rc = 0;
    db_result_free(r);
out:
    free(vars_text);
    free(att_text);
    return rc;
}

/* ---- Backoff ---- */

long mail_backoff_ms(int attempt, long base_ms, long cap_ms, uint32_t random)
{
    if (base_ms < 1)
        base_ms = 1;
    if (cap_ms < base_ms)
        cap_ms = base_ms;
    long delay = base_ms;
    for (int i = 1; i < attempt && delay < cap_ms; i++)
        delay = delay > cap_ms / 2 ? cap_ms : delay * 2;
    if (delay > cap_ms)
        delay = cap_ms;
    /* Jitter in [0.75, 1.25): spreads the retries of mails that failed
     * together (SMTP down) so they do not return as one burst. */
    double factor = 0.75 + 0.5 * ((double)random / 4294967296.0);
    long jittered = (long)((double)delay * factor);
    return jittered < 1 ? 1 : jittered;
}

/* ---- Text helpers ---- */

/* Copies msg into out (ERROR_TEXT_MAX at most) with anything but printable
 * ASCII replaced, so SMTP replies or file names never put odd bytes into a
 * text column or the log. */
static void clean_error(char *out, size_t outlen, const char *msg)
{
    size_t n = 0;
    for (const char *p = msg; *p && n + 1 < outlen && n < ERROR_TEXT_MAX; p++)
        out[n++] = ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) ? *p : '?';
    out[n] = '\0';
}

/* The URL with any password replaced by "***", for the log. */
static char *redact_url(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *at = scheme_end ? strchr(scheme_end + 3, '@') : NULL;
    if (at == NULL)
        return xstrdup(url);
    const char *colon = memchr(scheme_end + 3, ':', (size_t)(at - scheme_end - 3));
    if (colon == NULL)
        return xstrdup(url);
    return xasprintf("%.*s:***%s", (int)(colon - url), url, at);
}

/* A sender address we are willing to use: one mailfmt accepts, or, since
 * the default is convene@localhost, a valid local part at a single-label
 * host name. It comes from the operator's settings, not from users. */
static bool valid_sender_address(const char *addr)
{
    if (mailfmt_valid_address(addr))
        return true;
    const char *at = strrchr(addr, '@');
    if (at == NULL || at == addr)
        return false;
    const char *dom = at + 1;
    size_t n = strlen(dom);
    bool all_digits = true;
    if (n == 0 || n > 63 || dom[0] == '-' || dom[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = dom[i];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        bool digit = ch >= '0' && ch <= '9';
        if (!alpha && !digit && ch != '-')
            return false;
        if (!digit)
            all_digits = false;
    }
    if (all_digits)
        return false;
    char *probe = xasprintf("%.*s@example.org", (int)(at - addr), addr);
    bool ok = mailfmt_valid_address(probe);
    free(probe);
    return ok;
}

/* ---- The sender ---- */

struct mail_sender;

struct sender_thread {
    struct mail_sender *owner;
    int index;
    pthread_t tid;
    struct db_conn *db;
    CURL *curl;
    long reconnect_ms; /* next wait after a database failure */
    bool db_down;      /* a failure was logged and no reconnect yet */
    /* The advisory lock this thread's connection holds; written into the
     * rows it claims (see migration 0006). Positive, random, kept across
     * reconnects so the thread's own claims stay its own. */
    char lock_key[24];
};

struct mail_sender {
    char *conninfo;
    char *smtp_url;
    char *smtp_url_log; /* password redacted */
    char *mail_from;
    char *from_domain; /* for Message-IDs */
    char *templates_dir;
    char *base_url;
    bool smtps;
    int max_attempts;
    int db_connect_timeout_s;
    int smtp_timeout_s;
    long backoff_ms;
    long poll_ms;
    struct mail_source *sources;
    int nsources;

    atomic_bool stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on stop; CLOCK_MONOTONIC */

    int nthreads; /* threads started */
    struct sender_thread *threads;
};

static bool stopping(struct mail_sender *s)
{
    return atomic_load(&s->stopping);
}

/* Sleeps up to ms, returning early when the sender is stopped. */
static void nap(struct mail_sender *s, long ms)
{
    struct timespec deadline = time_mono_deadline(time_mono_ns() + (uint64_t)ms * 1000000u);
    pthread_mutex_lock(&s->mu);
    while (!stopping(s)) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock(&s->mu);
}

static long env_ms(const char *name, long def, long min, long max)
{
    const char *v = getenv(name);
    long out = def;
    if (v == NULL || *v == '\0')
        return def;
    if (str_to_long(v, min, max, &out) != 0) {
        log_warn("%s: invalid value \"%s\" (expected %ld..%ld); using %ld", name, v, min, max, def);
        return def;
    }
    return out;
}

/* ---- Outbox rows: claim, outcome ---- */

/* A claimed row: its texts live in the claim's result, freed with it. */
struct outbox_row {
    struct db_result *claim;
    const char *id; /* text, as it goes back into SQL */
    const char *template_name;
    const char *locale;
    const char *to_address;
    const char *to_name; /* NULL when none */
    const char *vars;
    const char *attachments;
    int attempts; /* including the one just claimed */
};

static void row_free(struct outbox_row *r)
{
    db_result_free(r->claim);
    memset(r, 0, sizeof *r);
}

enum outcome_kind { OUTCOME_NONE, OUTCOME_SENT, OUTCOME_RETRY, OUTCOME_FAILED };

struct outcome {
    enum outcome_kind kind;
    char *id;         /* the row, text */
    char *message_id; /* OUTCOME_SENT */
    long delay_ms;    /* OUTCOME_RETRY */
    char error[ERROR_TEXT_MAX + 32];
};

static void outcome_clear(struct outcome *o)
{
    free(o->id);
    free(o->message_id);
    memset(o, 0, sizeof *o);
}

/*
 * Claims the next due row for the sender holding advisory lock lock_key: a
 * pending row that is due, or a 'sending' row whose claim ran out or whose
 * claimer's lock is gone (its process or connection died; a row claimed
 * before migration 0006 names no claimer and waits for its claim to run out). 1 with *row
 * filled (row_free releases it), 0 when none is due, -1 on a database
 * failure.
 */
static int claim_row(struct db_conn *db, const char *lock_key, struct outbox_row *row)
{
    const char *p[] = {lock_key};
    struct db_result *r = db_query(
        db,
        "UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, "
        "locked_until = now() + interval '5 minutes', claimed_by = $1 "
        "WHERE id = (SELECT id FROM mail_outbox o "
        "WHERE (status = 'pending' AND next_attempt_at <= now()) "
        "OR (status = 'sending' AND (locked_until < now() OR (claimed_by IS NOT NULL AND NOT "
        "EXISTS ("
        "SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database "
        "WHERE datname = current_database()) "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = o.claimed_by)))) "
        "ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, template, locale, to_address, to_name, vars::text, attachments::text, "
        "attempts",
        1, p);
    if (r == NULL)
        return -1;
    if (db_nrows(r) != 1) {
        db_result_free(r);
        return 0;
    }
    row->claim = r;
    row->id = db_value(r, 0, 0);
    row->template_name = db_value(r, 0, 1);
    row->locale = db_value(r, 0, 2);
    row->to_address = db_value(r, 0, 3);
    row->to_name = db_value(r, 0, 4);
    row->vars = db_value(r, 0, 5);
    row->attachments = db_value(r, 0, 6);
    long attempts = 0;
    str_to_long(db_value(r, 0, 7), 0, 1000000, &attempts);
    row->attempts = (int)attempts;
    return 1;
}

/* Milliseconds until the next row falls due (a retry or an expired claim),
 * at most poll_ms; -1 on a database failure. */
static long next_due_ms(struct db_conn *db, long poll_ms)
{
    struct db_result *r = db_query(
        db,
        "SELECT ceil(extract(epoch FROM (min(t) - clock_timestamp())) * 1000)::bigint "
        "FROM (SELECT min(next_attempt_at) AS t FROM mail_outbox WHERE status = 'pending' "
        "UNION ALL SELECT min(locked_until) FROM mail_outbox WHERE status = 'sending') due",
        0, NULL);
    if (r == NULL)
        return -1;
    const char *v = db_value(r, 0, 0);
    long ms = poll_ms;
    if (v != NULL && str_to_long(v, -1000000000000L, 1000000000000L, &ms) != 0)
        ms = poll_ms;
    db_result_free(r);
    if (ms > poll_ms)
        ms = poll_ms;
    return ms < BUSY_FLOOR_MS ? BUSY_FLOOR_MS : ms;
}

/* The one door for status changes after a claim. 0, or -1 on a database
 * failure (the outcome is kept and recorded after reconnecting). */
static int record_outcome(struct db_conn *db, const struct outcome *o)
{
    struct db_result *r = NULL;
    char delay[32];
    switch (o->kind) {
    case OUTCOME_SENT: {
        const char *p[] = {o->id, o->message_id};
        r = db_query(db,
                     "UPDATE mail_outbox SET status = 'sent', sent_at = now(), message_id = $2, "
                     "locked_until = NULL, last_error = NULL WHERE id = $1 AND status = 'sending'",
                     2, p);
        break;
    }
    case OUTCOME_RETRY: {
        snprintf(delay, sizeof delay, "%ld", o->delay_ms);
        const char *p[] = {o->id, delay, o->error};
        r = db_query(db,
                     "UPDATE mail_outbox SET status = 'pending', locked_until = NULL, "
                     "next_attempt_at = now() + $2::bigint * interval '1 millisecond', "
                     "last_error = $3 WHERE id = $1 AND status = 'sending'",
                     3, p);
        break;
    }
    case OUTCOME_FAILED: {
        const char *p[] = {o->id, o->error};
        r = db_query(db,
                     "UPDATE mail_outbox SET status = 'failed', locked_until = NULL, "
                     "last_error = $2 WHERE id = $1 AND status = 'sending'",
                     2, p);
        break;
    }
    case OUTCOME_NONE:
        return 0;
    }
    if (r == NULL)
        return -1;
    db_result_free(r);
    return 0;
}

/* ---- Composing and sending one mail ---- */

static int fail_outcome(struct outcome *o, enum outcome_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a RETRY or FAILED outcome with a cleaned error text; returns -1. */
static int fail_outcome(struct outcome *o, enum outcome_kind kind, const char *fmt, ...)
{
    char raw[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    o->kind = kind;
    clean_error(o->error, sizeof o->error, raw);
    return -1;
}

/* curl_slist_append, with the project's out-of-memory policy. */
static void slist_add(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l == NULL) {
        log_error("out of memory building a mail");
        abort();
    }
    *list = l;
}

/* Adds a text part (CRLF line ends, quoted-printable). 0 or -1. */
static int add_text_part(curl_mime *mime, const char *type, const char *text)
{
    char *crlf = mailfmt_crlf(text);
    curl_mimepart *part = curl_mime_addpart(mime);
    int rc = -1;
    if (crlf != NULL && part != NULL && curl_mime_data(part, crlf, strlen(crlf)) == CURLE_OK &&
        curl_mime_type(part, type) == CURLE_OK &&
        curl_mime_encoder(part, "quoted-printable") == CURLE_OK)
        rc = 0;
    free(crlf);
    return rc;
}

/* A message ready for curl: top-level headers and the MIME tree. */
struct built {
    struct curl_slist *headers;
    curl_mime *mime;
    char *message_id;
};

static void built_free(struct built *b)
{
    curl_slist_free_all(b->headers);
    curl_mime_free(b->mime);
    free(b->message_id);
    memset(b, 0, sizeof *b);
}

/* Asks the attachment's source for its bytes into out (emptied first).
 * 0, or -1 with o set: RETRY when the source may succeed later, FAILED when
 * the source is unknown or what the reference names is gone. */
static int fetch_source(struct mail_sender *s, struct db_conn *db, const json_t *a, strbuf *out,
                        struct outcome *o)
{
    const char *name = json_string_value(json_object_get(a, "source"));
    const char *ref = json_string_value(json_object_get(a, "ref"));
    char err[256] = "";
    strbuf_reset(out);
    for (int i = 0; i < s->nsources; i++) {
        if (!str_eq(s->sources[i].name, name))
            continue;
        int rc = s->sources[i].fetch(db, ref, s->sources[i].ud, out, err, sizeof err);
        if (rc == 0)
            return 0;
        return fail_outcome(o, rc == MAIL_SOURCE_GONE ? OUTCOME_FAILED : OUTCOME_RETRY,
                            "attachment from %s %s: %s", name, ref, err);
    }
    return fail_outcome(o, OUTCOME_FAILED, "attachment source %s: not known to this server", name);
}

/*
 * Renders the row's template set and builds the MIME message into b.
 * Problems with the row itself are permanent (FAILED): the same row will
 * never render or validate better later. Returns 0, or -1 with o set.
 */
static int build_message(struct mail_sender *s, struct db_conn *db, CURL *curl,
                         const struct outbox_row *row, struct built *b, struct outcome *o)
{
    char err[512];
    int rc = -1;
    json_t *vars = NULL;
    json_t *attachments = NULL;
    struct tmpl_set set = {0};
    struct tmpl_message msg = {0};
    char *to = NULL;
    char *subject = NULL;
    char *line = NULL;
    json_error_t jerr;
    strbuf made;
    strbuf_init(&made, MAIL_ATTACHMENTS_MAX);

    if (!mailfmt_valid_address(row->to_address)) {
        fail_outcome(o, OUTCOME_FAILED, "invalid recipient address");
        goto out;
    }
    to = mailfmt_mailbox(row->to_name, row->to_address);
    if (to == NULL) {
        fail_outcome(o, OUTCOME_FAILED, "recipient name has CR/LF or is not UTF-8");
        goto out;
    }
    vars = json_loads(row->vars, 0, &jerr);
    if (!json_is_object(vars)) {
        fail_outcome(o, OUTCOME_FAILED, "vars is not a JSON object");
        goto out;
    }
    if (s->base_url != NULL)
        json_object_set_new(vars, "base_url", json_string(s->base_url));
    attachments = json_loads(row->attachments, 0, &jerr);
    if (attachments == NULL || mail_attachments_check(attachments, err, sizeof err) != 0) {
        fail_outcome(o, OUTCOME_FAILED, "%s", attachments ? err : "attachments: invalid JSON");
        goto out;
    }
    if (tmpl_load(s->templates_dir, row->template_name, row->locale, &set, err, sizeof err) != 0 ||
        tmpl_render_set(&set, vars, &msg, err, sizeof err) != 0) {
        fail_outcome(o, OUTCOME_FAILED, "template: %s", err);
        goto out;
    }
    subject = mailfmt_encode_header_text(msg.subject);
    b->message_id = mailfmt_message_id(s->from_domain);
    if (subject == NULL || b->message_id == NULL) {
        fail_outcome(o, OUTCOME_FAILED, "cannot encode the subject or make a Message-ID");
        goto out;
    }

    char date[64];
    mailfmt_date(time_wall_ms(), date);
    bool mixed = json_array_size(attachments) > 0;
    line = xasprintf("From: %s", s->mail_from);
    slist_add(&b->headers, line);
    free(line);
    line = xasprintf("To: %s", to);
    slist_add(&b->headers, line);
    free(line);
    line = xasprintf("Subject: %s", subject);
    slist_add(&b->headers, line);
    free(line);
    line = xasprintf("Date: %s", date);
    slist_add(&b->headers, line);
    free(line);
    line = xasprintf("Message-ID: %s", b->message_id);
    slist_add(&b->headers, line);
    free(line);
    line = NULL;
    slist_add(&b->headers, "MIME-Version: 1.0");
    /* curl takes the top-level type from this header and adds the boundary;
     * without it the top level would be multipart/mixed. */
    if (!mixed)
        slist_add(&b->headers, "Content-Type: multipart/alternative");

    b->mime = curl_mime_init(curl);
    curl_mime *alt = b->mime;
    if (b->mime != NULL && mixed) {
        curl_mimepart *holder = curl_mime_addpart(b->mime);
        alt = curl_mime_init(curl);
        if (holder == NULL || alt == NULL || curl_mime_subparts(holder, alt) != CURLE_OK) {
            curl_mime_free(alt);
            alt = NULL;
        } else if (curl_mime_type(holder, "multipart/alternative") != CURLE_OK) {
            alt = NULL;
        }
    }
    if (alt == NULL || add_text_part(alt, "text/plain; charset=UTF-8", msg.text) != 0 ||
        add_text_part(alt, "text/html; charset=UTF-8", msg.html) != 0) {
        fail_outcome(o, OUTCOME_RETRY, "cannot build the MIME message");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(attachments); i++) {
        const json_t *a = json_array_get(attachments, i);
        const json_t *data = json_object_get(a, "data");
        const char *bytes = json_string_value(data);
        size_t len = json_string_length(data);
        if (data == NULL) {
            if (fetch_source(s, db, a, &made, o) != 0)
                goto out;
            bytes = made.data ? made.data : "";
            len = made.len;
        }
        curl_mimepart *part = curl_mime_addpart(b->mime);
        /* curl_mime_data copies the bytes: made is reused for the next. */
        if (part == NULL || curl_mime_data(part, bytes, len) != CURLE_OK ||
            curl_mime_filename(part, json_string_value(json_object_get(a, "filename"))) !=
                CURLE_OK ||
            curl_mime_type(part, json_string_value(json_object_get(a, "content_type"))) !=
                CURLE_OK ||
            curl_mime_encoder(part, "base64") != CURLE_OK) {
            fail_outcome(o, OUTCOME_RETRY, "cannot attach file %zu", i);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        built_free(b);
    json_decref(vars);
    json_decref(attachments);
    tmpl_set_free(&set);
    tmpl_message_free(&msg);
    free(to);
    free(subject);
    free(line);
    strbuf_free(&made);
    return rc;
}

/* Sends a built message over SMTP and classifies the result. */
static void smtp_send(struct sender_thread *t, const struct outbox_row *row, struct built *b,
                      struct outcome *o)
{
    struct mail_sender *s = t->owner;
    CURL *h = t->curl;
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    char *from = xasprintf("<%s>", s->mail_from);
    char *rcpt_line = xasprintf("<%s>", row->to_address);
    struct curl_slist *rcpt = NULL;
    slist_add(&rcpt, rcpt_line);
    free(rcpt_line);

    long connect_s =
        s->smtp_timeout_s < SMTP_CONNECT_MAX_S ? s->smtp_timeout_s : SMTP_CONNECT_MAX_S;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, s->smtp_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (!s->smtps)
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, b->headers);
    curl_easy_setopt(h, CURLOPT_MIMEPOST, b->mime);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)s->smtp_timeout_s);
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)s->smtp_timeout_s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode res = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    /* Detach what dies below from the handle kept for the next mail. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_MIMEPOST, NULL);
    curl_slist_free_all(rcpt);
    free(from);

    if (res == CURLE_OK) {
        o->kind = OUTCOME_SENT;
        o->message_id = xstrdup(b->message_id);
        return;
    }
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);
    /* A 5xx to RCPT TO is the server's final word on this address. Any
     * other failure (refused connection, timeout, 4xx, authentication) may
     * pass: retry until the attempts run out. */
    if (res == CURLE_SEND_ERROR && code >= 500 && code < 600 && str_starts_with(errbuf, "RCPT")) {
        fail_outcome(o, OUTCOME_FAILED, "smtp: recipient refused (%ld)", code);
        return;
    }
    if (code > 0)
        fail_outcome(o, OUTCOME_RETRY, "smtp: %s (last reply %ld)", detail, code);
    else
        fail_outcome(o, OUTCOME_RETRY, "smtp: %s", detail);
}

static void log_outcome(const struct sender_thread *t, const struct outbox_row *row,
                        const struct outcome *o, double ms)
{
    strbuf f;
    strbuf_init(&f, 4096);
    strbuf_printf(&f, "\"mail_id\":%s,\"template\":", row->id);
    log_json_string(&f, row->template_name);
    strbuf_puts(&f, ",\"to\":");
    log_json_string(&f, row->to_address);
    strbuf_printf(&f, ",\"attempt\":%d,\"thread\":%d,\"ms\":%.1f", row->attempts, t->index, ms);
    const char *msg = "mail sent";
    enum log_level level = LOG_INFO;
    if (o->kind == OUTCOME_SENT) {
        strbuf_puts(&f, ",\"message_id\":");
        log_json_string(&f, o->message_id);
    } else {
        strbuf_puts(&f, ",\"error\":");
        log_json_string(&f, o->error);
        if (o->kind == OUTCOME_RETRY) {
            strbuf_printf(&f, ",\"retry_in_ms\":%ld", o->delay_ms);
            msg = "mail delayed";
            level = LOG_WARN;
        } else {
            msg = "mail failed";
            level = LOG_ERROR;
        }
    }
    log_fields(level, msg, strbuf_cstr(&f));
    strbuf_free(&f);
}

/* Works one claimed row to an outcome (not yet recorded). */
static void process_row(struct sender_thread *t, const struct outbox_row *row, struct outcome *o)
{
    struct mail_sender *s = t->owner;
    uint64_t t0 = time_mono_ns();
    o->id = xstrdup(row->id);
    if (row->attempts > s->max_attempts) {
        /* Claimed again after sends that never reported back (a crash
         * mid-send): do not let one poisonous mail loop forever. */
        fail_outcome(o, OUTCOME_FAILED, "gave up after %d attempts (interrupted sends)",
                     row->attempts - 1);
    } else {
        struct built b = {0};
        if (build_message(s, t->db, t->curl, row, &b, o) == 0)
            smtp_send(t, row, &b, o);
        built_free(&b);
    }
    if (o->kind == OUTCOME_RETRY) {
        if (row->attempts >= s->max_attempts) {
            char last[sizeof o->error];
            memcpy(last, o->error, sizeof last);
            fail_outcome(o, OUTCOME_FAILED, "gave up after %d attempts: %s", row->attempts, last);
        } else {
            o->delay_ms =
                mail_backoff_ms(row->attempts, s->backoff_ms, BACKOFF_CAP_MS, randombytes_random());
        }
    }
    log_outcome(t, row, o, (double)(time_mono_ns() - t0) / 1e6);
}

/* ---- Sender threads ---- */

/* Drops the connection after a failure and waits before the next try. */
static void db_failed(struct sender_thread *t, const char *what)
{
    struct mail_sender *s = t->owner;
    if (!t->db_down) {
        log_warn("mail sender %d: database %s failed; reconnecting with backoff", t->index, what);
        t->db_down = true;
    }
    db_close(t->db);
    t->db = NULL;
    nap(s, t->reconnect_ms);
    t->reconnect_ms =
        t->reconnect_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : t->reconnect_ms * 2;
}

static int connect_and_listen(struct sender_thread *t)
{
    struct mail_sender *s = t->owner;
    char err[512];
    t->db = db_connect(s->conninfo, s->db_connect_timeout_s, err, sizeof err);
    if (t->db == NULL) {
        if (!t->db_down)
            log_warn("mail sender %d: cannot connect to the database: %s", t->index, err);
        t->db_down = true;
        return -1;
    }
    if (db_listen(t->db, LISTEN_CHANNEL) != 0)
        return -1;
    /* Hold this thread's lock for as long as the connection lives. A key
     * another connection holds (a 1 in 2^63 chance) is simply not ours:
     * draw another. */
    for (int tries = 0;; tries++) {
        if (t->lock_key[0] == '\0' || tries > 0) {
            uint64_t k = 0;
            randombytes_buf(&k, sizeof k);
            snprintf(t->lock_key, sizeof t->lock_key, "%llu", (unsigned long long)((k >> 1) | 1u));
        }
        const char *p[] = {t->lock_key};
        struct db_result *r = db_query(t->db, "SELECT pg_try_advisory_lock($1::bigint)", 1, p);
        if (r == NULL)
            return -1;
        bool locked = str_eq(db_value(r, 0, 0), "t");
        db_result_free(r);
        if (locked)
            break;
        if (tries >= 8)
            return -1;
    }
    if (t->db_down)
        log_info("mail sender %d: database connection restored", t->index);
    t->db_down = false;
    return 0;
}

/* Waits up to ms for a NOTIFY, checking for stop every slice. 1 notified,
 * 0 timeout or stop, -1 connection lost. */
static int wait_for_work(struct sender_thread *t, long ms)
{
    uint64_t end = time_mono_ns() + (uint64_t)ms * 1000000u;
    while (!stopping(t->owner)) {
        uint64_t now = time_mono_ns();
        if (now >= end)
            return 0;
        long left = (long)((end - now) / 1000000u);
        int rc =
            db_wait_notify(t->db, left < NOTIFY_SLICE_MS ? (int)left : NOTIFY_SLICE_MS, NULL, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void *sender_main(void *arg)
{
    struct sender_thread *t = arg;
    struct mail_sender *s = t->owner;
    struct outcome unrecorded = {0};
    t->reconnect_ms = RECONNECT_MIN_MS;

    while (!stopping(s)) {
        if (t->db == NULL && connect_and_listen(t) != 0) {
            db_failed(t, "connect");
            continue;
        }
        /* An outcome whose UPDATE was lost with the connection goes first,
         * so a mail that was sent is not sent again. */
        if (unrecorded.kind != OUTCOME_NONE) {
            if (record_outcome(t->db, &unrecorded) != 0) {
                db_failed(t, "update");
                continue;
            }
            outcome_clear(&unrecorded);
        }
        struct outbox_row row = {0};
        int got = claim_row(t->db, t->lock_key, &row);
        if (got < 0) {
            db_failed(t, "claim");
            continue;
        }
        t->reconnect_ms = RECONNECT_MIN_MS;
        if (got == 1) {
            process_row(t, &row, &unrecorded);
            row_free(&row);
            if (record_outcome(t->db, &unrecorded) != 0) {
                db_failed(t, "update");
                continue;
            }
            outcome_clear(&unrecorded);
            continue;
        }
        long wait = next_due_ms(t->db, s->poll_ms);
        if (wait < 0 || wait_for_work(t, wait) < 0)
            db_failed(t, "wait");
    }
    if (unrecorded.kind != OUTCOME_NONE) {
        log_warn("mail sender %d: stopping with the outcome of mail %s unrecorded; it will be "
                 "retried after its claim expires",
                 t->index, unrecorded.id);
        outcome_clear(&unrecorded);
    }
    db_close(t->db);
    t->db = NULL;
    return NULL;
}

/* ---- Start and stop ---- */

static void sender_free(struct mail_sender *s)
{
    for (int i = 0; i < s->nthreads; i++)
        curl_easy_cleanup(s->threads[i].curl);
    free(s->threads);
    free(s->conninfo);
    free(s->smtp_url);
    free(s->smtp_url_log);
    free(s->mail_from);
    free(s->from_domain);
    free(s->templates_dir);
    free(s->base_url);
    free(s->sources);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

struct mail_sender *mail_sender_start(const struct mail_sender_config *cfg)
{
    if (cfg->conninfo == NULL || cfg->smtp_url == NULL || cfg->templates_dir == NULL ||
        cfg->threads < 1 || cfg->max_attempts < 1) {
        log_error("mail: incomplete sender settings");
        return NULL;
    }
    bool smtps = str_starts_with(cfg->smtp_url, "smtps://");
    if (!smtps && !str_starts_with(cfg->smtp_url, "smtp://")) {
        log_error("mail: the SMTP URL must start with smtp:// or smtps://");
        return NULL;
    }
    if (cfg->mail_from == NULL || !valid_sender_address(cfg->mail_from)) {
        log_error("mail: sender address \"%s\" is not a plain address",
                  cfg->mail_from ? cfg->mail_from : "");
        return NULL;
    }
    if (cfg->base_url != NULL && !str_valid_utf8(cfg->base_url, strlen(cfg->base_url))) {
        log_error("mail: the base URL is not UTF-8");
        return NULL;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("mail: cannot initialise libsodium or libcurl");
        return NULL;
    }

    struct mail_sender *s = xcalloc(1, sizeof *s);
    s->conninfo = xstrdup(cfg->conninfo);
    s->smtp_url = xstrdup(cfg->smtp_url);
    s->smtp_url_log = redact_url(cfg->smtp_url);
    s->mail_from = xstrdup(cfg->mail_from);
    s->from_domain = xstrdup(strrchr(cfg->mail_from, '@') + 1);
    s->templates_dir = xstrdup(cfg->templates_dir);
    s->base_url = cfg->base_url ? xstrdup(cfg->base_url) : NULL;
    s->smtps = smtps;
    if (cfg->nsources > 0) {
        s->sources = xcalloc((size_t)cfg->nsources, sizeof *s->sources);
        memcpy(s->sources, cfg->sources, (size_t)cfg->nsources * sizeof *s->sources);
        s->nsources = cfg->nsources;
    }
    s->max_attempts = cfg->max_attempts;
    s->db_connect_timeout_s =
        cfg->db_connect_timeout_s > 0 ? cfg->db_connect_timeout_s : DB_TIMEOUT_DEFAULT;
    s->smtp_timeout_s = cfg->smtp_timeout_s > 0 ? cfg->smtp_timeout_s : SMTP_TIMEOUT_S;
    s->backoff_ms = env_ms("CONVENE_MAIL_BACKOFF_MS", BACKOFF_DEFAULT_MS, 1, BACKOFF_CAP_MS);
    s->poll_ms = env_ms("CONVENE_MAIL_POLL_MS", POLL_DEFAULT_MS, 100, 600000);
    atomic_init(&s->stopping, false);
    pthread_mutex_init(&s->mu, NULL);
    time_cond_init(&s->cv);
    s->threads = xcalloc((size_t)cfg->threads, sizeof *s->threads);

    /* Threads inherit the creator's mask: block everything while creating
     * them so SIGTERM/SIGINT always reach main's sigwait. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < cfg->threads; i++) {
        struct sender_thread *t = &s->threads[i];
        t->owner = s;
        t->index = i;
        t->curl = curl_easy_init();
        if (t->curl == NULL || pthread_create(&t->tid, NULL, sender_main, t) != 0) {
            curl_easy_cleanup(t->curl);
            t->curl = NULL;
            log_error("mail: cannot start sender thread %d", i);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            mail_sender_stop(s);
            return NULL;
        }
        s->nthreads = i + 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    log_info("mail: %d sender thread%s for %s, from %s, first retry after %ld ms", s->nthreads,
             s->nthreads == 1 ? "" : "s", s->smtp_url_log, s->mail_from, s->backoff_ms);
    return s;
}

void mail_sender_stop(struct mail_sender *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stopping, true);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i].tid, NULL);
    sender_free(s);
    curl_global_cleanup();
}

/* ---- Admin ---- */

json_t *mail_outbox_list(struct db_conn *c, const char *status, int limit, int offset)
{
    if (status != NULL && !str_eq(status, "pending") && !str_eq(status, "sending") &&
        !str_eq(status, "sent") && !str_eq(status, "failed"))
        return NULL;
    if (limit < 1 || limit > 500 || offset < 0)
        return NULL;
    char lim[16], off[16];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(off, sizeof off, "%d", offset);
    const char *params[] = {status, lim, off};
    struct db_result *r = db_query(
        c,
        "WITH f AS (SELECT * FROM mail_outbox WHERE $1::text IS NULL OR status = $1::text), "
        "page AS (SELECT id, template, to_address, status, attempts, last_error, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
        "AS created_at, "
        "to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS sent_at, "
        "to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
        "AS next_attempt_at "
        "FROM f ORDER BY id DESC LIMIT $2::int OFFSET $3::int) "
        "SELECT json_build_object('items', coalesce((SELECT json_agg(page ORDER BY id DESC) "
        "FROM page), '[]'::json), 'total', (SELECT count(*) FROM f), "
        "'counts', (SELECT json_object_agg(k.st, (SELECT count(*) FROM mail_outbox o "
        "WHERE o.status = k.st) ORDER BY k.n) FROM unnest(ARRAY['pending', 'sending', "
        "'sent', 'failed']) WITH ORDINALITY AS k(st, n)))::text",
        3, params);
    if (r == NULL)
        return NULL;
    const char *text = db_value(r, 0, 0);
    json_t *out = text ? json_loads(text, 0, NULL) : NULL;
    db_result_free(r);
    return out;
}

int mail_outbox_retry(struct db_conn *c, long id)
{
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%ld", id);
    const char *params[] = {idtext};
    /* The insert trigger only fires on INSERT; notify here so a sender
     * takes the row at commit instead of at its next poll. */
    struct db_result *r =
        db_query(c,
                 "WITH u AS (UPDATE mail_outbox SET status = 'pending', attempts = 0, "
                 "next_attempt_at = now(), locked_until = NULL "
                 "WHERE id = $1::bigint AND status = 'failed' RETURNING id) "
                 "SELECT pg_notify('mail_outbox', id::text) FROM u",
                 1, params);
    if (r == NULL)
        return -1;
    int n = db_nrows(r);
    db_result_free(r);
    return n;
}
