/*
 * fuzz_datelabel.c - the fuzzy date-label parser (src/formats/datelabel.c).
 *
 * Input: two bytes of year (mostly folded into 1..9999, sometimes taken
 * raw), then the label. Properties:
 *   - success gives two real days "YYYY-MM-DD" with start <= end; failure
 *     leaves both outputs "";
 *   - a year outside 1..9999 always fails;
 *   - the result does not change when the label's ASCII letters change
 *     case, or when every space is doubled (as the contract promises).
 */
#include "fuzz.h"

#include "formats/datelabel.h"

#include <stdbool.h>

static bool real_day(const char *s)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= (m == 2 && leap ? 29 : days[m - 1]);
}

struct result {
    int rc;
    char start[DATELABEL_DATE_SIZE], end[DATELABEL_DATE_SIZE];
};

static struct result parse(const char *label, int year)
{
    struct result r;
    memset(r.start, 'x', sizeof r.start);
    memset(r.end, 'x', sizeof r.end);
    r.rc = datelabel_parse(label, year, r.start, r.end);
    FUZZ_ASSERT(r.rc == 0 || r.rc == -1, "datelabel_parse returns 0 or -1");
    if (r.rc == 0) {
        FUZZ_ASSERT(real_day(r.start) && real_day(r.end), "a period is two real days");
        FUZZ_ASSERT(strcmp(r.start, r.end) <= 0, "a period starts no later than it ends");
    } else {
        FUZZ_ASSERT(r.start[0] == '\0' && r.end[0] == '\0', "failure leaves both outputs empty");
    }
    return r;
}

static void same(const struct result *a, const struct result *b, const char *what)
{
    FUZZ_ASSERT(a->rc == b->rc, what);
    if (a->rc == 0)
        FUZZ_ASSERT(strcmp(a->start, b->start) == 0 && strcmp(a->end, b->end) == 0, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int raw = data[0] << 8 | data[1];
    int year = (data[0] & 0x80) ? raw - 0x8000 - 100 : 1 + raw % 9999;
    char *label = strndup((const char *)data + 2, size - 2);

    struct result r = parse(label, year);
    if (year < 1 || year > 9999)
        FUZZ_ASSERT(r.rc == -1, "a year outside 1..9999 fails");

    size_t n = strlen(label);
    char *flipped = strdup(label);
    for (size_t i = 0; i < n; i++) {
        char c = flipped[i];
        if (c >= 'a' && c <= 'z')
            flipped[i] = (char)(c - 'a' + 'A');
        else if (c >= 'A' && c <= 'Z')
            flipped[i] = (char)(c - 'A' + 'a');
    }
    struct result f = parse(flipped, year);
    same(&r, &f, "case does not matter");

    char *spaced = malloc(2 * n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        spaced[w++] = label[i];
        if (label[i] == ' ')
            spaced[w++] = ' ';
    }
    spaced[w] = '\0';
    if (w <= 200) {
        struct result s = parse(spaced, year);
        same(&r, &s, "repeated spaces do not matter");
    }

    FUZZ_ASSERT(datelabel_parse(NULL, year, r.start, r.end) == -1 && r.start[0] == '\0',
                "a NULL label fails and empties the outputs");
    FUZZ_ASSERT(datelabel_parse(label, year, NULL, NULL) == -1, "NULL outputs fail");
    free(spaced);
    free(flipped);
    free(label);
    return 0;
}
