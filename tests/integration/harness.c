/*
 * harness.c - test cluster, server process and HTTP client helpers for the
 * integration tests. See harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or_die(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "harness: %s is not set (run through ctest)\n", name);
        exit(2);
    }
    return v;
}

double harness_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- PostgreSQL ---- */

static char *capture(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return NULL;
    char line[4096];
    char *out = NULL;
    if (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        out = strdup(line);
    }
    int st = pclose(p);
    if (st != 0) {
        free(out);
        return NULL;
    }
    return out ? out : strdup("");
}

const char *harness_pg_url(const char *db)
{
    static char url[1024];
    const char *dir = env_or_die("CONVENE_TEST_PG_DIR");
    const char *port = env_or_die("CONVENE_TEST_PG_PORT");
    const char *src = env_or_die("CONVENE_SOURCE_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/deploy/pg.sh' url '%s' --port %s", src, dir, port);
    char *base = capture(cmd);
    if (base == NULL) {
        fprintf(stderr, "harness: cannot get the test database URL\n");
        exit(2);
    }
    /* Replace the database name after "postgresql:///". */
    const char *q = strchr(base, '?');
    snprintf(url, sizeof url, "postgresql:///%s%s", db, q ? q : "");
    free(base);
    return url;
}

char *harness_psql(const char *db, const char *sql)
{
    char path[] = "/tmp/convene-sql-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    size_t n = strlen(sql);
    if (write(fd, sql, n) != (ssize_t)n) {
        close(fd);
        unlink(path);
        return NULL;
    }
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "psql '%s' -X -q -t -A -v ON_ERROR_STOP=1 -f %s 2>&1",
             harness_pg_url(db), path);
    char *out = capture(cmd);
    unlink(path);
    return out;
}

const char *harness_fresh_db(const char *name)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE);\nCREATE DATABASE \"%s\";", name, name);
    char *out = harness_psql("postgres", sql);
    if (out == NULL) {
        fprintf(stderr, "harness: cannot create database %s\n", name);
        exit(2);
    }
    free(out);
    return harness_pg_url(name);
}

static int pg_cmd(const char *what)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/deploy/pg.sh' %s '%s' --port %s --fast >/dev/null 2>&1",
             env_or_die("CONVENE_SOURCE_DIR"), what, env_or_die("CONVENE_TEST_PG_DIR"),
             env_or_die("CONVENE_TEST_PG_PORT"));
    return system(cmd) == 0 ? 0 : -1;
}

int harness_pg_stop(void)
{
    return pg_cmd("stop");
}

int harness_pg_start(void)
{
    return pg_cmd("start");
}

/* ---- Server ---- */

long harness_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    if (f)
        fclose(f);
    return kb;
}

int harness_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

bool harness_server_alive(const struct server *s)
{
    int st;
    return s->pid > 0 && waitpid(s->pid, &st, WNOHANG) == 0;
}

int harness_server_start(struct server *s, const char *db, const char *const *env)
{
    memset(s, 0, sizeof *s);
    s->port = harness_free_port();
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    snprintf(s->log_path, sizeof s->log_path, "server-%d.log", s->port);
    const char *url = harness_pg_url(db);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);

    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        setenv("CONVENE_DATABASE_URL", url, 1);
        setenv("CONVENE_LISTEN", listen, 1);
        setenv("CONVENE_DATA_DIR", env_or_die("CONVENE_SOURCE_DIR"), 1);
        for (size_t i = 0; env && env[i]; i++)
            putenv(strdup(env[i]));
        const char *bin = env_or_die("CONVENE_BIN");
        execl(bin, bin, "serve", (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    double deadline = harness_now_ms() + 10000;
    while (harness_now_ms() < deadline) {
        struct hresp r;
        if (hget(s, "/healthz", &r) == 0 && r.status == 200) {
            hresp_free(&r);
            return 0;
        }
        hresp_free(&r);
        if (!harness_server_alive(s))
            break;
        usleep(20000);
    }
    fprintf(stderr, "harness: server did not come up; see %s\n", s->log_path);
    harness_server_stop(s);
    return -1;
}

int harness_server_stop(struct server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    double deadline = harness_now_ms() + 10000;
    int st = 0;
    while (harness_now_ms() < deadline) {
        pid_t w = waitpid(s->pid, &st, WNOHANG);
        if (w == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        usleep(20000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return -1;
}

int harness_run_convene(const char *const *args, const char *const *env, char *err, size_t errlen)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        close(pipefd[0]);
        setenv("CONVENE_DATA_DIR", env_or_die("CONVENE_SOURCE_DIR"), 1);
        for (size_t i = 0; env && env[i]; i++)
            putenv(strdup(env[i]));
        const char *argv[32];
        size_t n = 0;
        argv[n++] = env_or_die("CONVENE_BIN");
        for (size_t i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    for (;;) {
        char tmp[512];
        ssize_t r = read(pipefd[0], tmp, sizeof tmp);
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r && used + 1 < errlen; i++)
            err[used++] = tmp[i];
    }
    if (errlen)
        err[used < errlen ? used : errlen - 1] = '\0';
    close(pipefd[0]);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- Mail catcher ---- */

int harness_catcher_start(struct catcher *m)
{
    if (m->smtp_port == 0) {
        m->smtp_port = harness_free_port();
        m->http_port = harness_free_port();
        snprintf(m->dir, sizeof m->dir, "/tmp/convene-mail-XXXXXX");
        if (mkdtemp(m->dir) == NULL)
            return -1;
    }
    char smtp[64], http[64], script[1024];
    snprintf(smtp, sizeof smtp, "127.0.0.1:%d", m->smtp_port);
    snprintf(http, sizeof http, "127.0.0.1:%d", m->http_port);
    snprintf(script, sizeof script, "%s/deploy/mailcatcher.py", env_or_die("CONVENE_SOURCE_DIR"));
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("mailcatcher.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        /* Debian's python3 has aiosmtpd; a python3 earlier on PATH may not. */
        execl("/usr/bin/python3", "python3", script, "--smtp", smtp, "--http", http, "--dir",
              m->dir, (char *)NULL);
        _exit(127);
    }
    m->pid = pid;
    struct server probe;
    memset(&probe, 0, sizeof probe);
    snprintf(probe.base, sizeof probe.base, "http://127.0.0.1:%d", m->http_port);
    double deadline = harness_now_ms() + 10000;
    while (harness_now_ms() < deadline) {
        struct hresp r;
        int rc = hget(&probe, "/api/messages", &r);
        long st = r.status;
        hresp_free(&r);
        if (rc == 0 && st == 200) {
            /* The SMTP side must accept connections too. */
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a;
            memset(&a, 0, sizeof a);
            a.sin_family = AF_INET;
            a.sin_port = htons((uint16_t)m->smtp_port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
            close(fd);
            if (ok)
                return 0;
        }
        usleep(50000);
    }
    harness_catcher_stop(m);
    return -1;
}

void harness_catcher_stop(struct catcher *m)
{
    if (m->pid <= 0)
        return;
    kill(m->pid, SIGTERM);
    int st;
    double deadline = harness_now_ms() + 5000;
    while (harness_now_ms() < deadline) {
        if (waitpid(m->pid, &st, WNOHANG) == m->pid) {
            m->pid = 0;
            return;
        }
        usleep(20000);
    }
    kill(m->pid, SIGKILL);
    waitpid(m->pid, &st, 0);
    m->pid = 0;
}

const char *harness_catcher_env(const struct catcher *m)
{
    static char env[96];
    snprintf(env, sizeof env, "CONVENE_SMTP_URL=smtp://127.0.0.1:%d", m->smtp_port);
    return env;
}

json_t *harness_catcher_messages(const struct catcher *m)
{
    struct server probe;
    memset(&probe, 0, sizeof probe);
    snprintf(probe.base, sizeof probe.base, "http://127.0.0.1:%d", m->http_port);
    struct hresp r;
    json_t *j = NULL;
    if (hget(&probe, "/api/messages", &r) == 0 && r.status == 200)
        j = json_loads(r.body, 0, NULL);
    hresp_free(&r);
    return j;
}

static bool mail_is_to(json_t *msg, const char *to)
{
    json_t *field = json_object_get(msg, "to");
    const char *s = json_string_value(field);
    if (s)
        return strcasestr(s, to) != NULL;
    size_t i;
    json_t *v;
    json_array_foreach(field, i, v)
    {
        if (json_string_value(v) && strcasestr(json_string_value(v), to))
            return true;
    }
    return false;
}

json_t *harness_wait_mail(const struct catcher *m, const char *to, const char *subject_part,
                          int timeout_ms)
{
    double deadline = harness_now_ms() + timeout_ms;
    do {
        json_t *all = harness_catcher_messages(m);
        size_t i;
        json_t *msg;
        json_array_foreach(all, i, msg)
        {
            const char *subject = json_string_value(json_object_get(msg, "subject"));
            if (mail_is_to(msg, to) &&
                (subject_part == NULL || (subject && strstr(subject, subject_part)))) {
                json_incref(msg);
                json_decref(all);
                return msg;
            }
        }
        json_decref(all);
        usleep(50000);
    } while (harness_now_ms() < deadline);
    return NULL;
}

int harness_count_mail_in(json_t *all, const char *to)
{
    int n = 0;
    size_t i;
    json_t *msg;
    json_array_foreach(all, i, msg)
    {
        if (mail_is_to(msg, to))
            n++;
    }
    return n;
}

int harness_count_mail(const struct catcher *m, const char *to)
{
    json_t *all = harness_catcher_messages(m);
    int n = 0;
    size_t i;
    json_t *msg;
    json_array_foreach(all, i, msg)
    {
        if (mail_is_to(msg, to))
            n++;
    }
    json_decref(all);
    return n;
}

int harness_token_from(const char *text, char *out, size_t outlen)
{
    const char *p = text ? strstr(text, "token=") : NULL;
    if (p == NULL)
        return -1;
    p += 6;
    size_t n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_') && n + 1 < outlen)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return n > 0 ? 0 : -1;
}

/* ---- HTTP client ---- */

struct grow {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct grow *g = ud;
    size_t n = size * nmemb;
    char *p = realloc(g->data, g->len + n + 1);
    if (p == NULL)
        return 0;
    g->data = p;
    memcpy(g->data + g->len, ptr, n);
    g->len += n;
    g->data[g->len] = '\0';
    return n;
}

/*
 * When CONVENE_TEST_RESPONSE_LOG names a file, appends one JSON line per
 * response (method, path, status, content_type, retry_after, body) for
 * tests/spec/check_responses.py, which checks each against
 * docs/openapi.yaml.
 */
static void record_response(const char *method, const char *path, const struct hresp *r)
{
    const char *log = getenv("CONVENE_TEST_RESPONSE_LOG");
    if (log == NULL || *log == '\0')
        return;
    char ct[256], ra[32];
    const char *type = hresp_header(r, "Content-Type", ct, sizeof ct);
    const char *retry = hresp_header(r, "Retry-After", ra, sizeof ra);
    bool json = type && strncmp(type, "application/json", 16) == 0;
    json_t *rec = json_pack("{s:s,s:s,s:I,s:s?,s:s?,s:s?,s:I}", "method", method, "path", path,
                            "status", (json_int_t)r->status, "content_type", type, "retry_after",
                            retry, "body", json ? r->body : NULL, "length", (json_int_t)r->len);
    char *line = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    int fd = line ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd >= 0) {
        size_t n = strlen(line);
        line[n] = '\n'; /* one write per line: concurrent tests do not interleave */
        if (write(fd, line, n + 1) != (ssize_t)(n + 1))
            fprintf(stderr, "harness: could not append to %s\n", log);
        close(fd);
    }
    free(line);
}

int hreq(const struct server *s, const char *method, const char *path, const char *const *headers,
         const char *body, size_t len, struct hresp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    char url[1024];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    struct grow b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    if (body == NULL || len == 0)
        hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    double t0 = harness_now_ms();
    CURLcode rc = curl_easy_perform(c);
    out->seconds = (harness_now_ms() - t0) / 1000.0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    out->body = b.data ? b.data : strdup("");
    out->len = b.len;
    out->headers = h.data ? h.data : strdup("");
    if (rc == CURLE_OK && s->pid != 0) /* a convene server, not the mail catcher */
        record_response(method, path, out);
    return rc == CURLE_OK ? 0 : -1;
}

int hget(const struct server *s, const char *path, struct hresp *out)
{
    return hreq(s, "GET", path, NULL, NULL, 0, out);
}

const char *hresp_header(const struct hresp *r, const char *name, char *buf, size_t buflen)
{
    size_t n = strlen(name);
    const char *p = r->headers;
    while (p && *p) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            if (vl >= buflen)
                vl = buflen - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return buf;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

void hresp_free(struct hresp *r)
{
    free(r->body);
    free(r->headers);
    r->body = NULL;
    r->headers = NULL;
}
