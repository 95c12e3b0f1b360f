/*
 * ops.h - the operations endpoints (/healthz, /readyz, /metrics) and, in a
 * test build only (CMake option CONVENE_TEST_ROUTES), the diagnostic
 * endpoints under /api/_test/.
 */
#ifndef CONVENE_OPS_H
#define CONVENE_OPS_H

struct http_req;

/* HTTP handlers (routed in src/routes.c) */
void ops_healthz(struct http_req *req);
void ops_readyz(struct http_req *req);
void ops_metrics(struct http_req *req);

#ifdef CONVENE_TEST_ROUTES
/* Test-build HTTP handlers (src/ops/testroutes.c; routed in src/routes.c) */
void testroutes_stack(struct http_req *req);
void testroutes_echo(struct http_req *req);
void testroutes_sleep(struct http_req *req);
void testroutes_db_sleep(struct http_req *req);
#endif

#endif
