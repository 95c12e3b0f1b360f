/*
 * tmpl.h - mail templates: loading a template set from disk (with fallback
 * to English) and rendering `{{name}}` placeholders from a jansson object.
 * Pure code: reads files, never talks to the network or the database.
 *
 * Template syntax
 *   {{ name }}    replaced by the variable `name`; spaces inside the braces
 *                 are optional. Names are [a-z0-9_.]+; a dot walks into a
 *                 nested object (`{{activity.title}}` reads
 *                 vars["activity"]["title"]). Values must be strings or
 *                 numbers. In TMPL_HTML mode & < > " ' are escaped.
 *   {{{ body }}}  layouts only: the rendered body, inserted unescaped. Must
 *                 appear exactly once in a layout and nowhere else.
 *   {{ subject }} layouts only: the rendered subject (for the HTML <title>).
 * There is no escape for a literal "{{". A missing variable, a value of the
 * wrong type, an invalid name or an unterminated "{{" is an error: better a
 * mail not sent and logged than a mail with holes.
 *
 * Files of a set, under <root>/<lang>/:
 *   <name>.subject.txt  one line (a trailing line end is dropped)
 *   <name>.txt          plain-text body
 *   <name>.html         HTML body
 *   _layout.txt, _layout.html   optional wrappers around every body
 * All files must be UTF-8 (a leading BOM is dropped), at most TMPL_FILE_MAX
 * bytes, without NUL bytes.
 *
 * Errors: functions taking `char *err, size_t errlen` write a one-line,
 * NUL-terminated message there on failure (err may be NULL or errlen 0 to
 * discard it). Messages name files and variables, never variable values,
 * so they are safe for the server log.
 */
#ifndef CONVENE_TMPL_H
#define CONVENE_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "base/util.h"

/* Cap on one rendered part (subject, text body, HTML body). */
#define TMPL_OUTPUT_CAP (256u * 1024u)
/* Cap on one template file read from disk. */
#define TMPL_FILE_MAX (256u * 1024u)
/* Longest template name and language accepted by tmpl_load. */
#define TMPL_NAME_MAX 64
#define TMPL_LANG_MAX 32

enum tmpl_mode {
    TMPL_TEXT, /* values inserted verbatim */
    TMPL_HTML  /* values HTML-escaped: & < > " ' */
};

/* A loaded template set. All strings are owned by the set. */
struct tmpl_set {
    char *name;        /* template name, e.g. "verify_email" */
    char *lang;        /* language the message came from: requested or "en" */
    char *subject;     /* source of the subject line, line end removed */
    char *text;        /* source of the plain-text body */
    char *html;        /* source of the HTML body */
    char *layout_text; /* source of _layout.txt, or NULL when there is none */
    char *layout_html; /* source of _layout.html, or NULL when there is none */
};

/* One rendered message. All strings are owned by the message. */
struct tmpl_message {
    char *subject; /* a single line, no CR/LF or other control characters */
    char *text;    /* plain-text body, LF line ends as in the template */
    char *html;    /* HTML body, LF line ends as in the template */
};

/*
 * Renders the template `src` with the variables of `vars` (a JSON object;
 * NULL counts as an empty object) and appends the result to `out`, whose cap
 * limits the output (TMPL_OUTPUT_CAP is a sensible one). A `{{{...}}}` slot is
 * an error here: it belongs to layouts, which tmpl_render_set handles.
 * Returns 0, or -1 with a message in err; on failure `out` is unchanged.
 * Neither src nor vars is kept after the call.
 */
int tmpl_render(const char *src, const json_t *vars, enum tmpl_mode mode, strbuf *out, char *err,
                size_t errlen);

/*
 * Loads the template set `name` for language `lang` (NULL means "en") from
 * the directory `root` (e.g. "mail-templates"). name must match [a-z0-9_-]+
 * without a leading '_' (reserved for layouts), at most TMPL_NAME_MAX bytes;
 * lang must match [a-z0-9_-]+, at most TMPL_LANG_MAX bytes; anything else is
 * rejected, not fallen back from, so no path can be smuggled in.
 *
 * Fallback: the three message files come together from <lang>, or, when the
 * language directory or any of them is missing, together from "en", so a
 * mail never mixes languages between subject and body. Layouts come from the
 * language the message came from, else from "en", else there is no layout.
 * A file that exists but cannot be read, is too large or is not UTF-8 is an
 * error, not a reason to fall back.
 *
 * `out` is always reset first and is left ready for tmpl_set_free, also on
 * failure. On success the caller owns it and frees it with tmpl_set_free.
 * Returns 0, or -1 with a message in err.
 */
int tmpl_load(const char *root, const char *name, const char *lang, struct tmpl_set *out, char *err,
              size_t errlen);

/*
 * Renders a loaded set: the subject in TMPL_TEXT mode, the text body in
 * TMPL_TEXT mode wrapped in layout_text, the HTML body in TMPL_HTML mode
 * wrapped in layout_html. Layouts see the same variables plus `subject`.
 * A subject that contains CR, LF or another control character after
 * rendering (say, injected through a variable) is an error.
 *
 * `out` is always reset first and is left ready for tmpl_message_free, also
 * on failure. On success the caller owns the strings and frees them with
 * tmpl_message_free. Returns 0, or -1 with a message in err naming the part
 * ("verify_email.html: missing variable 'link'").
 */
int tmpl_render_set(const struct tmpl_set *set, const json_t *vars, struct tmpl_message *out,
                    char *err, size_t errlen);

/* Frees the strings of a set and zeroes it. Accepts NULL and a zeroed set. */
void tmpl_set_free(struct tmpl_set *set);

/* Frees the strings of a message and zeroes it. Accepts NULL and a zeroed
 * message. */
void tmpl_message_free(struct tmpl_message *msg);

#endif
