/*
 * migrate.h - schema migrations: sql/migrations/NNNN_name.sql files applied
 * once each, in order, each in its own transaction, under an advisory lock
 * so several nodes starting together apply them exactly once. Applied
 * versions and checksums are recorded in schema_migrations; a migration
 * edited after it was applied is refused.
 */
#ifndef CONVENE_MIGRATE_H
#define CONVENE_MIGRATE_H

#include <stddef.h>

struct db_conn;

/* The highest version among the files in dir (0 when none), or -1 with a
 * reason in err for an unreadable directory or a badly named file. */
int migrate_latest_version(const char *dir, char *err, size_t errlen);

/*
 * Applies pending migrations from dir on c (a standalone connection).
 * Stores the number applied in *applied. 0, or -1 with a reason in err
 * (everything applied before the failing file stays applied).
 */
int migrate_apply(struct db_conn *c, const char *dir, int *applied, char *err, size_t errlen);

/* The highest applied version (0 when none), or -1 when it cannot be read
 * (for example before the first migration). */
long migrate_current_version(struct db_conn *c);

#endif
