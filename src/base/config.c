/*
 * config.c - settings table, parsing and validation. See config.h.
 */
#include "base/config.h"

#include "base/log.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum kind {
    K_STRING,
    K_URL,
    K_DIR,
    K_LISTEN,
    K_INT,
    K_SIZE,
    K_BOOL,
    K_LEVEL,
    K_SMTP,
    K_EMAIL,
    K_ADDRS, /* comma-separated IP addresses and CIDR blocks */
    K_SECRET /* a token: printable ASCII, 16-256 characters, never echoed */
};

struct setting {
    const char *flag;
    const char *env;
    enum kind kind;
    size_t offset;
    long min, max;
    const char *def; /* shown in help */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct setting settings[] = {
    {"database-url", "CONVENE_DATABASE_URL", K_STRING, OFF(database_url), 0, 0,
     "postgresql:///convene", "PostgreSQL conninfo string or URI"},
    {"database-read-url", "CONVENE_DATABASE_READ_URL", K_STRING, OFF(database_read_url), 0, 0,
     "none",
     "PostgreSQL for reads that may lag (a replica; e.g. host=a,b "
     "target_session_attrs=prefer-standby); the primary when unset or down"},
    {"listen", "CONVENE_LISTEN", K_LISTEN, 0, 0, 0, "127.0.0.1:8080",
     "address and port to listen on (host:port, [v6]:port)"},
    {"base-url", "CONVENE_BASE_URL", K_URL, OFF(base_url), 0, 0, "http://<listen>",
     "public URL of the site, used in links and cookies"},
    {"web-root", "CONVENE_WEB_ROOT", K_DIR, OFF(web_root), 0, 0, "<data>/web",
     "directory of the browser front end"},
    {"data-dir", "CONVENE_DATA_DIR", K_DIR, OFF(data_dir), 0, 0, "auto",
     "directory holding sql/, web/ and mail-templates/"},
    {"smtp-url", "CONVENE_SMTP_URL", K_SMTP, OFF(smtp_url), 0, 0, "smtp://127.0.0.1:1025",
     "mail server: smtp://host:port or smtps://user:pass@host:port"},
    {"mail-from", "CONVENE_MAIL_FROM", K_EMAIL, OFF(mail_from), 0, 0, "convene@localhost",
     "sender address of outgoing mail"},
    {"threads", "CONVENE_THREADS", K_INT, OFF(threads), 8, 8192, "512",
     "HTTP worker threads (one per open connection)"},
    {"body-limit", "CONVENE_BODY_LIMIT", K_SIZE, OFF(body_limit), 1024, 512L << 20, "1M",
     "largest accepted request body (bytes, k or M suffix); uploads have their own"},
    {"upload-limit", "CONVENE_UPLOAD_LIMIT", K_SIZE, OFF(upload_limit), 1024, 512L << 20, "10M",
     "largest uploaded file, e.g. a case's attachment (bytes, k or M suffix)"},
    {"uploads-in-flight", "CONVENE_UPLOADS_IN_FLIGHT", K_INT, OFF(uploads_in_flight), 1, 1024,
     "cores", "uploads received at once (each holds up to the upload limit); more get 503"},
    {"db-pool-size", "CONVENE_DB_POOL_SIZE", K_INT, OFF(db_pool_size), 1, 500, "3 x cores",
     "PostgreSQL connections held by this node"},
    {"db-pool-wait-ms", "CONVENE_DB_POOL_WAIT_MS", K_INT, OFF(db_pool_wait_ms), 0, 30000, "1000",
     "wait for a free database connection before answering 503"},
    {"db-connect-timeout", "CONVENE_DB_CONNECT_TIMEOUT", K_INT, OFF(db_connect_timeout_s), 1, 60,
     "2", "seconds to wait when connecting to PostgreSQL"},
    {"request-timeout-ms", "CONVENE_REQUEST_TIMEOUT_MS", K_INT, OFF(request_timeout_ms), 100,
     600000, "10000", "time a client has to send a request"},
    {"body-timeout-ms", "CONVENE_BODY_TIMEOUT_MS", K_INT, OFF(body_timeout_ms), 100, 600000,
     "10000", "time a client has to send a request body once it is being read (then 408)"},
    {"metrics-allow", "CONVENE_METRICS_ALLOW", K_ADDRS, OFF(metrics_allow), 0, 0, "127.0.0.0/8,::1",
     "client addresses and CIDR blocks that may read /metrics (comma-separated)"},
    {"metrics-token", "CONVENE_METRICS_TOKEN", K_SECRET, OFF(metrics_token), 0, 0, "none",
     "when set, /metrics also needs Authorization: Bearer <token>"},
    {"migrate", "CONVENE_MIGRATE", K_BOOL, OFF(migrate_on_start), 0, 0, "true",
     "apply pending migrations when serve starts (--no-migrate turns it off)"},
    {"log-level", "CONVENE_LOG_LEVEL", K_LEVEL, OFF(log_level), 0, 0, "info",
     "debug, info, warn or error"},
    {"trusted-proxies", "CONVENE_TRUSTED_PROXIES", K_STRING, OFF(trusted_proxies), 0, 0, "none",
     "comma-separated proxy addresses whose X-Forwarded-For gives the client address"},
    {"mail-senders", "CONVENE_MAIL_SENDERS", K_INT, OFF(mail_senders), 0, 16, "2",
     "mail sender threads (0: this node sends no mail)"},
    {"mail-max-attempts", "CONVENE_MAIL_MAX_ATTEMPTS", K_INT, OFF(mail_max_attempts), 1, 100, "10",
     "delivery attempts before a mail is marked failed"},
    {"argon2-memlimit", "CONVENE_ARGON2_MEMLIMIT", K_SIZE, OFF(argon2_memlimit), 8L << 20, 1L << 30,
     "19M", "Argon2id memory per password hash (OWASP minimum: 19M)"},
    {"argon2-opslimit", "CONVENE_ARGON2_OPSLIMIT", K_INT, OFF(argon2_opslimit), 1, 20, "2",
     "Argon2id iterations per password hash (OWASP minimum: 2)"},
    {"hash-concurrency", "CONVENE_HASH_CONCURRENCY", K_INT, OFF(hash_concurrency), 1, 64, "cores",
     "password hashes computed at once; the rest wait"},
    {"session-idle-minutes", "CONVENE_SESSION_IDLE_MINUTES", K_INT, OFF(session_idle_min), 5,
     100000, "720", "a session unused this long expires"},
    {"session-max-hours", "CONVENE_SESSION_MAX_HOURS", K_INT, OFF(session_max_hours), 1, 8760,
     "336", "a session expires this long after log-in, used or not"},
    {"login-limit-per-ip", "CONVENE_LOGIN_LIMIT_PER_IP", K_INT, OFF(login_limit_ip), 5, 1000000,
     "200", "log-in attempts allowed per client address per 15 minutes"},
};

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->database_url = xstrdup("postgresql:///convene");
    c->listen_host = xstrdup("127.0.0.1");
    c->listen_port = 8080;
    c->smtp_url = xstrdup("smtp://127.0.0.1:1025");
    c->mail_from = xstrdup("convene@localhost");
    c->log_level = xstrdup("info");
    c->threads = 512;
    c->body_limit = 1L << 20;
    c->upload_limit = 10L << 20;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->uploads_in_flight = cores > 0 ? cores : 1;
    c->db_pool_size = cores > 1 ? 3 * cores : 4;
    if (c->db_pool_size < 4)
        c->db_pool_size = 4;
    c->db_pool_wait_ms = 1000;
    c->db_connect_timeout_s = 2;
    c->request_timeout_ms = 10000;
    c->body_timeout_ms = 10000;
    c->metrics_allow = xstrdup("127.0.0.0/8,::1");
    c->migrate_on_start = true;
    c->mail_senders = 2;
    c->mail_max_attempts = 10;
    c->argon2_memlimit = 19L << 20;
    c->argon2_opslimit = 2;
    c->hash_concurrency = cores > 0 ? cores : 1;
    c->session_idle_min = 720;
    c->session_max_hours = 336;
    c->login_limit_ip = 200;
}

int config_parse_size(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    size_t n = strlen(s);
    long mult = 1;
    char *num = xstrdup(s);
    char last = num[n - 1];
    if (last == 'k' || last == 'K') {
        mult = 1024;
        num[n - 1] = '\0';
    } else if (last == 'm' || last == 'M') {
        mult = 1024L * 1024;
        num[n - 1] = '\0';
    }
    long v;
    int rc = str_to_long(num, 0, max / mult, &v);
    free(num);
    if (rc != 0 || v * mult < min)
        return -1;
    *out = v * mult;
    return 0;
}

int config_parse_listen(const char *s, char **host_out, int *port_out)
{
    const char *colon;
    char *host;
    if (s == NULL || *s == '\0')
        return -1;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        host = xstrndup(s + 1, (size_t)(close - s - 1));
        colon = close + 1;
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1) {
            free(host);
            return -1;
        }
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || colon == s) {
            return -1;
        }
        host = xstrndup(s, (size_t)(colon - s));
        struct in_addr a4;
        if (!str_eq(host, "localhost") && inet_pton(AF_INET, host, &a4) != 1) {
            free(host);
            return -1;
        }
        if (str_eq(host, "localhost")) {
            free(host);
            host = xstrdup("127.0.0.1");
        }
    }
    long port;
    if (str_to_long(colon + 1, 0, 65535, &port) != 0) {
        free(host);
        return -1;
    }
    *host_out = host;
    *port_out = (int)port;
    return 0;
}

static bool valid_url(const char *v)
{
    if (!str_starts_with(v, "http://") && !str_starts_with(v, "https://"))
        return false;
    const char *rest = strstr(v, "://") + 3;
    if (*rest == '\0' || *rest == '/')
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\' ||
            (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

static bool valid_smtp_url(const char *v)
{
    if (!str_starts_with(v, "smtp://") && !str_starts_with(v, "smtps://"))
        return false;
    const char *rest = strstr(v, "://") + 3;
    if (*rest == '\0')
        return false;
    return !str_has_crlf(v, strlen(v)) && strchr(v, ' ') == NULL;
}

static bool simple_email(const char *v)
{
    const char *at = strchr(v, '@');
    if (at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@'))
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>\",;()[]\\", *p))
            return false;
    }
    return true;
}

/* One address or CIDR block: "10.0.0.0/8", "::1", "fd00::/8". */
static bool valid_cidr(const char *entry)
{
    unsigned char net[16];
    int bits;
    return ip_block_parse(entry, net, &bits) == 0;
}

static bool valid_addr_list(const char *v)
{
    char *copy = xstrdup(v);
    int count = 0;
    bool ok = true;
    char *save = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t && ok; t = strtok_r(NULL, ", ", &save)) {
        ok = valid_cidr(t);
        count++;
    }
    free(copy);
    return ok && count > 0;
}

static bool valid_secret(const char *v)
{
    size_t n = strlen(v);
    if (n < 16 || n > 256)
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

static bool non_empty(const char *v)
{
    return *v != '\0';
}

static bool is_dir(const char *v)
{
    struct stat st;
    return stat(v, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool valid_level(const char *v)
{
    enum log_level lvl;
    return log_parse_level(v, &lvl) == 0;
}

/* Writes the error; a NULL value (a secret) is not shown. Returns -1. */
static int fail(char *err, size_t errlen, const char *source, const char *value,
                const char *expected)
{
    if (value == NULL)
        snprintf(err, errlen, "%s: invalid value (not shown): expected %s", source, expected);
    else
        snprintf(err, errlen, "%s: invalid value \"%s\": expected %s", source, value, expected);
    return -1;
}

static void set_string(struct config *c, size_t off, const char *value)
{
    char **slot = (char **)((char *)c + off);
    free(*slot);
    *slot = xstrdup(value);
}

static const struct setting *find_setting(const char *flag)
{
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        if (str_eq(settings[i].flag, flag))
            return &settings[i];
    }
    return NULL;
}

static int parse_bool(const char *v, bool *out)
{
    if (str_case_eq(v, "1") || str_case_eq(v, "true") || str_case_eq(v, "yes") ||
        str_case_eq(v, "on")) {
        *out = true;
        return 0;
    }
    if (str_case_eq(v, "0") || str_case_eq(v, "false") || str_case_eq(v, "no") ||
        str_case_eq(v, "off")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* The kinds held as a string: the check a value must pass and what the
 * error says was expected. A secret is never echoed back. */
static const struct string_kind {
    bool (*valid)(const char *);
    const char *expected;
} string_kinds[] = {
    [K_STRING] = {non_empty, "a non-empty value"},
    [K_URL] = {valid_url, "an http:// or https:// URL"},
    [K_DIR] = {is_dir, "an existing directory"},
    [K_LEVEL] = {valid_level, "debug, info, warn or error"},
    [K_SMTP] = {valid_smtp_url, "smtp://host:port or smtps://user:pass@host:port"},
    [K_EMAIL] = {simple_email, "an email address like convene@example.org"},
    [K_ADDRS] = {valid_addr_list, "comma-separated IP addresses or CIDR blocks (10.0.0.0/8, ::1)"},
    [K_SECRET] = {valid_secret, "16 to 256 printable ASCII characters without spaces"},
};

static bool is_string_kind(enum kind k)
{
    return k < ARRAY_LEN(string_kinds) && string_kinds[k].valid != NULL;
}

void config_free(struct config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        if (is_string_kind(settings[i].kind))
            free(*(char **)((char *)c + settings[i].offset));
    }
    free(c->listen_host); /* the one string a K_LISTEN setting holds */
    memset(c, 0, sizeof *c);
}

int config_set(struct config *c, const char *flag, const char *value, const char *source, char *err,
               size_t errlen)
{
    const struct setting *s = find_setting(flag);
    if (s == NULL) {
        snprintf(err, errlen, "%s: unknown setting", source);
        return -1;
    }
    if (is_string_kind(s->kind)) {
        const struct string_kind *k = &string_kinds[s->kind];
        if (!k->valid(value))
            return fail(err, errlen, source, s->kind == K_SECRET ? NULL : value, k->expected);
        set_string(c, s->offset, value);
        return 0;
    }
    char expected[96];
    long n;
    switch (s->kind) {
    case K_LISTEN: {
        char *host = NULL;
        int port = 0;
        if (config_parse_listen(value, &host, &port) != 0)
            return fail(err, errlen, source, value,
                        "host:port with an IP address and a port 0-65535");
        free(c->listen_host);
        c->listen_host = host;
        c->listen_port = port;
        return 0;
    }
    case K_INT:
    case K_SIZE:
        if ((s->kind == K_INT ? str_to_long(value, s->min, s->max, &n)
                              : config_parse_size(value, s->min, s->max, &n)) != 0) {
            snprintf(expected, sizeof expected,
                     s->kind == K_INT ? "an integer from %ld to %ld"
                                      : "a size from %ld to %ld bytes (k, M allowed)",
                     s->min, s->max);
            return fail(err, errlen, source, value, expected);
        }
        *(long *)((char *)c + s->offset) = n;
        return 0;
    case K_BOOL: {
        bool b;
        if (parse_bool(value, &b) != 0)
            return fail(err, errlen, source, value, "true or false");
        *(bool *)((char *)c + s->offset) = b;
        return 0;
    }
    default:
        return -1; /* the string kinds are handled above */
    }
}

int config_from_env(struct config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        const char *v = getenv(settings[i].env);
        if (v == NULL)
            continue;
        if (config_set(c, settings[i].flag, v, settings[i].env, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int config_from_args(struct config *c, int argc, char **argv, int *next, char *err, size_t errlen)
{
    enum { N = ARRAY_LEN(settings) };
    struct option opts[N + 3];
    for (size_t i = 0; i < N; i++) {
        opts[i].name = settings[i].flag;
        opts[i].has_arg = required_argument;
        opts[i].flag = NULL;
        opts[i].val = 1000 + (int)i;
    }
    opts[N] = (struct option){"no-migrate", no_argument, NULL, 'M'};
    opts[N + 1] = (struct option){"help", no_argument, NULL, 'h'};
    opts[N + 2] = (struct option){NULL, 0, NULL, 0};

    opterr = 0;
    for (;;) {
        int longidx = 0;
        int ch = getopt_long(argc, argv, "+h", opts, &longidx);
        if (ch == -1)
            break;
        if (ch == 'h')
            return 1;
        if (ch == 'M') {
            c->migrate_on_start = false;
            continue;
        }
        if (ch >= 1000 && ch < 1000 + (int)N) {
            char source[64];
            snprintf(source, sizeof source, "--%s", settings[ch - 1000].flag);
            if (config_set(c, settings[ch - 1000].flag, optarg, source, err, errlen) != 0)
                return -1;
            continue;
        }
        if (ch == ':' || (ch == '?' && optopt >= 1000))
            snprintf(err, errlen, "%s: a value is required", argv[optind - 1]);
        else
            snprintf(err, errlen, "%s: unknown option", argv[optind - 1]);
        return -1;
    }
    *next = optind;
    return 0;
}

int config_finish(struct config *c, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (c->base_url == NULL) {
        bool v6 = strchr(c->listen_host, ':') != NULL;
        c->base_url =
            xasprintf(v6 ? "http://[%s]:%d" : "http://%s:%d", c->listen_host, c->listen_port);
    }
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    enum log_level lvl;
    if (log_parse_level(c->log_level, &lvl) == 0)
        log_set_level(lvl);
    return 0;
}

void config_print_help(FILE *out)
{
    fprintf(out, "Settings (flag / environment variable, default):\n");
    for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
        fprintf(out, "  --%-20s %-28s %s\n  %24s %s\n", settings[i].flag, settings[i].env,
                settings[i].def, "", settings[i].help);
    }
}
