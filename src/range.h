/*
 * HTTP Range and validators for downloads (RFC 9110 sections 13.1 and 14):
 * a single byte range, If-Range, If-None-Match.  Pure.
 */
#ifndef VD_RANGE_H
#define VD_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum range_result {
	RANGE_FULL,		/* no usable Range: send the whole value (200) */
	RANGE_PARTIAL,		/* send [off, off + len) (206) */
	RANGE_UNSATISFIABLE	/* 416 */
};

/*
 * Interprets a Range header value for a value of length bytes.  Only one
 * "bytes=" range is honoured; several ranges, other units or bad syntax
 * are ignored (RFC 9110 section 14.2 lets a server ignore Range).
 */
enum range_result	range_parse(const char *value, uint64_t length, uint64_t *off, uint64_t *len);
/*
 * True when the If-None-Match value (a list of entity tags, or "*") matches
 * etag (the quoted strong tag we send; NULL for a value that has none,
 * which only "*" matches).  Weak comparison, as RFC 9110 section 13.1.2
 * asks for If-None-Match.
 */
bool			etag_list_matches(const char *value, const char *etag);
/*
 * Writes the strong entity tag of byte-array row id at revision rev,
 * "<id>-<rev>" in quotes, into buf (cap bytes with the NUL).  False, and
 * buf empty, when id holds a byte an entity tag cannot carry (RFC 9110
 * section 8.8.3: etagc is %x21 / %x23-7E, so no quote, space or control
 * byte) or the tag does not fit: the id comes from the database, and no
 * header may carry a raw CR or LF (spec section 7).
 */
bool			etag_make(char *buf, size_t cap, const char *id, int64_t rev)
			    __attribute__((warn_unused_result));

#endif
