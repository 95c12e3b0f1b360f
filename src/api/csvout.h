/*
 * csvout.h - a CSV answer streamed from PostgreSQL's COPY: the header row
 * and the rows of a query go out in chunks (constant memory), UTF-8 with
 * the byte order mark, CRLF row ends, RFC 4180 quoting. Used by every CSV
 * export (participants, award cases, scores, votes).
 *
 * The status line and the header row are gone before COPY has produced a
 * row, so a COPY that fails later (a statement error, a lost database
 * connection) cannot be answered with an error status any more. What the
 * client can still be told is that the file is incomplete: the
 * terminating zero-length chunk, which says "this is the whole body", is
 * sent only after COPY finished cleanly. On a failure the stream is
 * aborted instead (http_stream_abort): no terminating chunk and the
 * connection closed, which every HTTP/1.1 client reports as a truncated
 * transfer (curl: error 18), never as a complete file.
 */
#ifndef CONVENE_CSVOUT_H
#define CONVENE_CSVOUT_H

#include <stddef.h>

struct http_req;
struct db_conn;

/*
 * Answers req with 200 text/csv as an attachment named filename (plain
 * ASCII without quotes, at most 150 bytes): the BOM, the header row (ncols
 * cells, borrowed), then the output of COPY (select) ... (FORMAT csv,
 * FORCE_QUOTE *). select is SQL text built only from trusted parts (no
 * parameters: COPY takes none); its text columns must already be passed
 * through convene_csv_safe so that formula-looking cells are neutralised.
 * Always answers (see the top of the file for failures part-way).
 */
void csvout_stream(struct http_req *req, struct db_conn *c, const char *filename,
                   const char *const *header, size_t ncols, const char *select);

#endif
