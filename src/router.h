/*
 * The request router: a pure function from the raw REQUEST_URI to the
 * resource it names.  It splits the path itself and percent-decodes each
 * segment separately, so "%2F" stays part of a variable name (RFC 3986,
 * section 2.4: decode only after splitting into components).
 */
#ifndef VD_ROUTER_H
#define VD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum route_scope {
	SCOPE_TASK,
	SCOPE_PROCESS_INSTANCE,
	SCOPE_EXECUTION,
	SCOPE_CASE_INSTANCE,
	SCOPE_CASE_EXECUTION,
	SCOPE_VARIABLE_INSTANCE
};

/* Bits of struct route.allow. */
#define ROUTE_GET	0x1u
#define ROUTE_HEAD	0x2u
#define ROUTE_POST	0x4u

struct route {
	enum route_scope scope;
	bool		 local;		/* .../localVariables/... */
	const char	*id;		/* decoded, NUL-terminated, points into the caller's buffer */
	size_t		 id_len;
	const char	*name;		/* decoded variable name; NULL for /variable-instance */
	size_t		 name_len;
	unsigned	 allow;		/* ROUTE_* methods this resource answers */
};

/*
 * Parses uri (the raw REQUEST_URI, query string allowed and ignored) below
 * base (e.g. "/engine-rest", may be "").  Both "<base>/..." and
 * "<base>/engine/default/..." are accepted.  Decoded segments are written to
 * buf, which must hold at least strlen(uri) + 2 bytes.
 *
 * Returns VD_OK, VD_ERR_NO_ROUTE (unknown path, empty or "." / ".." segment,
 * raw or decoded), VD_ERR_NO_ENGINE (a path that would be one of ours under
 * an engine name other than "default"), VD_ERR_BAD_PATH (bad
 * percent-encoding, a decoded NUL, or invalid UTF-8 in id or name), or
 * VD_ERR_INTERNAL when buf is too small.  A path that is not ours is
 * VD_ERR_NO_ROUTE whatever else is wrong with it, and VD_ERR_NO_ENGINE comes
 * before any look at the id and name.
 */
enum vd_err	route_parse(const char *base, const char *uri, char *buf, size_t bufsz,
		    struct route *out) VD_MUSTCHECK;

/* Writes the Allow header value for allow ("GET, HEAD, POST") into out. */
void		route_allow_header(unsigned allow, char *out, size_t outsz);

/*
 * Decodes %XX escapes of s[0..len) into out (which holds len + 1 bytes) and
 * NUL-terminates it.  "+" is not special in a path.  Returns false on a
 * malformed escape or a decoded NUL byte.
 */
bool		pct_decode(const char *s, size_t len, char *out, size_t *outlen);

#endif
