/*
 * Content-Disposition of a multipart/form-data part (RFC 7578 section 4.2)
 * and of a file download (RFC 6266), with the extended "filename*"
 * parameter of RFC 8187 (formerly RFC 5987, after RFC 2231).
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disposition.h"
#include "mime.h"
#include "text.h"

#define FORM_DATA	"form-data"

/*
 * Offset just past a leading "form-data" disposition type (case-insensitive,
 * RFC 6266 section 4.1), or SIZE_MAX when the type is something else.
 */
static size_t
skip_form_data(const char *s, size_t len)
{
	size_t	i = 0, n = sizeof(FORM_DATA) - 1;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (len - i < n || !text_ascii_ieq(s + i, n, FORM_DATA))
		return SIZE_MAX;
	i += n;
	if (i < len && mime_token_valid(s + i, 1))
		return SIZE_MAX;
	return i;
}

/*
 * Decodes the pct-encoded part of an ext-value (RFC 8187 section 3.2.1)
 * into out, which holds twice len bytes: ISO-8859-1 bytes of 0x80 and more
 * become two-byte UTF-8.  Literal bytes are taken as they are (a quoted
 * ext-value may carry some that attr-char does not allow); what matters is
 * the check of the decoded result that follows.
 */
static bool
pct_decode(const unsigned char *s, size_t len, bool latin1, char *out, size_t *outlen)
{
	size_t	i, o = 0;
	int	hi, lo;
	unsigned char b;

	for (i = 0; i < len; i++) {
		b = s[i];
		if (b == '%') {
			if (len - i < 3 || (hi = text_hexval(s[i + 1])) < 0 || (lo = text_hexval(s[i + 2])) < 0)
				return false;
			b = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (latin1 && b >= 0x80) {
			out[o++] = (char)(0xc0 | b >> 6);
			out[o++] = (char)(0x80 | (b & 0x3f));
		} else
			out[o++] = (char)b;
	}
	*outlen = o;
	return true;
}

/*
 * RFC 8187 section 3.2.1: ext-value = charset "'" [ language ] "'"
 * value-chars.  Only UTF-8 and ISO-8859-1 are taken (RFC 8187 requires
 * UTF-8 and RFC 5987 also allowed ISO-8859-1); any other charset refuses
 * the part rather than guess.  The language tag is not used.
 */
static bool
ext_decode(const struct mime_param *p, char *out, size_t *outlen)
{
	const char	*q1, *q2;
	size_t		 cslen, rest;
	bool		 latin1;

	if ((q1 = memchr(p->value, '\'', p->value_len)) == NULL)
		return false;
	cslen = (size_t)(q1 - p->value);
	rest = p->value_len - cslen - 1;
	if ((q2 = memchr(q1 + 1, '\'', rest)) == NULL)
		return false;
	if (text_ascii_ieq(p->value, cslen, "UTF-8"))
		latin1 = false;
	else if (text_ascii_ieq(p->value, cslen, "ISO-8859-1"))
		latin1 = true;
	else
		return false;
	rest = p->value_len - (size_t)(q2 + 1 - p->value);
	return pct_decode((const unsigned char *)q2 + 1, rest, latin1, out, outlen);
}

/* A name or filename goes into the database and, for a filename, back into a header: RFC 3629 UTF-8, no control byte. */
static bool
text_acceptable(const char *s, size_t len)
{
	return utf8_valid(s, len) && text_no_controls(s, len);
}

/*
 * Copies name and filename out of the parameters into d->storage.  The
 * plain "filename" is not percent-decoded even though browsers write '"'
 * as %22 there (RFC 7578 section 4.2): Camunda does not decode it either.
 */
static enum vd_err
fill(struct disposition *d, const struct mime *p)
{
	const struct mime_param	*name, *fn, *fnext;
	size_t			 fncap;

	if ((name = mime_param(p, "name")) == NULL)
		return VD_ERR_MULTIPART;
	fnext = mime_param(p, "filename*");
	fn = fnext != NULL ? fnext : mime_param(p, "filename");
	fncap = fn == NULL ? 0 : fn->value_len;
	if (fncap > (SIZE_MAX - 2) / 2 || name->value_len > SIZE_MAX - 2 - 2 * fncap)
		return VD_ERR_NOMEM;
	if ((d->storage = malloc(name->value_len + 2 * fncap + 2)) == NULL)
		return VD_ERR_NOMEM;
	d->name = d->storage;
	d->name_len = name->value_len;
	memcpy(d->name, name->value, name->value_len);
	d->name[d->name_len] = '\0';
	if (!text_acceptable(d->name, d->name_len))
		return VD_ERR_MULTIPART;
	if (fn == NULL)
		return VD_OK;
	d->filename = d->name + d->name_len + 1;
	if (fnext != NULL)
		d->filename_bad = !ext_decode(fnext, d->filename, &d->filename_len);
	else {
		memcpy(d->filename, fn->value, fn->value_len);
		d->filename_len = fn->value_len;
	}
	if (!d->filename_bad) {
		d->filename[d->filename_len] = '\0';
		d->filename_bad = !text_acceptable(d->filename, d->filename_len);
	}
	if (d->filename_bad) {
		d->filename = NULL;
		d->filename_len = 0;
	}
	return VD_OK;
}

enum vd_err
disposition_parse(const char *value, size_t len, struct disposition *d)
{
	struct mime	params;
	size_t		rest;
	enum vd_err	err = VD_ERR_MULTIPART;

	memset(d, 0, sizeof(*d));
	memset(&params, 0, sizeof(params));
	if ((rest = skip_form_data(value, len)) == SIZE_MAX)
		goto out;
	err = mime_parse_params(value + rest, len - rest, &params);
	if (err == VD_ERR_MIME)
		err = VD_ERR_MULTIPART;
	if (err == VD_OK)
		err = fill(d, &params);
out:
	mime_free(&params);
	if (err != VD_OK)
		disposition_free(d);
	return err;
}

void
disposition_free(struct disposition *d)
{
	if (d == NULL)
		return;
	free(d->storage);
	memset(d, 0, sizeof(*d));
}

#define BUILD_HEAD	"attachment; filename=\""
#define BUILD_MID	"\"; filename*=UTF-8''"

/* RFC 6266 section 4.3 and appendix D: the quoted fallback for recipients that do not know filename*. */
static size_t
put_fallback(char *out, const unsigned char *s, size_t len)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] >= 0x7f)
			out[o++] = '_';
		else
			out[o++] = (char)s[i];
	}
	return o;
}

/*
 * RFC 8187 section 3.2.1 value-chars, percent-encoded.  The set left as it
 * is, A-Z a-z 0-9 . - * _, is what Java's URLEncoder leaves, so the result
 * matches Camunda's byte for byte; URLEncoder's "+" for a space is "%20"
 * here.  "*" is not an attr-char, so strictly it should be encoded too; it
 * is kept as Camunda keeps it, and clients read it as itself.
 */
static size_t
put_pct(char *out, const unsigned char *s, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i, o = 0;

	for (i = 0; i < len; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' ||
		    s[i] == '*' || s[i] == '_') {
			out[o++] = (char)s[i];
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[s[i] >> 4];
		out[o++] = hex[s[i] & 0x0f];
	}
	return o;
}

/* Room: the two fixed strings, at most 2 bytes of fallback and 3 of pct per input byte, and the NUL. */
char *
disposition_build(const char *filename, size_t len)
{
	const unsigned char	*s = (const unsigned char *)filename;
	size_t			 fixed = sizeof(BUILD_HEAD) - 1 + sizeof(BUILD_MID) - 1 + 1, o;
	char			*out;

	if (len > (SIZE_MAX - fixed) / 5 || (out = malloc(fixed + 5 * len)) == NULL)
		return NULL;
	memcpy(out, BUILD_HEAD, sizeof(BUILD_HEAD) - 1);
	o = sizeof(BUILD_HEAD) - 1;
	o += put_fallback(out + o, s, len);
	memcpy(out + o, BUILD_MID, sizeof(BUILD_MID) - 1);
	o += sizeof(BUILD_MID) - 1;
	o += put_pct(out + o, s, len);
	out[o] = '\0';
	return out;
}
