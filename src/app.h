/*
 * app.h - the state shared by every handler of a running server: settings,
 * the database pool and what start-up learned. Built by main, reached from
 * handlers through http_app().
 */
#ifndef CONVENE_APP_H
#define CONVENE_APP_H

struct config;
struct db_pool;
struct http_server;

struct app {
    const struct config *cfg;
    struct db_pool *db;
    const char *data_dir;
    int latest_migration; /* highest version among the migration files */
};

/* Registers the operations endpoints (/healthz, /readyz, /metrics). */
int ops_routes(struct http_server *s);

/* Registers the accounts API (auth, me, organisations, admin). */
int accounts_routes(struct http_server *s);

/* Registers the diagnostic endpoints under /api/_test/ used by the
 * integration tests; main only calls it when CONVENE_TEST_ROUTES=1. */
int testroutes_register(struct http_server *s);

#endif
