/*
 * An incremental JSON validator (RFC 8259): it reads a value in pieces of
 * any size and says whether it is well formed, and whether it is the
 * literal null, without building it.  Its memory is this structure, whatever
 * the input; a parser that builds the value (json-c) needs some 30 times the
 * text for an array of small numbers.
 */
#ifndef VD_JSONCHECK_H
#define VD_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of arrays and objects accepted (Jackson's default limit). */
#define JSONCK_MAX_DEPTH	1000

struct jsonck {
	uint64_t	 offset;	/* bytes read so far */
	const char	*error;		/* why the text is not JSON, or NULL */
	unsigned	 state;
	unsigned	 depth;
	unsigned	 pending;	/* UTF-8 continuation bytes, \u hex digits or literal letters still due */
	unsigned char	 lo, hi;	/* the range of the next UTF-8 continuation byte */
	const char	*literal;	/* the rest of true, false or null */
	bool		 key;		/* the string being read is an object's member name */
	bool		 null;		/* the value is the literal null */
	unsigned char	 objects[(JSONCK_MAX_DEPTH + 7) / 8];	/* per level: object (1) or array (0) */
};

void	jsonck_init(struct jsonck *j);
/* Reads more of the text; false once it cannot be JSON (j->error says why). */
bool	jsonck_feed(struct jsonck *j, const char *buf, size_t len);
/* The text has ended: true when it was one complete value. */
bool	jsonck_end(struct jsonck *j);

#endif
