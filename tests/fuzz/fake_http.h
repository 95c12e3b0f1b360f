/*
 * fake_http.h - a stand-in for the HTTP layer (src/http/http.c) so that the
 * pure parts of src/api/api.c can be fuzzed without CivetWeb or a server:
 * a request is a query string, replies are recorded instead of sent, and
 * request-scoped memory is released by fake_req_end. The database functions
 * api.c refers to abort: validation never reaches them.
 */
#ifndef CONVENE_FAKE_HTTP_H
#define CONVENE_FAKE_HTTP_H

#include <jansson.h>
#include <stddef.h>

struct fake_alloc;

struct http_req {
    const char *query; /* the raw query string, or NULL */
    int replies;       /* how many replies were sent (must end up 0 or 1) */
    int status;
    char code[64]; /* "code" of the last error reply */
    json_t *extra; /* members merged into the last error (owned) */
    struct fake_alloc *allocs;
};

/*
 * How http_query reads a parameter from req->query. The path and query
 * target sets it to a copy of http_query's body over CivetWeb; by default
 * every parameter is absent (-1).
 */
extern int (*fake_query)(const char *qs, const char *name, char *buf, size_t buflen);

/* Frees what the request allocated and what its replies recorded. */
void fake_req_end(struct http_req *req);

#endif
