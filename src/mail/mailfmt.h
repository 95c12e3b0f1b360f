/*
 * mailfmt.h - header-safe pieces of an email: address validation, RFC 2047
 * encoded-words for non-ASCII header text, "Name <addr>" mailboxes, RFC 5322
 * dates, Message-IDs and CRLF line ends for bodies. Pure code: no network,
 * no database; the mail sender builds its headers only from these.
 *
 * Every function that returns a string returns a new one the caller frees
 * with free(). NULL from those functions means "refused" (an invalid or
 * unsafe input): callers must treat it as an error and not send the mail.
 */
#ifndef CONVENE_MAILFMT_H
#define CONVENE_MAILFMT_H

#include <stdbool.h>
#include <stdint.h>

/* Longest encoded-word mailfmt_encode_header_text produces. RFC 2047 allows
 * 75; we stay at 64 so that a first line such as "Subject: " + word keeps
 * within the 76 characters RFC 2047 asks of lines carrying encoded-words. */
#define MAILFMT_WORD_MAX 64

/* ASCII header text longer than this is encoded anyway, so that folding keeps
 * every header line far below SMTP's 998-character limit. */
#define MAILFMT_PLAIN_MAX 900

/*
 * True when addr is a plain addr-spec we are willing to put in MAIL FROM,
 * RCPT TO and headers: at most 254 bytes; a local part of 1..64 atext
 * characters and single interior dots (no quoted local parts); one '@'; a
 * domain of at least two LDH labels (1..63 characters, no hyphen at either
 * end) whose last label is not all digits. So "user@localhost", IP literals,
 * spaces, CR/LF, angle brackets, commas, double quotes and non-ASCII (no
 * SMTPUTF8) are all rejected. NULL is rejected.
 */
bool mailfmt_valid_address(const char *addr);

/*
 * Makes UTF-8 text safe for an unstructured header (Subject) or a display
 * name. Printable ASCII without "=?" and at most MAILFMT_PLAIN_MAX bytes
 * comes back unchanged; anything else becomes one or more
 * "=?UTF-8?B?...?=" encoded-words of at most MAILFMT_WORD_MAX characters,
 * joined by CRLF SP (header folding), never splitting a UTF-8 sequence
 * between words. Returns NULL for NULL, for text containing CR, LF or NUL and
 * for invalid UTF-8. Returns a new string; the caller frees it.
 */
char *mailfmt_encode_header_text(const char *utf8);

/*
 * Formats a mailbox for From/To/Reply-To: "Display <addr>". The display name
 * is left as is when it is ASCII atoms separated by single spaces, written as
 * a quoted-string when it is printable ASCII with specials (e.g. a comma or
 * a dot), and RFC 2047-encoded otherwise. A NULL or empty display name gives
 * the bare address. Returns NULL when addr fails mailfmt_valid_address or
 * the name contains CR, LF or NUL or is not UTF-8. The caller frees the
 * result.
 */
char *mailfmt_mailbox(const char *display_name, const char *addr);

/*
 * Writes the RFC 5322 date of wall_ms (milliseconds since the epoch) in UTC,
 * e.g. "Mon, 24 Apr 2023 09:00:00 +0000" (day always two digits, as in
 * "Sat, 01 Jul 2023"), into out. English day and month
 * names whatever the locale. Milliseconds are dropped (rounded down).
 */
void mailfmt_date(int64_t wall_ms, char out[64]);

/*
 * Returns a new Message-ID "<32 random hex digits@domain>", the caller frees
 * it. domain must be a host name of LDH labels (a single label such as
 * "localhost" is fine here). Calls sodium_init() itself, which is idempotent
 * and thread-safe. Returns NULL when domain is NULL or invalid or libsodium
 * cannot be initialised.
 */
char *mailfmt_message_id(const char *domain);

/*
 * Returns a copy of text with every line end as CRLF: CRLF stays, a lone LF
 * and a lone CR each become CRLF. NULL gives NULL. The caller frees the
 * result. (SMTP dot-stuffing is libcurl's job, not this one.)
 */
char *mailfmt_crlf(const char *text);

#endif
