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
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/auth.h"
#include "base/util.h"

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

bool harness_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    double end = harness_now_ms() + timeout_ms;
    for (;;) {
        if (cond(arg))
            return true;
        if (harness_now_ms() > end)
            return false;
        usleep(20000);
    }
}

/* ---- The runner and the tests' processes ---- */

/* Memory the runner shares with every test process it forks: the mail
 * catchers by SMTP port, so a catcher started again inside a test is the
 * one the suite's teardown stops. */
#define MAX_PROCS 16
struct shared {
    struct {
        int key;
        pid_t pid;
    } procs[MAX_PROCS];
};

static pid_t runner_pid;
static struct shared *shared;
static int problems; /* found outside any test (the runner's count) */
static unsigned client_seq;

/* True in a test's own process (Check forks one per test). */
static bool in_test(void)
{
    return runner_pid != 0 && getpid() != runner_pid;
}

static void proc_set(int key, pid_t pid)
{
    if (shared == NULL)
        return;
    int free_slot = -1;
    for (int i = 0; i < MAX_PROCS; i++) {
        if (shared->procs[i].key == key) {
            shared->procs[i].pid = pid;
            if (pid == 0)
                shared->procs[i].key = 0;
            return;
        }
        if (shared->procs[i].key == 0 && free_slot < 0)
            free_slot = i;
    }
    if (pid != 0 && free_slot >= 0) {
        shared->procs[free_slot].key = key;
        shared->procs[free_slot].pid = pid;
    }
}

static pid_t proc_get(int key)
{
    for (int i = 0; shared && i < MAX_PROCS; i++) {
        if (shared->procs[i].key == key)
            return shared->procs[i].pid;
    }
    return 0;
}

/* False once pid has exited (gone, or a zombie of another process). */
static bool proc_running(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* Waits up to timeout_ms for pid to end. 1: reaped, *status set; 0: ended
 * but not our child (no status); -1: still running. */
static int wait_gone(pid_t pid, int timeout_ms, int *status)
{
    double end = harness_now_ms() + timeout_ms;
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return 1;
        if (w < 0 && errno == ECHILD && !proc_running(pid))
            return 0;
        if (harness_now_ms() > end)
            return -1;
        usleep(10000);
    }
}

void harness_init(void)
{
    runner_pid = getpid();
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("harness: mmap");
        exit(2);
    }
    memset(shared, 0, sizeof *shared);
    /* Processes a finished test leaves (a catcher it started again)
     * become the runner's children, so the runner can stop and reap them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (sodium_init() < 0) {
        fprintf(stderr, "harness: libsodium does not initialise\n");
        exit(2);
    }
}

int harness_finish(void)
{
    for (int i = 0; shared && i < MAX_PROCS; i++) {
        pid_t pid = shared->procs[i].pid;
        if (pid > 0 && proc_running(pid)) {
            fprintf(stderr, "harness: stopping process %d that a test left running\n", (int)pid);
            kill(pid, SIGTERM);
            int st;
            if (wait_gone(pid, 5000, &st) < 0)
                kill(pid, SIGKILL);
        }
    }
    /* Reap what ended (zombies only: a PostgreSQL started again inside a
     * test may be our child too and keeps running). */
    int st;
    while (waitpid(-1, &st, WNOHANG) > 0) {
    }
    return problems;
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
    if (out == NULL && harness_pg_start() == 0) /* an earlier suite left it stopped */
        out = harness_psql("postgres", sql);
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
    snprintf(cmd, sizeof cmd,
             "setsid -w '%s/deploy/pg.sh' %s '%s' --port %s --fast >/dev/null 2>&1",
             env_or_die("CONVENE_SOURCE_DIR"), what, env_or_die("CONVENE_TEST_PG_DIR"),
             env_or_die("CONVENE_TEST_PG_PORT"));
    return system(cmd) == 0 ? 0 : -1;
}

static bool pg_stopped_here;

/* At the exit of a test that stopped the cluster and failed before
 * starting it again. */
static void pg_start_at_exit(void)
{
    if (pg_stopped_here && harness_pg_start() != 0)
        fprintf(stderr, "harness: could not start the test cluster again\n");
}

int harness_pg_stop(void)
{
    static bool registered;
    if (!registered) {
        atexit(pg_start_at_exit);
        registered = true;
    }
    pg_stopped_here = true;
    return pg_cmd("stop");
}

int harness_pg_start(void)
{
    /* In a session of its own: the postmaster must survive the end of the
     * test whose process group Check kills. */
    int rc = pg_cmd("start");
    if (rc == 0)
        pg_stopped_here = false;
    return rc;
}

void harness_test_setup(void)
{
    harness_new_client();
    char *up = harness_psql("postgres", "SELECT 1");
    if (up == NULL) {
        fprintf(stderr, "harness: the test cluster is down (an earlier test stopped it); "
                        "starting it\n");
        ck_assert_msg(harness_pg_start() == 0, "cannot start the test cluster again");
    }
    free(up);
}

void harness_sql(const char *db, const char *sql)
{
    char *out = harness_psql(db, sql);
    ck_assert_msg(out != NULL, "SQL failed on %s: %s", db, sql);
    free(out);
}

long harness_sql_long(const char *db, const char *sql)
{
    char *out = harness_psql(db, sql);
    ck_assert_msg(out != NULL, "SQL failed on %s: %s", db, sql);
    long v = strtol(out, NULL, 10);
    free(out);
    return v;
}

char *harness_sql_text(const char *db, const char *sql)
{
    char *out = harness_psql(db, sql);
    ck_assert_msg(out != NULL, "SQL failed on %s: %s", db, sql);
    return out;
}

long harness_sql_longf(const char *db, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof sql, "query too long: %s", fmt);
    return harness_sql_long(db, sql);
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
    if (s->pid <= 0)
        return false;
    int st;
    pid_t w = waitpid(s->pid, &st, WNOHANG);
    if (w < 0 && errno == ECHILD) /* the runner's server, seen from a test */
        return proc_running(s->pid);
    return w == 0;
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
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives its starter */
        setenv("CONVENE_DATABASE_URL", url, 1);
        setenv("CONVENE_LISTEN", listen, 1);
        setenv("CONVENE_DATA_DIR", env_or_die("CONVENE_SOURCE_DIR"), 1);
        setenv("CONVENE_TRUSTED_PROXIES", "127.0.0.1", 1);
        for (size_t i = 0; env && env[i]; i++)
            putenv(strdup(env[i]));
        const char *bin = env_or_die("CONVENE_BIN");
        execl(bin, bin, "serve", (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    double deadline = harness_now_ms() + 20000;
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
    kill(s->pid, SIGKILL);
    int st;
    wait_gone(s->pid, 5000, &st);
    s->pid = 0;
    return -1;
}

/* Copies the first sanitizer report in the log at path (from its first
 * line, at most outlen - 1 bytes) into out; false when there is none. */
static bool sanitizer_report(const char *path, char *out, size_t outlen)
{
    static const char *const marks[] = {"ERROR: LeakSanitizer", "ERROR: AddressSanitizer",
                                        ": runtime error: ", "WARNING: ThreadSanitizer"};
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[1024];
    size_t used = 0;
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        for (size_t i = 0; !found && i < sizeof marks / sizeof marks[0]; i++)
            found = strstr(line, marks[i]) != NULL;
        if (found) {
            size_t n = strlen(line);
            if (used + n + 1 > outlen)
                break;
            memcpy(out + used, line, n + 1);
            used += n;
        }
    }
    fclose(f);
    return found;
}

int harness_server_stop(struct server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int st = 0;
    int got = wait_gone(s->pid, 20000, &st);
    if (got < 0) {
        kill(s->pid, SIGKILL);
        wait_gone(s->pid, 5000, &st);
    }
    s->pid = 0;
    char why[128] = "";
    if (got < 0)
        snprintf(why, sizeof why, "did not stop within 20 s of SIGTERM");
    else if (got == 1 && WIFSIGNALED(st))
        snprintf(why, sizeof why, "was killed by signal %d", WTERMSIG(st));
    else if (got == 1 && WEXITSTATUS(st) != 0)
        snprintf(why, sizeof why, "exited with status %d", WEXITSTATUS(st));
    static char report[8192];
    report[0] = '\0';
    if (sanitizer_report(s->log_path, report, sizeof report) && why[0] == '\0')
        snprintf(why, sizeof why, "reported a sanitizer error");
    if (why[0] == '\0')
        return 0;
    fprintf(stderr, "harness: the server on port %d %s (log: %s)\n%s", s->port, why, s->log_path,
            report);
    if (in_test())
        ck_abort_msg("the server on port %d %s; see %s", s->port, why, s->log_path);
    problems++;
    return -1;
}

int harness_exec(const struct harness_exec_opts *o, const char *const *args, char *out,
                 size_t outlen)
{
    int res[2], in[2];
    if (pipe(res) != 0)
        return -1;
    if (pipe(in) != 0) {
        close(res[0]);
        close(res[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(res[1], STDERR_FILENO);
        int devnull = o->with_stdout ? -1 : open("/dev/null", O_WRONLY);
        dup2(o->with_stdout ? res[1] : devnull, STDOUT_FILENO);
        close(in[1]);
        close(res[0]);
        setenv("CONVENE_DATA_DIR", env_or_die("CONVENE_SOURCE_DIR"), 1);
        for (size_t i = 0; o->env && o->env[i]; i++) {
            if (strchr(o->env[i], '=') != NULL)
                putenv(strdup(o->env[i]));
            else
                unsetenv(o->env[i]);
        }
        const char *argv[32];
        size_t n = 0;
        argv[n++] = o->bin ? o->bin : env_or_die("CONVENE_BIN");
        for (size_t i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(res[1]);
    size_t len = o->stdin_text ? strlen(o->stdin_text) : 0;
    bool fed = len == 0 || write(in[1], o->stdin_text, len) == (ssize_t)len;
    close(in[1]);
    size_t used = 0;
    for (;;) {
        char tmp[512];
        ssize_t r = read(res[0], tmp, sizeof tmp);
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r && used + 1 < outlen; i++)
            out[used++] = tmp[i];
    }
    if (outlen)
        out[used] = '\0';
    close(res[0]);
    int st;
    if (waitpid(pid, &st, 0) != pid || !fed)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int harness_run_convene(const char *const *args, const char *const *env, char *err, size_t errlen)
{
    const struct harness_exec_opts o = {.env = env};
    return harness_exec(&o, args, err, errlen);
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
    bool from_runner = !in_test();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Out of the test's process group: a catcher started again inside
         * a test serves the tests after it; the suite's teardown stops it. */
        setpgid(0, 0);
        if (from_runner)
            prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open("mailcatcher.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        /* Debian's python3 has aiosmtpd; a python3 earlier on PATH may not. */
        if (m->reject_rcpt)
            execl("/usr/bin/python3", "python3", script, "--smtp", smtp, "--http", http, "--dir",
                  m->dir, "--reject-rcpt", m->reject_rcpt, (char *)NULL);
        else
            execl("/usr/bin/python3", "python3", script, "--smtp", smtp, "--http", http, "--dir",
                  m->dir, (char *)NULL);
        _exit(127);
    }
    m->pid = pid;
    proc_set(m->smtp_port, pid);
    struct server probe;
    memset(&probe, 0, sizeof probe);
    snprintf(probe.base, sizeof probe.base, "http://127.0.0.1:%d", m->http_port);
    double deadline = harness_now_ms() + 20000;
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
    /* The one running now, which a test may have started again. */
    pid_t current = proc_get(m->smtp_port);
    if (current > 0)
        m->pid = current;
    if (m->pid <= 0)
        return;
    kill(m->pid, SIGTERM);
    int st;
    if (wait_gone(m->pid, 5000, &st) < 0) {
        kill(m->pid, SIGKILL);
        wait_gone(m->pid, 5000, &st);
    }
    proc_set(m->smtp_port, 0);
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
    bool own_xff = false;
    for (size_t i = 0; headers && headers[i]; i++) {
        hl = curl_slist_append(hl, headers[i]);
        own_xff |= strncasecmp(headers[i], "X-Forwarded-For:", 16) == 0;
    }
    char xff[64];
    if (!own_xff) {
        snprintf(xff, sizeof xff, "X-Forwarded-For: %s", harness_client_addr());
        hl = curl_slist_append(hl, xff);
    }
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
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* "/../x" reaches the server as written */
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

/* ---- Client addresses ---- */

const char *harness_client_addr(void)
{
    static char addr[32];
    /* 127.1.0.0 to 127.254.255.255: distinct for each test process (pid)
     * and each harness_new_client within one. */
    unsigned n = ((unsigned)getpid() * 64u + client_seq % 64u) % (254u * 65536u);
    snprintf(addr, sizeof addr, "127.%u.%u.%u", 1u + n / 65536u, (n / 256u) % 256u, n % 256u);
    return addr;
}

void harness_new_client(void)
{
    client_seq++;
}

void harness_use_client(unsigned k)
{
    client_seq = k;
}

const char *hjson_err_code(const json_t *j)
{
    json_t *e = json_object_get(j, "error");
    const char *c = json_string_value(json_object_get(e, "code"));
    const char *m = json_string_value(json_object_get(e, "message"));
    return c && m && *m ? c : ""; /* a message is part of the contract */
}

const char *hjson_field_code(const json_t *j, const char *field)
{
    json_t *fields = json_object_get(json_object_get(j, "error"), "fields");
    const char *c = json_string_value(json_object_get(json_object_get(fields, field), "code"));
    return c ? c : "";
}

const char *herr_code(const struct hresp *r)
{
    static char code[64];
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    snprintf(code, sizeof code, "%s", hjson_err_code(j));
    json_decref(j);
    return code;
}

const char *herr_field_code(const struct hresp *r, const char *field)
{
    static char code[64];
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    snprintf(code, sizeof code, "%s", hjson_field_code(j, field));
    json_decref(j);
    return code;
}

/* ---- Requests as a person ---- */

long hcall_body(const struct server *s, const char *method, const char *path,
                const char *content_type, const char *body, size_t len, const struct hsession *who,
                const char *const *extra, struct hresp *r)
{
    const char *h[20];
    size_t n = 0;
    char type[200], cookie[360], token[120];
    if (content_type) {
        snprintf(type, sizeof type, "Content-Type: %s", content_type);
        h[n++] = type;
    }
    if (who && who->cookie[0]) {
        snprintf(cookie, sizeof cookie, "Cookie: %s", who->cookie);
        h[n++] = cookie;
    }
    if (who && who->csrf[0]) {
        snprintf(token, sizeof token, "X-CSRF-Token: %s", who->csrf);
        h[n++] = token;
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        ck_assert_msg(n < sizeof h / sizeof h[0] - 1, "%s %s: too many headers", method, path);
        h[n++] = extra[i];
    }
    h[n] = NULL;
    ck_assert_msg(hreq(s, method, path, h, body, len, r) == 0, "%s %s: no answer", method, path);
    return r->status;
}

long hcall(const struct server *s, const char *method, const char *path, const char *json,
           const struct hsession *who, struct hresp *r)
{
    return hcall_body(s, method, path, json ? "application/json" : NULL, json,
                      json ? strlen(json) : 0, who, NULL, r);
}

struct hsession hsession_cookie_only(const struct hsession *who)
{
    struct hsession s = *who;
    s.csrf[0] = '\0';
    return s;
}

json_t *hcall_json(const struct server *s, const char *method, const char *path, const char *json,
                   const struct hsession *who, long *status)
{
    struct hresp r;
    *status = hcall(s, method, path, json, who, &r);
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    hresp_free(&r);
    return j;
}

/* text as an SQL string literal ('...' with quotes doubled) in out. */
static const char *sql_literal(const char *text, char *out, size_t outlen)
{
    size_t k = 0;
    out[k++] = '\'';
    for (const char *p = text; *p && k + 3 < outlen; p++) {
        if (*p == '\'')
            out[k++] = '\'';
        out[k++] = *p;
    }
    out[k++] = '\'';
    out[k] = '\0';
    return out;
}

long harness_make_user(const char *db, const char *email, const char *name, const char *org,
                       const char *role, const char *password, struct hsession *out)
{
    char hash[crypto_pwhash_STRBYTES] = "x";
    if (password)
        ck_assert_int_eq(crypto_pwhash_str(hash, password, strlen(password),
                                           crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN),
                         0);
    char e[600], n[600], o[600], h[300], q[3000];
    long org_id = 0;
    if (org) {
        snprintf(q, sizeof q, "SELECT id FROM organisations WHERE name = %s",
                 sql_literal(org, o, sizeof o));
        org_id = harness_sql_long(db, q);
        ck_assert_msg(org_id > 0, "no organisation named %s", org);
    }
    char org_text[32] = "NULL";
    if (org_id > 0)
        snprintf(org_text, sizeof org_text, "%ld", org_id);
    snprintf(q, sizeof q,
             "INSERT INTO accounts (email, password_hash, name, organisation_id, "
             "email_verified_at) VALUES (%s, %s, %s, %s, now()) RETURNING id",
             sql_literal(email, e, sizeof e), sql_literal(hash, h, sizeof h),
             sql_literal(name, n, sizeof n), org_text);
    long id = harness_sql_long(db, q);
    ck_assert_msg(id > 0, "could not create the account %s", email);
    if (role) {
        snprintf(q, sizeof q, "INSERT INTO account_roles (account_id, role) VALUES (%ld, %s)", id,
                 sql_literal(role, o, sizeof o));
        harness_sql(db, q);
    }
    if (out) {
        char token[48], token_hash[72];
        memset(out, 0, sizeof *out);
        out->id = id;
        snprintf(out->email, sizeof out->email, "%s", email);
        auth_random_token(token);
        auth_random_token(out->csrf);
        auth_token_hash_hex(token, token_hash);
        snprintf(out->cookie, sizeof out->cookie, "convene_session=%s", token);
        snprintf(q, sizeof q,
                 "INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at) "
                 "VALUES (%ld, '%s'::bytea, '%s', now() + interval '1 day')",
                 id, token_hash, out->csrf);
        harness_sql(db, q);
    }
    return id;
}

void harness_make_users(const char *db, const char *prefix, const char *display, int n,
                        const char *org, const char *role, struct hsession *out)
{
    char q[2048];
    snprintf(q, sizeof q,
             "INSERT INTO accounts (email, password_hash, name, organisation_id, "
             "email_verified_at) SELECT '%s-' || i || '@test.example.org', 'x', '%s ' || i, "
             "(SELECT id FROM organisations WHERE name = %s%s%s), now() "
             "FROM generate_series(1, %d) i",
             prefix, display, org ? "'" : "", org ? org : "NULL", org ? "'" : "", n);
    harness_sql(db, q);
    snprintf(q, sizeof q,
             "INSERT INTO account_roles (account_id, role) SELECT id, '%s' FROM accounts "
             "WHERE email LIKE '%s-%%@test.example.org'",
             role, prefix);
    harness_sql(db, q);
    /* The session tokens are made here and only their hashes stored, as
     * the server does. */
    strbuf s;
    strbuf_init(&s, 0);
    strbuf_puts(&s, "INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at) "
                    "VALUES ");
    for (int i = 0; i < n; i++) {
        char token[48], hash[72];
        memset(&out[i], 0, sizeof out[i]);
        auth_random_token(token);
        auth_random_token(out[i].csrf);
        auth_token_hash_hex(token, hash);
        snprintf(out[i].cookie, sizeof out[i].cookie, "convene_session=%s", token);
        snprintf(out[i].email, sizeof out[i].email, "%s-%d@test.example.org", prefix, i + 1);
        strbuf_printf(&s,
                      "%s((SELECT id FROM accounts WHERE email = '%s-%d@test.example.org'), "
                      "'%s'::bytea, '%s', now() + interval '1 day')",
                      i ? ", " : "", prefix, i + 1, hash, out[i].csrf);
    }
    harness_sql(db, strbuf_cstr(&s));
    strbuf_free(&s);
    for (int i = 0; i < n; i++) {
        snprintf(q, sizeof q, "SELECT id FROM accounts WHERE email = '%s-%d@test.example.org'",
                 prefix, i + 1);
        out[i].id = harness_sql_long(db, q);
    }
}

long harness_login(const struct server *s, const char *email, const char *password,
                   struct hsession *out)
{
    json_t *body = json_pack("{s:s, s:s}", "email", email, "password", password);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct hresp r;
    long st = hcall(s, "POST", "/api/auth/login", text, NULL, &r);
    free(text);
    if (st == 200 && out) {
        memset(out, 0, sizeof *out);
        char set[400];
        ck_assert_ptr_nonnull(hresp_header(&r, "Set-Cookie", set, sizeof set));
        ck_assert_ptr_nonnull(strstr(set, "HttpOnly"));
        ck_assert_ptr_nonnull(strstr(set, "SameSite=Lax"));
        set[strcspn(set, ";")] = '\0';
        snprintf(out->cookie, sizeof out->cookie, "%.300s", set);
        json_t *j = json_loads(r.body, 0, NULL);
        const char *csrf = json_string_value(json_object_get(j, "csrf_token"));
        snprintf(out->csrf, sizeof out->csrf, "%s", csrf ? csrf : "");
        json_t *acc = json_object_get(j, "account");
        out->id = (long)json_integer_value(json_object_get(acc ? acc : j, "id"));
        snprintf(out->email, sizeof out->email, "%s", email);
        json_decref(j);
    }
    hresp_free(&r);
    return st;
}
