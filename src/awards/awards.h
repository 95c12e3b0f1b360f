/*
 * awards.h - the SDG Awards as the rest of the program sees it: cycles with
 * their categories, criteria and settings; cases submitted by member
 * organisations; the public vote; judges assigned to categories and
 * their conflicts with cases. (Files, scoring, results and exports come
 * in later slices.) Its files share internal.h, which nothing outside
 * this folder includes. The rules live in SQL (migration 0009_awards).
 */
#ifndef CONVENE_AWARDS_H
#define CONVENE_AWARDS_H

struct http_server;

/* Registers the feature's prepared statements (see db_register). */
void awards_statements(void);

/* Registers every route of the feature. 0, or -1 when the route table
 * refuses one. */
int awards_routes(struct http_server *s);

#endif
