/*
 * files.c - the attachments of a case: a confirmed member of the case's
 * organisation uploads (multipart, field `file`, optional `visibility`
 * public or jury) and deletes files while submission is open; those who
 * may read the case list and download all its files, and anyone may list
 * and download the public files of a public candidate (convene_file_access
 * in sql/migrations/0011_files.sql decides who sees what). Jury files are
 * never shown to the public.
 *
 * An upload is checked in SQL before its body is read (the case, the
 * member, the window, the quota), so a refusal costs no transfer; the body
 * is then read with no database connection held, by at most
 * CONVENE_UPLOADS_IN_FLIGHT requests at once (each holds up to
 * CONVENE_UPLOAD_LIMIT bytes), and stored in one statement that checks the
 * quota again under the case's row lock. The type comes from the leading
 * bytes only. Bytes travel to and from PostgreSQL in binary format;
 * downloads stream 64 KiB slices with a connection borrowed per slice, so
 * a slow reader holds no connection and one slice of memory (FILE_SLICE
 * says why 64 KiB rather than 1 MB).
 */
#include "awards/awards.h"

#include "api/api.h"
#include "api/app.h"
#include "api/auth.h"
#include "awards/internal.h"
#include "base/config.h"
#include "base/util.h"
#include "db/db.h"
#include "formats/attachment.h"
#include "http/http.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Bytes of a file read from PostgreSQL per round trip while downloading:
 * the memory a download holds and the round trips it costs (size /
 * FILE_SLICE) are traded here, and only here. The issue says 1 MB chunks;
 * the server's memory is what it promises (RSS growth < 5 MB with 16
 * concurrent 10 MB downloads), and 64 KiB keeps that promise where 1 MB
 * cannot. A download in flight holds its slice twice: in the result being
 * written to the client, and in the libpq input buffer of the connection
 * that read it, which libpq grows to the largest row it has read and
 * never shrinks (one per pooled connection, for good). With 16 concurrent
 * downloads of 10 MiB (bench/run.sh's download line, a fresh server opening 15
 * connections) the RSS grew by 25-33 MiB with 1 MiB slices (most of it
 * stayed: glibc keeps freed 1 MiB blocks once its mmap threshold has
 * risen), 6-9 MiB with 256 KiB, 4-5 MiB with 128 KiB and 2-3 MiB with
 * 64 KiB (under 1 MiB once the connections were open). The round trips
 * cost no time: 160 of them took 0.5-0.9x the time of psql's binary COPY
 * of the bytea against 0.9-1.05x for 10 slices of 1 MiB (small slices stay
 * in the CPU caches and need no fresh pages on either side). glibc's
 * malloc plays no part: every block of a download is below its 128 KiB
 * mmap threshold, which only rises (and keeps freed memory) for larger
 * ones; MALLOC_MMAP_THRESHOLD_=131072 (what a mallopt at start-up would
 * fix) changed no figure with 64 KiB slices.
 *
 * Nothing else bounds the slices in memory: a download holds one slice
 * only while writing it (16 downloads: 1 MiB), and a semaphore over slices
 * would have to be held during that write, so a slow reader would stall
 * the others; the pool bounds the slices being read. A slice stays far below DB_BUFFER_KEEP
 * (src/db/db.c), so downloads never make the pool reconnect.
 */
#define FILE_SLICE 65536
/* FILE_SLICE as the text of a statement parameter. */
#define SLICE_TEXT_(n) #n
#define SLICE_TEXT(n)  SLICE_TEXT_(n)
#define SQL_SLICE      SLICE_TEXT(FILE_SLICE)

static int st_check = -1, st_add = -1, st_list = -1, st_head = -1, st_slice = -1, st_delete = -1;

/* Uploads being received now (CONVENE_UPLOADS_IN_FLIGHT bounds it). */
static atomic_int uploads_in_flight;

void files_statements(void)
{
    /* Before the body: is there room for one byte more (a full case is
     * refused without a transfer)? */
    st_check = db_register("aw_file_check", "SELECT convene_file_check($1, $2, $3, 1)");
    st_add =
        db_register("aw_file_add", "SELECT convene_file_add($1, $2, $3, $4, $5, $6, $7, $8)::text");
    st_list = db_register("aw_file_list", "SELECT convene_files_json($1, $2, $3)::text");
    /* The file's name, type and size (as text) and its first slice, in
     * binary format (text values are their bytes): one round trip for a
     * file of up to FILE_SLICE bytes. */
    st_head = db_register(
        "aw_file_head",
        "SELECT f.filename, f.content_type, f.size::text, substring(f.data from 1 for $5::integer) "
        "FROM submission_files f, convene_file_access($1, $3, $4) v(access) "
        "WHERE f.id = $2 AND f.submission_id = $1 "
        "AND (v.access = 'all' OR (v.access = 'public' AND f.visibility = 'public'))");
    st_slice =
        db_register("aw_file_slice", "SELECT substring(data from $2::integer for $3::integer) "
                                     "FROM submission_files WHERE id = $1");
    st_delete = db_register("aw_file_delete", "SELECT convene_file_delete($1, $2, $3, $4)");
}

/* Checks the form's parts into x->f: one file with an acceptable name and
 * type, visibility public or jury, nothing else. Returns the file's type
 * (NULL when refused) and the visibility in *visibility. */
static const char *check_form(struct api_ctx *x, const struct http_form *form,
                              const char **visibility)
{
    *visibility = "public";
    for (size_t i = 0; i < form->nvalues; i++) {
        const struct http_form_value *v = &form->values[i];
        if (str_eq(v->name, "visibility") && !v->has_filename) {
            if (str_eq(v->value, "public") || str_eq(v->value, "jury"))
                *visibility = v->value;
            else
                api_field_error(&x->f, "visibility", "invalid_choice", "Must be public or jury.");
        } else if (!str_eq(v->name, "file")) {
            /* A field name may hold anything: only a safe one is echoed. */
            const char *name = v->name[0] != '\0' && strlen(v->name) <= 64 &&
                                       str_valid_utf8(v->name, strlen(v->name))
                                   ? v->name
                                   : "(field)";
            api_field_error(&x->f, name, "unknown_member", "Not a field of this form.");
        }
    }
    if (!form->has_file) {
        api_field_error(&x->f, "file", "required",
                        "Attach a PDF, PNG or JPEG file in the field \"file\", with its name.");
        return NULL;
    }
    if (form->file_parts > 1) {
        api_field_error(&x->f, "file", "invalid_format", "Send one file per request.");
        return NULL;
    }
    if (form->filename_len > ATTACHMENT_NAME_MAX) {
        api_field_error(&x->f, "file", "too_long",
                        "The file's name must be at most 200 bytes long.");
        return NULL;
    }
    if (!attachment_name_ok(form->filename, form->filename_len)) {
        api_field_error(&x->f, "file", "invalid_filename",
                        "The file's name must be UTF-8 text without control characters, '/' "
                        "or '\\'.");
        return NULL;
    }
    const char *type = attachment_sniff(form->data, form->len);
    if (type == NULL)
        api_field_error(&x->f, "file", "unsupported_type",
                        "Only PDF, PNG and JPEG files are accepted.");
    return type;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

void files_upload(struct http_req *req)
{
    bool slot = false;
    /* A refusal before the body (401, 404, 409, ...) reads and drops a
     * body that could be a file, so the client (or nginx) gets it. */
    http_set_drain_limit(req, api_app(req)->cfg->upload_limit + HTTP_FORM_OVERHEAD);
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *me = api_num(req, x.me->id);
    const char *staff = awards_staff(x.me) ? "true" : "false";
    const char *pre[] = {id, me, staff};
    struct db_result *r = db_run(x.c, st_check, 3, pre);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    db_result_free(r);
    api_db_release(&x); /* no connection is held while the body arrives */

    const struct config *cfg = api_app(req)->cfg;
    if (atomic_fetch_add(&uploads_in_flight, 1) >= cfg->uploads_in_flight) {
        atomic_fetch_sub(&uploads_in_flight, 1);
        http_add_header(req, "Retry-After", "1");
        http_reply_error(req, 503, "uploads_busy",
                         "Too many files are being uploaded right now; please retry in a moment.");
        goto out;
    }
    slot = true;
    struct http_form form;
    if (http_read_form(req, "file", (size_t)cfg->upload_limit, &form) != 0)
        goto out;
    const char *visibility;
    const char *type = check_form(&x, &form, &visibility);
    if (api_check(&x) != 0)
        goto out;

    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, form.data, form.len);
    if (api_db(&x) != 0)
        goto out;
    if (db_begin(x.c) != 0) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    static const unsigned char empty[1];
    const char *values[] = {id,
                            me,
                            staff,
                            form.filename,
                            type,
                            visibility,
                            (const char *)digest,
                            form.data ? (const char *)form.data : (const char *)empty};
    const int lengths[] = {0, 0, 0, 0, 0, 0, (int)sizeof digest, (int)form.len};
    const int binary[] = {0, 0, 0, 0, 0, 0, 1, 1};
    r = db_run_params(x.c, st_add, 8, values, lengths, binary, false);
    if (r == NULL) {
        api_fail_tx(&x);
        goto out;
    }
    const char *text = http_strdup(req, db_value(r, 0, 0));
    db_result_free(r);
    json_t *file = json_loads(text, 0, NULL);
    char sha[2 * crypto_hash_sha256_BYTES + 1];
    hex_encode(digest, sizeof digest, sha);
    json_t *details =
        json_pack("{s:O?,s:s,s:s,s:I,s:s,s:s}", "file_id", json_object_get(file, "id"), "filename",
                  form.filename, "content_type", type, "size", (json_int_t)form.len, "sha256", sha,
                  "visibility", visibility);
    json_decref(file);
    int rc = awards_commit_audited(&x, "submission.file_added", "submission", id, details);
    json_decref(details);
    if (rc == 0)
        http_reply(req, 201, "application/json", text, strlen(text));
out:
    if (slot)
        atomic_fetch_sub(&uploads_in_flight, 1);
    api_end(&x);
}

void files_list(struct http_req *req)
{
    awards_read(req, 0, API_CALLER_OPTIONAL, st_list, AWARDS_ID | AWARDS_CALLER | AWARDS_STAFF,
                "case");
}

/* Sends the rest of file `file_id` (size bytes, the first `sent` of them
 * already sent) one slice per round trip, with a connection borrowed for
 * each. Returns 0, or -1 when the file or the client went away. */
static int send_rest(struct http_req *req, const char *file_id, unsigned long long size,
                     unsigned long long sent)
{
    struct db_pool *pool = api_app(req)->db;
    while (sent < size) {
        struct db_conn *c = db_acquire(pool);
        if (c == NULL)
            return -1;
        char from[24];
        snprintf(from, sizeof from, "%llu", sent + 1);
        const char *p[] = {file_id, from, SQL_SLICE};
        struct db_result *r = db_run_params(c, st_slice, 3, p, NULL, NULL, true);
        db_release(c); /* the result outlives the connection's loan */
        size_t n = db_value_len(r, 0, 0);
        unsigned long long want = size - sent < FILE_SLICE ? size - sent : FILE_SLICE;
        int rc = r != NULL && db_nrows(r) == 1 && n == want
                     ? http_stream_write(req, db_value(r, 0, 0), n)
                     : -1;
        db_result_free(r);
        if (rc != 0)
            return -1;
        sent += n;
    }
    return 0;
}

void files_download(struct http_req *req)
{
    struct api_ctx x;
    if (api_begin(&x, req, 0, API_CALLER_OPTIONAL) != 0)
        goto out;
    const char *file_id = http_param(req, "file_id");
    const char *p[] = {http_param(req, "id"), file_id, x.me ? api_num(req, x.me->id) : NULL,
                       awards_staff(x.me) ? "true" : "false", SQL_SLICE};
    struct db_result *r = db_run_params(x.c, st_head, 5, p, NULL, NULL, true);
    if (r == NULL) {
        api_reply_db_error(req, x.c);
        goto out;
    }
    api_db_release(&x);
    if (db_nrows(r) != 1) {
        db_result_free(r);
        api_reply_not_found(req, "file");
        goto out;
    }
    char disposition[ATTACHMENT_DISPOSITION_MAX];
    attachment_disposition(db_value(r, 0, 0), db_value_len(r, 0, 0), disposition,
                           sizeof disposition);
    char *type = http_strdup(req, db_value(r, 0, 1));
    unsigned long long size = strtoull(db_value(r, 0, 2), NULL, 10);
    http_add_header(req, "Content-Disposition", disposition);
    http_add_header(req, "Content-Security-Policy", "sandbox");
    http_add_header(req, "Cache-Control", "private");
    http_stream_begin_length(req, 200, type, size);
    size_t first = db_value_len(r, 0, 3);
    int rc = http_stream_write(req, db_value(r, 0, 3), first);
    db_result_free(r);
    if (rc != 0 || (!str_eq(http_method(req), "HEAD") && send_rest(req, file_id, size, first) != 0))
        http_stream_abort(req);
out:
    api_end(&x);
}

void files_delete(struct http_req *req)
{
    static const char *const nothing[] = {NULL};
    struct api_ctx x;
    if (api_begin(&x, req, 0, AUTH_VERIFIED) != 0 || api_body(&x, true, nothing, NULL) != 0 ||
        api_check(&x) != 0)
        goto out;
    const char *id = http_param(req, "id");
    const char *file_id = http_param(req, "file_id");
    const char *p[] = {id, file_id, api_num(req, x.me->id), awards_staff(x.me) ? "true" : "false"};
    struct db_result *r = awards_run_begun(&x, st_delete, 4, p);
    if (r == NULL)
        goto out;
    json_t *details = json_pack("{s:I,s:s?}", "file_id", (json_int_t)strtoll(file_id, NULL, 10),
                                "filename", db_value(r, 0, 0));
    db_result_free(r);
    int rc = awards_commit_audited(&x, "submission.file_deleted", "submission", id, details);
    json_decref(details);
    if (rc == 0)
        http_reply_json(
            req, 200,
            json_pack("{s:I,s:b}", "id", (json_int_t)strtoll(file_id, NULL, 10), "deleted", true));
out:
    api_end(&x);
}
