/*
 * attachment.h - pure helpers for files people attach and download: the
 * type judged from the leading bytes only (never the name or the type the
 * client claims), the filenames accepted for storage, and the
 * Content-Disposition header that names a download. No allocation, no I/O.
 */
#ifndef CONVENE_ATTACHMENT_H
#define CONVENE_ATTACHMENT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest filename accepted, in bytes. */
#define ATTACHMENT_NAME_MAX 200

/* Room attachment_disposition needs for any accepted filename, with its
 * NUL: the prefix and every byte as %XX. */
#define ATTACHMENT_DISPOSITION_MAX (32 + 3 * ATTACHMENT_NAME_MAX)

/*
 * The media type of the len bytes at data, from their first bytes alone:
 * "application/pdf" for "%PDF-", "image/png" for the 8-byte PNG signature
 * (89 50 4E 47 0D 0A 1A 0A), "image/jpeg" for FF D8 FF. NULL for anything
 * else (and for too few bytes). data may be NULL when len is 0. Returns a
 * static string.
 */
const char *attachment_sniff(const void *data, size_t len);

/*
 * True when the len bytes at name are a filename fit to store and send
 * back: 1..ATTACHMENT_NAME_MAX bytes of valid UTF-8 (no NUL), with no
 * control character (C0, DEL, C1), no line or paragraph separator
 * (U+2028, U+2029), no bidirectional formatting character (U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069: they make "cod.exe" display as another
 * name), no byte order mark, and no '/' or '\'. name may be NULL when len
 * is 0.
 */
bool attachment_name_ok(const char *name, size_t len);

/*
 * Writes the value of a Content-Disposition header for downloading a file
 * called name (len bytes, any bytes) into out (outlen bytes):
 * "attachment; filename*=UTF-8''" followed by the name with every byte
 * that is not an RFC 8187 attr-char written as %XX (upper-case hex), then a
 * NUL. The value holds no quote, space, CR or LF whatever name holds.
 * Returns its length, or 0 (out holding "" when outlen > 0) when out is too
 * small.
 */
size_t attachment_disposition(const char *name, size_t len, char *out, size_t outlen);

#endif
