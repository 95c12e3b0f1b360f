/*
 * attachment.c - type sniffing, filename checks and Content-Disposition
 * encoding for attached files. See attachment.h.
 */
#include "formats/attachment.h"

#include <stdint.h>
#include <string.h>

const char *attachment_sniff(const void *data, size_t len)
{
    static const unsigned char pdf[] = {'%', 'P', 'D', 'F', '-'};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff};
    if (len >= sizeof pdf && memcmp(data, pdf, sizeof pdf) == 0)
        return "application/pdf";
    if (len >= sizeof png && memcmp(data, png, sizeof png) == 0)
        return "image/png";
    if (len >= sizeof jpeg && memcmp(data, jpeg, sizeof jpeg) == 0)
        return "image/jpeg";
    return NULL;
}

/* Decodes one well-formed UTF-8 sequence at s (n bytes left, n >= 1) into
 * *cp; returns its length, or 0 when it is not well-formed (overlong,
 * surrogate, above U+10FFFF, cut short, a stray continuation byte). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t len;
    uint32_t v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        len = 2, v = b & 0x1fu, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3, v = b & 0x0fu, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4, v = b & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Code points that have no place in a filename shown to people. */
static bool unwanted(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '/' || cp == '\\' || cp == 0x200e ||
           cp == 0x200f || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

bool attachment_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > ATTACHMENT_NAME_MAX)
        return false;
    const unsigned char *s = (const unsigned char *)name;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0 || unwanted(cp))
            return false;
        i += n;
    }
    return true;
}

/* RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" /
 * "." / "^" / "_" / "`" / "|" / "~". */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

size_t attachment_disposition(const char *name, size_t len, char *out, size_t outlen)
{
    static const char prefix[] = "attachment; filename*=UTF-8''";
    static const char hex[] = "0123456789ABCDEF";
    size_t need = sizeof prefix - 1;
    for (size_t i = 0; i < len; i++)
        need += attr_char((unsigned char)name[i]) ? 1 : 3;
    if (need + 1 > outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return 0;
    }
    memcpy(out, prefix, sizeof prefix - 1);
    size_t o = sizeof prefix - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (attr_char(c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0x0f];
        }
    }
    out[o] = '\0';
    return o;
}
