/*
 * One error enumeration for the whole program.  Every fallible function
 * returns one of these; error.c maps each to the HTTP status, the Camunda
 * exception type and a default message, so a handler never invents a status.
 */
#ifndef VD_ERROR_H
#define VD_ERROR_H

#define VD_MUSTCHECK __attribute__((warn_unused_result))

enum vd_err {
	VD_OK = 0,
	VD_ERR_NOMEM,		/* 500: allocation failed */
	VD_ERR_INTERNAL,	/* 500: a bug or an unexpected database answer */
	VD_ERR_DB_UNAVAILABLE,	/* 503: no database connection */
	VD_ERR_NO_ENGINE,	/* 404: engine name other than "default" */
	VD_ERR_NO_ROUTE,	/* 404: no resource at this path */
	VD_ERR_BAD_PATH,	/* 400: bad percent-encoding, NUL or invalid UTF-8 in the path */
	VD_ERR_METHOD,		/* 405: method not allowed on an existing resource */
	VD_ERR_MEDIA_TYPE,	/* 415: request body is not multipart/form-data */
	VD_ERR_MULTIPART,	/* 400: malformed multipart body */
	VD_ERR_BODY_LIMIT,	/* 413: request body over --max-body */
	VD_ERR_VALUE_LIMIT,	/* 413: a value over PostgreSQL's bytea limit */
	VD_ERR_PART_COUNT,	/* 400: more parts than --max-parts */
	VD_ERR_PART_HEADER,	/* 400: part header block over --max-part-header */
	VD_ERR_FILENAME,	/* 400: filename longer than --max-filename characters */
	VD_ERR_FIELD,		/* 400: a text form field over --max-field */
	VD_ERR_INVALID,		/* 400: InvalidRequestException, message from the call site */
	VD_ERR_UNSUPPORTED_TYPE,/* 400: Unsupported value type '<as sent>' */
	VD_ERR_MIME,		/* 400: Invalid mime type given */
	VD_ERR_NOT_FOUND,	/* 404: InvalidRequestException, message from the call site */
	VD_ERR_PUT_FAILED,	/* 500: RestException code 0, "Cannot put ..." */
	VD_ERR_RANGE,		/* 416: unsatisfiable Range */
	VD_ERR_CONFLICT,	/* 500: the database failed a write to end a deadlock, every try */
	VD_ERR_TIMEOUT,		/* 503: lock_timeout, statement_timeout or a cancel request */
	VD_ERR_CLIENT,		/* the client (nginx) went away: nothing can be answered */
	VD_ERR__COUNT
};

struct vd_errinfo {
	int		 status;	/* HTTP status */
	const char	*type;		/* Camunda exception type name */
	const char	*message;	/* default message */
	int		 code;		/* JSON "code", -1 for null */
};

const struct vd_errinfo	*vd_errinfo(enum vd_err);
const char		*vd_strerror(enum vd_err);
/*
 * The JSON error body Camunda answers with, keys in its order:
 * {"type":"...","message":"...","code":null}.  code < 0 writes null.
 * Returns a malloc'd string or NULL when out of memory.
 */
char			*vd_error_json(const char *type, const char *message, int code);

#endif
