/*
 * log.h - structured logging: one JSON object per line on stderr.
 *
 * Every line carries ts, level and msg; callers add fields as a pre-built
 * JSON fragment. Lines from different threads never interleave and keep
 * their order. Debug and info lines (the access log) are buffered and
 * written together, at most about 20 ms later (one write(2) for many
 * lines, not one per request); a warn or error line is written at once,
 * with every line before it. Whatever is buffered is written at exit().
 */
#ifndef CONVENE_LOG_H
#define CONVENE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level written. Default LOG_INFO. */
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error". Returns 0 or -1. */
int log_parse_level(const char *s, enum log_level *out);

/* Logs msg (printf-style) at level. The message is JSON-escaped. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Logs a line whose extra fields are given as a JSON object body without
 * braces, e.g. "\"id\":\"ab12\",\"status\":200". `fields` may be NULL. The
 * caller is responsible for the fragment being valid JSON.
 */
void log_fields(enum log_level level, const char *msg, const char *fields);

/* True when lines of this level are written (callers may skip building
 * fields nobody reads). */
bool log_enabled(enum log_level level);

/* Writes the buffered lines now (before _exit, abort or exec). */
void log_flush(void);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Appends s as a JSON string literal (with quotes) to the strbuf-like sink.
 * Invalid UTF-8 bytes are replaced by U+FFFD. Returns 0 or -1 (cap). */
struct strbuf;
int log_json_string(struct strbuf *b, const char *s);

/* The most bytes log_json_quote writes for n input bytes (a control
 * character becomes six). */
#define LOG_JSON_QUOTED_MAX(n) (6 * (size_t)(n) + 2)
/* Writes the n bytes at s as a JSON string literal (with quotes, no NUL)
 * at out, which has room for LOG_JSON_QUOTED_MAX(n) bytes, and returns
 * the length written. Same escaping as log_json_string. */
size_t log_json_quote(char *out, const char *s, size_t n);

#endif
