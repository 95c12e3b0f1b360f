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
    struct db_pool *db;      /* the primary: everything exact */
    struct db_pool *read_db; /* NULL, or reads that may lag (CONVENE_DATABASE_READ_URL) */
    const char *data_dir;
    int latest_migration; /* highest version among the migration files */
};

#endif
