/*
 * fuzz_multipart.c - the pure helpers behind uploads and downloads of
 * attachments (src/formats/attachment.c): what an uploaded part's filename
 * and leading bytes are judged to be, and the Content-Disposition a
 * download is named with. (The multipart framing itself is CivetWeb's,
 * driven through http_read_form; tests/integration/awards/test_files.c
 * covers that path.)
 *
 * Input: one byte choosing the output room for the Content-Disposition,
 * then the bytes used as a filename and as a file's leading bytes alike.
 * Properties:
 *   - attachment_name_ok agrees with a reference written here (its own
 *     UTF-8 decoder, the refused code points listed again), and an
 *     accepted name is valid UTF-8 by str_valid_utf8 too;
 *   - attachment_sniff names a type exactly when a signature starts the
 *     bytes;
 *   - attachment_disposition writes the fixed prefix then only RFC 8187
 *     attr-chars and %XX escapes (no quote, space, CR, LF, ';'), returns
 *     its length, percent-decodes back to the name byte for byte, fits
 *     ATTACHMENT_DISPOSITION_MAX for any accepted name, and with too little
 *     room returns 0 and leaves "" without writing past the room.
 */
#include "fuzz.h"

#include "base/util.h"
#include "formats/attachment.h"

#include <stdbool.h>

/* Reference: one code point at s (n > 0 bytes), or -1 for a malformed
 * sequence; *len gets its length. Written from the Unicode table 3-7 of
 * well-formed byte sequences. */
static long ref_decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char b = s[0];
    if (b <= 0x7f) {
        *len = 1;
        return b;
    }
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;
    long cp;
    if (b >= 0xc2 && b <= 0xdf) {
        need = 2, cp = b & 0x1f;
    } else if (b == 0xe0) {
        need = 3, cp = 0, lo = 0xa0;
    } else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
        need = 3, cp = b & 0x0f;
    } else if (b == 0xed) {
        need = 3, cp = 0x0d, hi = 0x9f;
    } else if (b == 0xf0) {
        need = 4, cp = 0, lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) {
        need = 4, cp = b & 0x07;
    } else if (b == 0xf4) {
        need = 4, cp = 4, hi = 0x8f;
    } else {
        return -1;
    }
    if (n < need || s[1] < lo || s[1] > hi)
        return -1;
    for (size_t i = 1; i < need; i++) {
        if (i > 1 && (s[i] < 0x80 || s[i] > 0xbf))
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *len = need;
    return cp;
}

static bool ref_refused(long cp)
{
    static const long single[] = {'/', '\\', 0x200e, 0x200f, 0x2028, 0x2029, 0xfeff};
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f))
        return true;
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        return true;
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        if (cp == single[i])
            return true;
    }
    return false;
}

static bool ref_name_ok(const unsigned char *s, size_t n)
{
    if (n < 1 || n > 200)
        return false;
    for (size_t i = 0; i < n;) {
        size_t len;
        long cp = ref_decode(s + i, n - i, &len);
        if (cp < 0 || ref_refused(cp))
            return false;
        i += len;
    }
    return true;
}

static bool starts(const uint8_t *d, size_t n, const char *sig, size_t sn)
{
    return n >= sn && memcmp(d, sig, sn) == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* lower case is not what the encoder writes */
}

static void check_disposition(const char *name, size_t n, size_t room)
{
    static const char prefix[] = "attachment; filename*=UTF-8''";
    char *out = malloc(room + 16);
    if (out == NULL)
        abort();
    memset(out, 'Z', room + 16);
    size_t w = attachment_disposition(name, n, out, room);
    for (size_t i = room; i < room + 16; i++)
        FUZZ_ASSERT(out[i] == 'Z', "nothing is written past the room given");
    if (w == 0) {
        FUZZ_ASSERT(room == 0 || out[0] == '\0', "a refusal leaves an empty string");
        /* Only refused for want of room: the full encoding is longer. */
        size_t need = sizeof prefix - 1;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)name[i];
            bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || (c && strchr("!#$&+-.^_`|~", c));
            need += plain ? 1 : 3;
        }
        FUZZ_ASSERT(need + 1 > room, "refused only when it does not fit");
        free(out);
        return;
    }
    FUZZ_ASSERT(w + 1 <= room && out[w] == '\0' && strlen(out) == w,
                "the length returned is the string's");
    FUZZ_ASSERT(strncmp(out, prefix, sizeof prefix - 1) == 0, "the fixed prefix comes first");
    size_t j = 0;
    for (size_t i = sizeof prefix - 1; i < w; i++) {
        char c = out[i];
        FUZZ_ASSERT(c != '"' && c != ' ' && c != '\r' && c != '\n' && c != ';' && c != ',' &&
                        c != '\'' && (unsigned char)c > 0x20 && (unsigned char)c < 0x7f,
                    "only attr-chars and escapes in the value");
        unsigned char b;
        if (c == '%') {
            FUZZ_ASSERT(i + 2 < w + 1 && hexval(out[i + 1]) >= 0 && hexval(out[i + 2]) >= 0,
                        "an escape is % and two upper-case hex digits");
            b = (unsigned char)(hexval(out[i + 1]) * 16 + hexval(out[i + 2]));
            i += 2;
        } else {
            b = (unsigned char)c;
        }
        FUZZ_ASSERT(j < n && (unsigned char)name[j] == b, "the value decodes to the name");
        j++;
    }
    FUZZ_ASSERT(j == n, "the value decodes to the whole name");
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t room = data[0] < 0xf0 ? (size_t)data[0] * 4 : ATTACHMENT_DISPOSITION_MAX;
    const uint8_t *d = data + 1;
    size_t n = size - 1;

    bool ok = attachment_name_ok((const char *)d, n);
    FUZZ_ASSERT(ok == ref_name_ok(d, n), "the filename check agrees with the reference");
    if (ok)
        FUZZ_ASSERT(str_valid_utf8((const char *)d, n), "an accepted name is valid UTF-8");

    const char *type = attachment_sniff(d, n);
    bool pdf = starts(d, n, "%PDF-", 5);
    bool png = starts(d, n, "\x89PNG\r\n\x1a\n", 8);
    bool jpeg = starts(d, n, "\xff\xd8\xff", 3);
    FUZZ_ASSERT((type != NULL) == (pdf || png || jpeg), "a type exactly for a signature");
    if (type)
        FUZZ_ASSERT(strcmp(type, pdf   ? "application/pdf"
                                 : png ? "image/png"
                                       : "image/jpeg") == 0,
                    "the type of the signature");

    check_disposition((const char *)d, n, room);
    if (ok)
        check_disposition((const char *)d, n, ATTACHMENT_DISPOSITION_MAX);
    if (ok) {
        char full[ATTACHMENT_DISPOSITION_MAX];
        FUZZ_ASSERT(attachment_disposition((const char *)d, n, full, sizeof full) > 0,
                    "an accepted name always fits ATTACHMENT_DISPOSITION_MAX");
    }
    return 0;
}
