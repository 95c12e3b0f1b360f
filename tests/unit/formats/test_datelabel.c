/*
 * test_datelabel.c - unit tests of the date-label parser: a table of the
 * forms CityNet writes and their periods, leap years and impossible days,
 * labels that must stay unknown, and every date_label of the 2023 seed
 * (sql/seed/activities-2023.json) checked against its starts_on/ends_on.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "formats/datelabel.h"
#include "base/util.h"

#define SEED_FILE CONVENE_SOURCE_DIR "/sql/seed/activities-2023.json"

struct label_case {
    const char *label;
    int year;
    const char *start, *end; /* NULL, NULL: must be refused */
};

static const struct label_case good[] = {
    /* the forms of the 2023 calendar */
    {"January – March", 2023, "2023-01-01", "2023-03-31"},
    {"July – September", 2023, "2023-07-01", "2023-09-30"},
    {"January", 2023, "2023-01-01", "2023-01-31"},
    {"February", 2023, "2023-02-01", "2023-02-28"},
    {"February", 2024, "2024-02-01", "2024-02-29"},
    {"Q1", 2023, "2023-01-01", "2023-03-31"},
    {"Q2", 2023, "2023-04-01", "2023-06-30"},
    {"Q3", 2023, "2023-07-01", "2023-09-30"},
    {"Q4", 2023, "2023-10-01", "2023-12-31"},
    {"3-4 April", 2023, "2023-04-03", "2023-04-04"},
    {"24 April – 12 May", 2023, "2023-04-24", "2023-05-12"},
    {"28 March – 1 April", 2023, "2023-03-28", "2023-04-01"},
    {"22-26 May", 2023, "2023-05-22", "2023-05-26"},
    {"29 August", 2023, "2023-08-29", "2023-08-29"},
    {"23 October", 2023, "2023-10-23", "2023-10-23"},
    {"May – November", 2023, "2023-05-01", "2023-11-30"},
    {"July – August", 2023, "2023-07-01", "2023-08-31"},
    {"On a Rolling Basis", 2023, "2023-01-01", "2023-12-31"},
    {"2023-04-03", 2023, "2023-04-03", "2023-04-03"},
    {"2023-04-03 – 2023-04-05", 2023, "2023-04-03", "2023-04-05"},
    /* separators, case and spacing */
    {"January - March", 2023, "2023-01-01", "2023-03-31"},
    {"January—March", 2023, "2023-01-01", "2023-03-31"},
    {"January to March", 2023, "2023-01-01", "2023-03-31"},
    {"JANUARY TO MARCH", 2023, "2023-01-01", "2023-03-31"},
    {"january until march", 2023, "2023-01-01", "2023-03-31"},
    {"  january   –   march  ", 2023, "2023-01-01", "2023-03-31"},
    {"3 – 4 April", 2023, "2023-04-03", "2023-04-04"},
    {"3 to 4 April", 2023, "2023-04-03", "2023-04-04"},
    {"3~4 April", 2023, "2023-04-03", "2023-04-04"},
    {"3\u22124 April", 2023, "2023-04-03", "2023-04-04"}, /* \u takes exactly 4 digits */
    {"3\u00A0April", 2023, "2023-04-03", "2023-04-03"},
    {"q3", 2023, "2023-07-01", "2023-09-30"},
    {"Q1 – Q2", 2023, "2023-01-01", "2023-06-30"},
    {"on a rolling basis", 2024, "2024-01-01", "2024-12-31"},
    {"ON A   ROLLING BASIS", 2023, "2023-01-01", "2023-12-31"},
    {"Year-round", 2023, "2023-01-01", "2023-12-31"},
    /* abbreviations, ordinals, month first, commas, years */
    {"Sept", 2023, "2023-09-01", "2023-09-30"},
    {"Sep – Dec", 2023, "2023-09-01", "2023-12-31"},
    {"3rd April", 2023, "2023-04-03", "2023-04-03"},
    {"1st – 2nd June", 2023, "2023-06-01", "2023-06-02"},
    {"April 3", 2023, "2023-04-03", "2023-04-03"},
    {"April 3-5", 2023, "2023-04-03", "2023-04-05"},
    {"April 3, 2024", 2023, "2024-04-03", "2024-04-03"},
    {"3 April 2024", 2023, "2024-04-03", "2024-04-03"},
    {"March 2024", 2023, "2024-03-01", "2024-03-31"},
    {"3-4 April 2024", 2023, "2024-04-03", "2024-04-04"},
    {"January – March 2024", 2023, "2024-01-01", "2024-03-31"},
    {"Q3 2024", 2023, "2024-07-01", "2024-09-30"},
    {"3 April – May", 2023, "2023-04-03", "2023-05-31"},
    {"2023-04-03 – 5", 2023, "2023-04-03", "2023-04-05"},
    {"28 December 2023 – 3 January 2024", 2023, "2023-12-28", "2024-01-03"},
    /* leap years and month lengths */
    {"29 February", 2024, "2024-02-29", "2024-02-29"},
    {"29 February", 2000, "2000-02-29", "2000-02-29"},
    {"28 February – 1 March", 2024, "2024-02-28", "2024-03-01"},
    {"31 January", 2023, "2023-01-31", "2023-01-31"},
    {"30 April", 2023, "2023-04-30", "2023-04-30"},
    {"2024-02-29", 2023, "2024-02-29", "2024-02-29"},
    {"Q1", 2024, "2024-01-01", "2024-03-31"},
    {"December", 9999, "9999-12-01", "9999-12-31"},
    {"1 January", 1, "0001-01-01", "0001-01-01"},
    /* every separator and dash the parser knows */
    {"3\tApril", 2023, "2023-04-03", "2023-04-03"},
    {"3\r\nApril", 2023, "2023-04-03", "2023-04-03"},
    {"3. April", 2023, "2023-04-03", "2023-04-03"},
    {"April, 3", 2023, "2023-04-03", "2023-04-03"},
    {"3\u2010"
     "4 April",
     2023, "2023-04-03", "2023-04-04"},
    {"3\u2015"
     "4 April",
     2023, "2023-04-03", "2023-04-04"},
    {"Sept 30 through Oct 2", 2023, "2023-09-30", "2023-10-02"},
    {"Sep 30 until Oct 2 2024", 2023, "2024-09-30", "2024-10-02"},
    {"21st – 24th June", 2023, "2023-06-21", "2023-06-24"},
    {"22nd June", 2023, "2023-06-22", "2023-06-22"},
    {"Q2 2024", 2023, "2024-04-01", "2024-06-30"},
    {"3 April – 5", 2023, "2023-04-03", "2023-04-05"},
    {"2023-04-03 to 2023-05-01", 2023, "2023-04-03", "2023-05-01"},
    {"April 9999", 2023, "9999-04-01", "9999-04-30"},
    {"1 January 0001", 2023, "0001-01-01", "0001-01-01"},
};

static const struct label_case bad[] = {
    {"To be announced", 2023, NULL, NULL},
    {"TBA", 2023, NULL, NULL},
    {"tba", 2023, NULL, NULL},
    {"To Be Confirmed", 2023, NULL, NULL},
    {"", 2023, NULL, NULL},
    {"   ", 2023, NULL, NULL},
    {"29 February", 2023, NULL, NULL},
    {"29 February", 2100, NULL, NULL},
    {"30 February", 2024, NULL, NULL},
    {"31 April", 2023, NULL, NULL},
    {"32 January", 2023, NULL, NULL},
    {"0 January", 2023, NULL, NULL},
    {"2023-13-01", 2023, NULL, NULL},
    {"2023-02-30", 2023, NULL, NULL},
    {"2023-04-05 – 2023-04-03", 2023, NULL, NULL},
    {"November – February", 2023, NULL, NULL},
    {"4-3 April", 2023, NULL, NULL},
    {"12 May – 24 April", 2023, NULL, NULL},
    {"Q5", 2023, NULL, NULL},
    {"Q0", 2023, NULL, NULL},
    {"Q3 – Q1", 2023, NULL, NULL},
    {"3-4", 2023, NULL, NULL},
    {"3", 2023, NULL, NULL},
    {"2023", 2023, NULL, NULL},
    {"April – 3", 2023, NULL, NULL},
    {"Q3 – 5", 2023, NULL, NULL},
    {"Mid-May", 2023, NULL, NULL},
    {"Early June", 2023, NULL, NULL},
    {"Monday 3 April", 2023, NULL, NULL},
    {"Janvier", 2023, NULL, NULL},
    {"Ja", 2023, NULL, NULL},
    {"April – ", 2023, NULL, NULL},
    {" – April", 2023, NULL, NULL},
    {"January – March – May", 2023, NULL, NULL},
    {"January March", 2023, NULL, NULL},
    {"3 4 April", 2023, NULL, NULL},
    {"3rdd April", 2023, NULL, NULL},
    {"123 April", 2023, NULL, NULL},
    {"April 2023 2024", 2023, NULL, NULL},
    {"4月3日", 2023, NULL, NULL},
    {"3 April; 5 May", 2023, NULL, NULL},
    {"January", 0, NULL, NULL},
    {"January", 10000, NULL, NULL},
    {"2023-4-3", 2023, NULL, NULL},
    {"0000-01-01", 2023, NULL, NULL},
    {"2023-04-03x", 2023, NULL, NULL},
    {"Rolling basis please", 2023, NULL, NULL},
    /* near misses of dashes (U+2016, U+2296) and of ISO dates */
    {"3\u2016"
     "4 April",
     2023, NULL, NULL},
    {"3\u2296"
     "4 April",
     2023, NULL, NULL},
    {"2023-04-031", 2023, NULL, NULL},
    {"2023-04-03a", 2023, NULL, NULL},
    {"2023-04-0a", 2023, NULL, NULL},
    /* numbers: five digits, an ordinal on three, a year of 0 or 5 digits */
    {"12345 April", 2023, NULL, NULL},
    {"100th April", 2023, NULL, NULL},
    {"3rd April 0000", 2023, NULL, NULL},
    {"April 10000", 2023, NULL, NULL},
    {"qq", 2023, NULL, NULL},
    {"q", 2023, NULL, NULL},
    {"through", 2023, NULL, NULL},
    {"3 April through", 2023, NULL, NULL},
};

START_TEST(test_good_labels)
{
    const struct label_case *c = &good[_i];
    char start[DATELABEL_DATE_SIZE], end[DATELABEL_DATE_SIZE];
    ck_assert_msg(datelabel_parse(c->label, c->year, start, end) == 0, "refused \"%s\"", c->label);
    ck_assert_msg(strcmp(start, c->start) == 0 && strcmp(end, c->end) == 0,
                  "\"%s\" (%d): %s..%s, want %s..%s", c->label, c->year, start, end, c->start,
                  c->end);
}
END_TEST

START_TEST(test_bad_labels)
{
    const struct label_case *c = &bad[_i];
    char start[DATELABEL_DATE_SIZE] = "junk", end[DATELABEL_DATE_SIZE] = "junk";
    ck_assert_msg(datelabel_parse(c->label, c->year, start, end) == -1,
                  "accepted \"%s\" (%d) as %s..%s", c->label, c->year, start, end);
    ck_assert_str_eq(start, "");
    ck_assert_str_eq(end, "");
}
END_TEST

START_TEST(test_null_and_long)
{
    char start[DATELABEL_DATE_SIZE], end[DATELABEL_DATE_SIZE];
    ck_assert_int_eq(datelabel_parse(NULL, 2023, start, end), -1);
    ck_assert_str_eq(start, "");
    ck_assert_int_eq(datelabel_parse("January", 2023, NULL, end), -1);
    ck_assert_str_eq(end, "");
    ck_assert_int_eq(datelabel_parse("January", 2023, start, NULL), -1);
    ck_assert_str_eq(start, "");

    char label[400];
    memset(label, ' ', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    memcpy(label, "January", 7);
    ck_assert_int_eq(datelabel_parse(label, 2023, start, end), -1);
    ck_assert_int_eq(datelabel_parse("1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", 2023, start, end), -1);
    ck_assert_int_eq(datelabel_parse("averyveryverylongword", 2023, start, end), -1);
}
END_TEST

/* ---- The 2023 seed ---- */

/* Labels of the seed that name no period: nothing to put in a calendar. */
static const char *const unknown_labels[] = {"To be announced"};

static bool is_known_unknown(const char *label)
{
    for (size_t i = 0; i < ARRAY_LEN(unknown_labels); i++) {
        if (strcmp(label, unknown_labels[i]) == 0)
            return true;
    }
    return false;
}

static const char *opt_string(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(v != NULL, "missing %s", key);
    ck_assert_msg(json_is_string(v) || json_is_null(v), "%s is neither string nor null", key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

START_TEST(test_seed_labels)
{
    json_error_t err;
    json_t *root = json_load_file(SEED_FILE, 0, &err);
    ck_assert_msg(root != NULL, "%s:%d: %s", SEED_FILE, err.line, err.text);
    ck_assert(json_is_array(root));
    size_t parsed = 0, dated = 0, unknown = 0;
    size_t i;
    json_t *item;
    json_array_foreach(root, i, item)
    {
        const char *slug = opt_string(item, "slug");
        const char *label = opt_string(item, "date_label");
        const char *starts = opt_string(item, "starts_on");
        const char *ends = opt_string(item, "ends_on");
        ck_assert_msg(label != NULL, "%s: no date_label", slug);
        char start[DATELABEL_DATE_SIZE], end[DATELABEL_DATE_SIZE];
        if (datelabel_parse(label, 2023, start, end) != 0) {
            ck_assert_msg(is_known_unknown(label), "%s: cannot parse \"%s\"", slug, label);
            unknown++;
            continue;
        }
        ck_assert_msg(!is_known_unknown(label), "%s: \"%s\" parsed", slug, label);
        ck_assert_msg(strcmp(start, end) <= 0, "%s: %s..%s", slug, start, end);
        parsed++;
        if (starts == NULL && ends == NULL)
            continue;
        /* ISO dates compare as strings. */
        const char *last = ends != NULL ? ends : starts;
        const char *first = starts != NULL ? starts : ends;
        ck_assert_msg(strcmp(start, first) <= 0 && strcmp(last, end) <= 0,
                      "%s: \"%s\" = %s..%s does not contain %s..%s", slug, label, start, end, first,
                      last);
        dated++;
    }
    ck_assert_uint_ge(json_array_size(root), 20);
    ck_assert_uint_eq(parsed + unknown, json_array_size(root));
    ck_assert_uint_ge(dated, 10);
    json_decref(root);
}
END_TEST

/* The day-specific labels of the seed give exactly the seed's dates. */
START_TEST(test_seed_exact_days)
{
    json_error_t err;
    json_t *root = json_load_file(SEED_FILE, 0, &err);
    ck_assert_msg(root != NULL, "%s:%d: %s", SEED_FILE, err.line, err.text);
    size_t i, exact = 0;
    json_t *item;
    json_array_foreach(root, i, item)
    {
        const char *label = opt_string(item, "date_label");
        const char *starts = opt_string(item, "starts_on");
        const char *ends = opt_string(item, "ends_on");
        /* A label with a digit names days, not months or quarters. */
        if (label == NULL || starts == NULL || ends == NULL || strpbrk(label, "0123456789") == NULL)
            continue;
        if (label[0] == 'Q' || label[0] == 'q')
            continue;
        char start[DATELABEL_DATE_SIZE], end[DATELABEL_DATE_SIZE];
        ck_assert_int_eq(datelabel_parse(label, 2023, start, end), 0);
        ck_assert_msg(strcmp(start, starts) == 0 && strcmp(end, ends) == 0,
                      "\"%s\": %s..%s, seed says %s..%s", label, start, end, starts, ends);
        exact++;
    }
    ck_assert_uint_ge(exact, 10);
    json_decref(root);
}
END_TEST

Suite *make_datelabel_suite(void);
Suite *make_datelabel_suite(void)
{
    Suite *s = suite_create("datelabel");

    TCase *tc = tcase_create("labels");
    tcase_add_loop_test(tc, test_good_labels, 0, (int)ARRAY_LEN(good));
    tcase_add_loop_test(tc, test_bad_labels, 0, (int)ARRAY_LEN(bad));
    tcase_add_test(tc, test_null_and_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("seed");
    tcase_add_test(tc, test_seed_labels);
    tcase_add_test(tc, test_seed_exact_days);
    suite_add_tcase(s, tc);
    return s;
}
