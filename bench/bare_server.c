/*
 * bare_server.c - the reference point of the benchmarks: a CivetWeb server
 * with the same threading and keep-alive settings as `convene serve`, whose
 * only handler answers a fixed body read from a file (or {"status":"ok"})
 * with minimal headers, written at once.
 *
 * Usage: bench_bare PORT [BODY_FILE]   (stops on SIGINT/SIGTERM)
 */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *body;
static size_t body_len;
static char *response; /* status line, headers and body, pre-built */
static size_t response_len;

/* The fastest a CivetWeb handler can answer: one write of pre-built bytes
 * (mg_send_http_ok followed by mg_write costs several writes). */
static int answer(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    mg_write(conn, response, response_len);
    return 200;
}

static void build_response(void)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
                     body_len);
    response_len = (size_t)n + body_len;
    response = malloc(response_len);
    if (response == NULL)
        exit(1);
    memcpy(response, head, (size_t)n);
    memcpy(response + n, body, body_len);
}

static void load_body(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    body = malloc((size_t)n + 1);
    if (body == NULL || fread(body, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    body_len = (size_t)n;
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_bare PORT [BODY_FILE]\n");
        return 2;
    }
    if (argc > 2) {
        load_body(argv[2]);
    } else {
        body = strdup("{\"status\":\"ok\"}");
        body_len = strlen(body);
    }
    build_response();
    char ports[64];
    snprintf(ports, sizeof ports, "127.0.0.1:%s", argv[1]);
    const char *options[] = {"listening_ports",
                             ports,
                             "num_threads",
                             "512",
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "5000",
                             "tcp_nodelay",
                             "1",
                             "listen_backlog",
                             "1024",
                             NULL};
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    mg_init_library(0);
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (ctx == NULL) {
        fprintf(stderr, "bench_bare: cannot listen on %s\n", ports);
        return 1;
    }
    mg_set_request_handler(ctx, "/", answer, NULL);
    fprintf(stderr, "bench_bare listening on %s\n", ports);
    int sig;
    sigwait(&stop, &sig);
    mg_stop(ctx);
    mg_exit_library();
    free(body);
    free(response);
    return 0;
}
