/*
 * api.c - validation, error replies and pagination for handlers. See api.h.
 */
#include "api/api.h"

#include "api/app.h"
#include "db/db.h"
#include "http/http.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Field validation ---- */

void api_fields_init(struct api_fields *f)
{
    f->errors = NULL;
}

void api_fields_free(struct api_fields *f)
{
    json_decref(f->errors);
    f->errors = NULL;
}

void api_field_error(struct api_fields *f, const char *field, const char *message)
{
    if (f->errors == NULL)
        f->errors = json_object();
    if (json_object_get(f->errors, field) == NULL)
        json_object_set_new(f->errors, field, json_string(message));
}

bool api_fields_ok(const struct api_fields *f)
{
    return f->errors == NULL;
}

bool api_fields_reply(struct http_req *req, struct api_fields *f)
{
    if (f->errors == NULL)
        return false;
    json_t *extra = json_pack("{s:O}", "fields", f->errors);
    api_fields_free(f);
    http_reply_error_with(req, 422, "validation_failed", extra,
                          "Some fields need attention; see \"fields\".");
    return true;
}

size_t api_utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80)
            n++;
    }
    return n;
}

static bool has_control(const char *s, bool multiline)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f)
            return true;
        if (*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r')))
            return true;
    }
    return false;
}

const char *api_string(struct http_req *req, json_t *obj, const char *key, struct api_fields *f,
                       unsigned flags, size_t min_chars, size_t max_bytes)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (flags & API_REQUIRED)
            api_field_error(f, key, "This field is required.");
        return NULL;
    }
    if (!json_is_string(v)) {
        api_field_error(f, key, "Must be a string.");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len || !str_valid_utf8(s, len)) {
        api_field_error(f, key, "Must be valid UTF-8 text without NUL characters.");
        return NULL;
    }
    if (flags & API_TRIM) {
        while (*s == ' ')
            s++;
        len = strlen(s);
        while (len > 0 && s[len - 1] == ' ')
            len--;
        char *copy = http_alloc(req, len + 1);
        memcpy(copy, s, len);
        copy[len] = '\0';
        s = copy;
    }
    if (has_control(s, (flags & API_MULTILINE) != 0)) {
        api_field_error(f, key, "Must not contain control characters.");
        return NULL;
    }
    if (len > max_bytes) {
        char msg[96];
        snprintf(msg, sizeof msg, "Must be at most %zu bytes long.", max_bytes);
        api_field_error(f, key, msg);
        return NULL;
    }
    if (api_utf8_chars(s) < min_chars) {
        char msg[96];
        if (min_chars == 1)
            snprintf(msg, sizeof msg, "Must not be empty.");
        else
            snprintf(msg, sizeof msg, "Must be at least %zu characters long.", min_chars);
        api_field_error(f, key, msg);
        return NULL;
    }
    return s;
}

bool api_integer(json_t *obj, const char *key, struct api_fields *f, unsigned flags, long min,
                 long max, long *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (flags & API_REQUIRED)
            api_field_error(f, key, "This field is required.");
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "Must be a whole number from %ld to %ld.", min, max);
        api_field_error(f, key, msg);
        return false;
    }
    *out = (long)json_integer_value(v);
    return true;
}

/* ---- Request context ---- */

struct app *api_app(struct http_req *req)
{
    return http_app(req);
}

struct db_conn *api_acquire(struct http_req *req)
{
    struct db_conn *c = db_acquire(api_app(req)->db);
    if (c == NULL)
        http_reply_unavailable(req);
    return c;
}

/* ---- Replies ---- */

void api_reply_db_error(struct http_req *req, struct db_conn *c)
{
    if (db_error_is_connection(c)) {
        http_reply_unavailable(req);
        return;
    }
    http_reply_error(req, 500, "server_error",
                     "Something went wrong on our side; the request was not completed.");
}

void api_reply_not_found(struct http_req *req, const char *what)
{
    http_reply_error(req, 404, "not_found", "No such %s.", what);
}

void api_reply_row_json(struct http_req *req, struct db_conn *c, struct db_result *r, int status,
                        const char *what)
{
    if (r == NULL) {
        api_reply_db_error(req, c);
        return;
    }
    const char *text = db_value(r, 0, 0);
    if (text == NULL)
        api_reply_not_found(req, what);
    else
        http_reply(req, status, "application/json", text, strlen(text));
    db_result_free(r);
}

/* ---- Pagination ---- */

bool api_page(struct http_req *req, long def, struct api_page *out)
{
    char buf[24];
    out->page = 1;
    out->per_page = def;
    int n = http_query(req, "page", buf, sizeof buf);
    if (n >= 0 && str_to_long(buf, 1, 1000000, &out->page) != 0) {
        http_reply_error(req, 400, "bad_request", "page must be a whole number from 1.");
        return false;
    }
    n = http_query(req, "per_page", buf, sizeof buf);
    if (n >= 0 && str_to_long(buf, 1, 100, &out->per_page) != 0) {
        http_reply_error(req, 400, "bad_request", "per_page must be a whole number from 1 to 100.");
        return false;
    }
    if (n == -2) {
        http_reply_error(req, 400, "bad_request", "per_page is not valid.");
        return false;
    }
    out->offset = (out->page - 1) * out->per_page;
    return true;
}
