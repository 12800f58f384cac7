/*
 * Reading a POST body: the FastCGI input goes through the multipart parser
 * in VD_IO_CHUNK slices; the "data" part streams into a new byte-array row
 * as it arrives, the small text parts (valueType, variableType, type) are
 * kept, and a JSON data part is checked (jsoncheck.h) on the way through.
 * Nothing here decides what the request means: handler.c does, once the
 * whole body has been read.
 */
#ifndef VD_UPLOAD_H
#define VD_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>

#include "conf.h"
#include "error.h"
#include "store.h"

struct form_field {
	bool	 present;
	bool	 is_text;	/* Content-Type absent or containing text/plain */
	char	*value;		/* NUL-terminated, at most max_field bytes */
	size_t	 len;
	char	 part[16];	/* the part name it came in ("valueType" or "variableType") */
};

enum json_state {
	JSON_UNCHECKED,		/* the data part was not application/json */
	JSON_VALID,
	JSON_NULL,		/* the literal null */
	JSON_INVALID,		/* reason in json_error */
	JSON_TOO_LARGE		/* over --max-json */
};

struct upload {
	bool			 has_data;
	char			 ba_id[37];	/* the byte-array row holding the data part */
	char			*filename;	/* NULL when the data part had none */
	size_t			 filename_len;
	/* Why the data part's filename cannot be stored, or VD_OK: only a File value refuses it. */
	enum vd_err		 filename_err;
	char			*content_type;	/* the data part's Content-Type, NULL when absent */
	struct form_field	 value_type;	/* valueType, else variableType */
	struct form_field	 type;		/* the deprecated Java type name */
	enum json_state		 json;
	char			 json_error[128];
};

/*
 * Reads the whole body (boundary from the request's Content-Type) inside
 * the caller's store transaction.  name is the variable name (NAME_ of the
 * byte-array row).  Returns a parser or limit error, VD_ERR_CLIENT when the
 * input broke, or a store error.
 */
enum vd_err	upload_read(FCGX_Stream *in, const char *boundary, size_t boundary_len,
		    const struct vd_limits *limits, struct store *st, const char *name,
		    struct upload *up) VD_MUSTCHECK;
void		upload_free(struct upload *up);

#endif
