/*
 * An incremental multipart/form-data parser (RFC 7578, RFC 2046 section
 * 5.1.1).  It is fed the body in chunks of any size, split anywhere, and
 * calls back for each part; it never buffers a part's content, only the
 * part headers (bounded by max_header) and a boundary's length of
 * look-behind.  Pure: no I/O, no globals.
 */
#ifndef VD_MULTIPART_H
#define VD_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* RFC 2046 section 5.1.1: a boundary is 1 to 70 characters. */
#define MP_BOUNDARY_MAX	70

struct mp_part {
	const char	*name;		/* form field name (Content-Disposition name) */
	size_t		 name_len;
	const char	*filename;	/* NULL when absent */
	size_t		 filename_len;
	bool		 filename_bad;	/* one was sent that cannot be stored (struct disposition) */
	const char	*content_type;	/* raw Content-Type value, NULL when absent */
	size_t		 content_type_len;
};

/*
 * Callbacks return VD_OK to go on; any other value stops the parser and is
 * returned from mp_feed()/mp_finish().  The part passed to part_begin, and
 * the strings in it, stay valid until part_end returns; each string is also
 * NUL-terminated at its length.  part_data is never called with len 0.  A
 * NULL callback is skipped.  After an error no callback is called again
 * (so a part may get part_begin without part_end).
 */
struct mp_callbacks {
	enum vd_err	(*part_begin)(void *arg, const struct mp_part *part);
	enum vd_err	(*part_data)(void *arg, const char *buf, size_t len);
	enum vd_err	(*part_end)(void *arg);
};

struct mp_limits {
	size_t	max_parts;	/* VD_ERR_PART_COUNT beyond this many parts */
	size_t	max_header;	/* VD_ERR_PART_HEADER when one part's header block (its lines and the
				   empty line that ends them, CRLFs included) is longer */
};

struct mp_parser;

/* boundary is the boundary parameter of the Content-Type (without "--"). NULL on a bad boundary or no memory. */
struct mp_parser	*mp_new(const char *boundary, size_t boundary_len, const struct mp_limits *limits,
			    const struct mp_callbacks *cb, void *arg);
/* Feeds the next len bytes of the body. */
enum vd_err		 mp_feed(struct mp_parser *p, const char *buf, size_t len) VD_MUSTCHECK;
/*
 * The body has ended: VD_ERR_MULTIPART unless the close delimiter was seen.
 * A body of just the close delimiter ("--boundary--") is accepted with no
 * part at all; the caller reports the missing part it needs.
 */
enum vd_err		 mp_finish(struct mp_parser *p) VD_MUSTCHECK;
void			 mp_free(struct mp_parser *p);

#endif
