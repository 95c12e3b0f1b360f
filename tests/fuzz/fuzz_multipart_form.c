/*
 * fuzz_multipart_form.c - multipart bodies through the real path of an
 * upload: CivetWeb's mg_handle_form_request driven by http_read_form
 * (src/http/http.c), in a server started once inside the fuzzer and sent
 * each input over a loopback connection.
 *
 * Input: one byte of framing choices (Content-Length or chunked; which
 * boundary the Content-Type names: plain, quoted, too short, too long, or
 * not multipart at all), then the body as sent. Properties:
 *   - every request is answered, within the server's 2 s body deadline and
 *     a margin: CivetWeb 1.15 can loop forever on some URL-encoded bodies
 *     (upstream issue 1348), and a multipart body must never do that;
 *   - the answer is 200 (the form was read), 400 (malformed), 408, 413 or
 *     415 (not multipart), never a 5xx;
 *   - a form that was read keeps its promises: a file only with a
 *     non-empty filename whose length is filename_len, at most the limit of
 *     bytes, NUL-terminated values of at most HTTP_FORM_VALUE_MAX bytes, at
 *     most HTTP_FORM_MAX_VALUES of them, non-empty data pointer only with a
 *     file; those are checked in the handler, inside the server.
 */
#include "fuzz.h"

#include "base/log.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FILE_LIMIT 2048

static struct http_server *server;
static int port;

static void h_form(struct http_req *req)
{
    struct http_form f;
    if (http_read_form(req, "file", FILE_LIMIT, &f) != 0)
        return;
    FUZZ_ASSERT(f.filename != NULL, "the filename is never NULL");
    FUZZ_ASSERT(strlen(f.filename) == f.filename_len, "filename_len is the filename's length");
    FUZZ_ASSERT(f.has_file == (f.filename_len > 0), "a file comes with a filename");
    FUZZ_ASSERT(f.has_file || (f.len == 0 && f.data == NULL), "no bytes without a file");
    FUZZ_ASSERT(f.len <= FILE_LIMIT, "the file is within its limit");
    FUZZ_ASSERT(f.len == 0 || f.data != NULL, "bytes have a place");
    FUZZ_ASSERT(f.has_file ? f.file_parts >= 1 : f.file_parts == 0, "file parts are counted");
    FUZZ_ASSERT(f.nvalues <= HTTP_FORM_MAX_VALUES, "at most HTTP_FORM_MAX_VALUES fields");
    for (size_t i = 0; i < f.nvalues; i++) {
        const struct http_form_value *v = &f.values[i];
        FUZZ_ASSERT(v->name != NULL && v->value != NULL, "a field has a name and a value");
        FUZZ_ASSERT(v->len <= HTTP_FORM_VALUE_MAX, "a value is within its limit");
        FUZZ_ASSERT(v->value[v->len] == '\0', "a value is NUL-terminated");
        FUZZ_ASSERT(http_form_value(&f, v->name) != NULL, "a field is found by its name");
    }
    /* Every byte of the file can be read (ASan checks the bounds). */
    unsigned sum = 0;
    for (size_t i = 0; i < f.len; i++)
        sum += f.data[i];
    (void)sum;
    http_reply_json(req, 200, NULL);
}

static void start(void)
{
    log_set_level(LOG_ERROR);
    http_library_init();
    struct http_options o = {.host = "127.0.0.1",
                             .port = 0,
                             .threads = 8,
                             .body_limit = 1 << 20,
                             .request_timeout_ms = 2000,
                             .body_timeout_ms = 2000};
    server = http_server_new(&o);
    if (http_route(server, "POST", "/form", h_form) != 0)
        abort();
    char err[256];
    if (http_server_start(server, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    port = http_server_port(server);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may refuse early and close */
        c += w;
        n -= (size_t)w;
    }
}

/* A connection to the server. A refusal for want of a port or of room in
 * the listen queue is tried again, a bounded number of times (2 s). */
static int connect_server(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int err = 0;
    for (int attempt = 0; attempt < 200; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        FUZZ_ASSERT(fd >= 0, "a socket");
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        err = errno;
        close(fd);
        if (err != EADDRNOTAVAIL && err != ECONNREFUSED && err != EAGAIN && err != EINTR)
            break;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "connect: %s\n", strerror(err));
    FUZZ_ASSERT(0, "the server accepts");
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (server == NULL)
        start();
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    static const char *const types[] = {
        "multipart/form-data; boundary=XyZ123",
        "multipart/form-data; boundary=\"XyZ123\"",
        "multipart/form-data;boundary=XyZ123",
        "multipart/form-data; boundary=ab",
        ("multipart/form-data; boundary="
         "0123456789012345678901234567890123456789012345678901234567890123456789012"),
        "multipart/form-data; charset=utf-8; boundary=XyZ123",
        "application/x-www-form-urlencoded",
        "text/plain",
    };
    const char *type = types[(flags >> 1) % (sizeof types / sizeof types[0])];
    bool chunked = flags & 1;

    char head[512];
    int hl = chunked ? snprintf(head, sizeof head,
                                "POST /form HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                                "Content-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                                type)
                     : snprintf(head, sizeof head,
                                "POST /form HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                                "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                                type, n);
    int fd = connect_server();
    send_all(fd, head, (size_t)hl);
    if (chunked) {
        char line[32];
        if (n > 0) {
            int ll = snprintf(line, sizeof line, "%zx\r\n", n);
            send_all(fd, line, (size_t)ll);
            send_all(fd, body, n);
            send_all(fd, "\r\n", 2);
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else {
        send_all(fd, body, n);
    }

    char resp[4096];
    size_t got = 0;
    double end = now_ms() + 6000; /* the 2 s deadlines and a margin */
    while (got < sizeof resp - 1) {
        int left = (int)(end - now_ms());
        FUZZ_ASSERT(left > 0, "every request is answered in time");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    /* Closed with a reset: thousands of requests a second would otherwise
     * leave as many connections in TIME_WAIT and run the loopback out of
     * ports for new ones. */
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close(fd);
    resp[got] = '\0';
    int status = 0;
    sscanf(resp, "HTTP/1.1 %d", &status);
    FUZZ_ASSERT(status == 200 || status == 400 || status == 408 || status == 413 || status == 415,
                "the answer is 200, 400, 408, 413 or 415");
    return 0;
}
