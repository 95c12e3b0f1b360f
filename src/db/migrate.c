/*
 * migrate.c - ordered, locked, checksummed migrations. See migrate.h.
 */
#include "db/migrate.h"

#include "db/db.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant will do; it names Convene's migration lock. */
#define MIGRATION_LOCK_KEY "7230142001"

struct migration {
    long version;
    char *name; /* file name */
};

static int cmp_migration(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static void free_list(struct migration *list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i].name);
    free(list);
}

/* Parses "NNNN_name.sql" into a version. 0 or -1. */
static int parse_name(const char *file, long *version)
{
    size_t n = strlen(file);
    if (n < 10 || !str_ends_with(file, ".sql"))
        return -1;
    for (int i = 0; i < 4; i++) {
        if (file[i] < '0' || file[i] > '9')
            return -1;
    }
    if (file[4] != '_')
        return -1;
    char digits[5];
    memcpy(digits, file, 4);
    digits[4] = '\0';
    return str_to_long(digits, 1, 9999, version);
}

static int scan(const char *dir, struct migration **out, int *count, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "cannot open migrations directory %s", dir);
        return -1;
    }
    struct migration *list = NULL;
    int n = 0, alloc = 0, rc = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !str_ends_with(e->d_name, ".sql"))
            continue;
        long v;
        if (parse_name(e->d_name, &v) != 0) {
            snprintf(err, errlen, "migration file %s is not named NNNN_name.sql", e->d_name);
            rc = -1;
            break;
        }
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 16;
            list = xrealloc(list, (size_t)alloc * sizeof *list);
        }
        list[n].version = v;
        list[n].name = xstrdup(e->d_name);
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 0) {
        qsort(list, (size_t)n, sizeof *list, cmp_migration);
        for (int i = 1; i < n; i++) {
            if (list[i].version == list[i - 1].version) {
                snprintf(err, errlen, "two migrations share version %04ld", list[i].version);
                rc = -1;
            }
        }
    }
    if (rc != 0) {
        free_list(list, n);
        return -1;
    }
    *out = list;
    *count = n;
    return 0;
}

int migrate_latest_version(const char *dir, char *err, size_t errlen)
{
    struct migration *list = NULL;
    int n = 0;
    if (scan(dir, &list, &n, err, errlen) != 0)
        return -1;
    int latest = n ? (int)list[n - 1].version : 0;
    free_list(list, n);
    return latest;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    strbuf b;
    strbuf_init(&b, 16u << 20);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = strbuf_append(&b, chunk, n);
    fclose(f);
    if (rc != 0) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_detach(&b, NULL);
}

/* FNV-1a, 64 bits: enough to notice an edited file. */
static void checksum(const char *text, char out[17])
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

long migrate_current_version(struct db_conn *c)
{
    struct db_result *r =
        db_query(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL);
    if (r == NULL)
        return -1;
    long v = -1;
    const char *s = db_value(r, 0, 0);
    if (s)
        v = strtol(s, NULL, 10);
    db_result_free(r);
    return v;
}

/* Applies one file unless already applied; checks the checksum if it was. */
static int apply_one(struct db_conn *c, const char *dir, const struct migration *m, int *applied,
                     char *err, size_t errlen)
{
    char *path = xasprintf("%s/%s", dir, m->name);
    char *sql = read_file(path);
    free(path);
    if (sql == NULL) {
        snprintf(err, errlen, "cannot read migration %s", m->name);
        return -1;
    }
    char sum[17], version[24];
    checksum(sql, sum);
    snprintf(version, sizeof version, "%ld", m->version);
    const char *params[] = {version};
    struct db_result *r =
        db_query(c, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, params);
    int rc = -1;
    if (r == NULL) {
        snprintf(err, errlen, "cannot read schema_migrations: %s", db_error_message(c));
        goto out;
    }
    if (db_nrows(r) == 1) {
        if (!str_eq(db_value(r, 0, 0), sum)) {
            snprintf(err, errlen, "migration %s was changed after it was applied", m->name);
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (db_begin(c) != 0 || db_exec_script(c, sql) != 0) {
        snprintf(err, errlen, "migration %s failed: %s", m->name, db_error_message(c));
        db_rollback(c);
        goto out;
    }
    const char *ins[] = {version, m->name, sum};
    struct db_result *done = db_query(
        c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3, ins);
    if (done == NULL || db_commit(c) != 0) {
        snprintf(err, errlen, "cannot record migration %s: %s", m->name, db_error_message(c));
        db_result_free(done);
        db_rollback(c);
        goto out;
    }
    db_result_free(done);
    log_info("applied migration %s", m->name);
    (*applied)++;
    rc = 0;
out:
    db_result_free(r);
    free(sql);
    return rc;
}

int migrate_apply(struct db_conn *c, const char *dir, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    struct migration *list = NULL;
    int n = 0;
    if (scan(dir, &list, &n, err, errlen) != 0)
        return -1;
    int rc = -1;
    if (db_exec(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")") != 0) {
        snprintf(err, errlen, "cannot take the migration lock: %s", db_error_message(c));
        goto out;
    }
    if (db_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version integer PRIMARY KEY,"
                   " name text NOT NULL,"
                   " checksum text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())") != 0) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", db_error_message(c));
        goto unlock;
    }
    rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = apply_one(c, dir, &list[i], applied, err, errlen);
unlock:
    db_exec(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")");
out:
    free_list(list, n);
    return rc;
}
