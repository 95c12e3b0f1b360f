/*
 * log.c - JSON-lines logger on stderr. See log.h.
 */
#include "base/log.h"

#include "base/util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
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

int log_json_string(strbuf *b, const char *s)
{
    int rc = strbuf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t i = 0;
    while (rc == 0 && i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = strbuf_append(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            rc = strbuf_printf(b, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            rc = strbuf_putc(b, (char)c);
            i++;
        } else {
            size_t len = utf8_seq_len(p + i, n - i);
            if (len == 0) {
                rc = strbuf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                rc = strbuf_append(b, p + i, len);
                i += len;
            }
        }
    }
    if (rc == 0)
        rc = strbuf_putc(b, '"');
    return rc;
}

static void emit(enum log_level level, const char *msg, const char *fields)
{
    strbuf b;
    strbuf_init(&b, 64 * 1024);
    char ts[40];
    time_format_rfc3339(time_wall_ms(), ts, sizeof ts);
    strbuf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
    log_json_string(&b, msg);
    if (fields && *fields) {
        strbuf_putc(&b, ',');
        strbuf_puts(&b, fields);
    }
    strbuf_puts(&b, "}\n");
    const char *p = strbuf_cstr(&b);
    size_t left = b.len;
    while (left > 0) {
        ssize_t w = write(STDERR_FILENO, p, left);
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    strbuf_free(&b);
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
