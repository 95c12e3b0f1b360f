/*
 * test_faults.c - what happens to people's registrations and mail when a
 * part fails under load, each against the real binary, PostgreSQL and
 * mail catcher:
 *
 *   - PostgreSQL restarted while people enrol: no 500 ever; 503 only while
 *     it is down and during the pool's short fail-fast pause after its last
 *     failed connect (200 ms), none once that is over; readyz green within
 *     a second; every registration made exactly once and the seat count
 *     equal to the confirmed rows.
 *   - The server killed with SIGKILL while people enrol, then started
 *     again: no half-written registration (seat counts equal the rows),
 *     the outbox resumes, and nobody gets a mail twice.
 *   - The mail server down while people sign up, then back: every
 *     verification mail arrives, exactly once.
 *
 * Load comes from a bounded number of threads, each with a bounded number
 * of requests; every wait is for a state, with a deadline.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/auth.h"
#include "base/util.h"
#include "harness.h"

Suite *make_faults_suite(void);

#define DB       "faults"
#define NTHREADS 8

static struct server srv;
static struct catcher mail;
static long org_id;

struct user {
    long id;
    char cookie[128];
    char csrf[64];
};

/* n verified accounts in organisation 1, each with a session made in SQL
 * (only the token's hash stored, as the server does). */
static struct user *make_users(const char *prefix, int n)
{
    struct user *u = xcalloc((size_t)n, sizeof *u);
    strbuf q;
    strbuf_init(&q, 0);
    strbuf_printf(&q,
                  "INSERT INTO accounts (email, password_hash, name, organisation_id, "
                  "email_verified_at) SELECT '%s-' || i || '@faults.test', 'x', 'Person ' || i, "
                  "%ld, now() FROM generate_series(1, %d) i;\n"
                  "INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at) VALUES ",
                  prefix, org_id, n);
    for (int i = 0; i < n; i++) {
        char token[64], hash[72];
        /* 43 characters, like the server's own tokens. */
        int len = snprintf(token, sizeof token, "%.8s%08d", prefix, i);
        memset(token + len, 'x', (size_t)(43 - len));
        token[43] = '\0';
        auth_token_hash_hex(token, hash);
        snprintf(u[i].cookie, sizeof u[i].cookie, "Cookie: convene_session=%s", token);
        snprintf(u[i].csrf, sizeof u[i].csrf, "X-CSRF-Token: csrf-%s-%d", prefix, i);
        strbuf_printf(&q,
                      "%s((SELECT id FROM accounts WHERE email = '%s-%d@faults.test'), '%s', "
                      "'csrf-%s-%d', now() + interval '1 day')",
                      i ? ", " : "", prefix, i + 1, hash, prefix, i);
    }
    harness_sql(DB, strbuf_cstr(&q));
    strbuf_free(&q);
    return u;
}

static long make_activity(const char *slug, int capacity)
{
    char q[768];
    snprintf(q, sizeof q,
             "INSERT INTO activities (slug, kind, title, timezone, mode, status, starts_on, "
             "ends_on, period_start, period_end, capacity) VALUES ('%s', 'workshop', 'Fault "
             "test %s', 'Asia/Seoul', 'open', 'published', '2030-05-22', '2030-05-23', "
             "'2030-05-22', '2030-05-23', %d) RETURNING id",
             slug, slug, capacity);
    return harness_sql_long(DB, q);
}

/* Seats counted on the activity row equal the confirmed rows, for every
 * activity; waiting-list positions are distinct. */
static void assert_counts_consistent(void)
{
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM activities a WHERE confirmed_count <> "
                             "(SELECT count(*) FROM enrollments e WHERE e.activity_id = a.id "
                             "AND e.status IN ('confirmed', 'attended'))"),
        0);
    ck_assert_int_eq(harness_sql_long(DB,
                                      "SELECT count(*) FROM (SELECT activity_id, waitlist_seq FROM "
                                      "enrollments WHERE waitlist_seq IS NOT NULL GROUP BY 1, 2 "
                                      "HAVING count(*) > 1) d"),
                     0);
}

/* ---- Enrolment load ---- */

/* What the enrolment threads of one test count, together. */
struct tally {
    atomic_int done;        /* requests answered */
    atomic_int created;     /* 201 */
    atomic_int repeat;      /* 200: the registration already existed */
    atomic_int unavailable; /* 503 */
    atomic_int late;        /* 503 sent more than 300 ms after back_at_ms */
    atomic_int transport;   /* no answer */
    atomic_int other;       /* anything else: always a failure */
    _Atomic double back_at_ms;
    /* With a sustained load: once its people are registered, a thread keeps
     * asking again (each answer should be 200, the registration exists)
     * until this drops, so the load lasts through the outage however fast
     * the first round was. */
    atomic_bool keep_going;
};

struct load {
    const struct server *s;
    struct user *users;
    long activity;
    int from, to; /* users [from, to) */
    bool retry;   /* retry 503 and transport failures (bounded) */
    bool sustain; /* go on while t->keep_going */
    struct tally *t;
    int *enrolled; /* per user: 1 once the server said 200 or 201 */
};

/* Counts a 503 or a failure of a request sent at t0 (ms); true for a 503. */
static bool count_failure(struct load *l, long st, double t0)
{
    if (st == 503) {
        atomic_fetch_add(&l->t->unavailable, 1);
        double back = atomic_load(&l->t->back_at_ms);
        /* The pool fails fast for 200 ms after a failed connect (db.c,
         * CONNECT_BACKOFF_NS); past that, nothing may fail. */
        if (back > 0 && t0 > back + 300)
            atomic_fetch_add(&l->t->late, 1);
        return true;
    }
    if (st == 0) {
        atomic_fetch_add(&l->t->transport, 1);
    } else {
        atomic_fetch_add(&l->t->other, 1);
        fprintf(stderr, "faults: enrolment answered %ld\n", st);
    }
    return false;
}

static void *enrol_worker(void *p)
{
    struct load *l = p;
    char path[96];
    snprintf(path, sizeof path, "/api/activities/%ld/enrollments", l->activity);
    for (int i = l->from; i < l->to; i++) {
        for (int attempt = 0; attempt < 400; attempt++) {
            const char *h[] = {"Content-Type: application/json", l->users[i].cookie,
                               l->users[i].csrf, NULL};
            struct hresp r;
            double t0 = harness_now_ms();
            int rc = hreq(l->s, "POST", path, h, "{\"answers\":{}}", 14, &r);
            long st = rc == 0 ? r.status : 0;
            hresp_free(&r);
            atomic_fetch_add(&l->t->done, 1);
            if (st == 201 || st == 200) {
                atomic_fetch_add(st == 201 ? &l->t->created : &l->t->repeat, 1);
                l->enrolled[i] = 1;
                break;
            }
            if (!count_failure(l, st, t0) && st != 0)
                break;
            if (!l->retry)
                break;
            usleep(20000); /* pace the retries of one client, not a wait for a state */
        }
    }
    for (int round = 0; l->sustain && atomic_load(&l->t->keep_going) && round < 20000; round++) {
        int i = l->from + round % (l->to - l->from);
        const char *h[] = {"Content-Type: application/json", l->users[i].cookie, l->users[i].csrf,
                           NULL};
        struct hresp r;
        double t0 = harness_now_ms();
        int rc = hreq(l->s, "POST", path, h, "{\"answers\":{}}", 14, &r);
        long st = rc == 0 ? r.status : 0;
        hresp_free(&r);
        atomic_fetch_add(&l->t->done, 1);
        if (st != 200)
            count_failure(l, st, t0);
    }
    return NULL;
}

static void wait_count(atomic_int *n, int at_least, int timeout_ms)
{
    double deadline = harness_now_ms() + timeout_ms;
    while (atomic_load(n) < at_least && harness_now_ms() < deadline)
        usleep(2000);
    ck_assert_int_ge(atomic_load(n), at_least);
}

/* Starts NTHREADS enrolment threads sharing n users between them. */
static void start_load(pthread_t *th, struct load *loads, struct tally *t, struct user *users,
                       int n, long activity, bool retry, bool sustain, int *enrolled)
{
    for (int i = 0; i < NTHREADS; i++) {
        loads[i] = (struct load){.s = &srv,
                                 .users = users,
                                 .activity = activity,
                                 .from = i * n / NTHREADS,
                                 .to = (i + 1) * n / NTHREADS,
                                 .retry = retry,
                                 .sustain = sustain,
                                 .t = t,
                                 .enrolled = enrolled};
        ck_assert_int_eq(pthread_create(&th[i], NULL, enrol_worker, &loads[i]), 0);
    }
}

static void start_server(const char *const *extra)
{
    const char *env[12];
    int n = 0;
    env[n++] = harness_catcher_env(&mail);
    env[n++] = "CONVENE_BASE_URL=http://convene.test";
    env[n++] = "CONVENE_MAIL_BACKOFF_MS=200";
    env[n++] = "CONVENE_MAIL_POLL_MS=200";
    env[n++] = "CONVENE_DB_POOL_WAIT_MS=5000";
    for (int i = 0; extra && extra[i] && n < 11; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
}

static void setup(void)
{
    harness_fresh_db(DB);
    memset(&mail, 0, sizeof mail);
    ck_assert_int_eq(harness_catcher_start(&mail), 0);
    start_server(NULL);
    org_id = harness_sql_long(
        DB, "INSERT INTO organisations (name, city, country, kind) VALUES ('Seoul "
            "Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city') "
            "RETURNING id");
}

static void teardown(void)
{
    if (srv.pid > 0)
        harness_server_stop(&srv);
    harness_catcher_stop(&mail);
    /* A test that failed with PostgreSQL stopped must not leave it so. */
    harness_pg_start();
}

/* Polls /readyz until 200; returns the milliseconds it took, or -1. */
static double wait_ready(int timeout_ms)
{
    double t0 = harness_now_ms();
    while (harness_now_ms() - t0 < timeout_ms) {
        struct hresp r;
        int rc = hget(&srv, "/readyz", &r);
        long st = r.status;
        hresp_free(&r);
        if (rc == 0 && st == 200)
            return harness_now_ms() - t0;
        usleep(5000);
    }
    return -1;
}

START_TEST(postgres_restart_under_enrolment_load)
{
    enum { USERS = 240 };
    struct user *users = make_users("pg", USERS);
    long act = make_activity("pg-restart", 1000);
    int enrolled[USERS] = {0};
    struct tally t = {.keep_going = true};
    struct load loads[NTHREADS];
    pthread_t th[NTHREADS];
    start_load(th, loads, &t, users, USERS, act, true, true, enrolled);
    wait_count(&t.done, 40, 30000);
    ck_assert_int_eq(harness_pg_stop(), 0);
    /* The outage is seen: requests now get 503, quickly. */
    wait_count(&t.unavailable, 1, 30000);
    ck_assert_int_eq(harness_pg_start(), 0);
    atomic_store(&t.back_at_ms, harness_now_ms());
    double ready_ms = wait_ready(10000);
    /* The load goes on for a while with the database back: those answers
     * must all be successes once the pool's pause is over. */
    wait_count(&t.done, atomic_load(&t.done) + 200, 30000);
    atomic_store(&t.keep_going, false);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);

    fprintf(stderr,
            "faults: pg restart: %d created, %d repeated, %d x 503 (%d more than 300 ms after "
            "the database was back), %d transport failures, readyz back after %.0f ms\n",
            atomic_load(&t.created), atomic_load(&t.repeat), atomic_load(&t.unavailable),
            atomic_load(&t.late), atomic_load(&t.transport), ready_ms);
    ck_assert_int_eq(atomic_load(&t.other), 0);
    ck_assert_int_eq(atomic_load(&t.transport), 0);
    ck_assert_msg(ready_ms >= 0 && ready_ms < 1000, "readyz took %.0f ms after the restart",
                  ready_ms);
    ck_assert_msg(atomic_load(&t.late) == 0,
                  "%d requests failed more than 300 ms after the database was back",
                  atomic_load(&t.late));
    for (int i = 0; i < USERS; i++)
        ck_assert_msg(enrolled[i], "user %d never got an answer other than 503", i);
    /* Each person registered once: a 503 never left a row behind that a
     * retry then duplicated, and every 201 is a row. */
    char q[160];
    snprintf(q, sizeof q, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", act);
    ck_assert_int_eq(harness_sql_long(DB, q), USERS);
    ck_assert_int_eq(atomic_load(&t.created) + atomic_load(&t.repeat), USERS);
    assert_counts_consistent();
    free(users);
}
END_TEST

START_TEST(kill_9_under_enrolment_load_leaves_nothing_half_written)
{
    enum { USERS = 160, SEATS = 50 };
    struct user *users = make_users("k9", USERS);
    long act = make_activity("kill-nine", SEATS);
    int enrolled[USERS] = {0};
    struct tally t = {.keep_going = true};
    struct load loads[NTHREADS];
    pthread_t th[NTHREADS];
    start_load(th, loads, &t, users, USERS, act, false, false, enrolled);
    wait_count(&t.done, 50, 30000);
    ck_assert_int_eq(kill(srv.pid, SIGKILL), 0);
    int st = 0;
    waitpid(srv.pid, &st, 0);
    srv.pid = 0;
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&t.other), 0);
    ck_assert_msg(atomic_load(&t.transport) > 0, "the kill came after the load had finished");
    /* What the killed process committed is whole. */
    assert_counts_consistent();
    /* Mails the dead process was in the middle of sending: SMTP may have
     * taken one just before the kill, so those few (at most one per sender
     * thread) may arrive twice; every other mail exactly once. */
    char *in_flight = harness_psql(DB, "SELECT coalesce(string_agg(to_address, ' '), '') FROM "
                                       "mail_outbox WHERE status = 'sending'");
    ck_assert_ptr_nonnull(in_flight);

    /* Start again on the same database: the rest register, the outbox
     * resumes. */
    start_server(NULL);
    int second = 0;
    for (int i = 0; i < USERS; i++) {
        if (enrolled[i])
            continue;
        second++;
        char path[96];
        snprintf(path, sizeof path, "/api/activities/%ld/enrollments", act);
        const char *h[] = {"Content-Type: application/json", users[i].cookie, users[i].csrf, NULL};
        struct hresp r;
        ck_assert_int_eq(hreq(&srv, "POST", path, h, "{\"answers\":{}}", 14, &r), 0);
        /* 200 for those whose registration the killed server had committed
         * without being able to answer. */
        ck_assert_msg(r.status == 201 || r.status == 200, "re-enrol answered %ld", r.status);
        hresp_free(&r);
    }
    fprintf(stderr, "faults: kill -9: %d answered before the kill, %d after the restart\n",
            atomic_load(&t.created) + atomic_load(&t.repeat), second);
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM enrollments WHERE activity_id = %ld", act);
    ck_assert_int_eq(harness_sql_long(DB, q), USERS);
    snprintf(q, sizeof q,
             "SELECT count(*) FROM enrollments WHERE activity_id = %ld AND status = 'confirmed'",
             act);
    ck_assert_int_eq(harness_sql_long(DB, q), SEATS);
    assert_counts_consistent();

    /* Every registration queued its mail in its own transaction; the
     * outbox drains, at once (the dead process's claims are taken over
     * without waiting for them to run out), and each person gets one mail. */
    double deadline = harness_now_ms() + 30000;
    while (harness_now_ms() < deadline &&
           harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status <> 'sent'") > 0)
        usleep(50000);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status <> 'sent'"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox"), USERS);
    json_t *all = harness_catcher_messages(&mail);
    ck_assert_ptr_nonnull(all);
    size_t caught = json_array_size(all);
    fprintf(stderr, "faults: kill -9: %zu mails caught for %d people; in flight at the kill: %s\n",
            caught, USERS, in_flight[0] ? in_flight : "none");
    for (int i = 0; i < USERS; i++) {
        char to[64];
        snprintf(to, sizeof to, "k9-%d@faults.test", i + 1);
        int got = harness_count_mail_in(all, to);
        bool was_in_flight = strstr(in_flight, to) != NULL;
        ck_assert_msg(got == 1 || (was_in_flight && got == 2), "%s got %d mails", to, got);
    }
    json_decref(all);
    free(in_flight);
    free(users);
}
END_TEST

struct signups {
    const struct server *s;
    int from, to;
    atomic_int *accepted;
    atomic_int *other;
};

static void *signup_worker(void *p)
{
    struct signups *g = p;
    for (int i = g->from; i < g->to; i++) {
        char body[512], xff[64];
        snprintf(body, sizeof body,
                 "{\"email\":\"smtp-%d@faults.test\",\"password\":\"correct horse battery "
                 "staple\",\"name\":\"Signer %d\",\"organisation_id\":%ld,\"locale\":\"en\"}",
                 i, i, org_id);
        /* A few people per address, under the per-address limit. */
        snprintf(xff, sizeof xff, "X-Forwarded-For: 127.2.0.%d", i / 10 + 1);
        const char *h[] = {"Content-Type: application/json", xff, NULL};
        struct hresp r;
        int rc = hreq(g->s, "POST", "/api/auth/signup", h, body, strlen(body), &r);
        atomic_fetch_add(rc == 0 && r.status == 202 ? g->accepted : g->other, 1);
        hresp_free(&r);
    }
    return NULL;
}

START_TEST(smtp_outage_under_signup_load_loses_no_mail)
{
    enum { PEOPLE = 40 };
    harness_server_stop(&srv);
    const char *extra[] = {"CONVENE_TRUSTED_PROXIES=127.0.0.1", NULL};
    start_server(extra);
    harness_catcher_stop(&mail);

    atomic_int accepted = 0, other = 0;
    struct signups g[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        g[t] = (struct signups){.s = &srv,
                                .from = t * PEOPLE / 4,
                                .to = (t + 1) * PEOPLE / 4,
                                .accepted = &accepted,
                                .other = &other};
        ck_assert_int_eq(pthread_create(&th[t], NULL, signup_worker, &g[t]), 0);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    /* The mail server being down never fails the person's action. */
    ck_assert_int_eq(atomic_load(&other), 0);
    ck_assert_int_eq(atomic_load(&accepted), PEOPLE);

    /* Wait until the sender has tried and failed (the outage was felt). */
    double deadline = harness_now_ms() + 30000;
    while (harness_now_ms() < deadline &&
           harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE attempts > 0") == 0)
        usleep(20000);
    ck_assert_int_gt(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE attempts > 0"),
                     0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status = 'sent'"),
                     0);

    ck_assert_int_eq(harness_catcher_start(&mail), 0); /* same ports, same folder */
    deadline = harness_now_ms() + 60000;
    while (harness_now_ms() < deadline &&
           harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status <> 'sent'") > 0)
        usleep(50000);
    ck_assert_int_eq(
        harness_sql_long(DB, "SELECT count(*) FROM mail_outbox WHERE status <> 'sent'"), 0);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT count(*) FROM mail_outbox"), PEOPLE);
    json_t *all = harness_catcher_messages(&mail);
    ck_assert_ptr_nonnull(all);
    for (int i = 0; i < PEOPLE; i++) {
        char to[64];
        snprintf(to, sizeof to, "smtp-%d@faults.test", i);
        int got = harness_count_mail_in(all, to);
        ck_assert_msg(got == 1, "%s got %d mails", to, got);
    }
    ck_assert_int_eq((int)json_array_size(all), PEOPLE);
    json_decref(all);
}
END_TEST

START_TEST(a_mail_claimed_by_a_dead_sender_is_taken_over_at_once)
{
    /* A row left 'sending' by a sender whose connection is gone (its lock
     * key is held by nobody), with four minutes left on its claim: taken
     * over without waiting for them. */
    harness_sql(
        DB, "INSERT INTO mail_outbox (template, to_address, vars, status, attempts, locked_until, "
            "claimed_by) VALUES ('verify_email', 'orphan@faults.test', "
            "'{\"name\": \"Orphan\", \"link\": \"http://convene.test/verify\", \"expires_hours\": "
            "24}', 'sending', 1, "
            "now() + interval '4 minutes', 4242424242)");
    harness_sql(DB, "NOTIFY mail_outbox");
    json_t *m = harness_wait_mail(&mail, "orphan@faults.test", NULL, 30000);
    ck_assert_msg(m != NULL, "the orphaned mail was not taken over");
    json_decref(m);
    ck_assert_int_eq(harness_sql_long(DB, "SELECT attempts FROM mail_outbox WHERE to_address = "
                                          "'orphan@faults.test' AND status = 'sent'"),
                     2);
}
END_TEST

Suite *make_faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, postgres_restart_under_enrolment_load);
    tcase_add_test(tc, kill_9_under_enrolment_load_leaves_nothing_half_written);
    tcase_add_test(tc, smtp_outage_under_signup_load_loses_no_mail);
    tcase_add_test(tc, a_mail_claimed_by_a_dead_sender_is_taken_over_at_once);
    suite_add_tcase(s, tc);
    return s;
}
