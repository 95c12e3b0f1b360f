/*
 * db.h - the only door to PostgreSQL (libpq).
 *
 * A bounded pool of connections, separate from the HTTP worker threads: a
 * request borrows a connection for its database work only and gives it back
 * at once. Statements are registered once at start-up and prepared lazily on
 * each connection the first time they run there. Broken connections are
 * reconnected; a connection returned inside a transaction is rolled back.
 * When the database is unreachable or the pool is saturated, db_acquire
 * fails fast (NULL) so the caller can answer 503 instead of hanging.
 *
 * Every result handed out must be freed with db_result_free.
 */
#ifndef CONVENE_DB_H
#define CONVENE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_pool;
struct db_conn;
struct db_result;

#define DB_MAX_STATEMENTS 256

/* ---- Statements ---- */

/*
 * Registers a statement to be prepared as `name` with the text `sql`
 * ($1..$n parameters, passed as text by db_run, text or binary by
 * db_run_params). Call before any query runs (at
 * start-up, single-threaded). Both strings must outlive the process (string
 * literals). Returns a handle for db_run, or -1 when the table is full or
 * the name is taken.
 */
int db_register(const char *name, const char *sql);

/* ---- Pool ---- */

struct db_pool_config {
    const char *conninfo;  /* libpq conninfo or URI; copied */
    int size;              /* connections, >= 1 */
    int wait_ms;           /* wait for a free connection before giving up */
    int connect_timeout_s; /* libpq connect_timeout */
};

/* Creates a pool; connects lazily. Never NULL. */
struct db_pool *db_pool_new(const struct db_pool_config *cfg);
/* Closes every connection and frees the pool. All connections must have
 * been released. Accepts NULL. */
void db_pool_free(struct db_pool *p);

/*
 * Borrows a connected connection. A connection the server closed while it
 * sat idle in the pool (a PostgreSQL restart) is noticed here, without a
 * round trip, and replaced by a new one: a restart costs no request.
 * Returns NULL when none is free within wait_ms, or when the database
 * cannot be reached (a failed connect makes
 * further attempts fail at once for a short back-off, so an outage costs
 * callers no time). Never blocks longer than wait_ms + connect_timeout.
 */
struct db_conn *db_acquire(struct db_pool *p);
/* Returns a connection to its pool, rolling back an open transaction and
 * dropping a broken connection. A connection that sent a message (binary
 * parameters) or read one (a result's row, a COPY row) of more than 1 MiB
 * is closed too: libpq grows its buffers to the largest message and keeps
 * them for the connection's life, so such a connection would hold that
 * memory for good; the pool opens another when needed. Accepts NULL. */
void db_release(struct db_conn *c);

/*
 * Borrows a connection for a read that may lag behind the primary (the
 * public catalogue, the gallery, published results): from `read` (a pool
 * on a replica, or on a libpq multi-host string with
 * target_session_attrs=prefer-standby) when it is set, reachable and has
 * replayed the primary's WAL up to min_lsn (0: no such need), else from
 * `primary`. A replica that is down or behind thus costs no answer and
 * never a stale one. read may be NULL. *on_standby (may be NULL) tells
 * whether the connection is to a server in recovery. Same NULL contract
 * as db_acquire on `primary`.
 */
struct db_conn *db_acquire_read(struct db_pool *read, struct db_pool *primary, uint64_t min_lsn,
                                bool *on_standby);

/* The primary's current WAL insert position (pg_current_wal_insert_lsn:
 * past every commit it acknowledged, even with synchronous_commit=off,
 * which answers before the commit record is written), as a number; 0 when
 * it cannot be read (a server in recovery answers its replay position). */
uint64_t db_wal_lsn(struct db_conn *c);

struct db_pool_stats {
    int size, in_use, waiting, connected;
};
void db_pool_stats(struct db_pool *p, struct db_pool_stats *out);

/* ---- Standalone connections (migrations, command line, LISTEN) ---- */

/* Connects outside any pool. NULL on failure, with the reason in err. */
struct db_conn *db_connect(const char *conninfo, int connect_timeout_s, char *err, size_t errlen);
/* Closes a standalone connection. Accepts NULL. */
void db_close(struct db_conn *c);

/* ---- Queries ---- */

/*
 * Runs a registered statement with text parameters (NULL entries are SQL
 * NULLs). Returns a result for commands and queries that succeeded, NULL
 * on failure (see db_error_*). The caller frees the result.
 */
struct db_result *db_run(struct db_conn *c, int stmt, int nparams, const char *const *params);

/*
 * Runs a registered statement like db_run, with parameters that may be
 * binary: values[i] is lengths[i] bytes when binary[i] is non-zero (a
 * bytea in PostgreSQL's binary format is its raw bytes), else text
 * (lengths[i] ignored). lengths and binary may be NULL when every
 * parameter is text. With binary_result every column of the result comes
 * in binary format (a bytea as its raw bytes, half the size of its hex
 * text): read them with db_value and db_value_len. Same result contract as
 * db_run. A pooled connection that sent more than 1 MiB of binary
 * parameters, or read a row of more than 1 MiB, is closed when it is
 * released (see db_release).
 */
struct db_result *db_run_params(struct db_conn *c, int stmt, int nparams, const char *const *values,
                                const int *lengths, const int *binary, bool binary_result);

/* Runs SQL text with parameters (not prepared). Same contract as db_run. */
struct db_result *db_query(struct db_conn *c, const char *sql, int nparams,
                           const char *const *params);

/* Runs a command and discards its result. 0 or -1. */
int db_exec(struct db_conn *c, const char *sql);
/* Runs a script of several statements (simple query protocol). 0 or -1. */
int db_exec_script(struct db_conn *c, const char *sql);

int db_begin(struct db_conn *c);
int db_commit(struct db_conn *c);
int db_rollback(struct db_conn *c);

/* SQLSTATE of the last failure on c ("" when it was not a server error, e.g.
 * a lost connection), and its primary message. Valid until the next call. */
const char *db_error_state(const struct db_conn *c);
const char *db_error_message(const struct db_conn *c);
/* The column and the constraint a failed statement names (a NOT NULL or
 * CHECK violation, a unique index), "" when it names none. Valid until the
 * next call. */
const char *db_error_column(const struct db_conn *c);
const char *db_error_constraint(const struct db_conn *c);
/* The DETAIL of the last failure ("" when none; truncated to 511 bytes).
 * Valid until the next call. */
const char *db_error_detail(const struct db_conn *c);
/* True when the last failure was a lost or unusable connection. */
bool db_error_is_connection(const struct db_conn *c);

/* ---- Results ---- */

int db_nrows(const struct db_result *r);
int db_ncols(const struct db_result *r);
/* Rows affected by a command (UPDATE/INSERT/DELETE), or 0. */
long db_affected(const struct db_result *r);
/* The text of a value, or NULL for SQL NULL or out-of-range indexes. Lives
 * as long as the result. */
const char *db_value(const struct db_result *r, int row, int col);
/* The length in bytes of a value (binary values may hold NUL bytes); 0 for
 * SQL NULL or out-of-range indexes. */
size_t db_value_len(const struct db_result *r, int row, int col);
/* Column index by name, or -1. */
int db_col(const struct db_result *r, const char *name);
void db_result_free(struct db_result *r);

/* ---- COPY out ---- */

/*
 * Runs `COPY (...) TO STDOUT` and hands its output to sink in batches of
 * whole rows (about 64 KB each, the last one smaller), in constant memory. COPY takes no bind
 * parameters: build values into the text with db_literal. A sink returning -1 aborts the copy (the
 * connection is then dropped). Returns 0 or -1.
 */
typedef int (*db_copy_sink)(const char *data, size_t len, void *ud);
int db_copy_out(struct db_conn *c, const char *sql, db_copy_sink sink, void *ud);

/* Quotes s as an SQL string literal for c's encoding. Caller frees with
 * free(). NULL when s is not valid in the encoding. */
char *db_literal(struct db_conn *c, const char *s);

/* ---- LISTEN / NOTIFY ---- */

/* Subscribes a standalone connection to `channel` (a plain identifier).
 * 0 or -1. */
int db_listen(struct db_conn *c, const char *channel);

/*
 * Waits up to timeout_ms for notifications on a listening connection and
 * drains them, calling fired(channel, ud) once per notification received
 * (fired may be NULL). Returns how many arrived (> 0), 0 on timeout, -1
 * when the connection failed (the caller reconnects and listens again).
 */
typedef void (*db_notify_fn)(const char *channel, void *ud);
int db_wait_notify(struct db_conn *c, int timeout_ms, db_notify_fn fired, void *ud);

#endif
