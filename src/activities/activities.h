/*
 * activities.h - the activity calendar feature as the rest of the program
 * sees it: the public calendar and activity pages, staff editing and
 * questions, enrolment with waiting lists and approvals, participant
 * exports and calendar feeds. Its files share internal.h, which nothing
 * outside this folder includes.
 */
#ifndef CONVENE_ACTIVITIES_H
#define CONVENE_ACTIVITIES_H

struct http_server;

/* Registers the feature's prepared statements (see db_register). */
void activities_statements(void);

/* Registers every route of the feature. 0, or -1 when the route table
 * refuses one. */
int activities_routes(struct http_server *s);

#endif
