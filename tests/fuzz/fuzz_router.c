/*
 * fuzz_router.c - the router (src/http/router.c).
 *
 * The router starts with Convene's real route table (routes.inc, generated
 * by run.sh from the http_route calls in src/). The input is lines: "+GET
 * /pattern" adds a route, "GET /path" matches a request. Every answer is
 * compared with a reference matcher written here from the contract in
 * router.h:
 *   - router_add accepts exactly the well-formed, new method+pattern pairs;
 *   - a path with an empty, "." or ".." segment never matches;
 *   - FOUND names the first registered route with the most literal
 *     segments (leftmost first) that takes the method (GET also answers
 *     HEAD), and its parameters are the path's segments; an {x:int}
 *     parameter is 1..18 digits that str_to_long parses, so a path never
 *     reaches a route whose typed parameter does not parse;
 *   - METHOD_NOT_ALLOWED lists exactly the methods of the most specific
 *     matching patterns; NOT_FOUND means no pattern matches the path.
 */
#include "fuzz.h"

#include "base/util.h"
#include "http/router.h"

#include <limits.h>
#include <stdbool.h>

static const struct {
    const char *method, *pattern;
} real_routes[] = {
#include "routes.inc"
};

#define ROUTES_MAX 128

struct ref_route {
    char method[16];
    char *pattern;
    int nsegs;
    char *segs[ROUTER_MAX_SEGMENTS]; /* literal text, or "{...}" */
};

struct ref {
    struct ref_route r[ROUTES_MAX];
    int n;
};

static bool name_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    }
    return true;
}

/* Splits a pattern the way router.h describes; false when malformed. */
static bool ref_compile(const char *pattern, struct ref_route *rt)
{
    rt->nsegs = 0;
    if (pattern[0] != '/')
        return false;
    if (pattern[1] == '\0')
        return true;
    int params = 0;
    const char *p = pattern + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || rt->nsegs == ROUTER_MAX_SEGMENTS)
            return false;
        if (p[0] == '{') {
            if (n < 3 || p[n - 1] != '}' || ++params > ROUTER_MAX_PARAMS)
                return false;
            const char *colon = memchr(p + 1, ':', n - 2);
            size_t name_n = colon ? (size_t)(colon - p - 1) : n - 2;
            if (!name_ok(p + 1, name_n))
                return false;
            if (colon && !(n - 2 - name_n - 1 == 3 && memcmp(colon + 1, "int", 3) == 0))
                return false;
        } else if (memchr(p, '{', n) || memchr(p, '}', n)) {
            return false;
        }
        rt->segs[rt->nsegs++] = strndup(p, n);
        if (slash == NULL)
            return true;
        p = slash + 1;
    }
}

static void ref_free_route(struct ref_route *rt)
{
    for (int i = 0; i < rt->nsegs; i++)
        free(rt->segs[i]);
    rt->nsegs = 0;
    free(rt->pattern);
    rt->pattern = NULL;
}

static bool digits_1_18(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* Literal-segment bitmask (leftmost highest), or -1 when rt does not match. */
static long ref_score(const struct ref_route *rt, char **segs, int n)
{
    if (rt->nsegs != n)
        return -1;
    long score = 0;
    for (int i = 0; i < n; i++) {
        const char *s = rt->segs[i];
        score <<= 1;
        if (s[0] != '{') {
            if (strcmp(s, segs[i]) != 0)
                return -1;
            score |= 1;
        } else if (strstr(s, ":int}") != NULL) {
            if (!digits_1_18(segs[i]))
                return -1;
        } else if (strlen(segs[i]) >= ROUTER_MAX_PARAM_LEN) {
            return -1;
        }
    }
    return score;
}

/* Splits a path; -1 when it cannot match anything. */
static int ref_split(const char *path, char **segs)
{
    if (path[0] != '/')
        return -1;
    if (path[1] == '\0')
        return 0;
    int n = 0;
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (n == ROUTER_MAX_SEGMENTS || len == 0 || (len == 1 && p[0] == '.') ||
            (len == 2 && p[0] == '.' && p[1] == '.')) {
            for (int i = 0; i < n; i++)
                free(segs[i]);
            return -1;
        }
        segs[n++] = strndup(p, len);
        if (slash == NULL)
            return n;
        p = slash + 1;
    }
}

static bool takes(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static bool allow_has(const char *allow, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = allow; *p;) {
        const char *comma = strstr(p, ", ");
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, method, n) == 0)
            return true;
        if (comma == NULL)
            break;
        p = comma + 2;
    }
    return false;
}

static size_t allow_count(const char *allow)
{
    if (allow[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *p = allow; (p = strstr(p, ", ")) != NULL; p += 2)
        n++;
    return n;
}

static void check_match(const struct router *r, const struct ref *ref, const char *method,
                        const char *path)
{
    struct route_match m;
    enum router_result got = router_match(r, method, path, &m);
    char *segs[ROUTER_MAX_SEGMENTS];
    int n = ref_split(path, segs);
    if (n < 0) {
        FUZZ_ASSERT(got == ROUTER_NOT_FOUND, "an empty, . or .. segment never matches");
        return;
    }
    long best_any = -1;
    int best = -1;
    for (int i = 0; i < ref->n; i++) {
        long s = ref_score(&ref->r[i], segs, n);
        if (s > best_any)
            best_any = s;
    }
    for (int i = 0; i < ref->n && best_any >= 0; i++) {
        if (ref_score(&ref->r[i], segs, n) == best_any && takes(ref->r[i].method, method)) {
            best = i;
            break;
        }
    }
    if (best_any < 0) {
        FUZZ_ASSERT(got == ROUTER_NOT_FOUND, "no pattern matches: NOT_FOUND");
    } else if (best < 0) {
        FUZZ_ASSERT(got == ROUTER_METHOD_NOT_ALLOWED, "the path matches, the method not: 405");
        /* The methods the most specific patterns take, once each. */
        size_t want = 0, total = 0;
        bool plain = true;
        char seen[2 * ROUTES_MAX][16];
        for (int i = 0; i < ref->n; i++) {
            if (ref_score(&ref->r[i], segs, n) != best_any)
                continue;
            const char *ms[2] = {ref->r[i].method, strcmp(ref->r[i].method, "GET") ? NULL : "HEAD"};
            for (int k = 0; k < 2 && ms[k]; k++) {
                bool dup = false;
                for (size_t j = 0; j < want; j++)
                    dup = dup || strcmp(seen[j], ms[k]) == 0;
                if (dup)
                    continue;
                snprintf(seen[want++], sizeof seen[0], "%s", ms[k]);
                total += strlen(ms[k]) + 2;
                plain = plain && strchr(ms[k], ',') == NULL;
            }
        }
        /* Only when the list fits m.allow and no method holds a comma (the
         * real table has neither problem). */
        if (plain && total < sizeof m.allow) {
            for (size_t j = 0; j < want; j++)
                FUZZ_ASSERT(allow_has(m.allow, seen[j]), "Allow lists every method of the path");
            FUZZ_ASSERT(allow_count(m.allow) == want, "Allow lists nothing else, once each");
        }
    } else {
        FUZZ_ASSERT(got == ROUTER_FOUND, "a route takes the path and method: FOUND");
        FUZZ_ASSERT(m.route_index == best, "the most literal, first registered route wins");
        FUZZ_ASSERT(strcmp(m.pattern, ref->r[best].pattern) == 0, "the pattern of that route");
        int k = 0;
        for (int i = 0; i < n; i++) {
            const char *s = ref->r[best].segs[i];
            if (s[0] != '{')
                continue;
            FUZZ_ASSERT(k < m.nparams, "one parameter per parameter segment");
            FUZZ_ASSERT(strcmp(m.params[k].value, segs[i]) == 0, "a parameter is its segment");
            FUZZ_ASSERT(strncmp(m.params[k].name, s + 1, strlen(m.params[k].name)) == 0,
                        "a parameter has its pattern's name");
            if (strstr(s, ":int}") != NULL) {
                long v;
                FUZZ_ASSERT(str_to_long(m.params[k].value, 0, LONG_MAX, &v) == 0,
                            "an int parameter parses");
            }
            FUZZ_ASSERT(route_param(&m, m.params[k].name) != NULL, "route_param finds it");
            k++;
        }
        FUZZ_ASSERT(k == m.nparams, "no extra parameters");
    }
    for (int i = 0; i < n; i++)
        free(segs[i]);
}

/* router_add wants "an HTTP method in capitals": other methods are the
 * caller's bug, not input, so they are not added. */
static bool method_ok(const char *m)
{
    size_t n = strlen(m);
    for (size_t i = 0; i < n; i++) {
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    }
    return n >= 1 && n < 12;
}

static void add(struct router *r, struct ref *ref, const char *method, const char *pattern)
{
    if (!method_ok(method))
        return;
    int before = router_count(r);
    int idx = router_add(r, method, pattern, NULL, 0);
    if (ref->n == ROUTES_MAX) {
        FUZZ_ASSERT(idx == -1 || idx == before, "router_add returns the index");
        return;
    }
    struct ref_route *rt = &ref->r[ref->n];
    bool ok = ref_compile(pattern, rt);
    for (int i = 0; ok && i < ref->n; i++)
        ok = !(strcmp(ref->r[i].method, method) == 0 && strcmp(ref->r[i].pattern, pattern) == 0);
    FUZZ_ASSERT((idx >= 0) == ok, "router_add accepts exactly new, well-formed patterns");
    if (!ok) {
        ref_free_route(rt);
        return;
    }
    FUZZ_ASSERT(idx == before && router_count(r) == before + 1, "indexes count up");
    FUZZ_ASSERT(strcmp(router_pattern(r, idx), pattern) == 0, "the pattern is kept");
    snprintf(rt->method, sizeof rt->method, "%s", method);
    rt->pattern = strdup(pattern);
    ref->n++;
}

static struct router *with_real_routes(struct ref *ref)
{
    struct router *r = router_new();
    ref->n = 0;
    for (size_t i = 0; i < ARRAY_LEN(real_routes); i++)
        add(r, ref, real_routes[i].method, real_routes[i].pattern);
    FUZZ_ASSERT(ref->n == (int)ARRAY_LEN(real_routes), "the real route table is well-formed");
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Inputs that add no route share one router with the real table. */
    static struct ref base_ref, own_ref;
    static struct router *base;
    if (base == NULL)
        base = with_real_routes(&base_ref);
    struct fuzz_parts p;
    fuzz_split(data, size, '\n', FUZZ_PARTS_MAX, &p);
    bool adds = false;
    for (size_t i = 0; i < p.n; i++)
        adds = adds || p.part[i].s[0] == '+';
    struct ref *ref = adds ? &own_ref : &base_ref;
    struct router *r = adds ? with_real_routes(&own_ref) : base;

    for (size_t i = 0; i < p.n; i++) {
        const char *line = p.part[i].s;
        bool adding = line[0] == '+';
        if (adding)
            line++;
        const char *sp = strchr(line, ' ');
        if (sp == NULL) {
            check_match(r, ref, "GET", line);
            continue;
        }
        char *method = strndup(line, (size_t)(sp - line));
        if (adding)
            add(r, ref, method, sp + 1);
        else
            check_match(r, ref, method, sp + 1);
        free(method);
    }
    fuzz_parts_free(&p);
    if (adds) {
        for (int i = 0; i < own_ref.n; i++)
            ref_free_route(&own_ref.r[i]);
        router_free(r);
    }
    return 0;
}
