/*
 * tmpl.c - mail templates: the `{{name}}` renderer with text and HTML
 * escaping, layouts with their `{{{body}}}` slot, and loading template sets
 * from mail-templates/<lang>/ with fallback to English. Owns nothing beyond
 * the strings it hands out; see tmpl.h for the syntax and the contracts.
 */
#include "mail/tmpl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest placeholder name, dots included. */
#define NAME_MAX_LEN 64

/* What a layout gets besides the variables; NULL when rendering a body. */
struct layout_slots {
    const char *body;    /* rendered body, inserted unescaped */
    const char *subject; /* rendered subject, escaped like any value */
};

/* State of one rendering pass. */
struct render {
    const char *src; /* whole template, for line numbers in errors */
    const json_t *vars;
    enum tmpl_mode mode;
    const struct layout_slots *slots;
    int body_slots; /* how many {{{body}}} have been filled */
    strbuf *out;
    char *err;
    size_t errlen;
};

/* ---- Rendering ---- */

static int line_of(const char *src, const char *at)
{
    int line = 1;
    for (const char *p = src; p < at; p++) {
        if (*p == '\n')
            line++;
    }
    return line;
}

static const char *html_entity(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

static int put_escaped(strbuf *out, const char *s, size_t n, enum tmpl_mode mode)
{
    if (mode == TMPL_TEXT)
        return strbuf_append(out, s, n);
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n; i++) {
        const char *entity = html_entity(s[i]);
        if (entity == NULL)
            continue;
        if (strbuf_append(out, s + run, i - run) != 0 || strbuf_puts(out, entity) != 0)
            return -1;
        run = i + 1;
    }
    return strbuf_append(out, s + run, n - run);
}

static int too_large(const struct render *r)
{
    return errf(r->err, r->errlen, "output exceeds %zu bytes", r->out->cap);
}

/* Copies the name between a and b, spaces trimmed, into name. Fails unless it is
 * [a-z0-9_.]+ with no empty dot-separated part and at most NAME_MAX_LEN bytes. */
static int parse_name(const char *a, const char *b, char name[NAME_MAX_LEN + 1])
{
    while (a < b && *a == ' ')
        a++;
    while (b > a && b[-1] == ' ')
        b--;
    size_t n = (size_t)(b - a);
    if (n == 0 || n > NAME_MAX_LEN)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
        if (!ok)
            return -1;
        if (c == '.' && (i == 0 || i == n - 1 || a[i - 1] == '.'))
            return -1;
    }
    memcpy(name, a, n);
    name[n] = '\0';
    return 0;
}

/* Walks a validated dotted name through nested objects; NULL when absent. */
static const json_t *lookup(const json_t *vars, const char *name)
{
    const json_t *cur = vars;
    const char *seg = name;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t n = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
        char key[NAME_MAX_LEN + 1];
        memcpy(key, seg, n);
        key[n] = '\0';
        if (!json_is_object(cur))
            return NULL;
        cur = json_object_get(cur, key);
        if (cur == NULL || dot == NULL)
            return cur;
        seg = dot + 1;
    }
}

static int put_value(struct render *r, const char *name, const char *at)
{
    int rc;
    if (r->slots != NULL && strcmp(name, "subject") == 0) {
        rc = put_escaped(r->out, r->slots->subject, strlen(r->slots->subject), r->mode);
        return rc != 0 ? too_large(r) : 0;
    }
    const json_t *v = lookup(r->vars, name);
    if (v == NULL)
        return errf(r->err, r->errlen, "missing variable '%s' (line %d)", name,
                    line_of(r->src, at));
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (memchr(s, '\0', n) != NULL)
            return errf(r->err, r->errlen, "variable '%s' contains a NUL byte", name);
        rc = put_escaped(r->out, s, n, r->mode);
    } else if (json_is_integer(v)) {
        rc = strbuf_printf(r->out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        rc = strbuf_printf(r->out, "%.15g", json_real_value(v));
    } else {
        return errf(r->err, r->errlen, "variable '%s' is not a string or a number", name);
    }
    return rc != 0 ? too_large(r) : 0;
}

/* Handles "{{ name }}" starting at open; *next is set past the closing braces. */
static int placeholder(struct render *r, const char *open, const char **next)
{
    const char *close = strstr(open + 2, "}}");
    char name[NAME_MAX_LEN + 1];
    if (close == NULL)
        return errf(r->err, r->errlen, "unterminated {{ (line %d)", line_of(r->src, open));
    if (parse_name(open + 2, close, name) != 0)
        return errf(r->err, r->errlen, "invalid placeholder name (line %d)", line_of(r->src, open));
    if (put_value(r, name, open) != 0)
        return -1;
    *next = close + 2;
    return 0;
}

/* Handles "{{{ body }}}" starting at open; *next is set past the closing braces. */
static int raw_slot(struct render *r, const char *open, const char **next)
{
    int line = line_of(r->src, open);
    const char *close = strstr(open + 3, "}}}");
    char name[NAME_MAX_LEN + 1];
    if (r->slots == NULL)
        return errf(r->err, r->errlen, "{{{...}}} is only allowed in layouts (line %d)", line);
    if (close == NULL)
        return errf(r->err, r->errlen, "unterminated {{{ (line %d)", line);
    if (parse_name(open + 3, close, name) != 0 || strcmp(name, "body") != 0)
        return errf(r->err, r->errlen, "only {{{body}}} may be unescaped (line %d)", line);
    if (r->body_slots > 0)
        return errf(r->err, r->errlen, "{{{body}}} appears more than once (line %d)", line);
    r->body_slots++;
    if (strbuf_puts(r->out, r->slots->body) != 0)
        return too_large(r);
    *next = close + 3;
    return 0;
}

static int render_all(struct render *r)
{
    const char *p = r->src;
    for (;;) {
        const char *open = strstr(p, "{{");
        size_t n = open != NULL ? (size_t)(open - p) : strlen(p);
        if (strbuf_append(r->out, p, n) != 0)
            return too_large(r);
        if (open == NULL)
            return 0;
        int rc = open[2] == '{' ? raw_slot(r, open, &p) : placeholder(r, open, &p);
        if (rc != 0)
            return -1;
    }
}

/* Renders src into a scratch buffer and appends it to out only when all went
 * well, so out is unchanged on failure. slots is NULL except for layouts. */
static int render_common(const char *src, const json_t *vars, enum tmpl_mode mode,
                         const struct layout_slots *slots, strbuf *out, char *err, size_t errlen)
{
    int rc = -1;
    strbuf scratch;
    strbuf_init(&scratch, out->cap);
    struct render r = {.src = src,
                       .vars = vars,
                       .mode = mode,
                       .slots = slots,
                       .body_slots = 0,
                       .out = &scratch,
                       .err = err,
                       .errlen = errlen};
    if (src == NULL) {
        errf(err, errlen, "no template");
        goto out;
    }
    if (render_all(&r) != 0)
        goto out;
    if (slots != NULL && r.body_slots != 1) {
        errf(err, errlen, "layout has no {{{body}}} slot");
        goto out;
    }
    if (strbuf_append(out, strbuf_cstr(&scratch), scratch.len) != 0) {
        errf(err, errlen, "output exceeds %zu bytes", out->cap);
        goto out;
    }
    rc = 0;
out:
    strbuf_free(&scratch);
    return rc;
}

int tmpl_render(const char *src, const json_t *vars, enum tmpl_mode mode, strbuf *out, char *err,
                size_t errlen)
{
    return render_common(src, vars, mode, NULL, out, err, errlen);
}

/* ---- Rendering a set ---- */

/* Renders one part of a set (ext is "txt" or "html") and wraps it in its
 * layout when there is one. On success *result is a new string. */
static int render_part(const struct tmpl_set *set, const char *ext, const char *src,
                       const char *layout, const json_t *vars, enum tmpl_mode mode,
                       const char *subject, char **result, char *err, size_t errlen)
{
    int rc = -1;
    char msg[256];
    strbuf body, full;
    struct layout_slots slots = {.body = NULL, .subject = subject};
    strbuf_init(&body, TMPL_OUTPUT_CAP);
    strbuf_init(&full, TMPL_OUTPUT_CAP);
    if (render_common(src, vars, mode, NULL, &body, msg, sizeof msg) != 0) {
        errf(err, errlen, "%s.%s: %s", set->name, ext, msg);
        goto out;
    }
    if (layout == NULL) {
        *result = strbuf_detach(&body, NULL);
        rc = 0;
        goto out;
    }
    slots.body = strbuf_cstr(&body);
    if (render_common(layout, vars, mode, &slots, &full, msg, sizeof msg) != 0) {
        errf(err, errlen, "_layout.%s (for %s): %s", ext, set->name, msg);
        goto out;
    }
    *result = strbuf_detach(&full, NULL);
    rc = 0;
out:
    strbuf_free(&body);
    strbuf_free(&full);
    return rc;
}

/* A subject is one header line: no CR, LF, tab or other control character,
 * whether it came from the template or from a variable. */
static bool subject_is_one_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

int tmpl_render_set(const struct tmpl_set *set, const json_t *vars, struct tmpl_message *out,
                    char *err, size_t errlen)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (set == NULL || set->name == NULL || set->subject == NULL || set->text == NULL ||
        set->html == NULL) {
        errf(err, errlen, "template set not loaded");
        goto out;
    }
    if (render_part(set, "subject.txt", set->subject, NULL, vars, TMPL_TEXT, NULL, &out->subject,
                    err, errlen) != 0)
        goto out;
    if (!subject_is_one_line(out->subject)) {
        errf(err, errlen, "%s.subject.txt: rendered subject is not a single line", set->name);
        goto out;
    }
    if (render_part(set, "txt", set->text, set->layout_text, vars, TMPL_TEXT, out->subject,
                    &out->text, err, errlen) != 0)
        goto out;
    if (render_part(set, "html", set->html, set->layout_html, vars, TMPL_HTML, out->subject,
                    &out->html, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        tmpl_message_free(out);
    return rc;
}

void tmpl_message_free(struct tmpl_message *msg)
{
    if (msg == NULL)
        return;
    free(msg->subject);
    free(msg->text);
    free(msg->html);
    memset(msg, 0, sizeof *msg);
}

/* ---- Loading ---- */

/* [a-z0-9_-]+, at most max bytes: nothing that can climb out of a directory. */
static bool valid_ident(const char *s, size_t max)
{
    if (s == NULL)
        return false;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok || n >= max)
            return false;
    }
    return n > 0;
}

/* Reads a whole template file. Sets *out to a new string, or to NULL when the
 * file does not exist (not an error: the caller falls back). */
static int read_file(const char *path, char **out, char *err, size_t errlen)
{
    int rc = -1;
    strbuf buf;
    const char *text = NULL;
    strbuf_init(&buf, TMPL_FILE_MAX);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        char why[128];
        /* GNU strerror_r (we build with _GNU_SOURCE): thread-safe, returns the text. */
        if (e == ENOENT)
            rc = 0;
        else
            errf(err, errlen, "cannot open %s: %s", path, strerror_r(e, why, sizeof why));
        goto out;
    }
    for (;;) {
        char chunk[4096];
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n == 0)
            break;
        if (strbuf_append(&buf, chunk, n) != 0) {
            errf(err, errlen, "%s is larger than %u bytes", path, TMPL_FILE_MAX);
            goto out;
        }
    }
    if (ferror(f)) {
        errf(err, errlen, "cannot read %s", path);
        goto out;
    }
    text = strbuf_cstr(&buf);
    if (!str_valid_utf8(text, buf.len)) {
        errf(err, errlen, "%s is not valid UTF-8 (or contains a NUL byte)", path);
        goto out;
    }
    if (str_starts_with(text, "\xEF\xBB\xBF"))
        text += 3;
    *out = xstrdup(text);
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    strbuf_free(&buf);
    return rc;
}

static void strip_line_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static const char *const message_suffix[3] = {".subject.txt", ".txt", ".html"};

/* Loads the three message files of set->name from root/lang. *found is false
 * (and set untouched) when any of them does not exist. */
static int load_message(const char *root, const char *lang, struct tmpl_set *set, bool *found,
                        char *err, size_t errlen)
{
    int rc = -1;
    char *parts[3] = {NULL, NULL, NULL};
    *found = false;
    for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
        char *path = xasprintf("%s/%s/%s%s", root, lang, set->name, message_suffix[i]);
        int read_rc = read_file(path, &parts[i], err, errlen);
        free(path);
        if (read_rc != 0)
            goto out;
        if (parts[i] == NULL) {
            rc = 0;
            goto out;
        }
    }
    strip_line_end(parts[0]);
    set->subject = parts[0];
    set->text = parts[1];
    set->html = parts[2];
    memset(parts, 0, sizeof parts);
    *found = true;
    rc = 0;
out:
    for (size_t i = 0; i < ARRAY_LEN(parts); i++)
        free(parts[i]);
    return rc;
}

/* Loads _layout.<ext> from root/lang, else from root/en; *out stays NULL
 * when neither exists. */
static int load_layout(const char *root, const char *lang, const char *ext, char **out, char *err,
                       size_t errlen)
{
    char *path = xasprintf("%s/%s/_layout.%s", root, lang, ext);
    int rc = read_file(path, out, err, errlen);
    free(path);
    if (rc != 0 || *out != NULL || strcmp(lang, "en") == 0)
        return rc;
    path = xasprintf("%s/en/_layout.%s", root, ext);
    rc = read_file(path, out, err, errlen);
    free(path);
    return rc;
}

int tmpl_load(const char *root, const char *name, const char *lang, struct tmpl_set *out, char *err,
              size_t errlen)
{
    int rc = -1;
    bool found = false;
    memset(out, 0, sizeof *out);
    const char *used = lang != NULL ? lang : "en";
    if (root == NULL) {
        errf(err, errlen, "no template directory");
        goto out;
    }
    /* Never echo a rejected name or language: it may be user input. */
    if (!valid_ident(name, TMPL_NAME_MAX) || name[0] == '_') {
        errf(err, errlen, "invalid template name (want [a-z0-9_-]+, not starting with '_')");
        goto out;
    }
    if (!valid_ident(used, TMPL_LANG_MAX)) {
        errf(err, errlen, "invalid template language (want [a-z0-9_-]+)");
        goto out;
    }
    out->name = xstrdup(name);
    if (load_message(root, used, out, &found, err, errlen) != 0)
        goto out;
    if (!found && strcmp(used, "en") != 0) {
        used = "en";
        if (load_message(root, used, out, &found, err, errlen) != 0)
            goto out;
    }
    if (!found) {
        errf(err, errlen, "template %s not found: need %s/en/%s{.subject.txt,.txt,.html}", name,
             root, name);
        goto out;
    }
    out->lang = xstrdup(used);
    if (load_layout(root, used, "html", &out->layout_html, err, errlen) != 0 ||
        load_layout(root, used, "txt", &out->layout_text, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        tmpl_set_free(out);
    return rc;
}

void tmpl_set_free(struct tmpl_set *set)
{
    if (set == NULL)
        return;
    free(set->name);
    free(set->lang);
    free(set->subject);
    free(set->text);
    free(set->html);
    free(set->layout_text);
    free(set->layout_html);
    memset(set, 0, sizeof *set);
}
