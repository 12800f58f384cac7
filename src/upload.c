#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defaults.h"
#include "jsoncheck.h"
#include "log.h"
#include "multipart.h"
#include "text.h"
#include "upload.h"

enum part_kind { PART_IGNORED, PART_DATA, PART_VALUE_TYPE, PART_VARIABLE_TYPE, PART_TYPE };

/* Parser state for one body. */
struct reader {
	const struct vd_limits	*limits;
	struct store		*st;
	const char		*name;
	struct upload		*up;
	enum part_kind		 kind;
	struct form_field	 field;		/* the text part being read */
	struct form_field	 variable_type;	/* kept apart: valueType wins when both come */
	struct jsonck		 json;		/* the data part's text, when it is JSON */
	bool			 json_on;	/* ... and still being checked */
	size_t			 json_len;
};

/*
 * Whether a part's Content-Type contains what, as Camunda looks for it:
 * in any case for the JSON of the type form, whose media type it
 * lower-cases first, but as written for text/plain (MultipartFormData's
 * FormPart uses String.contains).
 */
static bool
ct_contains(const char *ct, size_t len, const char *what, bool any_case)
{
	size_t	n = strlen(what), i;

	for (i = 0; ct != NULL && i + n <= len; i++)
		if ((any_case ? strncasecmp(ct + i, what, n) : strncmp(ct + i, what, n)) == 0)
			return true;
	return false;
}

static void
field_clear(struct form_field *f)
{
	free(f->value);
	memset(f, 0, sizeof(*f));
}

static enum part_kind
part_kind(const struct mp_part *p)
{
	/* Part names are case-sensitive (spec section 6). */
	static const struct { const char *name; enum part_kind kind; } names[] = {
		{ "data", PART_DATA }, { "valueType", PART_VALUE_TYPE },
		{ "variableType", PART_VARIABLE_TYPE }, { "type", PART_TYPE },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (p->name_len == strlen(names[i].name) &&
		    memcmp(p->name, names[i].name, p->name_len) == 0)
			return names[i].kind;
	return PART_IGNORED;
}

static enum vd_err
data_begin(struct reader *rd, const struct mp_part *p)
{
	struct upload	*up = rd->up;

	/* A second data part replaces the first (the last part of a name wins). */
	if (up->has_data)
		store_blob_forget(rd->st);
	free(up->filename);
	free(up->content_type);
	up->filename = up->content_type = NULL;
	up->filename_len = 0;
	up->filename_err = VD_OK;
	if (p->filename_bad)
		up->filename_err = VD_ERR_MULTIPART;
	else if (p->filename != NULL &&
	    utf8_chars(p->filename, p->filename_len) > rd->limits->max_filename)
		up->filename_err = VD_ERR_FILENAME;
	else if (p->filename != NULL) {
		if ((up->filename = strndup(p->filename, p->filename_len)) == NULL)
			return VD_ERR_NOMEM;
		up->filename_len = p->filename_len;
	}
	if (p->content_type != NULL &&
	    (up->content_type = strndup(p->content_type, p->content_type_len)) == NULL)
		return VD_ERR_NOMEM;
	up->has_data = true;
	up->json = JSON_UNCHECKED;
	rd->json_on = ct_contains(p->content_type, p->content_type_len, "application/json", true);
	if (rd->json_on) {
		jsonck_init(&rd->json);
		rd->json_len = 0;
	}
	return store_blob_begin(rd->st, rd->name, up->ba_id);
}

static enum vd_err
on_part_begin(void *arg, const struct mp_part *p)
{
	struct reader	*rd = arg;

	rd->kind = part_kind(p);
	if (rd->kind == PART_IGNORED)
		return VD_OK;
	if (rd->kind == PART_DATA)
		return data_begin(rd, p);
	field_clear(&rd->field);
	rd->field.present = true;
	/* Camunda reads a part as text when it has no type or a text/plain one. */
	rd->field.is_text = p->content_type == NULL ||
	    ct_contains(p->content_type, p->content_type_len, "text/plain", false);
	snprintf(rd->field.part, sizeof(rd->field.part), "%.*s", (int)p->name_len, p->name);
	if ((rd->field.value = malloc(rd->limits->max_field + 1)) == NULL)
		return VD_ERR_NOMEM;
	rd->field.value[0] = '\0';
	return VD_OK;
}

static void
json_invalid(struct reader *rd, bool at_byte)
{
	rd->up->json = JSON_INVALID;
	if (at_byte)
		snprintf(rd->up->json_error, sizeof(rd->up->json_error), "%s at byte %llu",
		    rd->json.error, (unsigned long long)rd->json.offset + 1);
	else
		snprintf(rd->up->json_error, sizeof(rd->up->json_error), "%s", rd->json.error);
	rd->json_on = false;
}

/*
 * The deprecated JSON form's value is only checked, never built: any split
 * of the text is fine, and memory does not grow with it.
 */
static void
json_feed(struct reader *rd, const char *buf, size_t len)
{
	if (!rd->json_on)
		return;
	if ((rd->json_len += len) > rd->limits->max_json) {
		rd->up->json = JSON_TOO_LARGE;
		rd->json_on = false;
	} else if (!jsonck_feed(&rd->json, buf, len)) {
		json_invalid(rd, true);
	}
}

static void
json_finish(struct reader *rd)
{
	if (!rd->json_on)
		return;
	if (!jsonck_end(&rd->json))
		return json_invalid(rd, false);
	rd->up->json = rd->json.null ? JSON_NULL : JSON_VALID;
	rd->json_on = false;
}

static enum vd_err
on_part_data(void *arg, const char *buf, size_t len)
{
	struct reader		*rd = arg;
	struct form_field	*f = &rd->field;

	switch (rd->kind) {
	case PART_DATA:
		json_feed(rd, buf, len);
		return store_blob_write(rd->st, buf, len);
	case PART_VALUE_TYPE:
	case PART_VARIABLE_TYPE:
	case PART_TYPE:
		if (len > rd->limits->max_field - f->len)
			return VD_ERR_FIELD;
		memcpy(f->value + f->len, buf, len);
		f->len += len;
		f->value[f->len] = '\0';
		return VD_OK;
	case PART_IGNORED:
		break;
	}
	return VD_OK;
}

static enum vd_err
on_part_end(void *arg)
{
	struct reader		*rd = arg;
	struct form_field	*dst = NULL;

	switch (rd->kind) {
	case PART_DATA:
		json_finish(rd);
		return store_blob_end(rd->st);
	case PART_VALUE_TYPE:
		dst = &rd->up->value_type;
		break;
	case PART_VARIABLE_TYPE:
		dst = &rd->variable_type;
		break;
	case PART_TYPE:
		dst = &rd->up->type;
		break;
	case PART_IGNORED:
		break;
	}
	if (dst == NULL)
		return VD_OK;
	field_clear(dst);
	*dst = rd->field;
	memset(&rd->field, 0, sizeof(rd->field));
	rd->kind = PART_IGNORED;
	return VD_OK;
}

static enum vd_err
upload_pump(FCGX_Stream *in, struct mp_parser *mp, uint64_t max_body)
{
	char		*buf;
	uint64_t	 total = 0;
	enum vd_err	 e = VD_OK;
	int		 n;

	if ((buf = malloc(VD_IO_CHUNK)) == NULL)
		return VD_ERR_NOMEM;
	while ((n = FCGX_GetStr(buf, VD_IO_CHUNK, in)) > 0) {
		if ((total += (uint64_t)n) > max_body) {
			e = VD_ERR_BODY_LIMIT;
			goto out;
		}
		if ((e = mp_feed(mp, buf, (size_t)n)) != VD_OK)
			goto out;
	}
	if (FCGX_GetError(in) != 0) {
		e = VD_ERR_CLIENT;
		goto out;
	}
	e = mp_finish(mp);
out:
	free(buf);
	return e;
}

enum vd_err
upload_read(FCGX_Stream *in, const char *boundary, size_t boundary_len,
    const struct vd_limits *limits, struct store *st, const char *name, struct upload *up)
{
	static const struct mp_callbacks cb = { on_part_begin, on_part_data, on_part_end };
	struct mp_limits	 ml = { limits->max_parts, limits->max_part_header };
	struct reader		 rd;
	struct mp_parser	*mp;
	enum vd_err		 e;

	memset(up, 0, sizeof(*up));
	memset(&rd, 0, sizeof(rd));
	rd.limits = limits;
	rd.st = st;
	rd.name = name;
	rd.up = up;
	if ((mp = mp_new(boundary, boundary_len, &ml, &cb, &rd)) == NULL)
		return VD_ERR_MULTIPART;
	e = upload_pump(in, mp, limits->max_body);
	mp_free(mp);
	if (e == VD_OK && !up->value_type.present && rd.variable_type.present) {
		up->value_type = rd.variable_type;
		memset(&rd.variable_type, 0, sizeof(rd.variable_type));
	}
	field_clear(&rd.field);
	field_clear(&rd.variable_type);
	return e;
}

void
upload_free(struct upload *up)
{
	free(up->filename);
	free(up->content_type);
	field_clear(&up->value_type);
	field_clear(&up->type);
	memset(up, 0, sizeof(*up));
}
