/*
 * awards.h - the SDG Awards as the rest of the program sees it: cycles with
 * their categories, criteria and settings; cases submitted by member
 * organisations and their files; the public vote; judges assigned to
 * categories, their conflicts and scores; results, their publication, the
 * gallery and the CSV exports. Its files share internal.h, which nothing
 * outside this folder includes. The rules live in SQL (migrations
 * 0009_awards to 0012_awards_views).
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
