/*
 * datelabel.h - understanding the loose date labels of CityNet's activity
 * calendar ("January – March", "Q3", "3-4 April", "28 March – 1 April",
 * "On a Rolling Basis") as a period of days. Pure code: no database, no
 * locale, no libc time functions.
 */
#ifndef CONVENE_DATELABEL_H
#define CONVENE_DATELABEL_H

/* Size of the buffers datelabel_parse fills: "YYYY-MM-DD" and its NUL. */
#define DATELABEL_DATE_SIZE 11

/*
 * Parses label into an inclusive period and writes its first and last days
 * as "YYYY-MM-DD" into start_out and end_out. Returns 0, or -1 when the
 * label cannot be understood; then both outputs are set to "" (when they
 * are not NULL). NULL label, NULL outputs or a year outside 1..9999 give -1.
 *
 * A label is one point, or two points joined by a hyphen, an en or em dash,
 * a minus sign, '~', or the words "to", "until" or "through". A point is:
 *   - an English month, full or abbreviated ("March", "Mar", "Sept"):
 *     as a start its first day, as an end its last day, alone the month;
 *   - a quarter "Q1".."Q4": likewise its first and last days;
 *   - a day and a month in either order ("3 April", "April 3", "3rd April");
 *   - a bare day ("3" in "3-4 April", "5" in "April 3-5"), which takes its
 *     month from the other point, which must name a day;
 *   - an ISO date "2023-04-03", which carries its own year.
 * A month, quarter or day point may end with a four-digit year ("3 April
 * 2023"); a point without one takes the other point's year, else `year`.
 * Case, repeated spaces, commas and full stops are ignored. The whole-year
 * phrases "On a Rolling Basis", "Rolling Basis", "Rolling", "Year-round",
 * "Year round", "All year" and "Throughout the year" give year-01-01 to
 * year-12-31. Anything else is -1, including "To be announced", "TBA",
 * "Mid-May", weekday names, impossible days ("30 February", "29 February"
 * outside leap years) and periods that end before they start ("November –
 * February" is not taken to cross into the next year).
 */
int datelabel_parse(const char *label, int year, char start_out[DATELABEL_DATE_SIZE],
                    char end_out[DATELABEL_DATE_SIZE]);

#endif
