/*
 * routes.h - the route table of the whole HTTP API (src/routes.c): every
 * URL with its handler, in one place. `convene routes` prints it.
 */
#ifndef CONVENE_ROUTES_H
#define CONVENE_ROUTES_H

struct http_server;

/* Adds every route of the API to s, in the table's order. 0, or -1 when
 * the router refuses one (a bad or duplicate pattern; the others are still
 * added). */
int routes_register(struct http_server *s);

#endif
