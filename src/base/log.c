/*
 * log.c - JSON-lines logger on stderr. See log.h.
 */
#include "base/log.h"

#include "base/util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    atomic_store(&min_level, (int)level);
}

int log_parse_level(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
        if (str_eq(s, level_names[i])) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    size_t len;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    return str_valid_utf8((const char *)p, len) ? len : 0;
}

size_t log_json_quote(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    char *o = out;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            o[0] = '\\';
            o[1] = 'u';
            o[2] = '0';
            o[3] = '0';
            o[4] = hex[c >> 4];
            o[5] = hex[c & 0xf];
            o += 6;
            i++;
        } else if (c < 0x80) {
            *o++ = (char)c;
            i++;
        } else {
            size_t len = utf8_seq_len(p + i, n - i);
            if (len == 0) {
                /* U+FFFD, the replacement character, in UTF-8. */
                o[0] = (char)0xEF;
                o[1] = (char)0xBF;
                o[2] = (char)0xBD;
                o += 3;
                i++;
            } else {
                memcpy(o, p + i, len);
                o += len;
                i += len;
            }
        }
    }
    *o++ = '"';
    return (size_t)(o - out);
}

int log_json_string(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    char small[512];
    size_t room = LOG_JSON_QUOTED_MAX(n);
    char *tmp = room <= sizeof small ? small : xmalloc(room);
    int rc = strbuf_append(b, tmp, log_json_quote(tmp, s, n));
    if (tmp != small)
        free(tmp);
    return rc;
}

/* ---- Output ----
 *
 * One write(2) per line costs a system call per request (the access log);
 * at tens of thousands of requests a second that is a good part of a core.
 * So debug and info lines collect in a buffer that a small thread writes
 * out every LOG_FLUSH_MS (or the thread whose line does not fit, when it
 * fills); a warn or error line writes the buffer and itself at once, so
 * nothing important waits and the order of lines is kept. Lines are only
 * ever written whole.
 *
 * There are two buffers: the writer swaps the filled one for the empty
 * one under fill_mu and writes it with only write_mu held, so a thread
 * adding a line never waits for a write(2) (nor for a writer the
 * scheduler put aside) unless the buffer is full. Lock order: write_mu,
 * then fill_mu. */

#define LOG_BUF_SIZE (256 * 1024)
#define LOG_FLUSH_MS 20

static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER; /* held while writing */
static pthread_mutex_t fill_mu = PTHREAD_MUTEX_INITIALIZER;  /* guards fill_buf, fill_len */
static char log_bufs[2][LOG_BUF_SIZE];
static char *fill_buf = log_bufs[0]; /* lines being added */
static size_t fill_len;
static char *spare_buf = log_bufs[1]; /* empty, or being written (write_mu) */
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;
static bool unbuffered; /* no flusher thread: write every line at once */

static void write_all(const char *p, size_t left)
{
    while (left > 0) {
        ssize_t w = write(STDERR_FILENO, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
}

/* Writes the lines added so far; the caller holds write_mu. */
static void write_buffered(void)
{
    pthread_mutex_lock(&fill_mu);
    char *full = fill_buf;
    size_t len = fill_len;
    fill_buf = spare_buf;
    fill_len = 0;
    spare_buf = full;
    pthread_mutex_unlock(&fill_mu);
    write_all(full, len);
}

void log_flush(void)
{
    pthread_mutex_lock(&write_mu);
    write_buffered();
    pthread_mutex_unlock(&write_mu);
}

static void *flusher(void *arg)
{
    (void)arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = LOG_FLUSH_MS * 1000000L};
    for (;;) {
        nanosleep(&ts, NULL);
        log_flush();
    }
    return NULL;
}

static void start_flusher(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    /* Signals belong to the threads that wait for them, not to this one. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    unbuffered = pthread_create(&t, &attr, flusher, NULL) != 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (!unbuffered)
        atexit(log_flush);
}

static void output(enum log_level level, const char *line, size_t len)
{
    pthread_once(&flusher_once, start_flusher);
    if (level < LOG_WARN && !unbuffered && len <= LOG_BUF_SIZE) {
        for (;;) {
            pthread_mutex_lock(&fill_mu);
            if (fill_len + len <= LOG_BUF_SIZE) {
                memcpy(fill_buf + fill_len, line, len);
                fill_len += len;
                pthread_mutex_unlock(&fill_mu);
                return;
            }
            pthread_mutex_unlock(&fill_mu);
            log_flush(); /* full: write it here, then add the line */
        }
    }
    pthread_mutex_lock(&write_mu);
    write_buffered();
    write_all(line, len);
    pthread_mutex_unlock(&write_mu);
}

/* "2026-05-01T12:00:00.123Z": the part up to the seconds changes once a
 * second, so each thread keeps the last one it formatted. */
static void timestamp(char out[32])
{
    static _Thread_local int64_t last_sec = -1;
    static _Thread_local char last[24];
    int64_t ms = time_wall_ms();
    int64_t sec = ms / 1000;
    if (sec != last_sec) {
        char full[40];
        time_format_rfc3339(sec * 1000, full, sizeof full);
        memcpy(last, full, 19); /* YYYY-MM-DDTHH:MM:SS */
        last[19] = '\0';
        last_sec = sec;
    }
    int frac = (int)(ms % 1000);
    memcpy(out, last, 19);
    out[19] = '.';
    out[20] = (char)('0' + frac / 100);
    out[21] = (char)('0' + frac / 10 % 10);
    out[22] = (char)('0' + frac % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

/* Writes one line; it is built on the stack unless the message or the
 * fields are long. */
static void emit(enum log_level level, const char *msg, const char *fields)
{
    static const char head[] = "{\"ts\":\"";
    size_t mlen = strlen(msg);
    size_t flen = fields ? strlen(fields) : 0;
    /* head, timestamp, level and the quoted message, then ",fields}\n" */
    size_t need = sizeof head + 32 + 32 + LOG_JSON_QUOTED_MAX(mlen) + flen + 4;
    char small[2048];
    char *line = need <= sizeof small ? small : xmalloc(need);
    char *o = line;
    memcpy(o, head, sizeof head - 1);
    o += sizeof head - 1;
    timestamp(o);
    o += strlen(o);
    static const char lv[] = "\",\"level\":\"";
    memcpy(o, lv, sizeof lv - 1);
    o += sizeof lv - 1;
    size_t ln = strlen(level_names[level]);
    memcpy(o, level_names[level], ln);
    o += ln;
    static const char ms[] = "\",\"msg\":";
    memcpy(o, ms, sizeof ms - 1);
    o += sizeof ms - 1;
    o += log_json_quote(o, msg, mlen);
    if (flen > 0) {
        *o++ = ',';
        memcpy(o, fields, flen);
        o += flen;
    }
    *o++ = '}';
    *o++ = '\n';
    output(level, line, (size_t)(o - line));
    if (line != small)
        free(line);
}

bool log_enabled(enum log_level level)
{
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    emit(level, msg, NULL);
    free(msg);
}

void log_fields(enum log_level level, const char *msg, const char *fields)
{
    if ((int)level < atomic_load(&min_level))
        return;
    emit(level, msg, fields);
}
