/*
 * cli.c - `convene user` and `convene seed`. See cli.h.
 */
#include "cli.h"

#include "api/audit.h"
#include "api/auth.h"
#include "base/config.h"
#include "db/db.h"
#include "base/log.h"
#include "mail/mailfmt.h"
#include "base/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* ---- Shared ---- */

static struct db_conn *connect_db(const struct config *cfg)
{
    char err[512];
    struct db_conn *c =
        db_connect(cfg->database_url, (int)cfg->db_connect_timeout_s, err, sizeof err);
    if (c == NULL)
        fprintf(stderr, "convene: cannot connect to the database: %s\n", err);
    return c;
}

/* Reads one line from stdin into buf without its line end; with a
 * terminal, prompts and turns echo off. 0 or -1. */
static int read_password(const char *prompt, char *buf, size_t buflen)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *got = fgets(buf, (int)buflen, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fprintf(stderr, "\n");
    }
    if (got == NULL)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static const char *user_usage =
    "Usage:\n"
    "  convene user add EMAIL --name NAME --role ROLE [--role ROLE] [--organisation ID]\n"
    "  convene user role EMAIL ROLE [--remove]\n"
    "  convene user passwd EMAIL\n\n"
    "Passwords are read from standard input (one line). Roles: participant, judge,\n"
    "staff, admin. An organisation given to `user add` counts as confirmed.\n"
    "Settings (database) come from the CONVENE_* environment.\n";

/* Runs sql with params; prints the error. Returns the result or NULL. */
static struct db_result *run(struct db_conn *c, const char *sql, int n, const char *const *p)
{
    struct db_result *r = db_query(c, sql, n, p);
    if (r == NULL)
        fprintf(stderr, "convene: database error: %s\n", db_error_message(c));
    return r;
}

/* Audits a command-line action on account `target` through the one path
 * into the audit log (no actor, the address "cli"). details is borrowed
 * (may be NULL). 0 or -1. */
static int audit_cli(struct db_conn *c, const char *action, const char *target, json_t *details)
{
    int rc = audit_log(c, NULL, 0, action, "account", target, details);
    if (rc != 0)
        fprintf(stderr, "convene: database error: %s\n", db_error_message(c));
    return rc;
}

/* ---- user add ---- */

static int user_add(const struct config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"organisation", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *name = NULL, *org = NULL;
    const char *roles[4];
    int nroles = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'n') {
            name = optarg;
        } else if (ch == 'r' && nroles < 4 && auth_role_from_name(optarg)) {
            roles[nroles++] = optarg;
        } else if (ch == 'o') {
            long v;
            if (str_to_long(optarg, 1, 1L << 53, &v) != 0) {
                fprintf(stderr, "convene: --organisation must be an organisation id\n");
                return 2;
            }
            org = optarg;
        } else if (ch == 'h') {
            printf("%s", user_usage);
            return 0;
        } else {
            fprintf(stderr, "convene: user add: bad option %s\n%s", argv[optind - 1], user_usage);
            return 2;
        }
    }
    if (optind != argc - 1 || name == NULL || nroles == 0) {
        fprintf(stderr, "%s", user_usage);
        return 2;
    }
    const char *email = argv[optind];
    if (!mailfmt_valid_address(email) || str_has_crlf(name, strlen(name)) || *name == '\0') {
        fprintf(stderr, "convene: user add: invalid email address or name\n");
        return 2;
    }
    char pw[1100];
    if (read_password("Password: ", pw, sizeof pw) != 0) {
        fprintf(stderr, "convene: no password on standard input\n");
        return 2;
    }
    const char *problem = auth_password_problem(pw, email, name);
    if (problem) {
        fprintf(stderr, "convene: password refused: %s\n", problem);
        return 2;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (auth_init(cfg) != 0 || auth_hash_password(pw, hash) != 0) {
        fprintf(stderr, "convene: cannot hash the password\n");
        return 1;
    }
    sodium_memzero(pw, sizeof pw);
    struct db_conn *c = connect_db(cfg);
    if (c == NULL)
        return 1;
    int rc = 1;
    if (db_begin(c) != 0)
        goto out;
    const char *p[] = {email, hash, name, org};
    struct db_result *r = run(c,
                              "INSERT INTO accounts (email, password_hash, name, organisation_id, "
                              "organisation_confirmed_at, email_verified_at) VALUES ($1, $2, $3, "
                              "$4::bigint, CASE WHEN $4::bigint IS NOT NULL THEN now() END, now()) "
                              "ON CONFLICT (email) DO NOTHING RETURNING id",
                              4, p);
    if (r == NULL)
        goto rollback;
    if (db_nrows(r) != 1) {
        fprintf(stderr, "convene: an account with %s exists already (use `convene user role`)\n",
                email);
        db_result_free(r);
        goto rollback;
    }
    char *id = xstrdup(db_value(r, 0, 0));
    db_result_free(r);
    bool ok = true;
    for (int i = 0; i < nroles && ok; i++) {
        const char *rp[] = {id, roles[i]};
        struct db_result *rr = run(
            c,
            "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            2, rp);
        ok = rr != NULL;
        db_result_free(rr);
    }
    /* An organisation given here is confirmed: the operator vouches for it. */
    json_t *details = json_pack("{s:o}", "organisation_id",
                                org ? json_integer(strtoll(org, NULL, 10)) : json_null());
    ok = ok && audit_cli(c, "account.created", id, details) == 0;
    if (ok && org)
        ok = audit_cli(c, "account.organisation_confirmed", id, details) == 0;
    json_decref(details);
    if (ok && db_commit(c) == 0) {
        printf("created account %s (id %s)\n", email, id);
        rc = 0;
    }
    free(id);
    if (rc == 0)
        goto out;
rollback:
    db_rollback(c);
out:
    db_close(c);
    return rc;
}

/* Runs sql, a change to the account with the address email ($1, with value
 * as $2) that returns the account's id when it changed anything, on a
 * connection of its own. On one row, audits action with details (borrowed,
 * may be NULL) and returns 0; on none, prints "no account EMAIL" followed
 * by missing. Returns the exit status. */
static int change_account(const struct config *cfg, const char *sql, const char *email,
                          const char *value, const char *action, json_t *details,
                          const char *missing)
{
    struct db_conn *c = connect_db(cfg);
    if (c == NULL)
        return 1;
    const char *p[] = {email, value};
    struct db_result *r = run(c, sql, 2, p);
    int rc = 1;
    if (r && db_nrows(r) == 1) {
        audit_cli(c, action, db_value(r, 0, 0), details);
        rc = 0;
    } else if (r) {
        fprintf(stderr, "convene: no account %s%s\n", email, missing);
    }
    db_result_free(r);
    db_close(c);
    return rc;
}

/* ---- user role ---- */

static int user_role(const struct config *cfg, int argc, char **argv)
{
    bool remove = argc == 4 && str_eq(argv[3], "--remove");
    if (!(argc == 3 || remove) || auth_role_from_name(argv[2]) == 0) {
        fprintf(stderr, "%s", user_usage);
        return 2;
    }
    const char *sql =
        remove ? "DELETE FROM account_roles r USING accounts a WHERE a.id = r.account_id "
                 "AND a.email = $1 AND r.role = $2 RETURNING a.id"
               : "INSERT INTO account_roles (account_id, role) SELECT id, $2 FROM accounts "
                 "WHERE email = $1 ON CONFLICT (account_id, role) DO UPDATE SET role = "
                 "EXCLUDED.role RETURNING account_id";
    json_t *details = json_pack("{s:s}", "role", argv[2]);
    int rc = change_account(cfg, sql, argv[1], argv[2], remove ? "role.revoked" : "role.granted",
                            details, remove ? " with that role" : "");
    json_decref(details);
    if (rc == 0)
        printf("%s %s role %s\n", argv[1], remove ? "no longer has" : "has", argv[2]);
    return rc;
}

/* ---- user passwd ---- */

static int user_passwd(const struct config *cfg, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "%s", user_usage);
        return 2;
    }
    char pw[1100];
    if (read_password("New password: ", pw, sizeof pw) != 0) {
        fprintf(stderr, "convene: no password on standard input\n");
        return 2;
    }
    const char *problem = auth_password_problem(pw, argv[1], NULL);
    if (problem) {
        fprintf(stderr, "convene: password refused: %s\n", problem);
        return 2;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (auth_init(cfg) != 0 || auth_hash_password(pw, hash) != 0)
        return 1;
    sodium_memzero(pw, sizeof pw);
    int rc = change_account(
        cfg,
        "WITH a AS (UPDATE accounts SET password_hash = $2 WHERE email = $1 RETURNING id), "
        "s AS (UPDATE sessions SET revoked_at = now() WHERE account_id IN (SELECT id FROM a) "
        "AND revoked_at IS NULL) SELECT id FROM a",
        argv[1], hash, "password.set", NULL, "");
    if (rc == 0)
        printf("password of %s changed; its sessions were ended\n", argv[1]);
    return rc;
}

int cli_user(const struct config *cfg, int argc, char **argv)
{
    if (argc < 2 || str_eq(argv[1], "--help") || str_eq(argv[1], "-h")) {
        printf("%s", user_usage);
        return argc < 2 ? 2 : 0;
    }
    if (str_eq(argv[1], "add"))
        return user_add(cfg, argc - 1, argv + 1);
    if (str_eq(argv[1], "role"))
        return user_role(cfg, argc - 1, argv + 1);
    if (str_eq(argv[1], "passwd"))
        return user_passwd(cfg, argc - 1, argv + 1);
    fprintf(stderr, "convene: user: unknown action \"%s\"\n%s", argv[1], user_usage);
    return 2;
}
