/*
 * Media types and header parameters (RFC 2045 section 5.1, RFC 9110 section
 * 8.3.1): "type/subtype *(; name=value)", value a token or a quoted-string.
 * Pure: no I/O, no globals.
 */
#ifndef VD_MIME_H
#define VD_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define MIME_MAX_PARAMS	16

struct mime_param {
	char	*name;		/* lower-cased */
	char	*value;		/* quoted-string unescaped */
	size_t	 value_len;
};

struct mime {
	char			*base;		/* lower-cased "type/subtype" */
	struct mime_param	 params[MIME_MAX_PARAMS];
	size_t			 nparams;
	char			*storage;	/* owns every string above */
};

/*
 * Parses a Content-Type value.  Returns VD_OK, VD_ERR_MIME (not
 * "type/subtype[; params]": empty, no slash, a byte outside token
 * characters, a control byte, a bad quoted-string, too many parameters) or
 * VD_ERR_NOMEM.  On success m must be released with mime_free(); on error
 * m is cleared (mime_free() on it is harmless).  As javax.activation does
 * (Camunda's parser), whitespace around "=" is accepted; empty parameters
 * (";;", a trailing ";") are skipped (RFC 9110 section 5.6.6).  HTAB is
 * accepted only as OWS, never inside a quoted-string.
 */
enum vd_err	 mime_parse(const char *value, size_t len, struct mime *m) VD_MUSTCHECK;
void		 mime_free(struct mime *m);
/* The value of parameter name (matched case-insensitively), or NULL; the last one when a name repeats. */
const struct mime_param *mime_param(const struct mime *m, const char *name);

/*
 * Parses "; name=value" parameters starting at s[0..len) (the part after the
 * first token of a header value, as in Content-Disposition).  Same rules
 * and return values as mime_parse (an empty s is no parameters), but a
 * quoted string keeps its backslashes, as Camunda's parser does (see
 * copy_quoted() in mime.c); m->base is NULL.  The caller frees with
 * mime_free().
 */
enum vd_err	 mime_parse_params(const char *s, size_t len, struct mime *m) VD_MUSTCHECK;

/* True when s is a safe "type/subtype" to emit in a header: two RFC 9110 tokens and one slash. */
bool		 mime_base_valid(const char *s, size_t len);
/* True when s is a non-empty RFC 9110 token (a safe charset or encoding name). */
bool		 mime_token_valid(const char *s, size_t len);

#endif
