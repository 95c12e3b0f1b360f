/*
 * testroutes.c - diagnostic endpoints that exist only when the server is
 * started with CONVENE_TEST_ROUTES=1 (the integration tests do). They let
 * the tests drive the HTTP layer's body handling, slow requests and pool
 * saturation through the real server. Never enabled in production.
 */
#include "api/app.h"
#include "ops/ops.h"
#include "db/db.h"
#include "http/http.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

/* Echoes a JSON body back: exercises 413/415/400 paths of the layer. */
void testroutes_echo(struct http_req *req)
{
    json_t *body = NULL;
    if (http_json_body(req, &body) != 0)
        return;
    http_reply_json(req, 200, json_pack("{s:o}", "echo", body));
}

static long query_ms(struct http_req *req)
{
    char buf[16];
    long ms = 0;
    if (http_query(req, "ms", buf, sizeof buf) > 0 && str_to_long(buf, 0, 10000, &ms) != 0)
        ms = 0;
    return ms;
}

/* Sleeps ?ms= milliseconds in the worker (a request in flight). */
void testroutes_sleep(struct http_req *req)
{
    long ms = query_ms(req);
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    http_reply_json(req, 200, json_pack("{s:I}", "slept_ms", (json_int_t)ms));
}

/* Holds a pooled connection for ?ms= milliseconds (pg_sleep). */
void testroutes_db_sleep(struct http_req *req)
{
    struct app *app = http_app(req);
    long ms = query_ms(req);
    struct db_conn *c = db_acquire(app->db);
    if (c == NULL) {
        http_reply_unavailable(req);
        return;
    }
    char secs[32];
    snprintf(secs, sizeof secs, "%.3f", (double)ms / 1000.0);
    const char *params[] = {secs};
    struct db_result *r = db_query(c, "SELECT pg_sleep($1::float8)", 1, params);
    bool ok = r != NULL;
    db_result_free(r);
    db_release(c);
    if (!ok) {
        http_reply_unavailable(req);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:I}", "slept_ms", (json_int_t)ms));
}

/* The stack size of the worker thread serving this request. */
void testroutes_stack(struct http_req *req)
{
    pthread_attr_t attr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &size);
        pthread_attr_destroy(&attr);
    }
    http_reply_json(req, 200, json_pack("{s:I}", "stack_bytes", (json_int_t)size));
}
