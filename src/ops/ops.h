/*
 * ops.h - the operations endpoints (/healthz, /readyz, /metrics) and, in a
 * test build only (CMake option CONVENE_TEST_ROUTES), the diagnostic
 * endpoints under /api/_test/.
 */
#ifndef CONVENE_OPS_H
#define CONVENE_OPS_H

struct http_server;

/* Registers /healthz, /readyz and /metrics. 0 or -1. */
int ops_routes(struct http_server *s);

#ifdef CONVENE_TEST_ROUTES
/* Registers /api/_test/echo, /sleep and /db-sleep. 0 or -1. */
int testroutes_register(struct http_server *s);
#endif

#endif
