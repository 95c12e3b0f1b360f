/*
 * router.h - method + path pattern matching for the HTTP API. Pure code:
 * it knows nothing of CivetWeb, so it is unit-tested on its own.
 *
 * Patterns are absolute paths whose segments are literals or parameters:
 *   /api/activities/{id:int}/enrollments/me
 * `{name}` matches any non-empty segment; `{name:int}` matches 1-18 decimal
 * digits. Literal segments win over parameters when both could match,
 * whatever the order of registration.
 */
#ifndef CONVENE_ROUTER_H
#define CONVENE_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS    6
#define ROUTER_MAX_SEGMENTS  12
#define ROUTER_MAX_PARAM_LEN 256

struct router;

struct route_match {
    int route_index; /* index in registration order, for metrics labels */
    const char *pattern;
    void *handler;
    unsigned flags;
    int nparams;
    struct {
        const char *name; /* points into the router; lives as long as it */
        char value[ROUTER_MAX_PARAM_LEN];
    } params[ROUTER_MAX_PARAMS];
    char allow[96]; /* for ROUTER_METHOD_NOT_ALLOWED: "GET, HEAD, POST" */
};

enum router_result { ROUTER_FOUND = 0, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Creates an empty router. Never NULL. */
struct router *router_new(void);
/* Frees the router. Accepts NULL. */
void router_free(struct router *r);

/*
 * Adds a route. `method` is an HTTP method in capitals; a GET route also
 * answers HEAD. `pattern` is copied. `handler` and `flags` are returned as
 * given in a match. Returns the route index, or -1 for a malformed pattern
 * (not starting with '/', empty or unterminated parameters, too many
 * segments or parameters, an unknown type) or a duplicate method+pattern.
 */
int router_add(struct router *r, const char *method, const char *pattern, void *handler,
               unsigned flags);

/* Number of routes added. */
int router_count(const struct router *r);
/* The pattern of route i, or NULL. */
const char *router_pattern(const struct router *r, int i);
/* The method of route i ("GET"), or NULL. Valid until the next router_add
 * (the table may move); copy it to keep it. */
const char *router_method(const struct router *r, int i);

/*
 * Matches a decoded request path (no query string). On ROUTER_FOUND fills
 * m with the route and parameters; on ROUTER_METHOD_NOT_ALLOWED fills
 * m->allow with the methods the path does accept. Paths with empty
 * segments ("//"), "." or ".." segments, or too long a parameter never
 * match.
 */
enum router_result router_match(const struct router *r, const char *method, const char *path,
                                struct route_match *m);

/* The value of parameter `name` in a match, or NULL. */
const char *route_param(const struct route_match *m, const char *name);

#endif
