#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "defaults.h"
#include "error.h"

/*
 * Status, exception type and message per error: spec section 8.  The type
 * names are those of the Camunda REST API so that clients which switch on
 * "type" keep working.
 */
_Static_assert(VD_MAX_VALUE == 1073676288ULL, "VD_ERR_VALUE_LIMIT's message names VD_MAX_VALUE");

static const struct vd_errinfo errtab[VD_ERR__COUNT] = {
	[VD_OK] = { 200, "", "", -1 },
	[VD_ERR_NOMEM] = { 500, "RestException", "out of memory", -1 },
	[VD_ERR_INTERNAL] = { 500, "RestException", "internal error, see the service log", -1 },
	[VD_ERR_DB_UNAVAILABLE] = { 503, "RestException", "the database is not available; try again later", -1 },
	[VD_ERR_NO_ENGINE] = { 404, "RestException", "No process engine available", -1 },
	[VD_ERR_NO_ROUTE] = { 404, "RestException", "no resource at this path", -1 },
	[VD_ERR_BAD_PATH] = { 400, "RestException",
	    "invalid path: bad percent-encoding, NUL byte or invalid UTF-8", -1 },
	[VD_ERR_METHOD] = { 405, "RestException", "method not allowed on this resource", -1 },
	[VD_ERR_MEDIA_TYPE] = { 415, "RestException",
	    "the request body must be multipart/form-data with a boundary", -1 },
	[VD_ERR_MULTIPART] = { 400, "RestException", "multipart/form-data cannot be processed", -1 },
	[VD_ERR_BODY_LIMIT] = { 413, "RestException", "request body exceeds the size limit", -1 },
	[VD_ERR_VALUE_LIMIT] = { 413, "RestException",
	    "the value exceeds the limit of 1073676288 bytes (1 GiB less 64 KiB) for one bytea", -1 },
	[VD_ERR_PART_COUNT] = { 400, "RestException", "too many parts in multipart/form-data", -1 },
	[VD_ERR_PART_HEADER] = { 400, "RestException", "part header exceeds the size limit", -1 },
	[VD_ERR_FILENAME] = { 400, "RestException", "filename exceeds the length limit", -1 },
	[VD_ERR_FIELD] = { 400, "RestException", "form field exceeds the size limit", -1 },
	[VD_ERR_INVALID] = { 400, "InvalidRequestException", "invalid request", -1 },
	[VD_ERR_UNSUPPORTED_TYPE] = { 400, "RestException", "Unsupported value type", -1 },
	[VD_ERR_MIME] = { 400, "RestException", "Invalid mime type given", -1 },
	[VD_ERR_NOT_FOUND] = { 404, "InvalidRequestException", "not found", -1 },
	[VD_ERR_PUT_FAILED] = { 500, "RestException", "Cannot put variable", 0 },
	[VD_ERR_RANGE] = { 416, "RestException", "requested range not satisfiable", -1 },
	[VD_ERR_CONFLICT] = { 500, "RestException",
	    "the database broke a deadlock with another transaction at this request's expense; try again",
	    -1 },
	[VD_ERR_TIMEOUT] = { 503, "RestException",
	    "the database cancelled a statement of this request (a lock or statement timeout); try again later",
	    -1 },
	[VD_ERR_CLIENT] = { 400, "RestException", "the request could not be read", -1 },
};

const struct vd_errinfo *
vd_errinfo(enum vd_err e)
{
	if ((unsigned)e >= VD_ERR__COUNT)
		e = VD_ERR_INTERNAL;
	return &errtab[e];
}

const char *
vd_strerror(enum vd_err e)
{
	return vd_errinfo(e)->message;
}

char *
vd_error_json(const char *type, const char *message, int code)
{
	struct json_object	*obj;
	const char		*s;
	char			*out = NULL;

	if ((obj = json_object_new_object()) == NULL)
		return NULL;
	/* json-c keeps insertion order, which is the order Camunda writes. */
	if (json_object_object_add(obj, "type", json_object_new_string(type)) != 0 ||
	    json_object_object_add(obj, "message", json_object_new_string(message)) != 0 ||
	    json_object_object_add(obj, "code", code < 0 ? NULL : json_object_new_int(code)) != 0)
		goto out;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s != NULL)
		out = strdup(s);
out:
	json_object_put(obj);
	return out;
}
