/*
 * audit.h - the audit log of security-relevant and staff actions: who,
 * what, when, from where, written in the caller's transaction.
 */
#ifndef CONVENE_AUDIT_H
#define CONVENE_AUDIT_H

#include <jansson.h>

struct db_conn;
struct http_req;

/* Registers this module's prepared statements with the database layer.
 * main calls it once, before any connection is made. */
void audit_statements(void);

/*
 * Records `action` (e.g. "login.failed", "role.granted") by actor_id (0 for
 * nobody) on target_type/target_id (may be NULL), with the request's client
 * address and id, and details (borrowed; may be NULL). 0 or -1.
 */
int audit_log(struct db_conn *c, struct http_req *req, long actor_id, const char *action,
              const char *target_type, const char *target_id, json_t *details);

#endif
