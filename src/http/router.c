/*
 * router.c - pattern compilation and matching. See router.h.
 *
 * Routes are few (dozens), so matching is a linear scan over pre-split
 * patterns; among the routes that match the path, the one with the most
 * literal segments (leftmost first) wins.
 */
#include "http/router.h"

#include "base/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum seg_kind { SEG_LITERAL, SEG_ANY, SEG_INT };

struct segment {
    enum seg_kind kind;
    char *text; /* literal text or parameter name */
};

struct route {
    char method[12];
    char *pattern;
    void *handler;
    unsigned flags;
    int nsegs;
    struct segment segs[ROUTER_MAX_SEGMENTS];
};

struct router {
    struct route *routes;
    int count;
    int alloc;
};

struct router *router_new(void)
{
    return xcalloc(1, sizeof(struct router));
}

static void route_clear(struct route *rt)
{
    for (int i = 0; i < rt->nsegs; i++)
        free(rt->segs[i].text);
    free(rt->pattern);
}

void router_free(struct router *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->count; i++)
        route_clear(&r->routes[i]);
    free(r->routes);
    free(r);
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* Splits pattern into rt->segs. Returns 0 or -1. */
static int compile(struct route *rt, const char *pattern)
{
    if (pattern[0] != '/')
        return -1;
    int nparams = 0;
    const char *p = pattern + 1;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || rt->nsegs == ROUTER_MAX_SEGMENTS)
            return -1;
        struct segment *s = &rt->segs[rt->nsegs];
        if (p[0] == '{') {
            if (p[n - 1] != '}' || ++nparams > ROUTER_MAX_PARAMS)
                return -1;
            const char *inner = p + 1;
            size_t inner_n = n - 2;
            const char *colon = memchr(inner, ':', inner_n);
            size_t name_n = colon ? (size_t)(colon - inner) : inner_n;
            if (!valid_name(inner, name_n))
                return -1;
            s->kind = SEG_ANY;
            if (colon) {
                size_t type_n = inner_n - name_n - 1;
                if (type_n == 3 && memcmp(colon + 1, "int", 3) == 0)
                    s->kind = SEG_INT;
                else
                    return -1;
            }
            s->text = xstrndup(inner, name_n);
        } else {
            if (memchr(p, '{', n) || memchr(p, '}', n))
                return -1;
            s->kind = SEG_LITERAL;
            s->text = xstrndup(p, n);
        }
        rt->nsegs++;
        p += n;
        if (*p == '/')
            p++;
        if (*p == '\0' && p[-1] == '/')
            return -1; /* trailing slash */
    }
    return 0;
}

int router_add(struct router *r, const char *method, const char *pattern, void *handler,
               unsigned flags)
{
    if (strlen(method) >= sizeof(((struct route *)0)->method))
        return -1;
    for (int i = 0; i < r->count; i++) {
        if (str_eq(r->routes[i].method, method) && str_eq(r->routes[i].pattern, pattern))
            return -1;
    }
    struct route rt;
    memset(&rt, 0, sizeof rt);
    if (compile(&rt, pattern) != 0) {
        route_clear(&rt);
        return -1;
    }
    strcpy(rt.method, method);
    rt.pattern = xstrdup(pattern);
    rt.handler = handler;
    rt.flags = flags;
    if (r->count == r->alloc) {
        r->alloc = r->alloc ? r->alloc * 2 : 16;
        r->routes = xrealloc(r->routes, (size_t)r->alloc * sizeof *r->routes);
    }
    r->routes[r->count] = rt;
    return r->count++;
}

int router_count(const struct router *r)
{
    return r->count;
}

const char *router_pattern(const struct router *r, int i)
{
    return i >= 0 && i < r->count ? r->routes[i].pattern : NULL;
}

const char *router_method(const struct router *r, int i)
{
    return i >= 0 && i < r->count ? r->routes[i].method : NULL;
}

/* Splits a path into at most max segments (pointers into buf, which is a
 * copy the caller owns). Returns the count, or -1 if the path is invalid. */
static int split_path(char *buf, const char **segs, int max)
{
    if (buf[0] != '/')
        return -1;
    int n = 0;
    char *p = buf + 1;
    if (*p == '\0')
        return 0;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (*p == '\0' || str_eq(p, ".") || str_eq(p, "..") || n == max)
            return -1;
        segs[n++] = p;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    return n;
}

static bool all_digits(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* Scores how well rt matches the segments: -1 for no match, otherwise a
 * bitmask with a bit per literal segment, leftmost highest. */
static long path_score(const struct route *rt, const char **segs, int n)
{
    if (rt->nsegs != n)
        return -1;
    long score = 0;
    for (int i = 0; i < n; i++) {
        const struct segment *s = &rt->segs[i];
        score <<= 1;
        switch (s->kind) {
        case SEG_LITERAL:
            if (!str_eq(s->text, segs[i]))
                return -1;
            score |= 1;
            break;
        case SEG_INT:
            if (!all_digits(segs[i]))
                return -1;
            break;
        case SEG_ANY:
            if (strlen(segs[i]) >= ROUTER_MAX_PARAM_LEN)
                return -1;
            break;
        }
    }
    return score;
}

static bool method_matches(const struct route *rt, const char *method)
{
    return str_eq(rt->method, method) || (str_eq(method, "HEAD") && str_eq(rt->method, "GET"));
}

static void add_allow(struct route_match *m, const char *method)
{
    /* Skip duplicates; the list is short. */
    size_t mlen = strlen(method);
    const char *p = m->allow;
    while ((p = strstr(p, method)) != NULL) {
        bool start = p == m->allow || p[-1] == ' ';
        bool end = p[mlen] == ',' || p[mlen] == '\0';
        if (start && end)
            return;
        p += mlen;
    }
    size_t used = strlen(m->allow);
    snprintf(m->allow + used, sizeof m->allow - used, "%s%s", used ? ", " : "", method);
}

enum router_result router_match(const struct router *r, const char *method, const char *path,
                                struct route_match *m)
{
    memset(m, 0, sizeof *m);
    m->route_index = -1;
    char *buf = xstrdup(path);
    const char *segs[ROUTER_MAX_SEGMENTS];
    int n = split_path(buf, segs, ROUTER_MAX_SEGMENTS);
    enum router_result result = ROUTER_NOT_FOUND;
    if (n < 0)
        goto out;

    int best = -1;
    long best_score = -1;
    long best_any_score = -1;
    for (int i = 0; i < r->count; i++) {
        long score = path_score(&r->routes[i], segs, n);
        if (score < 0)
            continue;
        if (score > best_any_score)
            best_any_score = score;
        if (method_matches(&r->routes[i], method) && score > best_score) {
            best = i;
            best_score = score;
        }
    }
    if (best_any_score < 0)
        goto out;
    if (best < 0 || best_score < best_any_score) {
        /* The most specific pattern for this path does not take the method
         * (or nothing does): list what that pattern accepts. */
        for (int i = 0; i < r->count; i++) {
            if (path_score(&r->routes[i], segs, n) != best_any_score)
                continue;
            add_allow(m, r->routes[i].method);
            if (str_eq(r->routes[i].method, "GET"))
                add_allow(m, "HEAD");
        }
        if (best < 0 || best_score < best_any_score) {
            result = ROUTER_METHOD_NOT_ALLOWED;
            goto out;
        }
    }

    const struct route *rt = &r->routes[best];
    m->route_index = best;
    m->pattern = rt->pattern;
    m->handler = rt->handler;
    m->flags = rt->flags;
    for (int i = 0; i < n; i++) {
        if (rt->segs[i].kind == SEG_LITERAL)
            continue;
        m->params[m->nparams].name = rt->segs[i].text;
        snprintf(m->params[m->nparams].value, ROUTER_MAX_PARAM_LEN, "%s", segs[i]);
        m->nparams++;
    }
    result = ROUTER_FOUND;
out:
    free(buf);
    return result;
}

const char *route_param(const struct route_match *m, const char *name)
{
    for (int i = 0; i < m->nparams; i++) {
        if (str_eq(m->params[i].name, name))
            return m->params[i].value;
    }
    return NULL;
}
