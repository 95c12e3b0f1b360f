/*
 * fuzz_tmpl.c - mail templates (src/mail/tmpl.c).
 *
 * Input: byte 0 holds flags, the rest is cut at NUL into subject, text
 * body, HTML body, text layout, HTML layout and a JSON object of variables
 * (JSON escapes reach NUL and other bytes a C string cannot). The variables
 * also get "v" and "a.b" holding the raw last part, valid UTF-8 or not.
 * With flag 0x01 the characters < > & " ' are taken out of the templates
 * themselves, so any that reach the output came from a variable. Properties:
 *   - HTML mode never lets < > " ' out of a variable, and every & starts
 *     one of the five entities; unescaping the HTML rendering gives exactly
 *     the text rendering of the same template;
 *   - text and HTML rendering succeed or fail together; a failed render
 *     leaves the output buffer as it was and writes a one-line message;
 *   - a rendered set's subject has no CR, LF or other control character,
 *     and its HTML part obeys the escaping property above.
 */
#include "fuzz.h"

#include "mail/tmpl.h"

#include <stdbool.h>

enum { P_SUBJECT, P_TEXT, P_HTML, P_LAYOUT_TEXT, P_LAYOUT_HTML, P_VARS, P_COUNT };

static void check_escaped(const char *s, size_t n)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(s[i] != '<' && s[i] != '>' && s[i] != '"' && s[i] != '\'',
                    "no < > \" ' from a variable in HTML mode");
        if (s[i] != '&')
            continue;
        bool entity = false;
        for (size_t k = 0; k < 5 && !entity; k++)
            entity = strncmp(s + i, entities[k], strlen(entities[k])) == 0;
        FUZZ_ASSERT(entity, "every & from a variable starts an entity");
    }
}

/* Reverses the five entities (the only & in a stripped template's output). */
static char *unescape(const char *s, size_t n, size_t *out_len)
{
    static const struct {
        const char *entity;
        char c;
    } map[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    char *out = malloc(n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&') {
            for (size_t k = 0; k < 5; k++) {
                size_t len = strlen(map[k].entity);
                if (strncmp(s + i, map[k].entity, len) == 0) {
                    out[w++] = map[k].c;
                    i += len - 1;
                    break;
                }
            }
            continue;
        }
        out[w++] = s[i];
    }
    out[w] = '\0';
    *out_len = w;
    return out;
}

static void check_err(const char *err)
{
    FUZZ_ASSERT(strnlen(err, 256) < 256, "the message is terminated");
    FUZZ_ASSERT(err[0] != '\0', "a failure writes a message");
    FUZZ_ASSERT(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL, "one-line message");
}

/* Renders src in both modes after "PRE" and checks the properties. */
static void check_render(const char *src, const json_t *vars, bool stripped, size_t cap)
{
    strbuf text, html;
    strbuf_init(&text, cap);
    strbuf_init(&html, cap);
    FUZZ_ASSERT(strbuf_puts(&text, "PRE") == 0 && strbuf_puts(&html, "PRE") == 0, "prefix");
    char err_t[256] = "", err_h[256] = "";
    int rt = tmpl_render(src, vars, TMPL_TEXT, &text, err_t, sizeof err_t);
    int rh = tmpl_render(src, vars, TMPL_HTML, &html, err_h, sizeof err_h);
    if (rt != 0) {
        FUZZ_ASSERT(text.len == 3 && memcmp(text.data, "PRE", 3) == 0,
                    "a failed render leaves the buffer");
        check_err(err_t);
    }
    if (rh != 0) {
        FUZZ_ASSERT(html.len == 3 && memcmp(html.data, "PRE", 3) == 0,
                    "a failed render leaves the buffer");
        check_err(err_h);
    }
    if (cap == 0)
        FUZZ_ASSERT(rt == rh, "text and HTML rendering succeed or fail together");
    if (rt == 0 && rh == 0 && stripped) {
        check_escaped(html.data + 3, html.len - 3);
        size_t ulen;
        char *plain = unescape(html.data + 3, html.len - 3, &ulen);
        FUZZ_ASSERT(ulen == text.len - 3 && memcmp(plain, text.data + 3, ulen) == 0,
                    "unescaped HTML rendering equals the text rendering");
        free(plain);
    }
    strbuf_free(&text);
    strbuf_free(&html);
}

static char *strip_specials(const char *s)
{
    if (s == NULL)
        return NULL;
    char *c = strdup(s);
    for (char *p = c; *p; p++) {
        if (strchr("<>&\"'", *p) != NULL)
            *p = '_';
    }
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned flags = data[0];
    bool stripped = flags & 0x01;
    struct fuzz_parts p;
    fuzz_split(data + 1, size - 1, '\0', P_COUNT, &p);

    json_t *vars = NULL;
    const char *vsrc = fuzz_part(&p, P_VARS);
    size_t vlen = vsrc ? p.part[P_VARS].len : 0;
    if (vsrc != NULL)
        vars = json_loadb(vsrc, vlen, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
    if (!json_is_object(vars)) {
        json_decref(vars);
        vars = json_object();
    }
    const char *raw = vsrc ? vsrc : "<b>&'\"";
    json_object_set_new(vars, "v", json_stringn_nocheck(raw, vsrc ? vlen : strlen(raw)));
    json_object_set_new(
        vars, "a",
        json_pack("{s:s#,s:i,s:f}", "b", raw, (int)strlen(raw), "n", (int)flags, "x", flags / 7.0));

    char *src[P_VARS];
    for (int i = 0; i < P_VARS; i++) {
        const char *s = fuzz_part(&p, (size_t)i);
        if (s != NULL && s[0] == '\0' && i >= P_LAYOUT_TEXT)
            s = NULL; /* an empty layout part means "no layout" */
        src[i] = stripped ? strip_specials(s) : (s ? strdup(s) : NULL);
    }

    size_t cap = (flags & 0x02) ? 4 + (flags >> 2) * 8 : 0;
    if (src[P_HTML] != NULL)
        check_render(src[P_HTML], vars, stripped, cap);
    if (src[P_SUBJECT] != NULL)
        check_render(src[P_SUBJECT], vars, stripped, 0);

    struct tmpl_set set = {.name = "fuzz",
                           .lang = "en",
                           .subject = src[P_SUBJECT] ? src[P_SUBJECT] : "Subject",
                           .text = src[P_TEXT] ? src[P_TEXT] : "",
                           .html = src[P_HTML] ? src[P_HTML] : "",
                           .layout_text = src[P_LAYOUT_TEXT],
                           .layout_html = src[P_LAYOUT_HTML]};
    struct tmpl_message msg = {0};
    char err[256] = "";
    if (tmpl_render_set(&set, vars, &msg, err, sizeof err) == 0) {
        FUZZ_ASSERT(msg.subject && msg.text && msg.html, "a rendered set has all parts");
        for (const unsigned char *s = (const unsigned char *)msg.subject; *s; s++)
            FUZZ_ASSERT(*s >= 0x20 && *s != 0x7f, "the subject has no control characters");
        if (stripped)
            check_escaped(msg.html, strlen(msg.html));
    } else {
        check_err(err);
    }
    tmpl_message_free(&msg);

    for (int i = 0; i < P_VARS; i++)
        free(src[i]);
    json_decref(vars);
    fuzz_parts_free(&p);
    return 0;
}
