/*
 * harness.h - what integration tests stand on: the throwaway PostgreSQL
 * cluster started by the ctest fixture (deploy/pg.sh), fresh databases,
 * the real `convene` binary started on a free loopback port, and a small
 * libcurl client.
 *
 * Environment (set by tests/CMakeLists.txt): CONVENE_BIN,
 * CONVENE_SOURCE_DIR, CONVENE_TEST_PG_DIR, CONVENE_TEST_PG_PORT, and
 * CONVENE_TEST_RESPONSE_LOG (hreq logs every response of a convene server
 * there, one JSON line each, for the spec.responses check).
 */
#ifndef CONVENE_HARNESS_H
#define CONVENE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <sys/types.h>

/* ---- PostgreSQL ---- */

/* The conninfo URI of database `db` on the test cluster (static buffer). */
const char *harness_pg_url(const char *db);
/* Drops and recreates database `name`; returns its URI (static buffer). */
const char *harness_fresh_db(const char *name);
/* Runs SQL through psql on database `db`; returns the first line of output
 * (caller frees) or NULL on failure. */
char *harness_psql(const char *db, const char *sql);
/* Stops / starts the test cluster (pg.sh). 0 or -1. */
int harness_pg_stop(void);
int harness_pg_start(void);

/* ---- The server under test ---- */

struct server {
    pid_t pid;
    int port;
    char base[64]; /* http://127.0.0.1:PORT */
    char log_path[256];
};

/*
 * Starts `convene serve` on a free port against database `db`, with
 * CONVENE_TEST_ROUTES=1 and the extra NULL-terminated "NAME=value" settings
 * in env (may be NULL). Waits until /healthz answers (10 s at most).
 * Returns 0 or -1.
 */
int harness_server_start(struct server *s, const char *db, const char *const *env);
/* Sends SIGTERM and waits (10 s at most). Returns the exit status, or -1
 * when it had to be killed or did not exit normally. */
int harness_server_stop(struct server *s);
/* True when the process is still running. */
bool harness_server_alive(const struct server *s);

/* Runs the convene binary with args and env ("NAME=value", NULL-ended);
 * captures stderr into err (truncated). Returns the exit status or -1. */
int harness_run_convene(const char *const *args, const char *const *env, char *err, size_t errlen);

/* ---- Mail catcher (deploy/mailcatcher.py) ---- */

struct catcher {
    pid_t pid;
    int smtp_port;
    int http_port;
    char dir[256];
};

/* Starts the catcher on free ports with a fresh message folder (or, when
 * m->smtp_port is already set, on the same ports and folder again). Waits
 * until it answers. 0 or -1. */
int harness_catcher_start(struct catcher *m);
/* Stops it (SIGTERM, then waits). */
void harness_catcher_stop(struct catcher *m);
/* "CONVENE_SMTP_URL=smtp://127.0.0.1:PORT" for the server (static buffer). */
const char *harness_catcher_env(const struct catcher *m);
/* All caught messages as the catcher's /api/messages JSON array (new
 * reference), or NULL. */
json_t *harness_catcher_messages(const struct catcher *m);
/*
 * Waits up to timeout_ms for a message to `to` whose subject contains
 * `subject_part` (may be NULL) and returns it (new reference), or NULL.
 */
json_t *harness_wait_mail(const struct catcher *m, const char *to, const char *subject_part,
                          int timeout_ms);
/* Number of messages caught for `to`. */
int harness_count_mail(const struct catcher *m, const char *to);
/* Number of messages for `to` in all (as from harness_catcher_messages;
 * borrowed): many counts from one fetch. */
int harness_count_mail_in(json_t *all, const char *to);
/* Extracts the value of the query parameter `token` from the first URL in
 * text into out. 0 or -1. */
int harness_token_from(const char *text, char *out, size_t outlen);

/* ---- HTTP client ---- */

struct hresp {
    long status;
    char *body;
    size_t len;
    char *headers; /* raw header block */
    double seconds;
};

/*
 * Sends a request to s (path starts with '/'). headers: NULL-terminated
 * "Name: value" strings or NULL. body may be NULL. Returns 0 when a
 * response arrived (any status), -1 on transport failure.
 */
int hreq(const struct server *s, const char *method, const char *path, const char *const *headers,
         const char *body, size_t len, struct hresp *out);
/* GET shorthand. */
int hget(const struct server *s, const char *path, struct hresp *out);
/* The value of a response header (case-insensitive), copied into buf;
 * NULL when absent. */
const char *hresp_header(const struct hresp *r, const char *name, char *buf, size_t buflen);
void hresp_free(struct hresp *r);

/* The resident memory of process pid in KiB (0 when unreadable). */
long harness_rss_kb(pid_t pid);

/* A free TCP port on 127.0.0.1. */
int harness_free_port(void);
/* Milliseconds since an arbitrary point (monotonic). */
double harness_now_ms(void);

#endif
