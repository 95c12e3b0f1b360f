/*
 * main.c - the `convene` command line: parses the subcommand, loads the
 * settings and wires the modules together. The only place that knows every
 * module; none of them knows it.
 */
#include "db/cache.h"
#include "accounts/accounts.h"
#include "activities/activities.h"
#include "awards/awards.h"
#include "feedback/feedback.h"
#include "certificates/certificates.h"
#include "api/audit.h"
#include "api/ratelimit.h"
#include "api/app.h"
#include "api/auth.h"
#include "cli.h"
#include "base/config.h"
#include "db/db.h"
#include "http/http.h"
#include "base/log.h"
#include "mail/mail.h"
#include "db/migrate.h"
#include "routes.h"
#include "base/paths.h"
#include "base/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CONVENE_VERSION
#define CONVENE_VERSION "0.0.0-dev"
#endif

#define EXIT_USAGE 2

/* How long a stop waits for requests in flight. */
#define SHUTDOWN_GRACE_MS 30000

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_serve(int argc, char **argv);
static int cmd_migrate(int argc, char **argv);
static int cmd_user(int argc, char **argv);
static int cmd_seed(int argc, char **argv);
static int cmd_routes(int argc, char **argv);

static const struct command commands[] = {
    {"serve", cmd_serve, "run the HTTP server (applies pending migrations first)"},
    {"migrate", cmd_migrate, "apply pending database migrations and exit"},
    {"seed", cmd_seed,
     "load CityNet's organisations, 2023 calendar (--year YYYY: shifted to that year) and demo "
     "accounts (idempotent)"},
    {"user", cmd_user, "add accounts, grant roles, set passwords (see `convene user --help`)"},
    {"routes", cmd_routes, "list every route of the HTTP API, one \"METHOD pattern\" a line"},
};

/*
 * The wiring, in one place: every module that prepares statements
 * (registered once at start, before any command connects). The routes are
 * one table in routes.c, added when the server is built.
 */
static void (*const statement_sets[])(void) = {
    audit_statements,    auth_statements,       ratelimit_statements,
    accounts_statements, activities_statements, awards_statements,
    checkin_statements,  feedback_statements,   certificates_statements,
};

static int register_routes(struct http_server *srv)
{
#ifdef CONVENE_TEST_ROUTES
    log_warn("test build: diagnostic endpoints under /api/_test/ are compiled in");
#endif
    return routes_register(srv);
}

static void print_usage(FILE *out)
{
    fprintf(out, "Usage: convene COMMAND [OPTIONS]\n\n"
                 "Registration and awards-submission server for networks of cities.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nOptions:\n  --help     show this help (also after a command)\n"
                 "  --version  print the version\n\n"
                 "Run `convene COMMAND --help` for the settings a command takes.\n");
}

/* Loads defaults, environment and flags. Returns 0 to go on, or -1 when
 * the command ends here with *status: 0 after printing the help for
 * --help, EXIT_USAGE after printing the error. cfg is freed then. */
static int load_config(struct config *cfg, int argc, char **argv, const char *summary, int *next,
                       int *status)
{
    char err[512];
    config_defaults(cfg);
    if (config_from_env(cfg, err, sizeof err) != 0)
        goto bad;
    int rc = config_from_args(cfg, argc, argv, next, err, sizeof err);
    if (rc == 1) {
        printf("Usage: convene %s [OPTIONS]\n\n%s.\n\n", argv[0], summary);
        config_print_help(stdout);
        *status = 0;
        config_free(cfg);
        return -1;
    }
    if (rc != 0)
        goto bad;
    if (config_finish(cfg, err, sizeof err) != 0)
        goto bad;
    return 0;
bad:
    fprintf(stderr, "convene: %s\n", err);
    *status = EXIT_USAGE;
    config_free(cfg);
    return -1;
}

/* Runs migrations on a connection of its own. 0 or -1 (logged). */
static int run_migrations(const struct config *cfg, const char *data_dir)
{
    char err[512];
    struct db_conn *c =
        db_connect(cfg->database_url, (int)cfg->db_connect_timeout_s, err, sizeof err);
    if (c == NULL) {
        log_error("cannot connect to the database: %s", err);
        return -1;
    }
    char *dir = xasprintf("%s/sql/migrations", data_dir);
    int applied = 0;
    int rc = migrate_apply(c, dir, &applied, err, sizeof err);
    free(dir);
    db_close(c);
    if (rc != 0) {
        log_error("migrations failed: %s", err);
        return -1;
    }
    log_info("database schema is current (%d migration%s applied now)", applied,
             applied == 1 ? "" : "s");
    return 0;
}

static char *find_data_dir(const struct config *cfg)
{
    char *dir = paths_data_dir(cfg->data_dir);
    if (dir == NULL)
        fprintf(stderr, "convene: cannot find the data directory (sql/, web/); "
                        "set CONVENE_DATA_DIR\n");
    return dir;
}

/* `migrate` and `seed`: the settings, the data directory and the
 * migrations, then THEN (when not NULL) with the same settings. */
static int migrate_then(int argc, char **argv, const char *summary,
                        int (*then)(const struct config *, const char *data_dir))
{
    struct config cfg;
    int next = 0, rc;
    if (load_config(&cfg, argc, argv, summary, &next, &rc) != 0)
        return rc;
    char *data_dir = find_data_dir(&cfg);
    rc = 1;
    if (data_dir && run_migrations(&cfg, data_dir) == 0)
        rc = then ? then(&cfg, data_dir) : 0;
    free(data_dir);
    config_free(&cfg);
    return rc;
}

static int cmd_migrate(int argc, char **argv)
{
    return migrate_then(argc, argv, "Apply pending database migrations", NULL);
}

/* Settings from the environment only (for commands with flags of their
 * own). Returns 0 or EXIT_USAGE after printing the error. */
static int load_env_config(struct config *cfg)
{
    char err[512];
    config_defaults(cfg);
    if (config_from_env(cfg, err, sizeof err) != 0 || config_finish(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "convene: %s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_user(int argc, char **argv)
{
    struct config cfg;
    int rc = load_env_config(&cfg);
    if (rc == 0)
        rc = cli_user(&cfg, argc, argv);
    config_free(&cfg);
    return rc;
}

/* The year `seed --year YYYY` shifts the calendar to (0: as written). */
static int seed_year;

static int seed_with_year(const struct config *cfg, const char *data_dir)
{
    return cli_seed(cfg, data_dir, seed_year);
}

/* `seed [--year YYYY] [settings]`: --year is taken out before the settings
 * are read. */
static int cmd_seed(int argc, char **argv)
{
    char **args = xcalloc((size_t)argc + 1, sizeof *args);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        if (i > 0 && str_eq(argv[i], "--year")) {
            v = i + 1 < argc ? argv[++i] : "";
        } else if (i > 0 && strncmp(argv[i], "--year=", 7) == 0) {
            v = argv[i] + 7;
        } else {
            args[n++] = argv[i];
            continue;
        }
        char *end = NULL;
        long y = strtol(v, &end, 10);
        if (end == v || *end != '\0' || strlen(v) != 4 || y < 2000 || y > 2099) {
            fprintf(stderr,
                    "convene: --year: invalid value \"%s\": expected a year like 2027 "
                    "(2000-2099)\n",
                    v);
            free(args);
            return EXIT_USAGE;
        }
        seed_year = (int)y;
    }
    int rc = migrate_then(n, args,
                          "Load CityNet's organisations, 2023 calendar and demo accounts "
                          "(idempotent).\n\n"
                          "  --year YYYY  shift the calendar (dates, fuzzy labels, periods) to "
                          "that year\n"
                          "               and add demo registrations (a full activity with a "
                          "waiting list)",
                          seed_with_year);
    free(args);
    return rc;
}

/* Prints the route table as `serve` builds it (the authorisation matrix
 * test checks that every route has a row). Needs no database. */
static int cmd_routes(int argc, char **argv)
{
    if (argc > 1) {
        FILE *out = str_eq(argv[1], "--help") ? stdout : stderr;
        fprintf(out, "Usage: convene routes\n\nLists every route of the HTTP API, one "
                     "\"METHOD pattern\" a line, in registration order.\n");
        return out == stdout ? 0 : EXIT_USAGE;
    }
    struct http_options ho = {.host = "127.0.0.1", .threads = 1};
    struct http_server *srv = http_server_new(&ho);
    int rc = 1;
    if (register_routes(srv) != 0) {
        fprintf(stderr, "convene: route table is inconsistent\n");
        goto out;
    }
    for (int i = 0; i < http_route_count(srv); i++)
        printf("%s %s\n", http_route_method(srv, i), http_route_pattern(srv, i));
    rc = 0;
out:
    http_server_free(srv);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    uint64_t t0 = time_mono_ns();
    struct config cfg;
    int next = 0, rc;
    if (load_config(&cfg, argc, argv, "Run the HTTP server", &next, &rc) != 0)
        return rc;
    if (next < argc) {
        fprintf(stderr, "convene: serve: unexpected argument \"%s\"\n", argv[next]);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    rc = 1;
    struct db_pool *pool = NULL;
    struct db_pool *read_pool = NULL;
    struct http_server *srv = NULL;
    struct mail_sender *mailer = NULL;
    char *web_root = NULL;
    char *data_dir = find_data_dir(&cfg);
    if (data_dir == NULL)
        goto out;
    web_root = cfg.web_root ? xstrdup(cfg.web_root) : xasprintf("%s/web", data_dir);

    char err[512];
    char *mig_dir = xasprintf("%s/sql/migrations", data_dir);
    int latest = migrate_latest_version(mig_dir, err, sizeof err);
    free(mig_dir);
    if (latest < 0) {
        log_error("%s", err);
        goto out;
    }
    if (cfg.migrate_on_start && run_migrations(&cfg, data_dir) != 0)
        goto out;
    if (auth_init(&cfg) != 0)
        goto out;

    struct db_pool_config pc = {.conninfo = cfg.database_url,
                                .size = (int)cfg.db_pool_size,
                                .wait_ms = (int)cfg.db_pool_wait_ms,
                                .connect_timeout_s = (int)cfg.db_connect_timeout_s};
    pool = db_pool_new(&pc);
    if (cfg.database_read_url != NULL) {
        /* Reads that may lag get their own pool of the same size, so a
         * replica that is slow or down never holds the primary's
         * connections; db_acquire_read falls back to the primary. */
        struct db_pool_config rc_ = pc;
        rc_.conninfo = cfg.database_read_url;
        read_pool = db_pool_new(&rc_);
    }
    if (cfg.mail_senders > 0) {
        char *tpl_dir = xasprintf("%s/mail-templates", data_dir);
        /* Attachments made when a mail is sent (see mail.h). */
        const struct mail_source mail_sources[] = {
            {"certificate", certificates_mail_source, (void *)cfg.base_url},
        };
        struct mail_sender_config mc = {.conninfo = cfg.database_url,
                                        .smtp_url = cfg.smtp_url,
                                        .mail_from = cfg.mail_from,
                                        .templates_dir = tpl_dir,
                                        .base_url = cfg.base_url,
                                        .threads = (int)cfg.mail_senders,
                                        .max_attempts = (int)cfg.mail_max_attempts,
                                        .db_connect_timeout_s = (int)cfg.db_connect_timeout_s,
                                        .sources = mail_sources,
                                        .nsources = (int)ARRAY_LEN(mail_sources)};
        mailer = mail_sender_start(&mc);
        free(tpl_dir);
        if (mailer == NULL)
            goto out;
    }
    struct app app = {.cfg = &cfg,
                      .db = pool,
                      .read_db = read_pool,
                      .data_dir = data_dir,
                      .latest_migration = latest};

    struct http_options ho = {.host = cfg.listen_host,
                              .port = cfg.listen_port,
                              .threads = (int)cfg.threads,
                              .body_limit = cfg.body_limit,
                              .request_timeout_ms = cfg.request_timeout_ms,
                              .body_timeout_ms = cfg.body_timeout_ms,
                              .web_root = web_root,
                              .trusted_proxies = cfg.trusted_proxies,
                              .app = &app};
    srv = http_server_new(&ho);
    if (register_routes(srv) != 0) {
        log_error("route table is inconsistent");
        goto out;
    }

    /* Block the stop signals in every thread; main waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cache_start(cfg.database_url, (int)cfg.db_connect_timeout_s) != 0) {
        log_error("cannot start the calendar cache listener");
        goto out;
    }
    if (http_server_start(srv, err, sizeof err) != 0) {
        log_error("%s", err);
        goto out;
    }
    log_info("Convene %s listening on http://%s%s%s:%d/ (public URL %s) in %.0f ms",
             CONVENE_VERSION, strchr(cfg.listen_host, ':') ? "[" : "", cfg.listen_host,
             strchr(cfg.listen_host, ':') ? "]" : "", http_server_port(srv), cfg.base_url,
             (double)(time_mono_ns() - t0) / 1e6);

    int sig = 0;
    sigwait(&stop, &sig);
    log_info("received %s: finishing requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (!http_server_drain(srv, SHUTDOWN_GRACE_MS))
        log_warn("requests still running after %d ms; stopping anyway", SHUTDOWN_GRACE_MS);
    http_server_stop(srv);
    cache_stop();
    mail_sender_stop(mailer);
    mailer = NULL;
    log_info("stopped");
    rc = 0;
out:
    cache_stop();
    http_server_free(srv);
    mail_sender_stop(mailer);
    db_pool_free(read_pool);
    db_pool_free(pool);
    free(web_root);
    free(data_dir);
    config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (str_eq(argv[1], "--help") || str_eq(argv[1], "-h") || str_eq(argv[1], "help")) {
        print_usage(stdout);
        return 0;
    }
    if (str_eq(argv[1], "--version")) {
        printf("convene %s (CivetWeb %s)\n", CONVENE_VERSION, http_library_version());
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        if (str_eq(argv[1], commands[i].name)) {
            for (size_t k = 0; k < ARRAY_LEN(statement_sets); k++)
                statement_sets[k]();
            http_library_init();
            int rc = commands[i].run(argc - 1, argv + 1);
            http_library_exit();
            return rc;
        }
    }
    fprintf(stderr, "convene: unknown command \"%s\"\n\n", argv[1]);
    print_usage(stderr);
    return EXIT_USAGE;
}
