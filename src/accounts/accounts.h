/*
 * accounts.h - the accounts feature: sign-up, verification, log-in and
 * sessions, password reset, the profile (/api/me), organisations, and the
 * admin views of accounts, roles, the audit log and the mail outbox.
 */
#ifndef CONVENE_ACCOUNTS_H
#define CONVENE_ACCOUNTS_H

struct http_server;

/* Registers the feature's prepared statements (see db_register). */
void accounts_statements(void);

/* Registers the feature's routes. 0, or -1 when the route table refuses one. */
int accounts_routes(struct http_server *s);

#endif
