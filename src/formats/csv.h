/*
 * csv.h - CSV for spreadsheets (RFC 4180): quoted cells with formula
 * injection neutralised, CRLF-terminated rows, the UTF-8 byte order mark
 * that makes Excel read UTF-8, and a streaming filter that turns the LF row
 * ends of PostgreSQL's COPY ... (FORMAT csv) output into CRLF. Pure code: no
 * database, no network, no allocation beyond the caller's strbuf.
 *
 * Every function that appends to a strbuf is all-or-nothing: on failure
 * (the buffer's cap would be exceeded) it returns -1 and leaves the buffer
 * exactly as it was.
 */
#ifndef CONVENE_CSV_H
#define CONVENE_CSV_H

#include <stddef.h>

#include "base/util.h"

/* Returns the UTF-8 byte order mark (EF BB BF) as a static NUL-terminated
 * string, to be written once at the very start of a file. Never NULL. */
const char *csv_bom(void);

/*
 * Appends one cell to out. NULL appends nothing (an empty, unquoted cell,
 * which is how PostgreSQL writes SQL NULL), so NULL and "" stay
 * distinguishable. Any other value is written between double quotes with
 * every inner '"' doubled; line breaks and commas stay inside the quotes.
 * A value starting with '=', '+', '-', '@', TAB or CR gets an apostrophe
 * in front so that a spreadsheet shows it as text instead of evaluating it
 * as a formula (OWASP "CSV injection"); this also applies to negative
 * numbers such as "-5", which then read as text. Bytes are copied as they
 * are (UTF-8 is not validated). Returns 0, or -1 with out unchanged.
 */
int csv_cell(strbuf *out, const char *value);

/*
 * Appends one row: the n cells as by csv_cell, separated by ',', then CRLF.
 * cells may hold NULL entries (empty cells); cells itself may be NULL only
 * when n is 0, which appends a bare CRLF. Returns 0, or -1 with out
 * unchanged.
 */
int csv_row(strbuf *out, const char *const *cells, size_t n);

/* ---- LF to CRLF for COPY output ---- */

/*
 * State of the COPY-output filter between chunks. Constant size whatever the
 * input: whether the filter is inside a quoted field, and whether the last
 * byte seen outside quotes was a CR (so that an existing CRLF split across
 * two chunks is not doubled). Treat the fields as private.
 */
struct csv_crlf {
    int in_quotes;
    int last_cr;
};

/* Prepares st for the start of a new CSV stream. */
void csv_crlf_init(struct csv_crlf *st);

/*
 * Appends the n bytes at in to out, with every LF that lies outside a quoted
 * field written as CRLF (an LF already preceded by CR outside quotes is left
 * alone). LF and CR inside quoted fields are copied untouched. Chunks may be
 * cut anywhere, even between the two quotes of an escaped "": feeding the
 * same stream in any chunking gives the same output. in may be NULL when n
 * is 0. Returns 0, or -1 when out's cap would be exceeded, in which case
 * neither out nor st has changed (the chunk can be retried or the stream
 * abandoned).
 */
int csv_crlf_feed(struct csv_crlf *st, const char *in, size_t n, strbuf *out);

#endif
