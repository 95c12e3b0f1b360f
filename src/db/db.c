/*
 * db.c - connection pool, lazy prepared statements, query helpers and COPY
 * streaming over libpq. See db.h for the contracts.
 */
#include "db/db.h"

#include "base/log.h"
#include "base/metrics.h"
#include "base/util.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a failed connect makes further attempts fail at once. Short, so
 * that service comes back quickly once the database does. */
#define CONNECT_BACKOFF_NS (200ull * 1000 * 1000)

struct statement {
    const char *name;
    const char *sql;
};

static struct statement statements[DB_MAX_STATEMENTS];
static int nstatements;

struct db_conn {
    PGconn *pg;
    struct db_pool *pool; /* NULL for standalone connections */
    bool in_use;
    bool prepared[DB_MAX_STATEMENTS];
    char err_state[6];
    char err_msg[256];
    char err_column[64];
    char err_constraint[64];
    char err_detail[512];
    bool err_connection;
    /* It sent or received a message larger than DB_BUFFER_KEEP: libpq
     * grows a connection's output buffer to the largest message it sent
     * and its input buffer to the largest it read (a whole row of a
     * result, a row of a COPY), and shrinks neither while the connection
     * lives; so the connection is closed when it is given back rather than
     * keep that memory for good (the pool connects afresh when needed). */
    bool oversized;
};

/* The largest message (binary parameters sent; a row read) after which a
 * pooled connection is still kept: its buffers then stay under about
 * twice this (libpq doubles them), for the life of the connection. The
 * rows the server reads are far smaller (a download's slice is 64 KiB,
 * src/awards/files.c); a larger one is rare enough that a reconnect
 * costs less than the memory. */
#define DB_BUFFER_KEEP (1024 * 1024)

struct db_pool {
    char *conninfo;
    int connect_timeout_s;
    int wait_ms;
    int size;
    struct db_conn *conns;
    pthread_mutex_t mu;
    pthread_cond_t freed;
    int in_use;
    int waiting;
    uint64_t down_until_ns; /* fail fast until then after a failed connect */
};

/* ---- Statements ---- */

int db_register(const char *name, const char *sql)
{
    if (nstatements == DB_MAX_STATEMENTS)
        return -1;
    for (int i = 0; i < nstatements; i++) {
        if (str_eq(statements[i].name, name))
            return -1;
    }
    statements[nstatements].name = name;
    statements[nstatements].sql = sql;
    return nstatements++;
}

/* ---- Connections ---- */

static void clear_error(struct db_conn *c)
{
    c->err_state[0] = '\0';
    c->err_msg[0] = '\0';
    c->err_column[0] = '\0';
    c->err_constraint[0] = '\0';
    c->err_detail[0] = '\0';
    c->err_connection = false;
}

static void set_error(struct db_conn *c, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *column = res ? PQresultErrorField(res, PG_DIAG_COLUMN_NAME) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    snprintf(c->err_detail, sizeof c->err_detail, "%s", detail ? detail : "");
    snprintf(c->err_state, sizeof c->err_state, "%s", state ? state : "");
    snprintf(c->err_column, sizeof c->err_column, "%s", column ? column : "");
    snprintf(c->err_constraint, sizeof c->err_constraint, "%s", constraint ? constraint : "");
    snprintf(c->err_msg, sizeof c->err_msg, "%s",
             msg ? msg : (c->pg ? PQerrorMessage(c->pg) : "no connection"));
    size_t n = strlen(c->err_msg);
    while (n > 0 && (c->err_msg[n - 1] == '\n' || c->err_msg[n - 1] == ' '))
        c->err_msg[--n] = '\0';
    c->err_connection = c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK;
    metrics_db_error();
    /* Constraint violations are expected outcomes (duplicates, capacity);
     * the caller decides how loud they are. Everything else is logged. */
    if (state && str_starts_with(state, "23"))
        return;
    strbuf f;
    strbuf_init(&f, 4096);
    strbuf_puts(&f, "\"sqlstate\":");
    log_json_string(&f, c->err_state);
    strbuf_puts(&f, ",\"error\":");
    log_json_string(&f, c->err_msg);
    strbuf_puts(&f, ",\"statement\":");
    log_json_string(&f, what);
    log_fields(LOG_WARN, "database error", strbuf_cstr(&f));
    strbuf_free(&f);
}

/* Server notices (e.g. "relation already exists, skipping") are chatter,
 * not errors: keep them out of stderr unless debugging. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", message);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("database notice: %s", msg);
}

static PGconn *open_pg(const char *conninfo, int timeout_s)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", timeout_s);
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "client_encoding", NULL};
    const char *vals[] = {conninfo, timeout, "convene", "UTF8", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    PQsetNoticeProcessor(pg, on_notice, NULL);
    return pg;
}

struct db_conn *db_connect(const char *conninfo, int connect_timeout_s, char *err, size_t errlen)
{
    PGconn *pg = open_pg(conninfo, connect_timeout_s);
    if (PQstatus(pg) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(pg));
        size_t n = strlen(err);
        while (n > 0 && err[n - 1] == '\n')
            err[--n] = '\0';
        PQfinish(pg);
        return NULL;
    }
    struct db_conn *c = xcalloc(1, sizeof *c);
    c->pg = pg;
    return c;
}

void db_close(struct db_conn *c)
{
    if (c == NULL)
        return;
    if (c->pg)
        PQfinish(c->pg);
    free(c);
}

static void drop_pg(struct db_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    c->oversized = false;
    memset(c->prepared, 0, sizeof c->prepared);
}

/* ---- Pool ---- */

struct db_pool *db_pool_new(const struct db_pool_config *cfg)
{
    struct db_pool *p = xcalloc(1, sizeof *p);
    p->conninfo = xstrdup(cfg->conninfo);
    p->size = cfg->size > 0 ? cfg->size : 1;
    p->wait_ms = cfg->wait_ms;
    p->connect_timeout_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 2;
    p->conns = xcalloc((size_t)p->size, sizeof *p->conns);
    for (int i = 0; i < p->size; i++)
        p->conns[i].pool = p;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->freed, NULL);
    return p;
}

void db_pool_free(struct db_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->size; i++)
        drop_pg(&p->conns[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->freed);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

static struct db_conn *take_free(struct db_pool *p)
{
    /* Prefer a slot that is already connected. */
    struct db_conn *fallback = NULL;
    for (int i = 0; i < p->size; i++) {
        struct db_conn *c = &p->conns[i];
        if (c->in_use)
            continue;
        if (c->pg)
            return c;
        if (fallback == NULL)
            fallback = c;
    }
    return fallback;
}

static void give_back(struct db_pool *p, struct db_conn *c)
{
    pthread_mutex_lock(&p->mu);
    c->in_use = false;
    p->in_use--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
}

/*
 * Whether a pooled connection, idle since its last use, can still be used.
 * A server that went away (restart, crash, idle timeout) leaves its
 * farewell in the socket: an error message, then end of file. Nothing
 * else arrives unasked on an idle pooled connection (it LISTENs on
 * nothing), so any input at all means: do not use it, connect afresh. One
 * poll() that does not wait; far cheaper than a failed request.
 */
static bool idle_and_alive(PGconn *pg)
{
    if (PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) != PQTRANS_IDLE)
        return false;
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    if (pfd.fd < 0)
        return false;
    int rc = poll(&pfd, 1, 0);
    return rc == 0 || (rc < 0 && errno == EINTR);
}

struct db_conn *db_acquire(struct db_pool *p)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += p->wait_ms / 1000;
    deadline.tv_nsec += (long)(p->wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&p->mu);
    if (time_mono_ns() < p->down_until_ns) {
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    struct db_conn *c = take_free(p);
    while (c == NULL) {
        p->waiting++;
        int rc = pthread_cond_timedwait(&p->freed, &p->mu, &deadline);
        p->waiting--;
        c = take_free(p);
        if (c == NULL && rc != 0) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
    }
    c->in_use = true;
    p->in_use++;
    pthread_mutex_unlock(&p->mu);

    if (c->pg && !idle_and_alive(c->pg)) {
        log_info("a pooled database connection was closed by the server; reconnecting");
        drop_pg(c);
    }
    if (c->pg == NULL) {
        c->pg = open_pg(p->conninfo, p->connect_timeout_s);
        bool ok = PQstatus(c->pg) == CONNECTION_OK;
        metrics_db_connect(ok);
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s", PQerrorMessage(c->pg));
            msg[strcspn(msg, "\n")] = '\0';
            drop_pg(c);
            pthread_mutex_lock(&p->mu);
            p->down_until_ns = time_mono_ns() + CONNECT_BACKOFF_NS;
            pthread_mutex_unlock(&p->mu);
            log_warn("cannot connect to the database: %s", msg);
            give_back(p, c);
            return NULL;
        }
    }
    clear_error(c);
    return c;
}

void db_release(struct db_conn *c)
{
    if (c == NULL)
        return;
    if (c->pg && (PQstatus(c->pg) != CONNECTION_OK || c->oversized))
        drop_pg(c);
    if (c->pg) {
        PGTransactionStatusType ts = PQtransactionStatus(c->pg);
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
            PGresult *res = PQexec(c->pg, "ROLLBACK");
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                drop_pg(c);
            PQclear(res);
        } else if (ts != PQTRANS_IDLE) {
            drop_pg(c); /* a command still active or unknown state */
        }
    }
    if (c->pool == NULL)
        return;
    give_back(c->pool, c);
}

/* "X/Y" (a pg_lsn's text) as one number; 0 when it is not one. */
static uint64_t parse_lsn(const char *s)
{
    if (s == NULL)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long hi = strtoull(s, &end, 16);
    if (end == s || *end != '/' || errno != 0 || hi > 0xffffffffULL)
        return 0;
    const char *lo_text = end + 1;
    unsigned long long lo = strtoull(lo_text, &end, 16);
    if (end == lo_text || *end != '\0' || errno != 0 || lo > 0xffffffffULL)
        return 0;
    return ((uint64_t)hi << 32) | (uint64_t)lo;
}

uint64_t db_wal_lsn(struct db_conn *c)
{
    struct db_result *r =
        db_query(c,
                 "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                 "ELSE pg_current_wal_insert_lsn() END",
                 0, NULL);
    uint64_t lsn = parse_lsn(db_value(r, 0, 0));
    db_result_free(r);
    return lsn;
}

/* Whether c may answer a read that must see the primary's WAL up to
 * min_lsn: a primary always may, a standby once it has replayed that far.
 * Sets *standby. */
static bool caught_up(struct db_conn *c, uint64_t min_lsn, bool *standby)
{
    char lsn[40];
    snprintf(lsn, sizeof lsn, "%X/%X", (unsigned)(min_lsn >> 32),
             (unsigned)(min_lsn & 0xffffffffu));
    const char *p[] = {lsn};
    struct db_result *r = db_query(c,
                                   "SELECT pg_is_in_recovery(), "
                                   "coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)",
                                   1, p);
    *standby = r != NULL && str_eq(db_value(r, 0, 0), "t");
    bool ok = r != NULL && (!*standby || str_eq(db_value(r, 0, 1), "t"));
    db_result_free(r);
    return ok;
}

struct db_conn *db_acquire_read(struct db_pool *read, struct db_pool *primary, uint64_t min_lsn,
                                bool *on_standby)
{
    bool standby = false;
    struct db_conn *c = read ? db_acquire(read) : NULL;
    if (c != NULL && !caught_up(c, min_lsn, &standby)) {
        db_release(c);
        c = NULL;
        standby = false;
    }
    if (c == NULL)
        c = db_acquire(primary);
    if (c != NULL)
        metrics_db_read(standby);
    if (on_standby)
        *on_standby = standby;
    return c;
}

void db_pool_stats(struct db_pool *p, struct db_pool_stats *out)
{
    pthread_mutex_lock(&p->mu);
    out->size = p->size;
    out->in_use = p->in_use;
    out->waiting = p->waiting;
    out->connected = 0;
    for (int i = 0; i < p->size; i++) {
        if (p->conns[i].pg)
            out->connected++;
    }
    pthread_mutex_unlock(&p->mu);
}

/* ---- Queries ---- */

/* Whether a row of res was larger than DB_BUFFER_KEEP on the wire (libpq
 * read it whole into the connection's input buffer: each value and its
 * 4-byte length). A result whose memory is smaller has no such row, so
 * the rows are summed only for the rare large result. */
static bool has_large_row(const PGresult *res)
{
    if (PQresultMemorySize(res) <= DB_BUFFER_KEEP)
        return false;
    int rows = PQntuples(res), cols = PQnfields(res);
    for (int i = 0; i < rows; i++) {
        size_t bytes = 0;
        for (int j = 0; j < cols; j++)
            bytes += 4 + (size_t)PQgetlength(res, i, j);
        if (bytes > DB_BUFFER_KEEP)
            return true;
    }
    return false;
}

/* Turns a PGresult into our result, or records the error and returns NULL. */
static struct db_result *finish(struct db_conn *c, PGresult *res, const char *what)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (st == PGRES_TUPLES_OK && has_large_row(res))
            c->oversized = true;
        return (struct db_result *)res;
    }
    set_error(c, res, what);
    PQclear(res);
    if (c->err_connection)
        drop_pg(c);
    return NULL;
}

static bool usable(struct db_conn *c)
{
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
        return true;
    set_error(c, NULL, "(no connection)");
    c->err_connection = true;
    return false;
}

/* Prepares stmt on c the first time it runs there. 0, or -1 with the
 * error recorded. */
static int ensure_prepared(struct db_conn *c, int stmt)
{
    clear_error(c);
    if (stmt < 0 || stmt >= nstatements) {
        snprintf(c->err_msg, sizeof c->err_msg, "unknown statement %d", stmt);
        return -1;
    }
    if (!usable(c))
        return -1;
    const struct statement *s = &statements[stmt];
    if (!c->prepared[stmt]) {
        PGresult *res = PQprepare(c->pg, s->name, s->sql, 0, NULL);
        struct db_result *r = finish(c, res, s->name);
        if (r == NULL)
            return -1;
        db_result_free(r);
        c->prepared[stmt] = true;
    }
    return 0;
}

struct db_result *db_run(struct db_conn *c, int stmt, int nparams, const char *const *params)
{
    if (ensure_prepared(c, stmt) != 0)
        return NULL;
    const struct statement *s = &statements[stmt];
    PGresult *res = PQexecPrepared(c->pg, s->name, nparams, params, NULL, NULL, 0);
    return finish(c, res, s->name);
}

struct db_result *db_run_params(struct db_conn *c, int stmt, int nparams, const char *const *values,
                                const int *lengths, const int *binary, bool binary_result)
{
    if (ensure_prepared(c, stmt) != 0)
        return NULL;
    const struct statement *s = &statements[stmt];
    size_t bytes = 0;
    for (int i = 0; i < nparams && lengths && binary; i++)
        bytes += binary[i] && lengths[i] > 0 ? (size_t)lengths[i] : 0;
    if (bytes > DB_BUFFER_KEEP)
        c->oversized = true;
    PGresult *res =
        PQexecPrepared(c->pg, s->name, nparams, values, lengths, binary, binary_result ? 1 : 0);
    return finish(c, res, s->name);
}

struct db_result *db_query(struct db_conn *c, const char *sql, int nparams,
                           const char *const *params)
{
    clear_error(c);
    if (!usable(c))
        return NULL;
    PGresult *res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    return finish(c, res, sql);
}

int db_exec(struct db_conn *c, const char *sql)
{
    struct db_result *r = db_query(c, sql, 0, NULL);
    db_result_free(r);
    return r ? 0 : -1;
}

int db_exec_script(struct db_conn *c, const char *sql)
{
    clear_error(c);
    if (!usable(c))
        return -1;
    PGresult *res = PQexec(c->pg, sql);
    struct db_result *r = finish(c, res, "(script)");
    db_result_free(r);
    return r ? 0 : -1;
}

int db_begin(struct db_conn *c)
{
    return db_exec(c, "BEGIN");
}

int db_commit(struct db_conn *c)
{
    return db_exec(c, "COMMIT");
}

int db_rollback(struct db_conn *c)
{
    return db_exec(c, "ROLLBACK");
}

const char *db_error_state(const struct db_conn *c)
{
    return c->err_state;
}

const char *db_error_message(const struct db_conn *c)
{
    return c->err_msg;
}

const char *db_error_column(const struct db_conn *c)
{
    return c->err_column;
}

const char *db_error_constraint(const struct db_conn *c)
{
    return c->err_constraint;
}

const char *db_error_detail(const struct db_conn *c)
{
    return c->err_detail;
}

bool db_error_is_connection(const struct db_conn *c)
{
    return c->err_connection;
}

/* ---- Results ---- */

int db_nrows(const struct db_result *r)
{
    return r ? PQntuples((const PGresult *)r) : 0;
}

int db_ncols(const struct db_result *r)
{
    return r ? PQnfields((const PGresult *)r) : 0;
}

long db_affected(const struct db_result *r)
{
    if (r == NULL)
        return 0;
    const char *s = PQcmdTuples((PGresult *)r);
    return s && *s ? strtol(s, NULL, 10) : 0;
}

const char *db_value(const struct db_result *r, int row, int col)
{
    const PGresult *res = (const PGresult *)r;
    if (r == NULL || row < 0 || col < 0 || row >= PQntuples(res) || col >= PQnfields(res))
        return NULL;
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

size_t db_value_len(const struct db_result *r, int row, int col)
{
    const PGresult *res = (const PGresult *)r;
    if (r == NULL || row < 0 || col < 0 || row >= PQntuples(res) || col >= PQnfields(res))
        return 0;
    return (size_t)PQgetlength(res, row, col);
}

int db_col(const struct db_result *r, const char *name)
{
    return r ? PQfnumber((const PGresult *)r, name) : -1;
}

void db_result_free(struct db_result *r)
{
    PQclear((PGresult *)r);
}

/* ---- COPY out ---- */

/* COPY sends one message per row; the sink gets them in batches of about
 * this size (a chunk of an HTTP answer each, not one per row). */
#define COPY_BATCH (64 * 1024)

int db_copy_out(struct db_conn *c, const char *sql, db_copy_sink sink, void *ud)
{
    clear_error(c);
    if (!usable(c))
        return -1;
    PGresult *res = PQexec(c->pg, sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        set_error(c, res, sql);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    strbuf batch;
    strbuf_init(&batch, 0);
    int status = 0;
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(c->pg, &buf, 0);
        if (n > 0) {
            if ((size_t)n > DB_BUFFER_KEEP)
                c->oversized = true;
            strbuf_append(&batch, buf, (size_t)n);
            PQfreemem(buf);
            if (batch.len < COPY_BATCH)
                continue;
            int rc = sink(strbuf_cstr(&batch), batch.len, ud);
            strbuf_reset(&batch);
            if (rc != 0) {
                /* The client went away: stop reading; dropping the
                 * connection is the only way to abandon a COPY OUT. */
                strbuf_free(&batch);
                drop_pg(c);
                return -1;
            }
            continue;
        }
        if (n == -2) {
            set_error(c, NULL, sql);
            strbuf_free(&batch);
            drop_pg(c);
            return -1;
        }
        break; /* -1: copy done */
    }
    if (batch.len > 0 && sink(strbuf_cstr(&batch), batch.len, ud) != 0)
        status = -1;
    strbuf_free(&batch);
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            set_error(c, res, sql);
            status = -1;
        }
        PQclear(res);
    }
    return status;
}

char *db_literal(struct db_conn *c, const char *s)
{
    if (!usable(c))
        return NULL;
    char *q = PQescapeLiteral(c->pg, s, strlen(s));
    if (q == NULL)
        return NULL;
    char *out = xstrdup(q);
    PQfreemem(q);
    return out;
}

/* ---- LISTEN / NOTIFY ---- */

int db_listen(struct db_conn *c, const char *channel)
{
    for (const char *p = channel; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9')))
            return -1;
    }
    char *sql = xasprintf("LISTEN %s", channel);
    int rc = db_exec(c, sql);
    free(sql);
    return rc;
}

/* Drains queued notifications, telling fired of each; returns how many
 * there were. */
static int drain_notifies(struct db_conn *c, db_notify_fn fired, void *ud)
{
    int n = 0;
    PGnotify *note;
    while ((note = PQnotifies(c->pg)) != NULL) {
        if (fired)
            fired(note->relname, ud);
        PQfreemem(note);
        n++;
    }
    return n;
}

int db_wait_notify(struct db_conn *c, int timeout_ms, db_notify_fn fired, void *ud)
{
    if (!usable(c))
        return -1;
    if (PQconsumeInput(c->pg) == 0)
        return -1;
    int n = drain_notifies(c, fired, ud);
    if (n > 0)
        return n;
    struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
    if (pfd.fd < 0)
        return -1;
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc <= 0)
        return 0; /* timeout, or interrupted: treat as a timeout */
    if (PQconsumeInput(c->pg) == 0 || PQstatus(c->pg) != CONNECTION_OK)
        return -1;
    return drain_notifies(c, fired, ud);
}
