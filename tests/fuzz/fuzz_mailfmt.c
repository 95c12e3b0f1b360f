/*
 * fuzz_mailfmt.c - the mail header encoder (src/mail/mailfmt.c).
 *
 * Input: 8 bytes of a timestamp, then parts cut at 0x1F: header text,
 * display name, address, body. Properties:
 *   - an encoded header is printable ASCII; CR and LF appear only as the
 *     CRLF SP of a fold, so no header can be injected;
 *   - text that needs no encoding comes back unchanged; otherwise each word
 *     is "=?UTF-8?B?...?=" of at most MAILFMT_WORD_MAX characters, decodes
 *     to whole UTF-8 characters, and the words decode to the input;
 *   - refusal (NULL) happens exactly for CR, LF or invalid UTF-8;
 *   - a mailbox is "<name part> <addr>" or the bare address, printable
 *     ASCII with only fold line breaks, and its name part reads back as the
 *     display name (atoms, quoted-string or encoded-words);
 *   - mailfmt_valid_address agrees with a reference written from its
 *     contract;
 *   - mailfmt_crlf leaves only CRLF line ends and changes nothing else;
 *   - mailfmt_date is printable ASCII of the documented shape.
 */
#include "fuzz.h"

#include "mail/mailfmt.h"

#include <stdbool.h>

static bool printable(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e;
}

/* Printable ASCII, with CR LF allowed only when followed by a space. */
static void check_header_bytes(const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '\r') {
            FUZZ_ASSERT(s[i + 1] == '\n' && s[i + 2] == ' ', "CR only as part of CRLF SP");
            i++;
            continue;
        }
        FUZZ_ASSERT(s[i] != '\n', "no LF outside a fold");
        FUZZ_ASSERT(printable((unsigned char)s[i]), "header output is printable ASCII");
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes padded base64 of length n into out; returns the byte count. */
static size_t b64_decode(const char *s, size_t n, char *out)
{
    FUZZ_ASSERT(n % 4 == 0 && n > 0, "base64 comes in groups of four");
    size_t w = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            FUZZ_ASSERT(pad == 0, "padding only at the end");
            v[k] = b64_value(s[i + k]);
            FUZZ_ASSERT(v[k] >= 0, "base64 alphabet");
        }
        unsigned bits =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[w++] = (char)(bits >> 16);
        if (pad < 2)
            out[w++] = (char)(bits >> 8);
        if (pad < 1)
            out[w++] = (char)bits;
    }
    return w;
}

/* Decodes "word CRLF SP word ..." into a new string; every word must be a
 * well-formed, short encoded-word holding whole UTF-8 characters. */
static char *decode_words(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t w = 0;
    size_t i = 0;
    for (;;) {
        const char *word = s + i;
        const char *fold = strstr(word, "\r\n ");
        size_t len = fold ? (size_t)(fold - word) : n - i;
        FUZZ_ASSERT(len <= MAILFMT_WORD_MAX, "an encoded-word is at most MAILFMT_WORD_MAX long");
        FUZZ_ASSERT(len > 12 && strncmp(word, "=?UTF-8?B?", 10) == 0 &&
                        strncmp(word + len - 2, "?=", 2) == 0,
                    "an encoded-word is =?UTF-8?B?...?=");
        size_t got = b64_decode(word + 10, len - 12, out + w);
        FUZZ_ASSERT(fuzz_utf8_ok(out + w, got), "a word never splits a UTF-8 character");
        w += got;
        if (fold == NULL)
            break;
        i += len + 3;
    }
    out[w] = '\0';
    return out;
}

static bool needs_encoding(const char *s)
{
    size_t n = strlen(s);
    if (n > MAILFMT_PLAIN_MAX || strstr(s, "=?") != NULL)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (!printable((unsigned char)s[i]))
            return true;
    }
    return false;
}

static void check_encode(const char *text)
{
    char *enc = mailfmt_encode_header_text(text);
    size_t n = strlen(text);
    bool refuse = strpbrk(text, "\r\n") != NULL || !fuzz_utf8_ok(text, n);
    FUZZ_ASSERT((enc == NULL) == refuse, "refused exactly for CR, LF or invalid UTF-8");
    if (enc == NULL)
        return;
    check_header_bytes(enc);
    if (!needs_encoding(text)) {
        FUZZ_ASSERT(strcmp(enc, text) == 0, "plain short ASCII comes back unchanged");
    } else {
        char *dec = decode_words(enc, strlen(enc));
        FUZZ_ASSERT(strcmp(dec, text) == 0, "the encoded-words decode to the input");
        free(dec);
    }
    free(enc);
}

/* ---- Reference address check, from the contract in mailfmt.h ---- */

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool atext(char c)
{
    return c != '\0' && (alnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool ref_address(const char *a)
{
    size_t n = strlen(a);
    const char *at = strchr(a, '@');
    if (n > 254 || at == NULL || strchr(at + 1, '@') != NULL)
        return false;
    size_t local = (size_t)(at - a);
    if (local < 1 || local > 64 || a[0] == '.' || a[local - 1] == '.')
        return false;
    for (size_t i = 0; i < local; i++) {
        if (a[i] == '.' ? a[i + 1] == '.' : !atext(a[i]))
            return false;
    }
    const char *d = at + 1;
    int labels = 0;
    const char *last = d;
    for (const char *label = d;;) {
        const char *dot = strchr(label, '.');
        size_t len = dot ? (size_t)(dot - label) : strlen(label);
        if (len < 1 || len > 63 || label[0] == '-' || label[len - 1] == '-')
            return false;
        for (size_t i = 0; i < len; i++) {
            if (!alnum(label[i]) && label[i] != '-')
                return false;
        }
        labels++;
        last = label;
        if (dot == NULL)
            break;
        label = dot + 1;
    }
    bool digits = true;
    for (const char *p = last; *p; p++)
        digits = digits && *p >= '0' && *p <= '9';
    return labels >= 2 && !digits && strlen(d) <= 253;
}

static void check_mailbox(const char *name, const char *addr)
{
    bool valid = ref_address(addr);
    FUZZ_ASSERT(mailfmt_valid_address(addr) == valid, "address check agrees with its contract");
    char *mb = mailfmt_mailbox(name, addr);
    if (!valid) {
        FUZZ_ASSERT(mb == NULL, "an invalid address gives no mailbox");
        return;
    }
    if (name[0] == '\0') {
        FUZZ_ASSERT(mb != NULL && strcmp(mb, addr) == 0, "no name gives the bare address");
        free(mb);
        return;
    }
    bool refuse = strpbrk(name, "\r\n") != NULL || !fuzz_utf8_ok(name, strlen(name));
    FUZZ_ASSERT((mb == NULL) == refuse, "a name is refused exactly for CR, LF or bad UTF-8");
    if (mb == NULL)
        return;
    check_header_bytes(mb);
    size_t n = strlen(mb), alen = strlen(addr);
    FUZZ_ASSERT(n > alen + 3 && mb[n - alen - 3] == ' ' && mb[n - alen - 2] == '<' &&
                    strncmp(mb + n - alen - 1, addr, alen) == 0 && mb[n - 1] == '>',
                "a mailbox ends with \" <addr>\"");
    size_t dlen = n - alen - 3;
    char *display = strndup(mb, dlen);
    char *back;
    if (display[0] == '"') {
        FUZZ_ASSERT(dlen >= 2 && display[dlen - 1] == '"', "a quoted name is closed");
        back = malloc(dlen);
        size_t w = 0;
        for (size_t i = 1; i + 1 < dlen; i++) {
            if (display[i] == '\\')
                i++;
            else
                FUZZ_ASSERT(display[i] != '"', "a quote inside a quoted name is escaped");
            back[w++] = display[i];
        }
        back[w] = '\0';
    } else if (strncmp(display, "=?", 2) == 0) {
        back = decode_words(display, dlen);
    } else {
        for (size_t i = 0; i < dlen; i++)
            FUZZ_ASSERT(atext(display[i]) || (display[i] == ' ' && i > 0 && display[i - 1] != ' '),
                        "an unquoted name is atoms and single spaces");
        back = strdup(display);
    }
    FUZZ_ASSERT(strcmp(back, name) == 0, "the name part reads back as the display name");
    free(back);
    free(display);
    free(mb);
}

static void check_crlf(const char *body)
{
    char *out = mailfmt_crlf(body);
    FUZZ_ASSERT(out != NULL, "mailfmt_crlf takes any text");
    /* Normalise both to LF: they must then be equal. */
    size_t bn = strlen(body), on = strlen(out);
    char *a = malloc(bn + 1), *b = malloc(on + 1);
    size_t wa = 0, wb = 0;
    for (size_t i = 0; i < bn; i++) {
        if (body[i] == '\r' && body[i + 1] == '\n')
            continue;
        a[wa++] = body[i] == '\r' ? '\n' : body[i];
    }
    for (size_t i = 0; i < on; i++) {
        if (out[i] == '\r') {
            FUZZ_ASSERT(out[i + 1] == '\n', "every CR is followed by LF");
            continue;
        }
        if (out[i] == '\n')
            FUZZ_ASSERT(i > 0 && out[i - 1] == '\r', "every LF follows a CR");
        b[wb++] = out[i];
    }
    FUZZ_ASSERT(wa == wb && memcmp(a, b, wa) == 0, "only line ends change");
    free(a);
    free(b);
    free(out);
}

static void check_date(int64_t ms)
{
    char out[64];
    mailfmt_date(ms, out);
    size_t n = strnlen(out, sizeof out);
    FUZZ_ASSERT(n < sizeof out, "the date is terminated");
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(printable((unsigned char)out[i]), "the date is printable ASCII");
    FUZZ_ASSERT(n >= 31 && out[3] == ',' && out[4] == ' ' && strcmp(out + n - 6, " +0000") == 0,
                "the date looks like \"Mon, 24 Apr 2023 09:00:00 +0000\"");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = t << 8 | data[i];
    check_date((int64_t)t);
    check_date((int64_t)(t % (UINT64_C(400) * 366 * 86400 * 1000)) - INT64_C(30000000000000));

    struct fuzz_parts p;
    fuzz_split(data + 8, size - 8, '\x1f', 4, &p);
    const char *text = fuzz_part(&p, 0);
    const char *name = fuzz_part(&p, 1) ? fuzz_part(&p, 1) : text;
    const char *addr = fuzz_part(&p, 2) ? fuzz_part(&p, 2) : "user@example.org";
    const char *body = fuzz_part(&p, 3) ? fuzz_part(&p, 3) : text;
    check_encode(text);
    check_mailbox(name, addr);
    check_crlf(body);
    fuzz_parts_free(&p);
    return 0;
}
