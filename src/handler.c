#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "defaults.h"
#include "disposition.h"
#include "handler.h"
#include "log.h"
#include "mime.h"
#include "range.h"
#include "router.h"
#include "text.h"
#include "upload.h"
#include "vartype.h"

/* How often a GET looks a value up again when it was replaced while being read. */
#define GET_ATTEMPTS	3

/* What a route addresses, in the words of Camunda's messages (spec section 8). */
struct scope_info {
	enum scope_kind	 kind;
	const char	*word;		/* "<scope> variable ..." */
};

static struct scope_info
scope_info(enum route_scope s)
{
	switch (s) {
	case SCOPE_TASK:
		return (struct scope_info){ SK_TASK, "task" };
	case SCOPE_PROCESS_INSTANCE:
		return (struct scope_info){ SK_EXECUTION, "process instance" };
	case SCOPE_EXECUTION:
		return (struct scope_info){ SK_EXECUTION, "execution" };
	case SCOPE_CASE_INSTANCE:
	case SCOPE_CASE_EXECUTION:
	case SCOPE_VARIABLE_INSTANCE:
		break;
	}
	return (struct scope_info){ SK_CASE_EXECUTION, "case execution" };
}

/* The engine's own words for a missing scope, as Camunda quotes them; -1 without memory. */
static int
missing_scope_text(char **out, enum scope_kind k, const char *id, bool put)
{
	if (k == SK_TASK)
		return asprintf(out, "task %s doesn't exist: task is null", id);
	if (k == SK_EXECUTION)
		return asprintf(out, "execution %s doesn't exist: execution is null", id);
	if (put)
		return asprintf(out, "There does not exist any case execution with id: '%s': "
		    "caseExecution is null", id);
	return asprintf(out, "case execution %s doesn't exist: caseExecution is null", id);
}

/* "Cannot get|put <scope> variable <name>: <engine text>" (spec section 8). */
static void
missing_scope(struct request *req, enum vd_err e, const struct route *rt, bool put)
{
	struct scope_info	 si = scope_info(rt->scope);
	char			*text = NULL;

	if (missing_scope_text(&text, si.kind, rt->id, put) < 0) {
		resp_error(&req->resp, VD_ERR_NOMEM, NULL);
		return;
	}
	resp_errorf(&req->resp, e, "Cannot %s %s variable %s: %s", put ? "put" : "get", si.word,
	    rt->name, text);
	free(text);
}

static bool
type_is_binary(const char *type)
{
	return strcmp(type, "bytes") == 0 || strcmp(type, "file") == 0 ||
	    strcmp(type, "serializable") == 0;
}

/*
 * Headers of a file download: the stored mime type and encoding, both
 * checked again before they reach a header (uploaders wrote them), and
 * Content-Disposition (RFC 6266).
 */
static const char *
file_headers(struct response *r, const struct var_value *v, char *ct, size_t ctsz)
{
	const char	*t2 = v->text2 ? v->text2 : "", *hash = strchr(t2, '#');
	size_t		 blen = hash ? (size_t)(hash - t2) : strlen(t2);
	const char	*enc = hash ? hash + 1 : "";
	char		*disp;

	/* TEXT2_ holds at most 4000 characters: ct always has room for a valid type and encoding. */
	if (blen > 0 && blen < ctsz && mime_base_valid(t2, blen))
		snprintf(ct, ctsz, "%.*s", (int)blen, t2);
	else
		snprintf(ct, ctsz, "application/octet-stream");
	if (*enc != '\0' && mime_token_valid(enc, strlen(enc)) && strlen(ct) + strlen(enc) + 11 < ctsz) {
		strcat(ct, "; charset=");
		strcat(ct, enc);
	}
	if (v->text == NULL)
		resp_header(r, "Content-Disposition", "attachment");
	else if ((disp = disposition_build(v->text, strlen(v->text))) != NULL) {
		resp_header(r, "Content-Disposition", disp);
		free(disp);
	} else
		return NULL;
	return ct;
}

struct body_sink {
	struct response		*resp;
	int			 status;
	const char		*content_type;
	uint64_t		 length;	/* of the body sent */
};

static enum vd_err
body_sink(void *arg, const char *buf, size_t len)
{
	struct body_sink	*bs = arg;
	enum vd_err		 e;

	/* Headers go out with the first slice: until then a replaced value can still be looked up again. */
	if (!bs->resp->started &&
	    (e = resp_start(bs->resp, bs->status, bs->content_type, (int64_t)bs->length)) != VD_OK)
		return e;
	return resp_body(bs->resp, buf, len);
}

/*
 * Validators and ranges (RFC 9110 sections 13 and 14): the ETag names the
 * byte-array row and its revision, which change whenever the value does,
 * so an interrupted download can resume with Range and If-Range.
 */
struct get_plan {
	char			etag[128];	/* empty when there is no byte array */
	bool			not_modified;	/* If-None-Match matched: 304 */
	enum range_result	rr;
	uint64_t		off, len;	/* the bytes to send */
};

/* Decides what a GET of binary value v answers, before anything is written. */
static void
get_plan(const struct request *req, const struct var_value *v, struct get_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->rr = RANGE_FULL;
	p->len = v->length;
	if (!v->has_bytes) {
		/* A null value is a current representation too: "*" matches it (RFC 9110 section 13.1.2). */
		p->not_modified = etag_list_matches(req->if_none_match, NULL);
		return;
	}
	if (!etag_make(p->etag, sizeof(p->etag), v->ba_id, v->ba_rev))
		log_warn("the value's byte-array id cannot be carried by an entity tag; no ETag sent");
	if (etag_list_matches(req->if_none_match, p->etag[0] != '\0' ? p->etag : NULL))
		p->not_modified = true;
	else if (req->range != NULL &&
	    (req->if_range == NULL || (p->etag[0] != '\0' && strcmp(req->if_range, p->etag) == 0)))
		p->rr = range_parse(req->range, v->length, &p->off, &p->len);
}

/* Whether the answer needs no more of the value than the lookup brought. */
static bool
get_plan_fits(const struct request *req, const struct get_plan *p, const struct var_value *v)
{
	return p->not_modified || p->rr == RANGE_UNSATISFIABLE || req->resp.head || p->len == 0 ||
	    p->off + p->len <= v->first_len;
}

/* Sends a found binary value; VD_ERR_NOT_FOUND when it was replaced meanwhile. */
static enum vd_err
send_value(struct request *req, struct store *st, const struct var_value *v,
    const struct get_plan *p)
{
	struct body_sink	bs = { &req->resp, 200, "application/octet-stream", p->len };
	char			ct[VD_TYPE_NAME_MAX_CHARS + 16], cr[96];

	if (p->etag[0] != '\0')
		resp_header(&req->resp, "ETag", p->etag);
	if (p->not_modified)
		return resp_start(&req->resp, 304, NULL, -1);
	resp_header(&req->resp, "Accept-Ranges", "bytes");
	/*
	 * An error answer: the value's length and validator, with which a
	 * client can ask again, but no Content-Disposition (it would name the
	 * JSON as the file).
	 */
	if (p->rr == RANGE_UNSATISFIABLE) {
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)v->length);
		resp_header(&req->resp, "Content-Range", cr);
		resp_error(&req->resp, VD_ERR_RANGE, NULL);
		return VD_OK;
	}
	if (strcmp(v->type, "file") == 0 &&
	    (bs.content_type = file_headers(&req->resp, v, ct, sizeof(ct))) == NULL)
		return VD_ERR_NOMEM;
	if (p->rr == RANGE_PARTIAL) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)p->off,
		    (unsigned long long)(p->off + p->len - 1), (unsigned long long)v->length);
		resp_header(&req->resp, "Content-Range", cr);
		bs.status = 206;
	}
	if (p->len == 0 || req->resp.head)
		return resp_start(&req->resp, bs.status, bs.content_type, (int64_t)p->len);
	return store_read(st, v, p->off, p->len, body_sink, &bs);
}

static enum vd_err
get_lookup(struct store *st, const struct route *rt, struct var_value *v)
{
	if (rt->scope == SCOPE_VARIABLE_INSTANCE)
		return store_lookup_instance(st, rt->id, v);
	return store_lookup(st, scope_info(rt->scope).kind, rt->id, rt->local, rt->name, v);
}

static bool
is_binary_value(const struct var_value *v)
{
	return v->scope_found && v->found && type_is_binary(v->type);
}

/* Answers a lookup that found no binary value; false when v is a binary value to send. */
static bool
get_refuse(struct request *req, const struct route *rt, const struct var_value *v)
{
	struct scope_info	si = scope_info(rt->scope);

	if (!v->scope_found)
		missing_scope(req, VD_ERR_NOT_FOUND, rt, false);
	else if (!v->found && rt->scope == SCOPE_VARIABLE_INSTANCE)
		resp_errorf(&req->resp, VD_ERR_NOT_FOUND,
		    "Variable instance with Id '%s' does not exist.", rt->id);
	else if (!v->found)
		resp_errorf(&req->resp, VD_ERR_NOT_FOUND, "%s variable with name %s does not exist",
		    si.word, rt->name);
	else if (!is_binary_value(v))
		resp_errorf(&req->resp, VD_ERR_INVALID,
		    "Value of variable with id %s is not a binary value.", rt->id);
	else
		return false;
	return true;
}

/*
 * Answers a GET from the result of its lookup (e: how the lookup went).  A
 * value replaced while its slices were read is looked up again.  v is
 * cleared.
 */
static void
get_answer(struct request *req, struct store *st, const struct route *rt, struct var_value *v,
    enum vd_err e)
{
	struct get_plan	p;
	int		attempt;

	for (attempt = 1; e == VD_OK; attempt++) {
		if (get_refuse(req, rt, v)) {
			var_value_clear(v);
			return;
		}
		get_plan(req, v, &p);
		e = send_value(req, st, v, &p);
		var_value_clear(v);
		if (e != VD_ERR_NOT_FOUND || attempt == GET_ATTEMPTS)
			break;
		/* Nothing was sent: the headers of the value that went away go too. */
		resp_reset(&req->resp);
		e = get_lookup(st, rt, v);
	}
	if (e != VD_OK && e != VD_ERR_CLIENT) {
		/* An error answer carries none of the value's headers. */
		resp_reset(&req->resp);
		resp_error(&req->resp, e == VD_ERR_NOT_FOUND ? VD_ERR_INTERNAL : e, NULL);
	}
}

/* A limit's error names the limit and the flag that sets it (spec section 6). */
static void
upload_error(struct request *req, enum vd_err e, const struct vd_limits *l)
{
	switch (e) {
	case VD_ERR_BODY_LIMIT:
		resp_errorf(&req->resp, e, "request body exceeds the limit of %llu bytes (--max-body)",
		    (unsigned long long)l->max_body);
		break;
	case VD_ERR_PART_COUNT:
		resp_errorf(&req->resp, e, "more than %zu parts in multipart/form-data (--max-parts)",
		    l->max_parts);
		break;
	case VD_ERR_PART_HEADER:
		resp_errorf(&req->resp, e, "a part header exceeds the limit of %zu bytes "
		    "(--max-part-header)", l->max_part_header);
		break;
	case VD_ERR_FILENAME:
		resp_errorf(&req->resp, e, "filename longer than %zu characters (--max-filename)",
		    l->max_filename);
		break;
	case VD_ERR_FIELD:
		resp_errorf(&req->resp, e, "a text form part exceeds the limit of %zu bytes "
		    "(--max-field)", l->max_field);
		break;
	default:
		resp_error(&req->resp, e, NULL);
	}
}

/* The value of a File upload (spec section 6): filename, mime type, encoding. */
static enum vd_err
file_value(struct request *req, const struct upload *up, const struct vd_limits *limits,
    struct var_write *w, char **text2)
{
	struct mime			 m;
	const struct mime_param		*enc = NULL;
	const char			*base = "application/octet-stream";
	enum vd_err			 e;

	if (up->filename_err != VD_OK) {
		upload_error(req, up->filename_err, limits);
		return up->filename_err;
	}
	memset(&m, 0, sizeof(m));
	if (up->content_type != NULL) {
		if ((e = mime_parse(up->content_type, strlen(up->content_type), &m)) != VD_OK)
			goto err;
		base = m.base;
		/* Only "encoding" counts; Camunda ignores charset (spec section 6). */
		enc = mime_param(&m, "encoding");
		e = VD_ERR_MIME;
		if (enc != NULL && !mime_token_valid(enc->value, enc->value_len))
			goto err;
	}
	/* Checked after the mime type, as Camunda does (VariableValueDto.fromFormPart, then the value). */
	if (up->filename == NULL || up->filename_len == 0) {
		mime_free(&m);
		resp_error(&req->resp, VD_ERR_INVALID, "Cannot create file without filename! "
		    "Please set a name into ValueInfo with key filename");
		return VD_ERR_INVALID;
	}
	e = VD_ERR_NOMEM;
	if (asprintf(text2, "%s#%s", base, enc ? enc->value : "") < 0) {
		*text2 = NULL;
		goto err;
	}
	e = VD_ERR_MIME;
	if (utf8_chars(*text2, strlen(*text2)) > VD_TYPE_NAME_MAX_CHARS)
		goto err;
	w->type = "file";
	w->text = up->filename;
	w->text2 = *text2;
	mime_free(&m);
	return VD_OK;
err:
	mime_free(&m);
	resp_error(&req->resp, e, NULL);
	return e;
}

/*
 * The value type as sent, for a message: JSON escapes control bytes, so it
 * is quoted as it is, unless it holds a NUL (which would end the C string)
 * or invalid UTF-8 (which JSON cannot carry): then bytes outside printable
 * ASCII are written \xHH.
 */
static const char *
field_display(const char *s, size_t len, char *buf, size_t bufsz)
{
	if (utf8_valid(s, len) && memchr(s, '\0', len) == NULL)
		return s;
	return text_escape_log(s, len, buf, bufsz);
}

/* valueType / variableType: which kind of binary value (spec section 6). */
static enum vd_err
typed_value(struct request *req, const struct upload *up, const struct vd_limits *limits,
    struct var_write *w, char **text2)
{
	const struct form_field	*vt = &up->value_type;
	const char		*sent = vt->present ? vt->value : "Bytes";
	size_t			 len = vt->present ? vt->len : strlen(sent);
	char			 buf[4 * VD_DEFAULT_MAX_FIELD + 8];
	const char		*name = field_display(sent, len, buf, sizeof(buf));

	if (vt->present && !vt->is_text) {
		resp_errorf(&req->resp, VD_ERR_INVALID,
		    "Form part with name '%s' must have a text/plain value", vt->part);
		return VD_ERR_INVALID;
	}
	switch (vartype_parse(sent, len)) {
	case VT_BYTES:
		w->type = "bytes";
		return VD_OK;
	case VT_SERIALIZABLE:
		w->type = "serializable";
		return VD_OK;
	case VT_FILE:
		return file_value(req, up, limits, w, text2);
	case VT_SERIALIZED_OBJECT:
		resp_errorf(&req->resp, VD_ERR_INVALID, "Must provide 'null' or String value for "
		    "value of SerializableValue type '%s'.", name);
		return VD_ERR_INVALID;
	case VT_PRIMITIVE:
		resp_errorf(&req->resp, VD_ERR_INVALID, "Value type '%s' cannot hold binary data: "
		    "use Bytes, File or serializable", name);
		return VD_ERR_INVALID;
	case VT_UNKNOWN:
		break;
	}
	resp_errorf(&req->resp, VD_ERR_UNSUPPORTED_TYPE, "Unsupported value type '%s'", name);
	return VD_ERR_UNSUPPORTED_TYPE;
}

/*
 * The deprecated form: a Java type name in "type" and JSON in "data",
 * stored as the JSON object a Camunda engine with Spin reads (spec section 6).
 * Sets *nothing when the JSON is null: Camunda then stores nothing.
 */
static enum vd_err
json_value(struct request *req, const struct upload *up, const struct vd_limits *limits,
    struct var_write *w, bool *nothing)
{
	const struct form_field	*t = &up->type;
	const char		*ct = up->content_type;

	if (!t->is_text) {
		resp_error(&req->resp, VD_ERR_INVALID,
		    "Form part with name 'type' must have a text/plain value");
		return VD_ERR_INVALID;
	}
	if (up->json == JSON_UNCHECKED) {
		resp_errorf(&req->resp, VD_ERR_INVALID,
		    "Unrecognized content type for serialized java type: %s", ct ? ct : "null");
		return VD_ERR_INVALID;
	}
	if (up->json == JSON_TOO_LARGE) {
		resp_errorf(&req->resp, VD_ERR_FIELD, "the JSON value exceeds the limit of %zu bytes "
		    "(--max-json)", limits->max_json);
		return VD_ERR_FIELD;
	}
	if (up->json == JSON_INVALID) {
		resp_errorf(&req->resp, VD_ERR_INVALID, "Could not deserialize JSON object: %s",
		    up->json_error);
		return VD_ERR_INVALID;
	}
	if (t->len == 0 || !text_no_controls(t->value, t->len) || !utf8_valid(t->value, t->len) ||
	    utf8_chars(t->value, t->len) > VD_TYPE_NAME_MAX_CHARS) {
		resp_error(&req->resp, VD_ERR_INVALID, "Could not deserialize JSON object: "
		    "the type part must name a type in at most 4000 characters of UTF-8");
		return VD_ERR_INVALID;
	}
	*nothing = up->json == JSON_NULL;
	w->type = "spin://application/json";
	w->text2 = t->value;
	return VD_OK;
}

/*
 * Whether a Content-Type that failed to parse names multipart/form-data
 * before its parameters: its type and subtype, up to the first ';' (no
 * quoted string can come before it), parsed on their own.
 */
static bool
names_form_data(const char *ct)
{
	struct mime	type;
	bool		yes;

	memset(&type, 0, sizeof(type));
	if (mime_parse(ct, strcspn(ct, ";"), &type) != VD_OK)
		return false;
	yes = strcmp(type.base, "multipart/form-data") == 0;
	mime_free(&type);
	return yes;
}

/* The request's Content-Type must be multipart/form-data with a boundary (spec section 6). */
static bool
post_boundary(struct request *req, struct mime *m, const struct mime_param **boundary)
{
	const char	*ct = req->content_type ? req->content_type : "";

	memset(m, 0, sizeof(*m));
	if (mime_parse(ct, strlen(ct), m) != VD_OK) {
		/* multipart/form-data with broken parameters has no usable boundary: malformed, not another type. */
		resp_error(&req->resp, names_form_data(ct) ? VD_ERR_MULTIPART : VD_ERR_MEDIA_TYPE, NULL);
		return false;
	}
	if (strcmp(m->base, "multipart/form-data") != 0) {
		resp_error(&req->resp, VD_ERR_MEDIA_TYPE, NULL);
		return false;
	}
	*boundary = mime_param(m, "boundary");
	if (*boundary == NULL || (*boundary)->value_len == 0) {
		resp_error(&req->resp, VD_ERR_MULTIPART, NULL);
		return false;
	}
	return true;
}

/* The body's declared length (CONTENT_LENGTH, digits only); false when there is none. */
static bool
body_length(const struct request *req, uint64_t *len)
{
	const char	*p = req->content_length;

	return p != NULL && text_decimal(&p, len) && *p == '\0';
}

static bool
post_length_ok(struct request *req, const struct vd_conf *conf)
{
	uint64_t	len;

	/* Refuse a declared oversize body before reading a byte of it. */
	if (body_length(req, &len) && len > conf->limits.max_body) {
		upload_error(req, VD_ERR_BODY_LIMIT, &conf->limits);
		return false;
	}
	return true;
}

/*
 * The write of an uploaded value (spec section 6); answers and returns an
 * error when the body cannot be stored.  *nothing: a JSON null, which
 * stores nothing.  *text2 is the caller's to free.
 */
static enum vd_err
post_value(struct request *req, const struct route *rt, const struct upload *up,
    const struct vd_limits *limits, struct var_write *w, char **text2, bool *nothing)
{
	struct scope_info	si = scope_info(rt->scope);

	*w = (struct var_write){ si.kind, rt->id, rt->local, rt->name, NULL, NULL, NULL, NULL };
	if (!up->has_data) {
		resp_error(&req->resp, VD_ERR_INVALID, "The form part 'data' with the value is missing");
		return VD_ERR_INVALID;
	}
	w->ba_id = up->ba_id;
	return up->type.present ? json_value(req, up, limits, w, nothing) :
	    typed_value(req, up, limits, w, text2);
}

/* Answers a write that failed. */
static void
post_failed(struct request *req, const struct route *rt, enum vd_err e)
{
	if (e == VD_ERR_PUT_FAILED)
		missing_scope(req, e, rt, true);
	else
		resp_error(&req->resp, e, NULL);
}

/* Decides what the upload means and writes it; answers the error itself. */
static enum vd_err
post_write(struct request *req, struct store *st, const struct route *rt,
    const struct upload *up, const struct vd_limits *limits, bool *nothing)
{
	struct var_write	 w;
	char			*text2 = NULL;
	enum vd_err		 e;

	e = post_value(req, rt, up, limits, &w, &text2, nothing);
	if (e == VD_OK && !*nothing && (e = store_put(st, &w)) != VD_OK)
		post_failed(req, rt, e);
	free(text2);
	return e;
}

/* The checks a POST passes before its body is read; false when they answered it. */
static bool
post_begin(struct request *req, const struct route *rt, const struct vd_conf *conf,
    struct mime *m, const struct mime_param **boundary)
{
	if (!post_boundary(req, m, boundary) || !post_length_ok(req, conf))
		return false;
	if (utf8_chars(rt->name, rt->name_len) > VD_NAME_MAX_CHARS) {
		resp_errorf(&req->resp, VD_ERR_INVALID, "Variable name is longer than %d characters",
		    VD_NAME_MAX_CHARS);
		return false;
	}
	return true;
}

/*
 * Checks a POST and reads its body into the store, in a transaction
 * store_begin() opens; false when an error was answered (and whatever was
 * begun is rolled back).
 */
static bool
post_read(struct request *req, struct store *st, const struct route *rt,
    const struct vd_conf *conf, struct mime *m, struct upload *up)
{
	const struct mime_param	*boundary;
	enum vd_err		 e;

	if (!post_begin(req, rt, conf, m, &boundary))
		return false;
	if ((e = store_begin(st)) != VD_OK) {
		resp_error(&req->resp, e, NULL);
		return false;
	}
	e = upload_read(req->in, boundary->value, boundary->value_len, &conf->limits, st, rt->name,
	    up);
	if (e != VD_OK) {
		upload_error(req, e, &conf->limits);
		store_rollback(st);
		return false;
	}
	return true;
}

/* A write's answer: 204 No Content. */
static void
post_ok(struct request *req)
{
	if (resp_start(&req->resp, 204, NULL, -1) != VD_OK)
		log_warn("the client went away before the answer");
}

static void
handle_post(struct request *req, struct store *st, const struct route *rt,
    const struct vd_conf *conf)
{
	struct mime		 m;
	struct upload		 up;
	enum vd_err		 e;
	bool			 nothing = false;

	memset(&up, 0, sizeof(up));
	if (!post_read(req, st, rt, conf, &m, &up))
		goto out;
	if ((e = post_write(req, st, rt, &up, &conf->limits, &nothing)) == VD_OK && !nothing &&
	    (e = store_commit(st)) != VD_OK)
		resp_error(&req->resp, e, NULL);
	if (e != VD_OK || nothing)
		store_rollback(st);
	if (e == VD_OK)
		post_ok(req);
out:
	upload_free(&up);
	mime_free(&m);
}

static unsigned
method_bit(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return ROUTE_GET;
	if (strcmp(method, "HEAD") == 0)
		return ROUTE_HEAD;
	if (strcmp(method, "POST") == 0)
		return ROUTE_POST;
	return 0;
}

/*
 * Routes req and checks its method; false when that already answered it.
 * *buf holds the route's strings (the caller frees it).
 */
static bool
request_route(struct request *req, const struct vd_conf *conf, struct route *rt, char **buf)
{
	size_t	len = strlen(req->uri) + 2;
	char	allow[64];
	enum vd_err e;

	if ((*buf = malloc(len)) == NULL) {
		resp_error(&req->resp, VD_ERR_NOMEM, NULL);
		return false;
	}
	if ((e = route_parse(conf->base_path, req->uri, *buf, len, rt)) != VD_OK) {
		resp_error(&req->resp, e, NULL);
		return false;
	}
	if ((method_bit(req->method) & rt->allow) == 0) {
		route_allow_header(rt->allow, allow, sizeof(allow));
		resp_header(&req->resp, "Allow", allow);
		resp_error(&req->resp, VD_ERR_METHOD, NULL);
		return false;
	}
	return true;
}

void
handle_request(struct request *req, struct store *st, const struct vd_conf *conf)
{
	struct route	 rt;
	char		*buf;
	enum vd_err	 e;

	if (!request_route(req, conf, &rt, &buf))
		goto out;
	/* handle_send() serves every GET and HEAD: what is left is a POST. */
	if (method_bit(req->method) != ROUTE_POST)
		resp_error(&req->resp, VD_ERR_INTERNAL, NULL);
	else if ((e = store_connect(st)) != VD_OK)
		resp_error(&req->resp, e, NULL);
	else
		handle_post(req, st, &rt, conf);
out:
	free(buf);
}

/*
 * Whether a POST's body is small enough for its value to stay in memory,
 * so that its whole write can be one pipelined statement.  nginx buffers
 * the body before it passes the request on, so it is all there already.
 */
static bool
post_fits_pipeline(const struct request *req)
{
	uint64_t	len;

	return body_length(req, &len) && len <= VD_PIPELINE_BODY;
}

static void
job_free(struct job *job)
{
	free(job->buf);
	free(job->text2);
	free(job->value);
	upload_free(&job->up);
	mime_free(&job->m);
	memset(job, 0, sizeof(*job));
}

/* A small POST: reads its body and sends its whole write. */
static enum job_start
post_send(struct request *req, struct store *st, const struct vd_conf *conf, struct job *job)
{
	enum vd_err	e;
	bool		nothing = false;

	job->post = true;
	if (!post_read(req, st, &job->rt, conf, &job->m, &job->up))
		return JOB_ANSWERED;
	if ((e = post_value(req, &job->rt, &job->up, &conf->limits, &job->w, &job->text2,
	    &nothing)) == VD_OK && !nothing) {
		if (!store_take_inline(st, &job->value, &job->value_len))
			e = VD_ERR_INTERNAL;
		else if ((e = store_put_send(st, &job->w, job->value, job->value_len, false,
		    &job->update_only)) == VD_OK)
			return JOB_SENT;
		resp_error(&req->resp, e, NULL);
	}
	/* Nothing of this transaction was sent: forgetting it is all there is to do. */
	store_rollback(st);
	if (e == VD_OK)
		post_ok(req);
	return JOB_ANSWERED;
}

enum job_start
handle_send(struct request *req, struct store *st, const struct vd_conf *conf, struct job *job)
{
	unsigned	bit = method_bit(req->method);
	enum vd_err	e;

	memset(job, 0, sizeof(*job));
	if (bit == 0 || (bit == ROUTE_POST && !post_fits_pipeline(req)))
		return JOB_OTHER;
	if (!request_route(req, conf, &job->rt, &job->buf))
		goto answered;
	if ((e = store_connect(st)) != VD_OK)
		goto failed;
	if (bit == ROUTE_POST) {
		if (post_send(req, st, conf, job) == JOB_SENT)
			return JOB_SENT;
		goto answered;
	}
	if (job->rt.scope == SCOPE_VARIABLE_INSTANCE)
		e = store_lookup_instance_send(st, job->rt.id);
	else
		e = store_lookup_send(st, scope_info(job->rt.scope).kind, job->rt.id, job->rt.local,
		    job->rt.name, false);
	if (e == VD_OK)
		return JOB_SENT;
failed:
	resp_error(&req->resp, e, NULL);
answered:
	job_free(job);
	return JOB_ANSWERED;
}

/* Answers a write from how it went. */
static void
post_done(struct request *req, struct job *job, enum vd_err e)
{
	if (e != VD_OK)
		post_failed(req, &job->rt, e);
	else
		post_ok(req);
	job_free(job);
}

/*
 * A pipelined write's answer.  When the update alone found no variable,
 * the whole write goes after it.  When a concurrent writer of the same
 * variable came in between, the write is done again in a transaction of
 * its own, which waits for the others (see store_put_inline()).
 */
static enum job_turn
post_recv(struct request *req, struct store *st, struct job *job, bool wait)
{
	enum vd_err	e;
	enum put_turn	turn;

	if (!store_put_recv(st, job->update_only, wait, &e, &turn))
		return JOB_WAIT;
	if (e == VD_OK && turn == PUT_ABSENT && (e = store_put_send(st, &job->w, job->value,
	    job->value_len, true, &job->update_only)) == VD_OK)
		return JOB_AGAIN;
	if (e == VD_OK && turn == PUT_LOST)
		return JOB_DEFERRED;
	post_done(req, job, e);
	return JOB_DONE;
}

enum job_turn
handle_recv(struct request *req, struct store *st, struct job *job, bool wait)
{
	struct get_plan	p;
	bool		alone;

	if (job->post)
		return post_recv(req, st, job, wait);
	if (!store_lookup_recv(st, wait, &job->v, &job->e, &alone))
		return JOB_WAIT;
	if (alone && (job->e = store_lookup_send(st, scope_info(job->rt.scope).kind, job->rt.id,
	    job->rt.local, job->rt.name, true)) == VD_OK)
		return JOB_AGAIN;
	if (job->e == VD_OK && is_binary_value(&job->v)) {
		get_plan(req, &job->v, &p);
		if (!get_plan_fits(req, &p, &job->v))
			return JOB_DEFERRED;
	}
	handle_finish(req, st, job);
	return JOB_DONE;
}

void
handle_finish(struct request *req, struct store *st, struct job *job)
{
	if (job->post) {
		post_done(req, job, store_put_inline(st, &job->w, job->value, job->value_len));
		return;
	}
	get_answer(req, st, &job->rt, &job->v, job->e);
	job_free(job);
}
