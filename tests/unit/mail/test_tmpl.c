/*
 * test_tmpl.c - unit tests of the mail template module: placeholder syntax,
 * escaping, errors that stop a mail with holes, loading with fallback and
 * path checks (from a temporary directory), and the shipped English set:
 * every template rendered with its sample variables (samples.json beside
 * this file) in the layout, checked against the layout's contract and
 * written to CONVENE_MAIL_PREVIEW_DIR (build/mail-previews/) for the
 * browser test tests/e2e/mail.test.mjs.
 */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "mail/tmpl.h"

#ifndef CONVENE_SOURCE_DIR
#define CONVENE_SOURCE_DIR "."
#endif

/* ---- Helpers ---- */

static char tmp_root[64];

static void write_file(const char *rel, const char *content)
{
    char *path = xasprintf("%s/%s", tmp_root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700); /* one level is all the fixtures need */
    *slash = '/';
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(content, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    free(path);
}

static void setup_root(void)
{
    strcpy(tmp_root, "/tmp/convene-tmpl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_root));
    write_file("en/_layout.txt", "HEADER\n{{{body}}}--\nsent by {{base_url}}\n");
    write_file("en/_layout.html", "<title>{{subject}}</title><main>{{{ body }}}</main>\n");
    write_file("en/hello.subject.txt", "Hello {{name}}\n");
    write_file("en/hello.txt", "Hi {{name}}, see {{link}}\n");
    write_file("en/hello.html", "<p>Hi {{name}}, <a href=\"{{link}}\">go</a></p>\n");
    write_file("ko/hello.subject.txt", "안녕하세요 {{name}}\n");
    write_file("ko/hello.txt", "KO {{name}}\n");
    write_file("ko/hello.html", "<p>KO {{name}}</p>\n");
    write_file("de/hello.subject.txt", "Hallo {{name}}\n"); /* de lacks the bodies */
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown_root(void)
{
    nftw(tmp_root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static json_t *hello_vars(const char *name)
{
    return json_pack("{s:s, s:s, s:s}", "name", name, "link", "https://x.example/v?t=1&u=2",
                     "base_url", "https://x.example");
}

/* Renders src with vars into a fresh buffer; returns the rc, output in *text. */
static int render(const char *src, json_t *vars, enum tmpl_mode mode, char **text, char *err,
                  size_t errlen)
{
    strbuf out;
    strbuf_init(&out, TMPL_OUTPUT_CAP);
    int rc = tmpl_render(src, vars, mode, &out, err, errlen);
    *text = strbuf_detach(&out, NULL);
    return rc;
}

/* ---- Rendering ---- */

START_TEST(test_text_mode_is_verbatim)
{
    json_t *vars = json_pack("{s:s}", "name", "<script>alert('x')</script> & \"q\"");
    char *out = NULL;
    char err[256] = "";
    ck_assert_int_eq(render("Hi {{name}}|{{ name }}", vars, TMPL_TEXT, &out, err, sizeof err), 0);
    ck_assert_str_eq(out, "Hi <script>alert('x')</script> & \"q\"|"
                          "<script>alert('x')</script> & \"q\"");
    free(out);
    json_decref(vars);
}
END_TEST

START_TEST(test_html_mode_escapes)
{
    json_t *vars = json_pack("{s:s}", "name", "<script>alert('x')</script> & \"q\"");
    char *out = NULL;
    char err[256] = "";
    ck_assert_int_eq(render("<b>{{name}}</b>", vars, TMPL_HTML, &out, err, sizeof err), 0);
    ck_assert_str_eq(out, "<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                          "&quot;q&quot;</b>");
    ck_assert_ptr_null(strstr(out, "<script"));
    free(out);
    json_decref(vars);
}
END_TEST

START_TEST(test_numbers_nested_and_utf8)
{
    json_t *vars = json_pack("{s:i, s:f, s:{s:s}, s:s}", "expires_minutes", 30, "ratio", 1.5,
                             "activity", "title", "Smart Cities 2023", "name", "สมชาย ใจดี");
    char *out = NULL;
    char err[256] = "";
    const char *src = "{{expires_minutes}} {{ratio}} {{activity.title}} {{name}}";
    ck_assert_int_eq(render(src, vars, TMPL_HTML, &out, err, sizeof err), 0);
    ck_assert_str_eq(out, "30 1.5 Smart Cities 2023 สมชาย ใจดี");
    free(out);
    json_decref(vars);
}
END_TEST

START_TEST(test_missing_variable_is_named)
{
    json_t *vars = json_pack("{s:s}", "name", "Kim");
    strbuf out;
    strbuf_init(&out, TMPL_OUTPUT_CAP);
    ck_assert_int_eq(strbuf_puts(&out, "kept"), 0);
    char err[256] = "";
    int rc = tmpl_render("Hi {{name}},\nopen {{link}}", vars, TMPL_TEXT, &out, err, sizeof err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(err, "'link'"));
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    ck_assert_str_eq(strbuf_cstr(&out), "kept"); /* no half-rendered output */
    strbuf_free(&out);
    json_decref(vars);
}
END_TEST

START_TEST(test_null_vars_means_empty)
{
    char *out = NULL;
    char err[256] = "";
    ck_assert_int_eq(render("no placeholders", NULL, TMPL_TEXT, &out, err, sizeof err), 0);
    ck_assert_str_eq(out, "no placeholders");
    free(out);
    ck_assert_int_eq(render("{{name}}", NULL, TMPL_TEXT, &out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "'name'"));
    free(out);
}
END_TEST

START_TEST(test_unterminated_braces)
{
    static const char *const bad[] = {"Hello {{name", "Hello {{ name }", "{{", "a {{name}} b {{"};
    json_t *vars = json_pack("{s:s}", "name", "Kim");
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *out = NULL;
        char err[256] = "";
        ck_assert_int_eq(render(bad[i], vars, TMPL_TEXT, &out, err, sizeof err), -1);
        ck_assert_msg(strstr(err, "unterminated") != NULL, "%s: %s", bad[i], err);
        free(out);
    }
    json_decref(vars);
}
END_TEST

START_TEST(test_invalid_placeholder_names)
{
    static const char *const bad[] = {"{{Name}}",  "{{na me}}", "{{}}",   "{{ }}",
                                      "{{a..b}}",  "{{.a}}",    "{{a.}}", "{{na-me}}",
                                      "{{ {x} }}", "{{name\n}}"};
    json_t *vars = json_pack("{s:s}", "name", "Kim");
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *out = NULL;
        char err[256] = "";
        ck_assert_msg(render(bad[i], vars, TMPL_TEXT, &out, err, sizeof err) == -1, "%s", bad[i]);
        free(out);
    }
    json_decref(vars);
}
END_TEST

START_TEST(test_values_must_be_strings_or_numbers)
{
    json_t *vars = json_pack("{s:b, s:n, s:[], s:{}}", "flag", 1, "nothing", "list", "obj");
    static const char *const bad[] = {"{{flag}}", "{{nothing}}", "{{list}}", "{{obj}}"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *out = NULL;
        char err[256] = "";
        ck_assert_int_eq(render(bad[i], vars, TMPL_TEXT, &out, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "not a string or a number"));
        free(out);
    }
    json_decref(vars);
}
END_TEST

START_TEST(test_raw_slot_only_in_layouts)
{
    json_t *vars = json_pack("{s:s}", "body", "<script>");
    char *out = NULL;
    char err[256] = "";
    ck_assert_int_eq(render("x {{{body}}} y", vars, TMPL_HTML, &out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "only allowed in layouts"));
    free(out);
    json_decref(vars);
}
END_TEST

START_TEST(test_output_cap)
{
    json_t *vars = json_pack("{s:s}", "name", "a value far longer than ten bytes");
    strbuf out;
    strbuf_init(&out, 10);
    char err[256] = "";
    ck_assert_int_eq(tmpl_render("{{name}}", vars, TMPL_TEXT, &out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "exceeds"));
    ck_assert_uint_eq(out.len, 0);
    strbuf_free(&out);
    json_decref(vars);
}
END_TEST

START_TEST(test_every_cap_is_refused_whole)
{
    /* Escapes, numbers of both kinds and literal text: wherever the cap
     * falls, the render fails, says so and leaves the buffer empty. */
    json_t *vars = json_pack("{s:s, s:i, s:f, s:{s:s}}", "name", "<Kim & \"Lee\">", "count", 42,
                             "ratio", 0.5, "org", "city", "Seoul's");
    const char *src = "Dear {{name}}: {{count}} seats, {{ratio}} full, {{org.city}} & co.";
    for (int mode = TMPL_TEXT; mode <= TMPL_HTML; mode++) {
        strbuf out;
        strbuf_init(&out, 0);
        char err[256] = "";
        ck_assert_int_eq(tmpl_render(src, vars, (enum tmpl_mode)mode, &out, err, sizeof err), 0);
        size_t need = out.len;
        char *want = strbuf_detach(&out, NULL);
        for (size_t cap = 1; cap < need; cap++) {
            strbuf_init(&out, cap);
            err[0] = '\0';
            ck_assert_msg(tmpl_render(src, vars, (enum tmpl_mode)mode, &out, err, sizeof err) == -1,
                          "mode %d cap %zu of %zu", mode, cap, need);
            ck_assert_msg(strstr(err, "exceeds") != NULL, "cap %zu: %s", cap, err);
            ck_assert_uint_eq(out.len, 0);
            strbuf_free(&out);
        }
        strbuf_init(&out, need);
        ck_assert_int_eq(tmpl_render(src, vars, (enum tmpl_mode)mode, &out, err, sizeof err), 0);
        ck_assert_str_eq(out.data, want);
        strbuf_free(&out);
        free(want);
    }
    json_decref(vars);
}
END_TEST

START_TEST(test_names_at_their_limits)
{
    /* 64 characters of name (dots included) are fine; 65 are not. */
    char name[70];
    memset(name, 'a', 64);
    name[64] = '\0';
    name[10] = '.';
    json_t *inner = json_object();
    char rest[60];
    memset(rest, 'a', 53);
    rest[53] = '\0';
    json_object_set_new(inner, rest, json_string("deep"));
    json_t *vars = json_object();
    json_object_set_new(vars, "aaaaaaaaaa", inner);
    char src[100];
    snprintf(src, sizeof src, "{{ %s }}", name);
    char *out = NULL;
    char err[256] = "";
    ck_assert_msg(render(src, vars, TMPL_TEXT, &out, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(out, "deep");
    free(out);
    out = NULL;
    snprintf(src, sizeof src, "{{%sa}}", name);
    ck_assert_int_eq(render(src, vars, TMPL_TEXT, &out, err, sizeof err), -1);
    free(out);
    json_decref(vars);
}
END_TEST

START_TEST(test_lookups_through_non_objects)
{
    json_t *vars = json_pack("{s:s, s:{s:i}}", "name", "Kim", "org", "size", 3);
    static const char *const missing[] = {"{{name.first}}", "{{org.city}}", "{{org.size.x}}",
                                          "{{nobody.name}}"};
    for (size_t i = 0; i < ARRAY_LEN(missing); i++) {
        char *out = NULL;
        char err[256] = "";
        ck_assert_msg(render(missing[i], vars, TMPL_TEXT, &out, err, sizeof err) == -1, "%s",
                      missing[i]);
        ck_assert_msg(strstr(err, "missing variable") != NULL, "%s: %s", missing[i], err);
        free(out);
    }
    char *out = NULL;
    char err[256] = "";
    ck_assert_int_eq(render("{{org.size}}", vars, TMPL_TEXT, &out, err, sizeof err), 0);
    ck_assert_str_eq(out, "3");
    free(out);
    json_decref(vars);
    /* A NUL inside a value is refused, in either mode. */
    vars = json_object();
    json_object_set_new(vars, "v", json_stringn("a\0b", 3));
    for (int mode = TMPL_TEXT; mode <= TMPL_HTML; mode++) {
        out = NULL;
        ck_assert_int_eq(render("{{v}}", vars, (enum tmpl_mode)mode, &out, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "NUL"));
        free(out);
    }
    json_decref(vars);
}
END_TEST

/* ---- Loading and rendering sets ---- */

START_TEST(test_load_and_render_set)
{
    struct tmpl_set set;
    struct tmpl_message msg;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "en", &set, err, sizeof err), 0);
    ck_assert_str_eq(set.lang, "en");
    ck_assert_str_eq(set.subject, "Hello {{name}}"); /* line end dropped */
    json_t *vars = hello_vars("Kim & <Lee>");
    ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), 0);
    ck_assert_str_eq(msg.subject, "Hello Kim & <Lee>");
    ck_assert_str_eq(msg.text, "HEADER\nHi Kim & <Lee>, see https://x.example/v?t=1&u=2\n"
                               "--\nsent by https://x.example\n");
    ck_assert_str_eq(msg.html, "<title>Hello Kim &amp; &lt;Lee&gt;</title><main><p>Hi Kim &amp; "
                               "&lt;Lee&gt;, <a href=\"https://x.example/v?t=1&amp;u=2\">go</a>"
                               "</p>\n</main>\n");
    tmpl_message_free(&msg);
    tmpl_set_free(&set);
    json_decref(vars);
}
END_TEST

START_TEST(test_fallback_th_to_en)
{
    struct tmpl_set set;
    struct tmpl_message msg;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "th", &set, err, sizeof err), 0);
    ck_assert_str_eq(set.lang, "en");
    json_t *vars = hello_vars("สมชาย ใจดี");
    ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), 0);
    ck_assert_str_eq(msg.subject, "Hello สมชาย ใจดี");
    tmpl_message_free(&msg);
    tmpl_set_free(&set);
    json_decref(vars);
}
END_TEST

START_TEST(test_partial_language_falls_back_whole)
{
    struct tmpl_set set;
    char err[256] = "";
    /* de has only the subject: all three parts come from en, never a mix. */
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "de", &set, err, sizeof err), 0);
    ck_assert_str_eq(set.lang, "en");
    ck_assert_str_eq(set.subject, "Hello {{name}}");
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_language_with_layout_from_en)
{
    struct tmpl_set set;
    struct tmpl_message msg;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "ko", &set, err, sizeof err), 0);
    ck_assert_str_eq(set.lang, "ko");
    ck_assert_ptr_nonnull(set.layout_html); /* ko has none: en's is used */
    json_t *vars = hello_vars("김민준");
    ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), 0);
    ck_assert_str_eq(msg.subject, "안녕하세요 김민준");
    ck_assert_str_eq(msg.text, "HEADER\nKO 김민준\n--\nsent by https://x.example\n");
    tmpl_message_free(&msg);
    tmpl_set_free(&set);
    json_decref(vars);
}
END_TEST

START_TEST(test_null_lang_means_en)
{
    struct tmpl_set set;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", NULL, &set, err, sizeof err), 0);
    ck_assert_str_eq(set.lang, "en");
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_path_tricks_rejected)
{
    static const char *const bad_names[] = {
        "../en/hello", "..",      "en/hello", "/etc/passwd", "",        "Hello",
        "hello.txt",   "_layout", "a b",      "hello\n",     "h%2e%2e", "hello\\x"};
    static const char *const bad_langs[] = {"../en", "..", "en/..", "EN", "", "en.", "/tmp", "e n"};
    struct tmpl_set set;
    char err[256] = "";
    for (size_t i = 0; i < ARRAY_LEN(bad_names); i++) {
        ck_assert_msg(tmpl_load(tmp_root, bad_names[i], "en", &set, err, sizeof err) == -1, "%s",
                      bad_names[i]);
        ck_assert_ptr_nonnull(strstr(err, "invalid template name"));
        ck_assert_ptr_null(set.subject);
        tmpl_set_free(&set);
    }
    for (size_t i = 0; i < ARRAY_LEN(bad_langs); i++) {
        ck_assert_msg(tmpl_load(tmp_root, "hello", bad_langs[i], &set, err, sizeof err) == -1, "%s",
                      bad_langs[i]);
        ck_assert_ptr_nonnull(strstr(err, "invalid template language"));
        tmpl_set_free(&set);
    }
    ck_assert_int_eq(tmpl_load(tmp_root, NULL, "en", &set, err, sizeof err), -1);
    ck_assert_int_eq(tmpl_load(NULL, "hello", "en", &set, err, sizeof err), -1);
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_missing_template)
{
    struct tmpl_set set;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "nope", "th", &set, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_subject_injection_rejected)
{
    static const char *const evil[] = {"Kim\r\nBcc: victim@example.org", "Kim\nX: y", "Kim\rX",
                                       "Kim\tLee"};
    struct tmpl_set set;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "en", &set, err, sizeof err), 0);
    for (size_t i = 0; i < ARRAY_LEN(evil); i++) {
        struct tmpl_message msg;
        json_t *vars = hello_vars(evil[i]);
        ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "hello.subject.txt"));
        ck_assert_ptr_null(msg.subject);
        ck_assert_ptr_null(msg.text);
        tmpl_message_free(&msg);
        json_decref(vars);
    }
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_render_set_error_names_part)
{
    struct tmpl_set set;
    struct tmpl_message msg;
    char err[256] = "";
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "en", &set, err, sizeof err), 0);
    json_t *vars = json_pack("{s:s, s:s}", "name", "Kim", "base_url", "https://x.example");
    ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), -1);
    ck_assert_str_eq(err, "hello.txt: missing variable 'link' (line 1)");
    tmpl_set_free(&set);
    json_decref(vars);
}
END_TEST

START_TEST(test_layout_needs_one_body_slot)
{
    struct tmpl_set set;
    struct tmpl_message msg;
    char err[256] = "";
    write_file("xx/hello.subject.txt", "S");
    write_file("xx/hello.txt", "T");
    write_file("xx/hello.html", "H");
    write_file("xx/_layout.txt", "no slot here\n");
    write_file("xx/_layout.html", "{{{body}}}{{{body}}}");
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "xx", &set, err, sizeof err), 0);
    json_t *vars = hello_vars("Kim");
    ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no {{{body}}} slot"));
    free(set.layout_text);
    set.layout_text = NULL;
    ck_assert_int_eq(tmpl_render_set(&set, vars, &msg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "more than once"));
    tmpl_set_free(&set);
    json_decref(vars);
}
END_TEST

START_TEST(test_bad_file_is_error_not_fallback)
{
    struct tmpl_set set;
    char err[256] = "";
    write_file("yy/hello.subject.txt", "S");
    write_file("yy/hello.txt", "bad \xC3\x28 utf-8");
    write_file("yy/hello.html", "H");
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "yy", &set, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "UTF-8"));
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_bom_is_dropped)
{
    struct tmpl_set set;
    char err[256] = "";
    write_file("zz/hello.subject.txt", "\xEF\xBB\xBFSubject\r\n");
    write_file("zz/hello.txt", "T");
    write_file("zz/hello.html", "H");
    ck_assert_int_eq(tmpl_load(tmp_root, "hello", "zz", &set, err, sizeof err), 0);
    ck_assert_str_eq(set.subject, "Subject");
    tmpl_set_free(&set);
}
END_TEST

START_TEST(test_free_accepts_null_and_empty)
{
    struct tmpl_set set;
    struct tmpl_message msg;
    memset(&set, 0, sizeof set);
    memset(&msg, 0, sizeof msg);
    tmpl_set_free(NULL);
    tmpl_set_free(&set);
    tmpl_set_free(&set);
    tmpl_message_free(NULL);
    tmpl_message_free(&msg);
    char err[64] = "";
    ck_assert_int_eq(tmpl_render_set(&set, NULL, &msg, err, sizeof err), -1);
    ck_assert_int_eq(tmpl_render_set(NULL, NULL, &msg, NULL, 0), -1);
}
END_TEST

/* ---- The shipped English templates ---- */

static const char *const shipped[] = {"verify_email", "password_reset", "password_changed",
                                      "account_exists"};

static json_t *shipped_vars(const char *name)
{
    if (strcmp(name, "password_changed") == 0)
        return json_pack("{s:s, s:s}", "name", "Kim Minjun", "base_url",
                         "https://convene.example.org");
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "name", "Kim Minjun", "link",
                     "https://convene.example.org/confirm?token=abc&next=%2F", "base_url",
                     "https://convene.example.org", "expires_minutes", 60, "expires_hours", 48,
                     "reset_link", "https://convene.example.org/forgot-password.html");
}

START_TEST(test_shipped_templates_render)
{
    const char *name = shipped[_i];
    static const char *const langs[] = {"en", "th"};
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        struct tmpl_set set;
        struct tmpl_message msg;
        char err[256] = "";
        int rc =
            tmpl_load(CONVENE_SOURCE_DIR "/mail-templates", name, langs[l], &set, err, sizeof err);
        ck_assert_msg(rc == 0, "%s: %s", name, err);
        ck_assert_ptr_nonnull(set.layout_html);
        ck_assert_ptr_nonnull(set.layout_text);
        json_t *vars = shipped_vars(name);
        rc = tmpl_render_set(&set, vars, &msg, err, sizeof err);
        ck_assert_msg(rc == 0, "%s: %s", name, err);
        ck_assert_uint_gt(strlen(msg.subject), 10);
        ck_assert_ptr_nonnull(strstr(msg.text, "Kim Minjun"));
        ck_assert_ptr_nonnull(strstr(msg.html, "Kim Minjun"));
        ck_assert_ptr_nonnull(strstr(msg.html, "CityNet · Convene"));
        ck_assert_ptr_nonnull(strstr(msg.html, "<html lang=\"en\""));
        ck_assert_ptr_null(strstr(msg.text, "{{"));
        ck_assert_ptr_null(strstr(msg.html, "{{"));
        if (strcmp(name, "verify_email") == 0 || strcmp(name, "password_reset") == 0) {
            ck_assert_ptr_nonnull(strstr(msg.text, "confirm?token=abc&next=%2F"));
            ck_assert_ptr_nonnull(strstr(msg.html, "confirm?token=abc&amp;next=%2F"));
            ck_assert_ptr_nonnull(
                strstr(msg.text, strcmp(name, "verify_email") == 0 ? "48 hours" : "60 minutes"));
        }
        tmpl_message_free(&msg);
        tmpl_set_free(&set);
        json_decref(vars);
    }
}
END_TEST

/* ---- Every shipped template in the layout, with previews ---- */

#ifndef CONVENE_MAIL_PREVIEW_DIR
#define CONVENE_MAIL_PREVIEW_DIR "mail-previews"
#endif

/* The text between open and close in s (a new string), or NULL. */
static char *between(const char *s, const char *open, const char *close)
{
    const char *a = strstr(s, open);
    if (a == NULL)
        return NULL;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (b == NULL)
        return NULL;
    return xasprintf("%.*s", (int)(b - a), a);
}

/* s with the entities the renderer writes turned back (in place). */
static char *unescape(char *s)
{
    static const char *const ent[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    char *w = s;
    for (const char *r = s; *r;) {
        size_t i;
        for (i = 0; i < ARRAY_LEN(ent); i++) {
            if (strncmp(r, ent[i][0], strlen(ent[i][0])) == 0)
                break;
        }
        if (i < ARRAY_LEN(ent)) {
            *w++ = ent[i][1][0];
            r += strlen(ent[i][0]);
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

static void write_preview(const char *name, const char *ext, const char *content)
{
    char *path = xasprintf("%s/%s.%s", CONVENE_MAIL_PREVIEW_DIR, name, ext);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_int_eq(fputs(content, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    free(path);
}

/* Renders one template with its sample variables and checks what the
 * layout promises (see the comment at the top of _layout.html). */
static void check_in_layout(const char *name, const json_t *samples, json_t *index)
{
    json_t *vars = json_deep_copy(json_object_get(samples, "_all"));
    json_t *own = json_object_get(samples, name);
    ck_assert_msg(json_is_object(own), "%s: no sample variables in tests/unit/mail/samples.json",
                  name);
    json_object_update(vars, own);
    struct tmpl_set set;
    struct tmpl_message msg;
    char err[256] = "";
    int rc = tmpl_load(CONVENE_SOURCE_DIR "/mail-templates", name, "en", &set, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    rc = tmpl_render_set(&set, vars, &msg, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);

    /* The frame: one column at most 600 px wide, dark mode, the network. */
    ck_assert_msg(strstr(msg.html, "<meta name=\"color-scheme\" content=\"light dark\">") != NULL,
                  "%s: no color-scheme", name);
    ck_assert_msg(strstr(msg.html, "prefers-color-scheme: dark") != NULL, "%s: no dark mode", name);
    ck_assert_msg(strstr(msg.html, "max-width: 600px") != NULL, "%s: no 600 px column", name);
    ck_assert_msg(strstr(msg.html, "CityNet · Convene") != NULL, "%s: no header", name);
    ck_assert_msg(strstr(msg.text, "CityNet · Convene") != NULL, "%s: no text header", name);
    ck_assert_msg(strstr(msg.html, "{{") == NULL && strstr(msg.text, "{{") == NULL,
                  "%s: braces left", name);

    /* One button, whose address the text part gives too (the layout's
     * head shows one in a comment). */
    const char *body = strstr(msg.html, "</head>");
    ck_assert_msg(body != NULL, "%s: no </head>", name);
    char *href = between(body, "class=\"button-link\" href=\"", "\"");
    ck_assert_msg(href != NULL, "%s: no button (class=\"button-link\")", name);
    ck_assert_msg(strstr(strstr(body, "class=\"button-link\"") + 1, "class=\"button-link\"") ==
                      NULL,
                  "%s: more than one button", name);
    unescape(href);
    ck_assert_msg(strstr(msg.text, href) != NULL, "%s: the text part lacks %s", name, href);
    free(href);

    /* The text part says the same: the title, and the full time. */
    char *title = between(body, "<h2>", "</h2>");
    ck_assert_msg(title != NULL, "%s: no <h2> title", name);
    unescape(title);
    ck_assert_msg(strstr(msg.text, title) != NULL, "%s: the text part lacks \"%s\"", name, title);
    free(title);
    const char *when = json_string_value(json_object_get(vars, "activity_when"));
    if (when != NULL) {
        ck_assert_msg(strstr(msg.html, when) != NULL, "%s: no full time in HTML", name);
        ck_assert_msg(strstr(msg.text, when) != NULL, "%s: no full time in text", name);
    }
    ck_assert_msg(strstr(msg.html, "When: {{activity_dates}}") == NULL, "%s", name);

    write_preview(name, "html", msg.html);
    write_preview(name, "txt", msg.text);
    json_array_append_new(index, json_pack("{s:s,s:s}", "name", name, "subject", msg.subject));
    tmpl_message_free(&msg);
    tmpl_set_free(&set);
    json_decref(vars);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_every_template_renders_in_the_layout)
{
    json_error_t jerr;
    json_t *samples = json_load_file(CONVENE_SOURCE_DIR "/tests/unit/mail/samples.json", 0, &jerr);
    ck_assert_msg(samples != NULL, "samples.json: %s (line %d)", jerr.text, jerr.line);
    mkdir(CONVENE_MAIL_PREVIEW_DIR, 0755);
    DIR *d = opendir(CONVENE_SOURCE_DIR "/mail-templates/en");
    ck_assert_ptr_nonnull(d);
    char *names[128];
    size_t n = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (str_ends_with(e->d_name, ".subject.txt")) {
            ck_assert_uint_lt(n, ARRAY_LEN(names));
            names[n++] =
                xasprintf("%.*s", (int)(strlen(e->d_name) - strlen(".subject.txt")), e->d_name);
        }
    }
    closedir(d);
    ck_assert_uint_ge(n, 18);
    qsort(names, n, sizeof names[0], by_name);
    json_t *index = json_array();
    for (size_t i = 0; i < n; i++) {
        check_in_layout(names[i], samples, index);
        free(names[i]);
    }
    char *path = xasprintf("%s/index.json", CONVENE_MAIL_PREVIEW_DIR);
    ck_assert_int_eq(json_dump_file(index, path, JSON_INDENT(1)), 0);
    free(path);
    json_decref(index);
    json_decref(samples);
}
END_TEST

Suite *make_tmpl_suite(void);
Suite *make_tmpl_suite(void)
{
    Suite *s = suite_create("tmpl");

    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_text_mode_is_verbatim);
    tcase_add_test(tc, test_html_mode_escapes);
    tcase_add_test(tc, test_numbers_nested_and_utf8);
    tcase_add_test(tc, test_missing_variable_is_named);
    tcase_add_test(tc, test_null_vars_means_empty);
    tcase_add_test(tc, test_unterminated_braces);
    tcase_add_test(tc, test_invalid_placeholder_names);
    tcase_add_test(tc, test_values_must_be_strings_or_numbers);
    tcase_add_test(tc, test_raw_slot_only_in_layouts);
    tcase_add_test(tc, test_output_cap);
    tcase_add_test(tc, test_every_cap_is_refused_whole);
    tcase_add_test(tc, test_names_at_their_limits);
    tcase_add_test(tc, test_lookups_through_non_objects);
    suite_add_tcase(s, tc);

    tc = tcase_create("sets");
    tcase_add_checked_fixture(tc, setup_root, teardown_root);
    tcase_add_test(tc, test_load_and_render_set);
    tcase_add_test(tc, test_fallback_th_to_en);
    tcase_add_test(tc, test_partial_language_falls_back_whole);
    tcase_add_test(tc, test_language_with_layout_from_en);
    tcase_add_test(tc, test_null_lang_means_en);
    tcase_add_test(tc, test_path_tricks_rejected);
    tcase_add_test(tc, test_missing_template);
    tcase_add_test(tc, test_subject_injection_rejected);
    tcase_add_test(tc, test_render_set_error_names_part);
    tcase_add_test(tc, test_layout_needs_one_body_slot);
    tcase_add_test(tc, test_bad_file_is_error_not_fallback);
    tcase_add_test(tc, test_bom_is_dropped);
    tcase_add_test(tc, test_free_accepts_null_and_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("shipped");
    tcase_add_loop_test(tc, test_shipped_templates_render, 0, (int)ARRAY_LEN(shipped));
    tcase_add_test(tc, test_every_template_renders_in_the_layout);
    suite_add_tcase(s, tc);
    return s;
}
