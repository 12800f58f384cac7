/*
 * Content-Disposition, both ways: parsing the header of a multipart part
 * (RFC 7578 section 4.2, with RFC 2231 / RFC 5987 "filename*"), and building
 * the header of a file download (RFC 6266).  Pure.
 */
#ifndef VD_DISPOSITION_H
#define VD_DISPOSITION_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct disposition {
	char	*name;		/* the form field name; never NULL on success */
	size_t	 name_len;
	char	*filename;	/* NULL when the part has none; filename* wins over filename */
	size_t	 filename_len;
	bool	 filename_bad;	/* one was sent but cannot be stored: filename is NULL */
	char	*storage;
};

/*
 * Parses a part's Content-Disposition value: "form-data; name=...;
 * filename=...".  Returns VD_OK, VD_ERR_MULTIPART (not form-data, no name,
 * bad syntax, which includes a raw control byte inside a quoted string, a
 * control byte or invalid UTF-8 in the name) or VD_ERR_NOMEM.  A filename
 * of invalid UTF-8, a filename* that decodes to a control byte or invalid
 * UTF-8, or one in another charset, sets filename_bad instead: only a
 * File value needs its filename, and refuses it then.  Free with disposition_free();
 * on error d is cleared.  filename="" gives filename "" (non-NULL, length 0).
 * The plain filename is not percent-decoded (Camunda does not); only
 * filename* (charset UTF-8 or ISO-8859-1) is.  A repeated parameter: the
 * last one wins.
 */
enum vd_err	disposition_parse(const char *value, size_t len, struct disposition *d) VD_MUSTCHECK;
void		disposition_free(struct disposition *d);

/*
 * Builds the download header value for filename (UTF-8):
 *   attachment; filename="<fallback>"; filename*=UTF-8''<pct>
 * <pct> encodes every byte but A-Z a-z 0-9 . - * _ as %XX (upper case), as
 * Java's URLEncoder does once its "+" is turned into "%20".  <fallback> is
 * the name with '"' and '\' backslash-escaped and every byte outside
 * printable ASCII replaced by '_'.  Returns a malloc'd string or NULL.
 */
char		*disposition_build(const char *filename, size_t len);

#endif
