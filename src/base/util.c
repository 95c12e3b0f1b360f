/*
 * util.c - allocation with the abort-on-OOM policy, the capped strbuf,
 * string and time helpers. See util.h for the contracts.
 */
#include "base/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- Memory ---- */

static void oom(size_t n)
{
    fprintf(stderr, "convene: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        oom(0);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

/* ---- Growable buffer with a cap ---- */

void strbuf_init(strbuf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap ? cap : SIZE_MAX / 2;
}

void strbuf_free(strbuf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void strbuf_reset(strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int strbuf_append(strbuf *b, const void *data, size_t n)
{
    if (n > b->cap || b->len > b->cap - n)
        return -1;
    size_t need = b->len + n + 1;
    if (need > b->alloc) {
        size_t alloc = b->alloc ? b->alloc : 64;
        while (alloc < need)
            alloc *= 2;
        b->data = xrealloc(b->data, alloc);
        b->alloc = alloc;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int strbuf_puts(strbuf *b, const char *s)
{
    return strbuf_append(b, s, strlen(s));
}

int strbuf_putc(strbuf *b, char c)
{
    return strbuf_append(b, &c, 1);
}

int strbuf_printf(strbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return strbuf_append(b, small, (size_t)n);
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = strbuf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

char *strbuf_detach(strbuf *b, size_t *len_out)
{
    char *p = b->data ? b->data : xstrdup("");
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}

const char *strbuf_cstr(const strbuf *b)
{
    return b->data ? b->data : "";
}

/* ---- Strings ---- */

bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool str_case_eq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

bool str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool str_valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

bool str_has_crlf(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
            return true;
    }
    return false;
}

bool str_is_site_path(const char *s)
{
    if (s == NULL || s[0] != '/' || s[1] == '/' || strlen(s) > 300)
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && strchr("-._~/?=&%#", *p) == NULL)
            return false;
    }
    return true;
}

char *str_query_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = xmalloc(3 * n + 1);
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (isalnum(*p) || strchr("-._~", *p) != NULL) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

int str_to_long(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    /* Digits only, with a '-' where negatives are allowed: strtol would
     * also skip leading white space of every kind (CR, LF, VT, FF). */
    bool negative = *s == '-' && min < 0;
    if (!isdigit((unsigned char)s[negative ? 1 : 0]))
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static bool digits(const char *s, size_t n, long min, long max, long *out)
{
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v >= min && v <= max;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool time_parse_rfc3339(const char *s, double *out)
{
    long y, mo, d, h, mi, sec = 0, oh = 0, om = 0;
    size_t n = strlen(s);
    if (n < 17 || n > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':')
        return false;
    if (!digits(s, 4, 1, 9999, &y) || !digits(s + 5, 2, 1, 12, &mo) ||
        !digits(s + 8, 2, 1, 31, &d) || !digits(s + 11, 2, 0, 23, &h) ||
        !digits(s + 14, 2, 0, 59, &mi))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return false;
    const char *p = s + 16;
    double frac = 0;
    if (*p == ':') {
        if (!digits(p + 1, 2, 0, 59, &sec))
            return false;
        p += 3;
        if (*p == '.') {
            p++;
            double scale = 0.1;
            size_t k = 0;
            while (*p >= '0' && *p <= '9' && k < 9) {
                frac += (*p - '0') * scale;
                scale /= 10;
                p++;
                k++;
            }
            if (k == 0)
                return false;
        }
    }
    int sign = 0;
    if (str_eq(p, "Z")) {
        sign = 0;
    } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && p[3] == ':' &&
               digits(p + 1, 2, 0, 23, &oh) && digits(p + 4, 2, 0, 59, &om)) {
        sign = p[0] == '+' ? 1 : -1;
    } else {
        return false;
    }
    double t =
        (double)days_from_civil(y, mo, d) * 86400.0 + (double)(h * 3600 + mi * 60 + sec) + frac;
    *out = t - sign * (double)(oh * 3600 + om * 60);
    return true;
}

int errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- Time ---- */

uint64_t time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void time_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

struct timespec time_mono_deadline(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    return ts;
}

int64_t time_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_rfc3339(int64_t wall_ms, char *out, size_t outlen)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%03dZ", base, (int)(wall_ms % 1000));
}

/* ---- IP addresses and blocks ---- */

int ip_parse16(const char *text, unsigned char out[16])
{
    unsigned char v4[4];
    if (inet_pton(AF_INET, text, v4) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(out, mapped, 12);
        memcpy(out + 12, v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

int ip_block_parse(const char *entry, unsigned char net[16], int *bits)
{
    char host[64];
    const char *slash = strchr(entry, '/');
    size_t hlen = slash ? (size_t)(slash - entry) : strlen(entry);
    if (hlen == 0 || hlen >= sizeof host)
        return -1;
    memcpy(host, entry, hlen);
    host[hlen] = '\0';
    if (ip_parse16(host, net) != 0)
        return -1;
    bool v4 = strchr(host, ':') == NULL;
    long b = v4 ? 32 : 128;
    if (slash && str_to_long(slash + 1, 0, b, &b) != 0)
        return -1;
    *bits = (int)(v4 ? b + 96 : b); /* IPv4 counts after the mapped prefix */
    return 0;
}

bool ip_in_list(const char *addr, const char *list)
{
    unsigned char a[16];
    if (addr == NULL || list == NULL || ip_parse16(addr, a) != 0)
        return false;
    char *copy = xstrdup(list);
    bool found = false;
    char *save = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t && !found; t = strtok_r(NULL, ", ", &save)) {
        unsigned char net[16];
        int bits = 0;
        if (ip_block_parse(t, net, &bits) != 0)
            continue;
        size_t whole = (size_t)bits / 8;
        unsigned rest = (unsigned)bits % 8;
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        found =
            memcmp(a, net, whole) == 0 && (rest == 0 || (a[whole] & mask) == (net[whole] & mask));
    }
    free(copy);
    return found;
}
