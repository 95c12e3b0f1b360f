/*
 * audit.c - inserts audit_log rows. See audit.h.
 */
#include "api/audit.h"

#include "db/db.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>

static int stmt_insert = -1;

void audit_statements(void)
{
    stmt_insert = db_register(
        "audit_insert",
        "INSERT INTO audit_log (actor_id, action, target_type, target_id, ip, request_id, "
        "details) VALUES (NULLIF($1::bigint, 0), $2, $3, $4, $5, $6, coalesce($7::jsonb, "
        "'{}'))");
}

int audit_log(struct db_conn *c, struct http_req *req, long actor_id, const char *action,
              const char *target_type, const char *target_id, json_t *details)
{
    char actor[24];
    snprintf(actor, sizeof actor, "%ld", actor_id);
    char *json = details ? json_dumps(details, JSON_COMPACT) : NULL;
    const char *params[] = {actor,
                            action,
                            target_type,
                            target_id,
                            req ? http_remote_addr(req) : "cli",
                            req ? http_request_id(req) : NULL,
                            json};
    struct db_result *r = db_run(c, stmt_insert, 7, params);
    free(json);
    db_result_free(r);
    return r ? 0 : -1;
}
