/*
 * test_files.c - the attachments of SDG Awards cases against the real
 * server and PostgreSQL: PDF, PNG and JPEG uploads stored with their
 * sha256; the type from the leading bytes only; filenames (control
 * characters, separators, length, UTF-8, and the part CivetWeb skips when
 * its filename is over 1023 bytes); the upload cap (a declared length over
 * it refused before the body, a chunked body growing past it) with the
 * connection closed; the quota of 10 files and 25 MiB per case, also under
 * concurrent uploads; the bound on uploads in flight; download headers and
 * bytes (also across the ends of the server's slices) with no connection
 * opened per download; who sees which files; deleting while submission is
 * open only.
 *
 * Two servers: `srv` with the default upload limit (10M), `small` with
 * CONVENE_UPLOAD_LIMIT=64k and CONVENE_UPLOADS_IN_FLIGHT=1 for the cap and
 * the bound.
 */
#include <check.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/auth.h"
#include "base/util.h"
#include "awards/awards_fixtures.h"
#include "harness.h"

Suite *make_files_suite(void);

#define DB "files"

static struct server srv, small;

/* Seoul: a confirmed member; Bangkok: a confirmed member of another city;
 * staff; judges: one of the Secretariat (assigned: may see), one of Seoul
 * (assigned: conflicted), one of Suwon (not assigned). */
static struct hsession seoul, bangkok, staff, judge, judge_seoul, judge_other;

static void start_all(void)
{
    harness_fresh_db(DB);
    const char *env[] = {"CONVENE_MAIL_SENDERS=0", "CONVENE_DB_POOL_SIZE=8",
                         "CONVENE_DB_POOL_WAIT_MS=10000", "CONVENE_UPLOADS_IN_FLIGHT=8", NULL};
    ck_assert_int_eq(harness_server_start(&srv, DB, env), 0);
    const char *env_small[] = {"CONVENE_MAIL_SENDERS=0", "CONVENE_UPLOAD_LIMIT=64k",
                               "CONVENE_UPLOADS_IN_FLIGHT=1", NULL};
    ck_assert_int_eq(harness_server_start(&small, DB, env_small), 0);
    harness_sql(DB,
                "INSERT INTO organisations (name, city, country, kind) VALUES "
                "('Seoul Metropolitan Government', 'Seoul', 'Republic of Korea', 'member_city'), "
                "('Bangkok Metropolitan Administration', 'Bangkok', 'Thailand', 'member_city'), "
                "('Suwon Special City', 'Suwon', 'Republic of Korea', 'member_city'), "
                "('CityNet Secretariat', 'Seoul', 'Republic of Korea', 'secretariat')");
    aw_make_user(DB, &seoul, "seoul", "Seoul Metropolitan Government", true, "participant");
    aw_make_user(DB, &bangkok, "bangkok", "Bangkok Metropolitan Administration", true,
                 "participant");
    aw_make_user(DB, &staff, "staff", "CityNet Secretariat", true, "staff");
    aw_make_user(DB, &judge, "judge", "CityNet Secretariat", true, "judge");
    aw_make_user(DB, &judge_seoul, "judgeseoul", "Seoul Metropolitan Government", true, "judge");
    aw_make_user(DB, &judge_other, "judgesuwon", "Suwon Special City", true, "judge");
}

static void stop_all(void)
{
    harness_server_stop(&small);
    harness_server_stop(&srv);
}

/* ---- Cycles and cases ---- */

static const char cycle_body[] =
    "{\"year\":2031,\"title\":\"Files cycle %d\","
    "\"submission_opens_at\":\"2020-01-01T00:00:00Z\","
    "\"submission_closes_at\":\"2039-01-01T00:00:00Z\","
    "\"voting_opens_at\":\"2039-02-01T00:00:00Z\","
    "\"voting_closes_at\":\"2039-03-01T00:00:00Z\","
    "\"evaluation_opens_at\":\"2039-02-01T00:00:00Z\","
    "\"evaluation_closes_at\":\"2039-04-01T00:00:00Z\","
    "\"jury_weight\":0.7,\"public_weight\":0.3,"
    "\"categories\":[{\"name\":\"Climate\"},{\"name\":\"Finance\"}],"
    "\"criteria\":[{\"name\":\"Innovation\",\"weight\":1,\"scale_max\":10}]}";

/* A cycle open for submission; its first category in *cat. */
static long make_cycle(long *cat)
{
    char body[2048];
    snprintf(body, sizeof body, cycle_body, (int)aw_unique_n());
    long st;
    json_t *j = hcall_json(&srv, "POST", "/api/awards/cycles", body, &staff, &st);
    ck_assert_int_eq(st, 201);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    *cat = (long)json_integer_value(
        json_object_get(json_array_get(json_object_get(j, "categories"), 0), "id"));
    json_decref(j);
    return id;
}

/* A case of u's organisation in a new cycle, submitted when asked. */
static long make_case(const struct hsession *u, bool submit, long *cycle_out, long *cat_out)
{
    long cat;
    long cycle = make_cycle(&cat);
    char body[512];
    snprintf(body, sizeof body,
             "{\"category_id\":%ld,\"sdgs\":[11],\"title\":\"Flood maps\","
             "\"summary\":\"Maps.\",\"description\":\"What was done.\"}",
             cat);
    long id = aw_create_case(&srv, cycle, body, u);
    if (submit)
        aw_submit_case(&srv, id, u);
    if (cycle_out)
        *cycle_out = cycle;
    if (cat_out)
        *cat_out = cat;
    return id;
}

/* Voting and evaluation open, submission closed. */
static void open_evaluation(long cycle)
{
    aw_set_windows(DB, cycle, -2 * 86400, -86400, -3600, 86400, -3600, 86400);
}

/* ---- Multipart bodies ---- */

static const char pdf_head[] = "%PDF-1.7\n";
static const unsigned char png_head[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
static const unsigned char jpeg_head[] = {0xff, 0xd8, 0xff, 0xe0};

#define BOUNDARY  "convene-test-boundary-7d1f"
#define FORM_TYPE "multipart/form-data; boundary=" BOUNDARY

/* n bytes of a file starting with head (hn bytes), the rest a pattern. */
static unsigned char *file_bytes(const void *head, size_t hn, size_t n)
{
    unsigned char *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)((i * 131 + 7) % 251);
    memcpy(b, head, hn < n ? hn : n);
    return b;
}

/* A form with the file (name as given, raw bytes) and, when not NULL, a
 * visibility field; *len gets its length. Caller frees. */
static char *form(const char *filename, size_t fnlen, const void *data, size_t n,
                  const char *visibility, size_t *len)
{
    strbuf b;
    strbuf_init(&b, 0);
    if (visibility)
        strbuf_printf(&b,
                      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"visibility\""
                      "\r\n\r\n%s\r\n",
                      visibility);
    strbuf_puts(&b, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    strbuf_append(&b, filename, fnlen);
    strbuf_puts(&b, "\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    strbuf_append(&b, data, n);
    strbuf_puts(&b, "\r\n--" BOUNDARY "--\r\n");
    *len = b.len;
    char *out = malloc(b.len + 1);
    memcpy(out, strbuf_cstr(&b), b.len + 1);
    strbuf_free(&b);
    return out;
}

/* Uploads to case id on s; returns the status, the answer in *out (new
 * reference, may be NULL). */
static long upload_on(const struct server *s, long id, const char *filename, const void *data,
                      size_t n, const char *visibility, const struct hsession *u, json_t **out)
{
    size_t len;
    char *body = form(filename, strlen(filename), data, n, visibility, &len);
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/files", id);
    struct hresp r;
    long st = hcall_body(s, "POST", path, FORM_TYPE, body, len, u, NULL, &r);
    free(body);
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    hresp_free(&r);
    if (out)
        *out = j;
    else
        json_decref(j);
    return st;
}

static long upload(long id, const char *filename, const void *data, size_t n,
                   const char *visibility, const struct hsession *u, json_t **out)
{
    return upload_on(&srv, id, filename, data, n, visibility, u, out);
}

/* Uploads a small PDF and returns the file's id (asserting 201). */
static long add_pdf(long id, const char *filename, const char *visibility)
{
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 2000);
    json_t *j;
    long st = upload(id, filename, data, 2000, visibility, &seoul, &j);
    free(data);
    ck_assert_msg(st == 201, "upload %s: %ld", filename, st);
    long fid = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return fid;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, n);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- Raw connections ---- */

static int connect_to(const struct server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

struct raw {
    char data[16384];
    size_t len;
    bool closed; /* the server closed the connection */
    int status;
};

/* Reads until the server closes, or for at most wait_ms. */
static void collect(int fd, int wait_ms, struct raw *out)
{
    memset(out, 0, sizeof *out);
    double end = harness_now_ms() + wait_ms;
    while (harness_now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = recv(fd, out->data + out->len, sizeof out->data - 1 - out->len, 0);
        if (n <= 0) {
            out->closed = true;
            break;
        }
        out->len += (size_t)n;
        if (out->len >= sizeof out->data - 1)
            break;
    }
    out->data[out->len] = '\0';
    sscanf(out->data, "HTTP/1.1 %d", &out->status);
}

/* The head of an upload to case id on s, as user u. */
static void upload_head(char *out, size_t size, const struct server *s, long id,
                        const struct hsession *u, const char *framing)
{
    (void)s;
    snprintf(out, size,
             "POST /api/submissions/%ld/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Cookie: %s\r\nX-CSRF-Token: %s\r\nContent-Type: " FORM_TYPE "\r\n%s\r\n\r\n",
             id, u->cookie, u->csrf, framing);
}

/*
 * The small server receives one upload at a time and frees its slot just
 * after answering, so a request sent at once after another upload may find
 * the slot still taken (503 uploads_busy). These send the upload again
 * while the answer is 503 (for 8 s at most).
 *
 * open_upload: sends the head (with framing) and the first len bytes of
 * body to the small server, collects the answer for wait_ms, and returns
 * the connection (still open) with the answer in *r.
 */
static int open_upload(long id, const char *framing, const void *body, size_t len, int wait_ms,
                       struct raw *r)
{
    double end = harness_now_ms() + 8000;
    for (;;) {
        char head[1024];
        upload_head(head, sizeof head, &small, id, &seoul, framing);
        int fd = connect_to(&small);
        send(fd, head, strlen(head), MSG_NOSIGNAL);
        if (len)
            send(fd, body, len, MSG_NOSIGNAL);
        collect(fd, wait_ms, r);
        if (r->status != 503 || harness_now_ms() > end)
            return fd;
        close(fd);
        usleep(20000);
    }
}

static long upload_small(long id, const char *filename, const void *data, size_t n)
{
    double end = harness_now_ms() + 8000;
    long st;
    while ((st = upload_on(&small, id, filename, data, n, NULL, &seoul, NULL)) == 503 &&
           harness_now_ms() < end)
        usleep(20000);
    return st;
}

/* ---- Tests ---- */

START_TEST(uploads_of_each_type_are_stored_with_their_sha256)
{
    long id = make_case(&seoul, false, NULL, NULL);
    struct {
        const char *name;
        const void *head;
        size_t hn;
        const char *type;
    } kinds[] = {
        {"report.pdf", pdf_head, sizeof pdf_head - 1, "application/pdf"},
        {"map.png", png_head, sizeof png_head, "image/png"},
        /* the claimed type and the extension count for nothing */
        {"photo.gif", jpeg_head, sizeof jpeg_head, "image/jpeg"},
    };
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        size_t n = 5000 + i * 1000;
        unsigned char *data = file_bytes(kinds[i].head, kinds[i].hn, n);
        char want[65];
        sha256_hex(data, n, want);
        json_t *j;
        long st = upload(id, kinds[i].name, data, n, i == 1 ? "jury" : NULL, &seoul, &j);
        free(data);
        ck_assert_int_eq(st, 201);
        ck_assert_str_eq(json_string_value(json_object_get(j, "filename")), kinds[i].name);
        ck_assert_str_eq(json_string_value(json_object_get(j, "content_type")), kinds[i].type);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "size")), (json_int_t)n);
        ck_assert_str_eq(json_string_value(json_object_get(j, "sha256")), want);
        ck_assert_str_eq(json_string_value(json_object_get(j, "visibility")),
                         i == 1 ? "jury" : "public");
        long fid = (long)json_integer_value(json_object_get(j, "id"));
        json_decref(j);
        /* Stored: the bytes hash to what was recorded, which is the
         * client's sha256. */
        char q[256];
        snprintf(q, sizeof q,
                 "SELECT encode(sha256, 'hex') || ' ' || (sha256(data) = sha256)::text || ' ' || "
                 "octet_length(data) || ' ' || content_type FROM submission_files WHERE id = %ld",
                 fid);
        char *row = harness_sql_text(DB, q);
        char expect_row[160];
        snprintf(expect_row, sizeof expect_row, "%s true %zu %s", want, n, kinds[i].type);
        ck_assert_str_eq(row, expect_row);
        free(row);
        snprintf(q, sizeof q,
                 "SELECT count(*) FROM audit_log WHERE action = 'submission.file_added' AND "
                 "target_id = '%ld' AND details->>'file_id' = '%ld' AND actor_id = %ld",
                 id, fid, seoul.id);
        ck_assert_int_eq(harness_sql_long(DB, q), 1);
    }
    /* The case lists them (metadata only). */
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld", id);
    long st;
    json_t *j = hcall_json(&srv, "GET", path, NULL, &seoul, &st);
    ck_assert_int_eq(st, 200);
    json_t *files = json_object_get(j, "files");
    ck_assert_int_eq(json_array_size(files), 3);
    ck_assert_ptr_null(json_object_get(json_array_get(files, 0), "data"));
    json_decref(j);
}
END_TEST

START_TEST(type_comes_from_the_leading_bytes)
{
    long id = make_case(&seoul, false, NULL, NULL);
    const char *bad[] = {"Just text, called .pdf", "%PDF", "\x89PNG\r\n", "\xff\xd8", ""};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        json_t *j;
        long st = upload(id, "report.pdf", bad[i], strlen(bad[i]), NULL, &seoul, &j);
        ck_assert_msg(st == 422, "%zu: %ld", i, st);
        ck_assert_str_eq(hjson_err_code(j), "validation_failed");
        ck_assert_str_eq(hjson_field_code(j, "file"), "unsupported_type");
        json_decref(j);
    }
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 100);
    json_t *j;
    ck_assert_int_eq(upload(id, "r.pdf", data, 100, "secret", &seoul, &j), 422);
    ck_assert_str_eq(hjson_field_code(j, "visibility"), "invalid_choice");
    json_decref(j);
    /* A field the form does not take: 422 unknown_member (nothing is
     * silently ignored); a field over 1 KiB: 413. */
    size_t len;
    char *body = form("r.pdf", 5, data, 100, "public", &len);
    char *extra = malloc(len + 2000);
    int pre =
        sprintf(extra, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
                       "A title\r\n");
    memcpy(extra + pre, body, len);
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/files", id);
    struct hresp r;
    ck_assert_int_eq(
        hcall_body(&srv, "POST", path, FORM_TYPE, extra, (size_t)pre + len, &seoul, NULL, &r), 422);
    j = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(hjson_field_code(j, "title"), "unknown_member");
    json_decref(j);
    hresp_free(&r);
    pre = sprintf(extra, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"visibility\""
                         "\r\n\r\n");
    memset(extra + pre, 'j', 1100);
    memcpy(extra + pre + 1100, "\r\n", 2);
    memcpy(extra + pre + 1102, body, len);
    ck_assert_int_eq(hcall_body(&srv, "POST", path, FORM_TYPE, extra, (size_t)pre + 1102 + len,
                                &seoul, NULL, &r),
                     413);
    hresp_free(&r);
    free(extra);
    free(body);
    free(data);
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
}
END_TEST

START_TEST(bad_filenames_are_422_on_file)
{
    long id = make_case(&seoul, false, NULL, NULL);
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 500);
    char long201[202], long200[201], huge[1100];
    memset(long201, 'a', 201);
    long201[201] = '\0';
    memcpy(long201 + 197, ".pdf", 4);
    memset(long200, 'b', 200);
    long200[200] = '\0';
    memcpy(long200 + 196, ".pdf", 4);
    memset(huge, 'c', 1099);
    huge[1099] = '\0';
    struct {
        const char *name;
        const char *code;
    } cases[] = {
        {"bell\x07.pdf", "invalid_filename"},
        {"a%01b.pdf", "invalid_filename"}, /* CivetWeb decodes %XX in a filename */
        {"dir/x.pdf", "invalid_filename"},
        {"dir\\x.pdf", "invalid_filename"},
        {"\xff\xfe.pdf", "invalid_filename"},
        {"over\xc3.pdf", "invalid_filename"},
        {"evil\xe2\x80\xae"
         "fdp.exe",
         "invalid_filename"}, /* right-to-left override */
        {long201, "too_long"},
        /* CivetWeb skips a part whose filename is over 1023 bytes: no file */
        {huge, "required"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *j;
        long st = upload(id, cases[i].name, data, 500, NULL, &seoul, &j);
        ck_assert_msg(st == 422, "%zu: %ld", i, st);
        ck_assert_str_eq(hjson_err_code(j), "validation_failed");
        ck_assert_msg(str_eq(hjson_field_code(j, "file"), cases[i].code), "%zu: %s, expected %s", i,
                      hjson_field_code(j, "file"), cases[i].code);
        json_decref(j);
    }
    /* No file part at all, and an empty filename (a form sent without a
     * file chosen): required. */
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/files", id);
    const char only_visibility[] = "--" BOUNDARY "\r\nContent-Disposition: form-data; "
                                   "name=\"visibility\"\r\n\r\njury\r\n--" BOUNDARY "--\r\n";
    struct hresp r;
    ck_assert_int_eq(hcall_body(&srv, "POST", path, FORM_TYPE, only_visibility,
                                sizeof only_visibility - 1, &seoul, NULL, &r),
                     422);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(hjson_field_code(j, "file"), "required");
    json_decref(j);
    hresp_free(&r);
    ck_assert_int_eq(upload(id, "", data, 500, NULL, &seoul, &j), 422);
    ck_assert_str_eq(hjson_field_code(j, "file"), "required");
    json_decref(j);
    /* Not multipart: 415. */
    ck_assert_int_eq(hcall_body(&srv, "POST", path, "application/json", "{}", 2, &seoul, NULL, &r),
                     415);
    hresp_free(&r);
    /* 200 bytes and UTF-8 beyond ASCII are fine. */
    ck_assert_int_eq(upload(id, long200, data, 500, NULL, &seoul, NULL), 201);
    ck_assert_int_eq(upload(id, "Plan d\xe2\x80\x99\xc3\xa9t\xc3\xa9 \xec\x84\x9c\xec\x9a\xb8.pdf",
                            data, 500, NULL, &seoul, NULL),
                     201);
    free(data);
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 2);
}
END_TEST

START_TEST(declared_length_over_the_cap_is_413_before_the_body)
{
    long id = make_case(&seoul, false, NULL, NULL);
    /* 64k file limit + 64k allowance for the form; no body is sent: the
     * answer comes without it. */
    struct raw r;
    int fd = open_upload(id, "Content-Length: 131073", NULL, 0, 10000, &r);
    close(fd);
    ck_assert_msg(r.status == 413, "%s", r.data);
    ck_assert_ptr_nonnull(strstr(r.data, "Connection: close"));
    ck_assert_ptr_nonnull(strstr(r.data, "\"payload_too_large\""));
    ck_assert_msg(r.closed, "the connection stays open");
    /* Just within the allowance is read (and refused for what it is). */
    fd = open_upload(id, "Content-Length: 131072", NULL, 0, 300, &r);
    close(fd);
    ck_assert_int_eq(r.status, 0); /* waiting for the body */
}
END_TEST

START_TEST(chunked_body_growing_past_the_cap_is_413)
{
    long id = make_case(&seoul, false, NULL, NULL);
    static const char part[] = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
                               "filename=\"big.pdf\"\r\n\r\n%PDF-1.7\n";
    char first[512];
    int fl = snprintf(first, sizeof first, "%zx\r\n%s\r\n", sizeof part - 1, part);
    struct raw r;
    int fd = open_upload(id, "Transfer-Encoding: chunked", first, (size_t)fl, 100, &r);
    ck_assert_int_eq(r.status, 0);
    char line[32];
    /* 80 KiB of file in 8 KiB chunks: past the 64 KiB cap. */
    char chunk[8192];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 10; i++) {
        snprintf(line, sizeof line, "%zx\r\n", sizeof chunk);
        if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
            send(fd, chunk, sizeof chunk, MSG_NOSIGNAL) < 0 ||
            send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
            break;
    }
    collect(fd, 10000, &r);
    close(fd);
    ck_assert_msg(r.status == 413, "%s", r.data);
    ck_assert_ptr_nonnull(strstr(r.data, "Connection: close"));
    ck_assert_msg(r.closed, "the connection stays open");
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
    /* Below the cap, a chunked upload is stored. */
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 60000);
    ck_assert_int_eq(upload_small(id, "ok.pdf", data, 60000), 201);
    free(data);
}
END_TEST

/* Sends all n bytes on fd; false when the connection failed first. */
static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/*
 * Sends an upload of about 2 MB to /api/submissions/{id}/files on srv with
 * the given credential headers, then checks that the whole body was taken
 * (no reset while sending), that the answer is want (with its error code)
 * on a kept connection, and that the same connection answers a second
 * request.
 */
static void refused_upload_keeps_connection(long id, const char *credentials, int want,
                                            const char *code)
{
    enum { N = 2 * 1000 * 1000 };
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, N);
    size_t len;
    char *body = form("big.pdf", 7, data, N, NULL, &len);
    free(data);
    char head[1024];
    snprintf(head, sizeof head,
             "POST /api/submissions/%ld/files HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
             "Content-Type: " FORM_TYPE "\r\nContent-Length: %zu\r\n\r\n",
             id, credentials, len);
    int fd = connect_to(&srv);
    ck_assert(send_all(fd, head, strlen(head)));
    ck_assert_msg(send_all(fd, body, len), "the server reset the connection during the body");
    free(body);
    struct raw r;
    collect(fd, 1000, &r);
    ck_assert_msg(r.status == want, "%s", r.data);
    ck_assert_ptr_nonnull(strstr(r.data, code));
    ck_assert_ptr_nonnull(strstr(r.data, "Connection: keep-alive"));
    ck_assert_msg(!r.closed, "the connection was closed");
    static const char again[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ck_assert(send_all(fd, again, sizeof again - 1));
    collect(fd, 1000, &r);
    close(fd);
    ck_assert_msg(r.status == 200, "%s", r.data);
    ck_assert_ptr_nonnull(strstr(r.data, "{\"status\":\"ok\"}"));
}

START_TEST(refused_before_the_body_reads_it_and_keeps_the_connection)
{
    long id = make_case(&seoul, false, NULL, NULL);
    /* Not logged in: 401 before the body, the body read and dropped. */
    refused_upload_keeps_connection(id, "", 401, "\"unauthenticated\"");
    /* No such case: 404 from the check before the body. */
    char cred[512];
    snprintf(cred, sizeof cred, "Cookie: %s\r\nX-CSRF-Token: %s\r\n", seoul.cookie, seoul.csrf);
    refused_upload_keeps_connection(id + 100000, cred, 404, "\"not_found\"");
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
}
END_TEST

/* Adds n files of size bytes each to case id; returns how many got 201. */
static int add_files(long id, int n, size_t size)
{
    unsigned char *data = file_bytes(png_head, sizeof png_head, size);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "part-%d.png", i);
        if (upload(id, name, data, size, NULL, &seoul, NULL) == 201)
            ok++;
    }
    free(data);
    return ok;
}

START_TEST(quota_of_ten_files_and_25_mib)
{
    long a = make_case(&seoul, false, NULL, NULL);
    ck_assert_int_eq(add_files(a, 10, 1000), 10);
    unsigned char *data = file_bytes(png_head, sizeof png_head, 1000);
    json_t *j;
    ck_assert_int_eq(upload(a, "eleven.png", data, 1000, NULL, &seoul, &j), 409);
    ck_assert_str_eq(hjson_err_code(j), "file_quota");
    json_t *e = json_object_get(j, "error");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "files")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "max_files")), 10);
    json_decref(j);
    free(data);
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", a);
    ck_assert_int_eq(harness_sql_long(DB, q), 10);

    /* 8 x 3 MiB = 24 MiB; a ninth would make 27. */
    long b = make_case(&seoul, false, NULL, NULL);
    ck_assert_int_eq(add_files(b, 8, 3u << 20), 8);
    data = file_bytes(png_head, sizeof png_head, 3u << 20);
    ck_assert_int_eq(upload(b, "ninth.png", data, 3u << 20, NULL, &seoul, &j), 409);
    ck_assert_str_eq(hjson_err_code(j), "file_quota");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "bytes")),
                     24L << 20);
    json_decref(j);
    /* Exactly up to 25 MiB is allowed. */
    ck_assert_int_eq(upload(b, "last.png", data, 1u << 20, NULL, &seoul, NULL), 201);
    ck_assert_int_eq(upload(b, "over.png", data, sizeof png_head, NULL, &seoul, &j), 409);
    json_decref(j);
    free(data);
    snprintf(q, sizeof q,
             "SELECT count(*) * 1000 + sum(size) / 1048576 FROM submission_files "
             "WHERE submission_id = %ld",
             b);
    ck_assert_int_eq(harness_sql_long(DB, q), 9 * 1000 + 25);
}
END_TEST

struct racer {
    long id;
    long status;
};

static void *race_upload(void *arg)
{
    struct racer *r = arg;
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 20000);
    size_t len;
    char *body = form("race.pdf", 8, data, 20000, NULL, &len);
    char path[96];
    snprintf(path, sizeof path, "/api/submissions/%ld/files", r->id);
    struct hresp resp;
    r->status = hcall_body(&srv, "POST", path, FORM_TYPE, body, len, &seoul, NULL, &resp);
    hresp_free(&resp);
    free(body);
    free(data);
    return NULL;
}

START_TEST(quota_holds_under_concurrent_uploads)
{
    long id = make_case(&seoul, false, NULL, NULL);
    ck_assert_int_eq(add_files(id, 8, 100), 8);
    enum { N = 6 };
    struct racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){.id = id};
        pthread_create(&t[i], NULL, race_upload, &r[i]);
    }
    int created = 0, quota = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        created += r[i].status == 201;
        quota += r[i].status == 409;
    }
    ck_assert_int_eq(created, 2);
    ck_assert_int_eq(quota, N - 2);
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 10);
}
END_TEST

START_TEST(uploads_in_flight_are_bounded)
{
    long id = make_case(&seoul, false, NULL, NULL);
    /* A slow upload holds the only slot: its head and part of its body. */
    static const char part[] = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
                               "filename=\"slow.pdf\"\r\n\r\n%PDF-1.7\n";
    struct raw held;
    int fd = open_upload(id, "Content-Length: 5000", part, sizeof part - 1, 100, &held);
    ck_assert_int_eq(held.status, 0);
    /* Another upload (of a file refused for its type, so that it stores
     * nothing) gets 503 with Retry-After while the slot is taken. */
    const char junk[] = "not a pdf";
    json_t *j = NULL;
    long st = 0;
    double end = harness_now_ms() + 8000;
    for (;;) {
        json_decref(j);
        j = NULL;
        size_t len;
        char *body = form("junk.pdf", 8, junk, sizeof junk - 1, NULL, &len);
        char path[96];
        snprintf(path, sizeof path, "/api/submissions/%ld/files", id);
        struct hresp r;
        st = hcall_body(&small, "POST", path, FORM_TYPE, body, len, &seoul, NULL, &r);
        free(body);
        char retry[16];
        if (st == 503)
            ck_assert_ptr_nonnull(hresp_header(&r, "Retry-After", retry, sizeof retry));
        j = json_loads(r.body, 0, NULL);
        hresp_free(&r);
        if (st == 503 || harness_now_ms() > end)
            break;
        usleep(20000);
    }
    ck_assert_int_eq(st, 503);
    ck_assert_str_eq(hjson_err_code(j), "uploads_busy");
    json_decref(j);
    /* Once the slow one is gone, uploads are read again. */
    close(fd);
    ck_assert_int_eq(upload_small(id, "junk.pdf", junk, sizeof junk - 1), 422);
}
END_TEST

START_TEST(download_headers_and_bytes)
{
    long id = make_case(&seoul, false, NULL, NULL);
    /* 32 of the server's 64 KiB slices and a bit. */
    size_t n = (2u << 20) + 12345;
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, n);
    const char *name = "Plan d\xe2\x80\x99\xc3\xa9t\xc3\xa9 (final) #2.pdf";
    json_t *j;
    ck_assert_int_eq(upload(id, name, data, n, NULL, &seoul, &j), 201);
    long fid = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, fid);
    struct hresp r;
    ck_assert_int_eq(hcall_body(&srv, "GET", path, NULL, NULL, 0, &seoul, NULL, &r), 200);
    ck_assert_uint_eq(r.len, n);
    ck_assert_int_eq(memcmp(r.body, data, n), 0);
    char v[512];
    ck_assert_str_eq(hresp_header(&r, "Content-Type", v, sizeof v), "application/pdf");
    ck_assert_str_eq(hresp_header(&r, "Content-Disposition", v, sizeof v),
                     "attachment; filename*=UTF-8''Plan%20d%E2%80%99%C3%A9t%C3%A9%20%28final%29%20"
                     "#2.pdf");
    ck_assert_str_eq(hresp_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    ck_assert_str_eq(hresp_header(&r, "Content-Security-Policy", v, sizeof v), "sandbox");
    ck_assert_str_eq(hresp_header(&r, "Cache-Control", v, sizeof v), "private");
    snprintf(path, sizeof path, "%zu", n);
    ck_assert_str_eq(hresp_header(&r, "Content-Length", v, sizeof v), path);
    ck_assert_ptr_null(hresp_header(&r, "Transfer-Encoding", v, sizeof v));
    /* One Content-Security-Policy only (the page policy is replaced). */
    const char *first = strcasestr(r.headers, "Content-Security-Policy:");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strcasestr(first + 1, "Content-Security-Policy:"));
    hresp_free(&r);
    /* HEAD: the same head, no body. */
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, fid);
    ck_assert_int_eq(hcall_body(&srv, "HEAD", path, NULL, NULL, 0, &seoul, NULL, &r), 200);
    ck_assert_uint_eq(r.len, 0);
    char length[24];
    snprintf(length, sizeof length, "%zu", n);
    ck_assert_str_eq(hresp_header(&r, "Content-Length", v, sizeof v), length);
    ck_assert_str_eq(hresp_header(&r, "Content-Security-Policy", v, sizeof v), "sandbox");
    hresp_free(&r);
    free(data);
    /* Another case's file id: 404, even for staff. */
    long other = make_case(&seoul, false, NULL, NULL);
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", other, fid);
    ck_assert_int_eq(hcall_body(&srv, "GET", path, NULL, NULL, 0, &staff, NULL, &r), 404);
    hresp_free(&r);
    snprintf(path, sizeof path, "/api/submissions/%ld/files/99999999", id);
    ck_assert_int_eq(hcall_body(&srv, "GET", path, NULL, NULL, 0, &seoul, NULL, &r), 404);
    hresp_free(&r);
}
END_TEST

/* The server reads a file in slices of 64 KiB (FILE_SLICE in
 * src/awards/files.c): sizes on either side of a slice's end come back
 * byte for byte, by GET, with their length, by HEAD. */
START_TEST(downloads_across_slice_ends)
{
    long id = make_case(&seoul, false, NULL, NULL);
    const size_t sizes[] = {9, 65535, 65536, 65537, 131072, 3 * 65536 + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, n);
        json_t *j;
        ck_assert_int_eq(upload(id, "slices.pdf", data, n, NULL, &seoul, &j), 201);
        long fid = (long)json_integer_value(json_object_get(j, "id"));
        json_decref(j);
        char path[128], length[24], v[64];
        snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, fid);
        snprintf(length, sizeof length, "%zu", n);
        struct hresp r;
        ck_assert_int_eq(hcall_body(&srv, "GET", path, NULL, NULL, 0, &seoul, NULL, &r), 200);
        ck_assert_msg(r.len == n && memcmp(r.body, data, n) == 0, "%zu bytes: got %zu, or others",
                      n, r.len);
        ck_assert_str_eq(hresp_header(&r, "Content-Length", v, sizeof v), length);
        hresp_free(&r);
        ck_assert_int_eq(hcall_body(&srv, "HEAD", path, NULL, NULL, 0, &seoul, NULL, &r), 200);
        ck_assert_uint_eq(r.len, 0);
        ck_assert_str_eq(hresp_header(&r, "Content-Length", v, sizeof v), length);
        hresp_free(&r);
        free(data);
    }
}
END_TEST

/* The pool's successful connects so far, from /metrics. */
static long db_connects(void)
{
    struct hresp r;
    ck_assert_int_eq(hget(&srv, "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    const char *key = "convene_db_connects_total{result=\"ok\"} ";
    const char *at = strstr(r.body, key);
    ck_assert_ptr_nonnull(at);
    long n = strtol(at + strlen(key), NULL, 10);
    hresp_free(&r);
    return n;
}

/* A download reads its file in slices small enough that the connections
 * that read them are kept (db.c closes one that read a row over 1 MiB, as
 * libpq would keep a buffer that large for good): downloading a 3 MiB
 * file again and again opens no connection. */
START_TEST(downloads_keep_their_connections)
{
    long id = make_case(&seoul, false, NULL, NULL);
    size_t n = 3u << 20;
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, n);
    json_t *j;
    ck_assert_int_eq(upload(id, "big.pdf", data, n, NULL, &seoul, &j), 201);
    long fid = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, fid);
    struct hresp r;
    /* The upload's connection was closed (its 3 MiB parameter): one
     * download first, so that the pool has what it needs. */
    ck_assert_int_eq(hcall_body(&srv, "GET", path, NULL, NULL, 0, &seoul, NULL, &r), 200);
    hresp_free(&r);
    long before = db_connects();
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(hcall_body(&srv, "GET", path, NULL, NULL, 0, &seoul, NULL, &r), 200);
        ck_assert_uint_eq(r.len, n);
        ck_assert_int_eq(memcmp(r.body, data, n), 0);
        hresp_free(&r);
    }
    ck_assert_int_eq(db_connects(), before);
    free(data);
}
END_TEST

/* The ids of the files in a list answer, as a string "id,id" in order. */
static void list_ids(json_t *j, char *out, size_t size)
{
    out[0] = '\0';
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(j, "items"), i, f)
    {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%lld", i ? "," : "",
                 (long long)json_integer_value(json_object_get(f, "id")));
    }
}

/* Checks what u sees of case id's files: the list (404 when want is NULL,
 * else the ids in want) and the download of each file. */
static void sees(const struct hsession *u, long id, long pub, long jury, const char *want)
{
    char path[128];
    snprintf(path, sizeof path, "/api/submissions/%ld/files", id);
    long st;
    json_t *j = hcall_json(&srv, "GET", path, NULL, u, &st);
    const char *who = u ? u->email : "anonymous";
    if (want == NULL) {
        ck_assert_msg(st == 404, "%s lists: %ld", who, st);
        ck_assert_str_eq(hjson_err_code(j), "not_found");
    } else {
        ck_assert_msg(st == 200, "%s lists: %ld", who, st);
        char ids[64];
        list_ids(j, ids, sizeof ids);
        ck_assert_msg(str_eq(ids, want), "%s sees %s, expected %s", who, ids, want);
    }
    json_decref(j);
    char pub_s[24];
    snprintf(pub_s, sizeof pub_s, "%ld", pub);
    bool sees_pub = want && strstr(want, pub_s) != NULL;
    bool sees_jury = want && strchr(want, ',') != NULL;
    long files[2] = {pub, jury};
    bool allowed[2] = {sees_pub, sees_jury};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, files[i]);
        struct hresp r;
        st = hcall_body(&srv, "GET", path, NULL, NULL, 0, u, NULL, &r);
        hresp_free(&r);
        ck_assert_msg(st == (allowed[i] ? 200 : 404), "%s downloads %ld: %ld", who, files[i], st);
    }
}

START_TEST(who_sees_which_files)
{
    long cycle, cat;
    long id = make_case(&seoul, true, &cycle, &cat);
    long pub = add_pdf(id, "public.pdf", "public");
    long jury = add_pdf(id, "jury.pdf", "jury");
    char both[64], only_pub[32];
    snprintf(both, sizeof both, "%ld,%ld", pub, jury);
    snprintf(only_pub, sizeof only_pub, "%ld", pub);
    /* A draft of Bangkok in the same cycle never becomes public. */
    char path[128], body[128];
    snprintf(path, sizeof path, "/api/awards/cycles/%ld/submissions", cycle);
    snprintf(body, sizeof body,
             "{\"category_id\":%ld,\"sdgs\":[1],\"title\":\"Draft\",\"summary\":\"S.\","
             "\"description\":\"D.\"}",
             cat);
    long st;
    json_t *j = hcall_json(&srv, "POST", path, body, &bangkok, &st);
    ck_assert_int_eq(st, 201);
    long draft = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);

    /* Judges assigned to the category: one of the Secretariat, one of
     * Seoul (conflicted: the case's own organisation). */
    snprintf(path, sizeof path, "/api/awards/categories/%ld/judges", cat);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge_seoul.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);

    /* Submission open: the case is not public yet. */
    sees(NULL, id, pub, jury, NULL);
    sees(&bangkok, id, pub, jury, NULL);
    sees(&judge, id, pub, jury, NULL);
    sees(&judge_seoul, id, pub, jury, both); /* a confirmed member of Seoul */
    sees(&judge_other, id, pub, jury, NULL);
    sees(&seoul, id, pub, jury, both);
    sees(&staff, id, pub, jury, both);

    /* Voting and evaluation open: the public sees public files only; the
     * assigned judge sees all. The Seoul judge is a member of Seoul, so a
     * judge of another city stands for the conflicted one: conflicts by
     * declaration. */
    open_evaluation(cycle);
    snprintf(body, sizeof body, "{\"account_id\":%ld}", judge_other.id);
    HEXPECT(&srv, "POST", path, body, &staff, 201, NULL);
    sees(&judge_other, id, pub, jury, both); /* assigned, not conflicted */
    char cpath[96];
    snprintf(cpath, sizeof cpath, "/api/submissions/%ld/conflicts", id);
    HEXPECT(&srv, "POST", cpath, "{\"reason\":\"Advised them\"}", &judge_other, 201, NULL);
    sees(&judge_other, id, pub, jury, only_pub); /* conflicted: the public's view */
    sees(NULL, id, pub, jury, only_pub);
    sees(&bangkok, id, pub, jury, only_pub);
    sees(&judge, id, pub, jury, both);
    sees(&seoul, id, pub, jury, both);
    sees(&staff, id, pub, jury, both);
    /* The draft stays private. */
    snprintf(path, sizeof path, "/api/submissions/%ld/files", draft);
    HEXPECT(&srv, "GET", path, NULL, NULL, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &seoul, 404, "not_found");
    HEXPECT(&srv, "GET", path, NULL, &bangkok, 200, NULL);
    /* Unknown case: 404 for all. */
    HEXPECT(&srv, "GET", "/api/submissions/99999999/files", NULL, &staff, 404, "not_found");
}
END_TEST

START_TEST(delete_while_open_then_409)
{
    long cycle;
    long id = make_case(&seoul, false, &cycle, NULL);
    long keep = add_pdf(id, "keep.pdf", NULL);
    long gone = add_pdf(id, "gone.pdf", NULL);
    long other = make_case(&seoul, false, NULL, NULL);
    long foreign = add_pdf(other, "other.pdf", NULL);
    char path[128];
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, gone);
    HEXPECT(&srv, "DELETE", path, NULL, NULL, 401, NULL);
    HEXPECT(&srv, "DELETE", path, NULL, &bangkok, 404, "not_found");
    HEXPECT(&srv, "DELETE", path, NULL, &staff, 403, "forbidden");
    HEXPECT(&srv, "DELETE", path, NULL, &seoul, 200, NULL);
    HEXPECT(&srv, "DELETE", path, NULL, &seoul, 404, "not_found");
    char q[256];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM audit_log WHERE action = 'submission.file_deleted' AND "
             "target_id = '%ld' AND details->>'file_id' = '%ld' AND "
             "details->>'filename' = 'gone.pdf'",
             id, gone);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    /* Another case's file id: 404, and it stays. */
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, foreign);
    HEXPECT(&srv, "DELETE", path, NULL, &seoul, 404, "not_found");
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE id = %ld", foreign);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
    /* Submission closed: 409 with the window, for upload and delete. */
    snprintf(q, sizeof q,
             "UPDATE award_cycles SET submission_closes_at = now() - interval '1 second' "
             "WHERE id = %ld",
             cycle);
    harness_sql(DB, q);
    snprintf(path, sizeof path, "/api/submissions/%ld/files/%ld", id, keep);
    long st;
    json_t *j = hcall_json(&srv, "DELETE", path, NULL, &seoul, &st);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(hjson_err_code(j), "submission_closed");
    json_t *e = json_object_get(j, "error");
    ck_assert_ptr_nonnull(json_object_get(e, "phase"));
    ck_assert_ptr_nonnull(json_object_get(e, "opens_at"));
    ck_assert_ptr_nonnull(json_object_get(e, "closes_at"));
    json_decref(j);
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 100);
    ck_assert_int_eq(upload(id, "late.pdf", data, 100, NULL, &seoul, &j), 409);
    ck_assert_str_eq(hjson_err_code(j), "submission_closed");
    json_decref(j);
    free(data);
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 1);
}
END_TEST

START_TEST(only_members_upload)
{
    long id = make_case(&seoul, false, NULL, NULL);
    unsigned char *data = file_bytes(pdf_head, sizeof pdf_head - 1, 100);
    json_t *j;
    ck_assert_int_eq(upload(id, "a.pdf", data, 100, NULL, NULL, &j), 401);
    json_decref(j);
    ck_assert_int_eq(upload(id, "a.pdf", data, 100, NULL, &bangkok, &j), 404);
    ck_assert_str_eq(hjson_err_code(j), "not_found");
    json_decref(j);
    ck_assert_int_eq(upload(id, "a.pdf", data, 100, NULL, &staff, &j), 403);
    json_decref(j);
    ck_assert_int_eq(upload(99999999, "a.pdf", data, 100, NULL, &seoul, &j), 404);
    json_decref(j);
    free(data);
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_files WHERE submission_id = %ld", id);
    ck_assert_int_eq(harness_sql_long(DB, q), 0);
}
END_TEST

START_TEST(servers_exit_cleanly)
{
    ck_assert_int_eq(harness_server_stop(&small), 0);
    ck_assert_int_eq(harness_server_stop(&srv), 0);
}
END_TEST

Suite *make_files_suite(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("files");
    tcase_add_unchecked_fixture(tc, start_all, stop_all);
    tcase_add_checked_fixture(tc, harness_test_setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, uploads_of_each_type_are_stored_with_their_sha256);
    tcase_add_test(tc, type_comes_from_the_leading_bytes);
    tcase_add_test(tc, bad_filenames_are_422_on_file);
    tcase_add_test(tc, declared_length_over_the_cap_is_413_before_the_body);
    tcase_add_test(tc, chunked_body_growing_past_the_cap_is_413);
    tcase_add_test(tc, refused_before_the_body_reads_it_and_keeps_the_connection);
    tcase_add_test(tc, quota_of_ten_files_and_25_mib);
    tcase_add_test(tc, quota_holds_under_concurrent_uploads);
    tcase_add_test(tc, uploads_in_flight_are_bounded);
    tcase_add_test(tc, download_headers_and_bytes);
    tcase_add_test(tc, downloads_across_slice_ends);
    tcase_add_test(tc, downloads_keep_their_connections);
    tcase_add_test(tc, who_sees_which_files);
    tcase_add_test(tc, delete_while_open_then_409);
    tcase_add_test(tc, only_members_upload);
    tcase_add_test(tc, servers_exit_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
