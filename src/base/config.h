/*
 * config.h - the server's settings: defaults, environment variables and
 * command-line flags (flags override the environment), one table that also
 * drives --help and the error messages.
 */
#ifndef CONVENE_CONFIG_H
#define CONVENE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
    char *database_url;      /* libpq conninfo or URI */
    char *database_read_url; /* NULL, or the conninfo for reads that may lag (a replica) */
    char *listen_host;       /* "127.0.0.1" or "::1" (no brackets) */
    int listen_port;         /* 0 lets the kernel choose */
    char *base_url;          /* without a trailing slash; NULL -> derived */
    char *web_root;          /* NULL -> <data dir>/web */
    char *data_dir;          /* NULL -> discovered (see paths.h) */
    char *smtp_url;          /* smtp://host:port, smtps://user:pass@host:port */
    char *mail_from;         /* sender address */
    char *log_level;         /* debug, info, warn, error */
    char *trusted_proxies;   /* comma-separated addresses whose X-Forwarded-For counts */
    long threads;            /* CivetWeb worker threads */
    long body_limit;         /* bytes; cap on every request body but uploads */
    long upload_limit;       /* bytes; cap on one uploaded file */
    long uploads_in_flight;  /* uploads read at once; more get 503 */
    long db_pool_size;       /* PostgreSQL connections per node */
    long db_pool_wait_ms;    /* wait for a free connection before 503 */
    long db_connect_timeout_s;
    long request_timeout_ms;
    long body_timeout_ms; /* a request body must arrive within this */
    char *metrics_allow;  /* addresses and CIDR blocks that may read /metrics */
    char *metrics_token;  /* NULL, or the Bearer token /metrics also needs */
    bool migrate_on_start;
    /* Mail */
    long mail_senders;      /* sender threads */
    long mail_max_attempts; /* give up after this many tries */
    /* Passwords and sessions */
    long argon2_memlimit;   /* bytes */
    long argon2_opslimit;   /* iterations */
    long hash_concurrency;  /* Argon2id hashes in flight */
    long session_idle_min;  /* idle expiry, minutes */
    long session_max_hours; /* absolute expiry, hours */
    long login_limit_ip;    /* login attempts per address per 15 minutes */
};

/* Fills c with defaults. Strings are heap-allocated (or NULL). */
void config_defaults(struct config *c);

/* Frees the strings: listen_host and every string setting of the table in
 * config.c (a new char * member needs its row there). Accepts NULL. */
void config_free(struct config *c);

/*
 * Sets one setting by its flag name (without the leading dashes, e.g.
 * "listen") from its text value. On error returns -1 and writes one line to
 * err naming the setting as `source` says (e.g. "CONVENE_LISTEN" or
 * "--listen"), the bad value and what was expected.
 */
int config_set(struct config *c, const char *flag, const char *value, const char *source, char *err,
               size_t errlen);

/* Applies every CONVENE_* variable set in the environment. Same errors. */
int config_from_env(struct config *c, char *err, size_t errlen);

/*
 * Parses flags of a subcommand from argv[optind..] with getopt_long:
 * --flag=value or --flag value for every setting in the table, --no-migrate,
 * and --help (returns 1 so the caller prints help). Unknown flags are an
 * error. Leaves leftover positional arguments at argv[*next].
 */
int config_from_args(struct config *c, int argc, char **argv, int *next, char *err, size_t errlen);

/* Checks cross-setting rules after everything is applied and fills derived
 * values (base_url). Same error convention. */
int config_finish(struct config *c, char *err, size_t errlen);

/* Prints the settings table (flag, environment variable, default, meaning). */
void config_print_help(FILE *out);

/* Parses a size like "1048576", "64k", "10M" (binary units). 0 / -1. */
int config_parse_size(const char *s, long min, long max, long *out);

/* Parses "host:port" ("127.0.0.1:8080", "[::1]:8080", "localhost:80"). */
int config_parse_listen(const char *s, char **host_out, int *port_out);

#endif
