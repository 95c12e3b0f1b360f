/*
 * fuzz.h - what every libFuzzer target here shares: an assertion that
 * survives -DNDEBUG and says which property broke, and a splitter that cuts
 * one fuzz input into NUL-terminated parts.
 *
 * A target states properties of the code under test (round trips, what may
 * never appear in an output, agreement with a small reference written in the
 * target); FUZZ_ASSERT aborts on the first one that fails, which libFuzzer
 * reports as a crash and saves as an artifact.
 */
#ifndef CONVENE_FUZZ_H
#define CONVENE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, what)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "\nFUZZ PROPERTY FAILED at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__,   \
                    (what), #cond);                                                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Most parts a fuzz input is cut into. */
#define FUZZ_PARTS_MAX 16

/* One fuzz input cut at every byte equal to sep into at most max parts (the
 * last part keeps any further separators). Each part is a NUL-terminated
 * copy inside one allocation that fuzz_parts_free releases; parts[i].len is
 * its length before the NUL (it may hold NUL bytes only when sep is not 0). */
struct fuzz_parts {
    char *buf;
    size_t n;
    struct {
        const char *s;
        size_t len;
    } part[FUZZ_PARTS_MAX];
};

static inline void fuzz_split(const uint8_t *data, size_t size, char sep, size_t max,
                              struct fuzz_parts *out)
{
    if (max > FUZZ_PARTS_MAX)
        max = FUZZ_PARTS_MAX;
    out->buf = malloc(size + max + 1);
    if (out->buf == NULL)
        abort();
    out->n = 0;
    char *w = out->buf;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        int cut = i == size || ((char)data[i] == sep && out->n + 1 < max);
        if (!cut)
            continue;
        size_t len = i - start;
        memcpy(w, data + start, len);
        w[len] = '\0';
        out->part[out->n].s = w;
        out->part[out->n].len = len;
        out->n++;
        w += len + 1;
        start = i + 1;
    }
}

/* Part i, or NULL when the input had fewer parts. */
static inline const char *fuzz_part(const struct fuzz_parts *p, size_t i)
{
    return i < p->n ? p->part[i].s : NULL;
}

static inline void fuzz_parts_free(struct fuzz_parts *p)
{
    free(p->buf);
    p->buf = NULL;
    p->n = 0;
}

/* A reference UTF-8 check written here, independent of the code under test:
 * shortest forms only, no surrogates, at most U+10FFFF, and no NUL. */
static inline int fuzz_utf8_ok(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t k;
        unsigned cp, min;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((u[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (u[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

#endif
