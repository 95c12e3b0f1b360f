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
 *
 * Isolation: ctest runs the suites with CK_FORK=yes, so each test is a
 * child process with its own timeout (Check kills the test's process group
 * when it times out). A server a test started dies with the test's process
 * even when the test failed before stopping it (PR_SET_PDEATHSIG).
 * Processes that must outlive a test (a mail catcher started again inside
 * one, PostgreSQL) are started outside its process group. Every request
 * carries a client address of its own test in X-Forwarded-For (the server
 * trusts 127.0.0.1 as a proxy), so per-address rate limits never carry over
 * from one test to the next.
 */
#ifndef CONVENE_HARNESS_H
#define CONVENE_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <jansson.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- The runner ---- */

/* Called once by the runner before any suite: remembers the runner's
 * process, makes it the reaper of processes orphaned by finished tests and
 * sets up the memory shared with the tests' processes. */
void harness_init(void);
/* Called once by the runner after the suites: stops what tests left
 * running and returns the number of problems found outside any test (a
 * server stopped by a suite's teardown that exited non-zero or reported a
 * sanitizer error); the runner fails when it is not 0. */
int harness_finish(void);
/* A checked fixture for every test case (tcase_add_checked_fixture(tc,
 * harness_test_setup, NULL)): starts the test cluster again when an earlier
 * test stopped it and failed before starting it. */
void harness_test_setup(void);

/* ---- Waiting for a state ---- */

/* Polls cond(arg) every 20 ms until it is true (returns true) or timeout_ms
 * have passed (returns false). cond is evaluated at least once. */
bool harness_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/*
 * Waits until the expression cond is true, evaluating it every 20 ms, and
 * fails the test naming the expression when timeout_ms pass first. A test
 * waits for the state it is about to assert, never for a fixed time; the
 * timeout is a bound for a loaded machine, not an expected duration.
 */
#define WAIT_UNTIL(cond, timeout_ms)                                                               \
    do {                                                                                           \
        double wait_end_ = harness_now_ms() + (timeout_ms);                                        \
        while (!(cond)) {                                                                          \
            ck_assert_msg(harness_now_ms() < wait_end_, "waited %d ms for: %s", (int)(timeout_ms), \
                          #cond);                                                                  \
            usleep(20000);                                                                         \
        }                                                                                          \
    } while (0)

/* ---- PostgreSQL ---- */

/* The conninfo URI of database `db` on the test cluster (static buffer). */
const char *harness_pg_url(const char *db);
/* Drops and recreates database `name` (starting the test cluster first when
 * an earlier suite left it stopped); returns its URI (static buffer). */
const char *harness_fresh_db(const char *name);
/* Runs SQL through psql on database `db`; returns the first line of output
 * (caller frees) or NULL on failure. */
char *harness_psql(const char *db, const char *sql);
/* Runs SQL on `db` and fails the test when it fails. */
void harness_sql(const char *db, const char *sql);
/* The first line of a query's output as a number; fails the test when the
 * query fails. */
long harness_sql_long(const char *db, const char *sql);
/* The same with the query formatted from fmt (up to 4 KiB; the values are
 * the test's own numbers and text, never a client's). */
long harness_sql_longf(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first line of a query's output (caller frees); fails the test when
 * the query fails. */
char *harness_sql_text(const char *db, const char *sql);
/* Stops / starts the test cluster (pg.sh). 0 or -1. A test that stops it
 * and then fails gets it started again when its process exits; the next
 * test's harness_test_setup starts it when the test was killed instead. */
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
 * CONVENE_TRUSTED_PROXIES=127.0.0.1 and the extra NULL-terminated
 * "NAME=value" settings in env (may be NULL; they win over the defaults).
 * Waits until /healthz answers (20 s at most). Returns 0 or -1.
 */
int harness_server_start(struct server *s, const char *db, const char *const *env);
/*
 * Sends SIGTERM and waits (20 s at most, then SIGKILL). Returns 0 when the
 * server exited with status 0 and its log holds no sanitizer report
 * (LeakSanitizer, AddressSanitizer, UBSan "runtime error"). Otherwise it
 * prints why (with the report), fails the current test when called inside
 * one, counts a problem for harness_finish when called by a suite's
 * teardown, and returns -1.
 */
int harness_server_stop(struct server *s);
/* True when the process is still running. */
bool harness_server_alive(const struct server *s);

/* How harness_exec runs a program. Zero-initialised: CONVENE_BIN, stdin
 * empty, only stderr captured. */
struct harness_exec_opts {
    const char *bin;        /* NULL: CONVENE_BIN */
    const char *const *env; /* NULL-ended; "NAME=value" sets, "NAME" unsets */
    const char *stdin_text; /* written to the program's stdin; NULL: none */
    bool with_stdout;       /* stdout lands in out too (else /dev/null) */
};

/* Runs a program (by default the convene binary) with args (NULL-ended)
 * and CONVENE_DATA_DIR set to the source tree before o->env is applied;
 * its stderr (and stdout when asked) lands in out, NUL-terminated and
 * truncated to outlen. Returns the exit status, or -1 when it could not
 * run or was killed by a signal. */
int harness_exec(const struct harness_exec_opts *o, const char *const *args, char *out,
                 size_t outlen);

/* harness_exec with CONVENE_BIN, env and only stderr captured into err. */
int harness_run_convene(const char *const *args, const char *const *env, char *err, size_t errlen);

/* ---- Mail catcher (deploy/mailcatcher.py) ---- */

struct catcher {
    pid_t pid;
    int smtp_port;
    int http_port;
    char dir[256];
    /* Optional, set before the first start: recipients matching this
     * regular expression are refused with 550 (--reject-rcpt). */
    const char *reject_rcpt;
};

/* Starts the catcher on free ports with a fresh message folder (or, when
 * m->smtp_port is already set, on the same ports and folder again). Waits
 * until it answers. 0 or -1. A catcher started again inside a test keeps
 * running after the test, and harness_catcher_stop in the suite's teardown
 * stops it. */
int harness_catcher_start(struct catcher *m);
/* Stops it (SIGTERM, then waits) and waits until its SMTP port refuses
 * connections. */
void harness_catcher_stop(struct catcher *m);
/* "CONVENE_SMTP_URL=smtp://127.0.0.1:PORT" for the server (static buffer). */
const char *harness_catcher_env(const struct catcher *m);
/* All caught messages as the catcher's /api/messages JSON array (new
 * reference), or NULL. */
json_t *harness_catcher_messages(const struct catcher *m);
/*
 * Waits up to timeout_ms for a message to `to` whose subject contains
 * `subject_part` (may be NULL) and returns it (new reference), or NULL.
 * It returns as soon as the message is there, so the suites give it a
 * generous bound (30 s): under tests/load.sh a mail took over 5 s.
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
 * "Name: value" strings or NULL. body may be NULL. Adds "X-Forwarded-For:
 * harness_client_addr()" unless headers has an X-Forwarded-For (a bare
 * "X-Forwarded-For:" sends none). Returns 0 when a response arrived (any
 * status), -1 on transport failure.
 */
int hreq(const struct server *s, const char *method, const char *path, const char *const *headers,
         const char *body, size_t len, struct hresp *out);
/* GET shorthand. */
int hget(const struct server *s, const char *path, struct hresp *out);
/* The value of a response header (case-insensitive), copied into buf;
 * NULL when absent. */
const char *hresp_header(const struct hresp *r, const char *name, char *buf, size_t buflen);
void hresp_free(struct hresp *r);

/* The loopback address (127.1.0.0 to 127.254.255.255, never the trusted
 * 127.0.0.1) this test's requests come from: one per test process, and a
 * new one after harness_new_client. Static buffer. */
const char *harness_client_addr(void);
/* Moves this process's requests to another client address. */
void harness_new_client(void);
/* Sends this process's requests from its k-th address (0 is the one a test
 * starts with; 64 distinct ones): a test that plays two clients (an
 * attacker and the owner) goes back and forth between harness_use_client(1)
 * and harness_use_client(0). */
void harness_use_client(unsigned k);

/* The error code of a JSON error answer {"error": {"code", "message"}},
 * or "" when the body is not one or its message is missing or empty
 * (static buffer). */
const char *herr_code(const struct hresp *r);
/* The same for an answer already parsed (j borrowed, may be NULL); the
 * string lives as long as j. */
const char *hjson_err_code(const json_t *j);
/* The code of member `field` in a 422 answer's error.fields ({"email":
 * {"code": "required", "message": ...}}), or "" when there is none: of a
 * response (static buffer) or of an answer already parsed (lives as long
 * as j). */
const char *herr_field_code(const struct hresp *r, const char *field);
const char *hjson_field_code(const json_t *j, const char *field);

/* ---- Requests as a person ---- */

/* A session: the cookie ("convene_session=...") and its CSRF token. */
struct hsession {
    long id; /* the account's id, 0 when unknown */
    char cookie[320];
    char csrf[80];
    /* The account's email ("" when unknown): set by harness_make_user(s)
     * and harness_login, for the mail a test waits for. */
    char email[128];
};

/*
 * Sends method path to s with json as the body (Content-Type
 * application/json; json may be NULL) and, when who is not NULL, its cookie
 * and (when who->csrf is not empty) X-CSRF-Token. Fails the test on a
 * transport failure. Returns the status; the caller frees r.
 */
long hcall(const struct server *s, const char *method, const char *path, const char *json,
           const struct hsession *who, struct hresp *r);

/*
 * hcall for any body: content_type (NULL: no Content-Type header), body of
 * len bytes (may be NULL), who as for hcall, and extra NULL-terminated
 * "Name: value" headers (may be NULL; an "X-Forwarded-For: addr" there
 * replaces the test's own client address, as for hreq). For uploads, a
 * user agent or a client address of the test's choosing. Fails the test on
 * a transport failure; returns the status, the caller frees r.
 */
long hcall_body(const struct server *s, const char *method, const char *path,
                const char *content_type, const char *body, size_t len, const struct hsession *who,
                const char *const *extra, struct hresp *r);

/* A copy of who without its CSRF token: the cookie alone, as a request
 * forged on another site would carry it (for CSRF refusals). */
struct hsession hsession_cookie_only(const struct hsession *who);

/*
 * hcall that returns the answer's JSON body (new reference; NULL when the
 * body is not JSON) and puts the status in *status.
 */
json_t *hcall_json(const struct server *s, const char *method, const char *path, const char *json,
                   const struct hsession *who, long *status);

/*
 * Sends method path (json body and who as for hcall) and asserts the
 * status and, when code is not NULL, the error code (herr_code), naming
 * the request and the answer on failure. Frees the response. A macro, so
 * that a failure points at the test's line.
 */
#define HEXPECT(s, method, path, json, who, status, code)                                          \
    do {                                                                                           \
        struct hresp hx_;                                                                          \
        long hx_got_ = hcall((s), (method), (path), (json), (who), &hx_);                          \
        const char *hx_code_ = (code);                                                             \
        ck_assert_msg(hx_got_ == (status), "%s %s: %ld, want %ld: %.300s", (method), (path),       \
                      hx_got_, (long)(status), hx_.body ? hx_.body : "");                          \
        if (hx_code_ != NULL)                                                                      \
            ck_assert_msg(strcmp(herr_code(&hx_), hx_code_) == 0, "%s %s: code \"%s\", want %s",   \
                          (method), (path), herr_code(&hx_), hx_code_);                            \
        hresp_free(&hx_);                                                                          \
    } while (0)

/*
 * Creates a verified account on `db` directly in the database: email,
 * name, the organisation named org (may be NULL), role (may be NULL: none),
 * password (may be NULL: it cannot log in with one). When out is not NULL,
 * also a session valid for a day, filled into out. Returns the account's
 * id; fails the test on any error.
 */
long harness_make_user(const char *db, const char *email, const char *name, const char *org,
                       const char *role, const char *password, struct hsession *out);

/*
 * Creates n verified accounts at once (three statements, for tests that
 * need hundreds): prefix-1@test.example.org to prefix-N@..., named
 * "display 1" to "display N", in the organisation named org (may be NULL),
 * each with role (not NULL) and a session valid for a day filled into
 * out[i]. No password: they cannot log in. Fails the test on any error.
 * prefix, display and org are trusted test text (no quotes).
 */
void harness_make_users(const char *db, const char *prefix, const char *display, int n,
                        const char *org, const char *role, struct hsession *out);

/* Logs in through POST /api/auth/login; on 200 checks that the session
 * cookie is HttpOnly and SameSite=Lax and fills out (when not NULL) from
 * the Set-Cookie header and the answer's csrf_token. Returns the status. */
long harness_login(const struct server *s, const char *email, const char *password,
                   struct hsession *out);

/* The resident memory of process pid in KiB (0 when unreadable). */
long harness_rss_kb(pid_t pid);

/* A free TCP port on 127.0.0.1. */
int harness_free_port(void);
/* Milliseconds since an arbitrary point (monotonic). */
double harness_now_ms(void);

#endif
