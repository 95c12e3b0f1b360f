/*
 * util.h - small pure helpers shared by every module: memory allocation with
 * one out-of-memory policy, a growable byte buffer with a hard cap, string
 * and time helpers. Knows nothing of Convene's domain.
 *
 * Out-of-memory policy: the x* allocators never return NULL; they log one
 * line to stderr and abort(). A server that cannot allocate a few bytes
 * cannot answer honestly either, and a crash restarts cleanly (systemd).
 *
 * Result convention for the whole project: functions that can fail return
 * 0 on success and -1 on failure, unless documented otherwise.
 */
#ifndef CONVENE_UTIL_H
#define CONVENE_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Memory ---- */

/* malloc/calloc/realloc/strdup that abort on failure; never return NULL.
 * xmalloc(0) returns a unique pointer that must be freed. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates. s need not be terminated. */
char *xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* ---- Growable buffer with a cap ---- */

/*
 * A byte buffer that grows on demand up to `cap` bytes. Appends that would
 * exceed the cap fail with -1 and leave the buffer unchanged, so a caller
 * reading untrusted input can answer "too large" instead of growing forever.
 * The data is always NUL-terminated (the terminator is not counted in len
 * and not counted against the cap).
 */
typedef struct strbuf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;
} strbuf;

/* Initialises an empty buffer with the given cap (0 means SIZE_MAX/2). */
void strbuf_init(strbuf *b, size_t cap);
/* Frees the data; the buffer may be initialised again. Accepts NULL. */
void strbuf_free(strbuf *b);
/* Empties the buffer, keeping its storage. */
void strbuf_reset(strbuf *b);
int strbuf_append(strbuf *b, const void *data, size_t n);
int strbuf_puts(strbuf *b, const char *s);
int strbuf_putc(strbuf *b, char c);
int strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (never NULL: "" for an empty buffer) and hands ownership
 * to the caller; the buffer is left empty. */
char *strbuf_detach(strbuf *b, size_t *len_out);
/* The contents as a C string; valid until the next append. Never NULL. */
const char *strbuf_cstr(const strbuf *b);

/* ---- Strings ---- */

bool str_eq(const char *a, const char *b);
bool str_case_eq(const char *a, const char *b);
bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
/* True when the n bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). NUL bytes make it false. */
bool str_valid_utf8(const char *s, size_t n);
/* True when s contains CR, LF or NUL within its first n bytes; used to keep
 * user text out of protocol headers. */
bool str_has_crlf(const char *s, size_t n);
/* True when s is a path on this site to send a person back to after a
 * mail link: "/" then URL characters only (letters, digits and
 * -._~/?=&%#), at most 300 bytes; never "//host" or "/\\host". */
bool str_is_site_path(const char *s);
/* A new string: s with every byte but letters, digits and -._~
 * percent-encoded, for a query parameter's value. Never NULL. */
char *str_query_escape(const char *s);
/*
 * Parses a whole decimal integer in [min, max]. Leading/trailing spaces,
 * signs on unsigned ranges, empty strings and trailing garbage are errors.
 * Returns 0 and stores the value, or -1.
 */
int str_to_long(const char *s, long min, long max, long *out);

/* Formats a message into err (when err is not NULL and errlen > 0) and
 * returns -1, so failure paths can `return errf(err, errlen, ...)`. */
int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Time ---- */

/* Monotonic clock in nanoseconds, for durations. */
uint64_t time_mono_ns(void);
/* Wall clock in milliseconds since the epoch. */
int64_t time_wall_ms(void);
/* Initialises cv so that pthread_cond_timedwait reads its deadline on the
 * monotonic clock (a wall-clock jump neither shortens nor stretches it). */
void time_cond_init(pthread_cond_t *cv);
/* The monotonic instant ns (as time_mono_ns counts) as a deadline for
 * pthread_cond_timedwait on a condition made by time_cond_init. */
struct timespec time_mono_deadline(uint64_t ns);
/* Formats a wall-clock time (ms since epoch) as RFC 3339 UTC with
 * milliseconds, e.g. 2023-04-24T09:00:00.000Z, into out (>= 25 bytes). */
void time_format_rfc3339(int64_t wall_ms, char *out, size_t outlen);
/*
 * Parses an instant, "YYYY-MM-DDTHH:MM[:SS[.fraction]]" (a space may stand
 * for the T) followed by "Z" or "+HH:MM" / "-HH:MM" (a zone is required: an
 * instant, not a wall-clock time), at most 40 bytes, with a day that
 * exists, into seconds since the epoch. true when valid; *out is set only
 * then.
 */
bool time_parse_rfc3339(const char *s, double *out);

/* ---- IP addresses and blocks ---- */

/* Parses "a.b.c.d" or an IPv6 address into 16 bytes (IPv4 as
 * ::ffff:a.b.c.d). 0, or -1. */
int ip_parse16(const char *text, unsigned char out[16]);
/* Parses "addr" or "addr/bits" into its 16-byte network and prefix length
 * in that space (an IPv4 /8 is 104). 0, or -1 when malformed. */
int ip_block_parse(const char *entry, unsigned char net[16], int *bits);
/* True when addr is in list, comma- or space-separated addresses and
 * blocks; malformed entries match nothing. NULL addr or list: false. */
bool ip_in_list(const char *addr, const char *list);

#endif
