/*
 * fuzz_path_query.c - the request path and query string as handlers see
 * them: CivetWeb's URL decoding (mg_url_decode, mg_get_var2), our
 * http_query (valid UTF-8, no NUL), the router over the decoded path with
 * the real route table, and api_page_query (src/api/api.c) over the query.
 *
 * Input: a request target "path?query". Properties:
 *   - the decoded path and every query value agree with a reference
 *     decoder written here (%XX, '+' as space in queries, a broken escape
 *     kept as it is, the first name=value pair whose name matches without
 *     regard to case, -2 when the value does not fit the buffer);
 *   - a value http_query hands out is valid UTF-8 without NUL, shorter
 *     than the buffer and NUL-terminated; anything else is -2;
 *   - a routed path's {id:int} parameters parse as numbers;
 *   - api_page_query either accepts (1 <= page <= 1000000, 1 <= per_page <= 100,
 *     offset consistent, no reply) or answers exactly one 400 bad_request,
 *     and it answers 400 whenever page or per_page is present but not a
 *     plain decimal number in range.
 *
 * http_query needs a request, so its two lines are copied below (query_get)
 * over CivetWeb's real mg_get_var2; extracting them as a pure
 * http_query_string(qs, name, buf, buflen) in http.c would let this target
 * call the code itself.
 */
#include "fuzz.h"

#include "api/api.h"
#include "base/util.h"
#include "fake_http.h"
#include "http/router.h"

#include <civetweb.h>
#include <limits.h>
#include <stdbool.h>

static const struct {
    const char *method, *pattern;
} real_routes[] = {
#include "routes.inc"
};

/* The body of http_query (src/http/http.c) over a bare query string. */
static int query_get(const char *qs, const char *name, char *buf, size_t buflen)
{
    int n = mg_get_var2(qs, strlen(qs), name, buf, buflen, 0);
    if (n == -1)
        return -1;
    if (n < 0 || !str_valid_utf8(buf, (size_t)n))
        return -2;
    return n;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reference URL decoding of s[0..n) into out (n + 1 bytes); the length. */
static size_t ref_decode(const char *s, size_t n, bool form, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out[w++] = (char)(hex(s[i + 1]) << 4 | hex(s[i + 2]));
            i += 2;
        } else if (form && s[i] == '+') {
            out[w++] = ' ';
        } else {
            out[w++] = s[i];
        }
    }
    out[w] = '\0';
    return w;
}

/* Reference lookup: -1 absent, -2 too long for buflen, else the length. */
static int ref_query(const char *qs, const char *name, char *out, size_t buflen)
{
    size_t nl = strlen(name), qn = strlen(qs);
    for (size_t i = 0; i + nl < qn; i++) {
        if (i > 0 && qs[i - 1] != '&')
            continue;
        if (qs[i + nl] != '=' || strncasecmp(qs + i, name, nl) != 0)
            continue;
        const char *v = qs + i + nl + 1;
        const char *amp = strchr(v, '&');
        size_t vn = amp ? (size_t)(amp - v) : strlen(v);
        size_t len = ref_decode(v, vn, true, out);
        return len + 1 > buflen ? -2 : (int)len;
    }
    return -1;
}

static const char *const names[] = {"page", "per_page", "q",     "from",   "to",      "status",
                                    "kind", "city",     "month", "online", "section", "ms"};

static void check_query(const char *qs)
{
    for (size_t k = 0; k < ARRAY_LEN(names); k++) {
        size_t sizes[2] = {24, 256};
        for (int s = 0; s < 2; s++) {
            char buf[256], want[4200];
            memset(buf, '#', sizeof buf);
            int n = query_get(qs, names[k], buf, sizes[s]);
            int r = ref_query(qs, names[k], want, sizes[s]);
            FUZZ_ASSERT(n >= -2, "http_query answers -2, -1 or a length");
            if (r == -1) {
                FUZZ_ASSERT(n == -1, "an absent parameter is -1");
                continue;
            }
            if (r == -2) {
                FUZZ_ASSERT(n == -2, "a value that does not fit is -2");
                continue;
            }
            bool valid = fuzz_utf8_ok(want, (size_t)r);
            FUZZ_ASSERT(n == (valid ? r : -2), "bad UTF-8 or NUL is -2, else the value");
            if (n < 0)
                continue;
            FUZZ_ASSERT((size_t)n < sizes[s] && buf[n] == '\0' && strlen(buf) == (size_t)n,
                        "a value is NUL-terminated, without NUL, inside the buffer");
            FUZZ_ASSERT(memcmp(buf, want, (size_t)n) == 0, "a value decodes as the reference");
        }
    }
}

/* "1".."max" written as plain decimal digits (a leading 0 allowed). */
static bool plain_number(const char *s, long max)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= max;
}

static void check_page(const char *qs)
{
    struct http_req req = {.query = qs};
    struct api_page pg;
    bool ok = api_page_query(&req, 20, &pg) == 0;
    if (ok) {
        FUZZ_ASSERT(req.replies == 0, "an accepted page sends no reply");
        FUZZ_ASSERT(pg.page >= 1 && pg.page <= 1000000, "page in range");
        FUZZ_ASSERT(pg.per_page >= 1 && pg.per_page <= 100, "per_page in range");
        FUZZ_ASSERT(pg.offset == (pg.page - 1) * pg.per_page, "offset from page and per_page");
    } else {
        FUZZ_ASSERT(req.replies == 1 && req.status == 400 && strcmp(req.code, "bad_request") == 0,
                    "a refused page answers one 400 bad_request");
    }
    char v[4200];
    int np = ref_query(qs, "page", v, sizeof v);
    bool page_bad = np >= 0 && !plain_number(v, 1000000);
    int nn = ref_query(qs, "per_page", v, sizeof v);
    bool per_bad = nn >= 0 && !plain_number(v, 100);
    if (page_bad || per_bad)
        FUZZ_ASSERT(!ok, "a present page or per_page that is not a number in range is a 400");
    fake_req_end(&req);
}

static void check_path(const char *path, size_t n)
{
    static struct router *r;
    if (r == NULL) {
        r = router_new();
        for (size_t i = 0; i < ARRAY_LEN(real_routes); i++)
            FUZZ_ASSERT(router_add(r, real_routes[i].method, real_routes[i].pattern, NULL, 0) >= 0,
                        "the real route table is well-formed");
    }
    char *dec = malloc(n + 1), *want = malloc(n + 1);
    int len = mg_url_decode(path, (int)n, dec, (int)n + 1, 0);
    size_t wlen = ref_decode(path, n, false, want);
    FUZZ_ASSERT(len >= 0 && (size_t)len == wlen && memcmp(dec, want, wlen) == 0,
                "the path decodes as the reference");
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t k = 0; k < ARRAY_LEN(methods); k++) {
        struct route_match m;
        if (router_match(r, methods[k], dec, &m) != ROUTER_FOUND)
            continue;
        for (int i = 0; i < m.nparams; i++) {
            char typed[80], untyped[80];
            snprintf(typed, sizeof typed, "{%s:int}", m.params[i].name);
            snprintf(untyped, sizeof untyped, "{%s}", m.params[i].name);
            bool is_int = strstr(m.pattern, typed) != NULL;
            FUZZ_ASSERT(is_int || strstr(m.pattern, untyped) != NULL,
                        "a parameter name comes from the pattern");
            if (is_int) {
                long v;
                FUZZ_ASSERT(str_to_long(m.params[i].value, 0, LONG_MAX, &v) == 0,
                            "an int parameter parses");
            }
            FUZZ_ASSERT(strchr(m.params[i].value, '/') == NULL, "a parameter is one segment");
        }
    }
    free(dec);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_query = query_get;
    if (size > 4000)
        return 0;
    char *target = strndup((const char *)data, size);
    char *qmark = strchr(target, '?');
    const char *qs = qmark ? qmark + 1 : "";
    size_t path_len = qmark ? (size_t)(qmark - target) : strlen(target);
    check_path(target, path_len);
    check_query(qs);
    check_page(qs);
    free(target);
    return 0;
}
