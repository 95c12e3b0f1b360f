/*
 * mailfmt.c - header-safe mail formatting: address checks, RFC 2047
 * encoded-words, mailboxes, RFC 5322 dates, Message-IDs and CRLF bodies.
 * Holds no state; every returned string belongs to the caller. See
 * mailfmt.h for the contracts.
 */
#include "mail/mailfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/util.h"

#define ADDRESS_MAX 254
#define LOCAL_MAX   64
#define DOMAIN_MAX  253
#define LABEL_MAX   63

#define WORD_PREFIX "=?UTF-8?B?"
#define WORD_SUFFIX "?="
/* Raw bytes per encoded-word: their base64 plus prefix and suffix must fit
 * MAILFMT_WORD_MAX, and base64 comes in groups of 4 characters per 3 bytes. */
#define WORD_RAW_MAX                                                                               \
    ((MAILFMT_WORD_MAX - (sizeof WORD_PREFIX - 1) - (sizeof WORD_SUFFIX - 1)) / 4 * 3)

/* ---- Addresses ---- */

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext: letters, digits and these specials. */
static bool is_atext(char c)
{
    return c != '\0' && (is_alnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool valid_local_part(const char *s, size_t n)
{
    if (n == 0 || n > LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' ? s[i - 1] == '.' : !is_atext(s[i]))
            return false;
    }
    return true;
}

static bool valid_label(const char *s, size_t n)
{
    if (n == 0 || n > LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* LDH labels separated by dots. A mail domain (for_mail) needs two labels at
 * least and a top-level label that is not all digits (no bare IPs). */
static bool valid_domain(const char *s, size_t n, bool for_mail)
{
    if (n == 0 || n > DOMAIN_MAX)
        return false;
    size_t labels = 0, start = 0, last = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!valid_label(s + start, i - start))
            return false;
        labels++;
        last = start;
        start = i + 1;
    }
    if (!for_mail)
        return true;
    return labels >= 2 && !all_digits(s + last, n - last);
}

bool mailfmt_valid_address(const char *addr)
{
    if (addr == NULL)
        return false;
    size_t n = strnlen(addr, ADDRESS_MAX + 1);
    if (n > ADDRESS_MAX)
        return false;
    const char *at = memchr(addr, '@', n);
    if (at == NULL)
        return false;
    size_t local_len = (size_t)(at - addr);
    /* A second '@' fails the domain check: it is not an LDH character. */
    return valid_local_part(addr, local_len) && valid_domain(at + 1, n - local_len - 1, true);
}

/* ---- RFC 2047 ---- */

/* True unless s is printable ASCII, short enough to stay on one line and free
 * of "=?", which a reader could mistake for the start of an encoded-word. */
static bool needs_encoding(const char *s, size_t n)
{
    if (n > MAILFMT_PLAIN_MAX || strstr(s, "=?") != NULL)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            return true;
    }
    return false;
}

/* End of the word starting at i: at most WORD_RAW_MAX bytes, moved back so
 * that it never falls inside a UTF-8 sequence (continuation bytes 10xxxxxx). */
static size_t word_end(const char *s, size_t i, size_t n)
{
    size_t end = n - i > WORD_RAW_MAX ? i + WORD_RAW_MAX : n;
    while (end < n && end > i && ((unsigned char)s[end] & 0xC0) == 0x80)
        end--;
    return end;
}

static char *encode_words(const char *s, size_t n)
{
    char *result = NULL;
    strbuf out;
    strbuf_init(&out, 0);
    for (size_t i = 0; i < n;) {
        size_t end = word_end(s, i, n);
        char b64[sodium_base64_ENCODED_LEN(WORD_RAW_MAX, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + i, end - i,
                          sodium_base64_VARIANT_ORIGINAL);
        if (i > 0 && strbuf_puts(&out, "\r\n ") != 0)
            goto out;
        if (strbuf_printf(&out, "%s%s%s", WORD_PREFIX, b64, WORD_SUFFIX) != 0)
            goto out;
        i = end;
    }
    result = strbuf_detach(&out, NULL);
out:
    strbuf_free(&out);
    return result;
}

char *mailfmt_encode_header_text(const char *utf8)
{
    if (utf8 == NULL)
        return NULL;
    size_t n = strlen(utf8);
    if (str_has_crlf(utf8, n) || !str_valid_utf8(utf8, n))
        return NULL;
    if (!needs_encoding(utf8, n))
        return xstrdup(utf8);
    return encode_words(utf8, n);
}

/* ---- Mailboxes ---- */

/* Atoms separated by single spaces: safe as a display name without quotes. */
static bool is_atom_phrase(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' ? s[i - 1] == ' ' : !is_atext(s[i]))
            return false;
    }
    return true;
}

static char *quoted_mailbox(const char *name, const char *addr)
{
    strbuf out;
    strbuf_init(&out, 0);
    char *result = NULL;
    if (strbuf_putc(&out, '"') != 0)
        goto out;
    for (const char *p = name; *p != '\0'; p++) {
        if ((*p == '"' || *p == '\\') && strbuf_putc(&out, '\\') != 0)
            goto out;
        if (strbuf_putc(&out, *p) != 0)
            goto out;
    }
    if (strbuf_printf(&out, "\" <%s>", addr) != 0)
        goto out;
    result = strbuf_detach(&out, NULL);
out:
    strbuf_free(&out);
    return result;
}

char *mailfmt_mailbox(const char *display_name, const char *addr)
{
    if (!mailfmt_valid_address(addr))
        return NULL;
    if (display_name == NULL || display_name[0] == '\0')
        return xstrdup(addr);
    size_t n = strlen(display_name);
    if (str_has_crlf(display_name, n) || !str_valid_utf8(display_name, n))
        return NULL;
    if (!needs_encoding(display_name, n)) {
        if (is_atom_phrase(display_name))
            return xasprintf("%s <%s>", display_name, addr);
        return quoted_mailbox(display_name, addr);
    }
    char *encoded = mailfmt_encode_header_text(display_name);
    if (encoded == NULL)
        return NULL;
    char *result = xasprintf("%s <%s>", encoded, addr);
    free(encoded);
    return result;
}

/* ---- Date, Message-ID, line ends ---- */

void mailfmt_date(int64_t wall_ms, char out[64])
{
    /* Fixed English names: strftime's %a and %b follow the locale. */
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = wall_ms / 1000 - (wall_ms % 1000 < 0 ? 1 : 0);
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        t = 0; /* only for years beyond int: say 1970 rather than garbage */
        gmtime_r(&t, &tm);
    }
    snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *mailfmt_message_id(const char *domain)
{
    if (domain == NULL || !valid_domain(domain, strnlen(domain, DOMAIN_MAX + 1), false))
        return NULL;
    if (sodium_init() < 0)
        return NULL;
    unsigned char raw[16];
    char hex[sizeof raw * 2 + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return xasprintf("<%s@%s>", hex, domain);
}

/* Length of text once every line end is CRLF. */
static size_t crlf_len(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue; /* counted with its LF */
        n += (*p == '\r' || *p == '\n') ? 2 : 1;
    }
    return n;
}

char *mailfmt_crlf(const char *text)
{
    if (text == NULL)
        return NULL;
    char *out = xmalloc(crlf_len(text) + 1);
    size_t j = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        if (*p == '\r' || *p == '\n') {
            out[j++] = '\r';
            out[j++] = '\n';
        } else {
            out[j++] = *p;
        }
    }
    out[j] = '\0';
    return out;
}
