#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "response.h"
#include "text.h"

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void
resp_init(struct response *r, FCGX_Stream *out, bool head)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	r->head = head;
}

void
resp_free(struct response *r)
{
	free(r->hdr);
	r->hdr = NULL;
	r->hdr_len = r->hdr_cap = 0;
}

static void
hdr_append(struct response *r, const char *s, size_t len)
{
	size_t	 cap;
	char	*p;

	if (r->hdr_failed)
		return;
	if (len > r->hdr_cap - r->hdr_len) {
		cap = r->hdr_cap ? r->hdr_cap : 512;
		while (cap - r->hdr_len < len)
			cap *= 2;
		if ((p = realloc(r->hdr, cap)) == NULL) {
			r->hdr_failed = true;
			return;
		}
		r->hdr = p;
		r->hdr_cap = cap;
	}
	memcpy(r->hdr + r->hdr_len, s, len);
	r->hdr_len += len;
}

void
resp_header(struct response *r, const char *name, const char *value)
{
	hdr_append(r, name, strlen(name));
	hdr_append(r, ": ", 2);
	hdr_append(r, value, strlen(value));
	hdr_append(r, "\r\n", 2);
}

void
resp_reset(struct response *r)
{
	if (r->started)
		return;
	r->hdr_len = 0;
	r->hdr_failed = false;
}

static enum vd_err
resp_write(struct response *r, const char *buf, size_t len)
{
	/* libfcgi takes an int length: large buffers go in pieces. */
	while (len > 0 && !r->failed) {
		int n = len > (1 << 30) ? (1 << 30) : (int)len;
		if (FCGX_PutStr(buf, n, r->out) != n)
			r->failed = true;
		buf += n;
		len -= (size_t)n;
	}
	return r->failed ? VD_ERR_CLIENT : VD_OK;
}

enum vd_err
resp_start(struct response *r, int status, const char *content_type, int64_t content_length)
{
	char	line[128];

	if (r->started)
		return VD_ERR_INTERNAL;
	if (content_type != NULL)
		resp_header(r, "Content-Type", content_type);
	if (content_length >= 0) {
		snprintf(line, sizeof(line), "%" PRId64, content_length);
		resp_header(r, "Content-Length", line);
	}
	/* Browsers must not guess a type for what uploaders sent (spec section 7). */
	resp_header(r, "X-Content-Type-Options", "nosniff");
	hdr_append(r, "\r\n", 2);
	if (r->hdr_failed)
		return VD_ERR_NOMEM;
	r->started = true;
	r->status = status;
	r->length = content_length;
	snprintf(line, sizeof(line), "Status: %d %s\r\n", status, reason(status));
	if (resp_write(r, line, strlen(line)) != VD_OK)
		return VD_ERR_CLIENT;
	return resp_write(r, r->hdr, r->hdr_len);
}

enum vd_err
resp_body(struct response *r, const char *buf, size_t len)
{
	if (r->head)
		return VD_OK;
	r->body_bytes += len;
	return resp_write(r, buf, len);
}

bool
resp_cut_short(const struct response *r)
{
	if (!r->started || r->head)
		return false;
	return r->failed || (r->length >= 0 && r->body_bytes < (uint64_t)r->length);
}

void
resp_error(struct response *r, enum vd_err e, const char *message)
{
	const struct vd_errinfo	*info = vd_errinfo(e);
	char			 safe[4096];
	char			*body;

	if (r->started)
		return;
	if (message == NULL)
		message = info->message;
	/* JSON must be UTF-8; a message quoting invalid input is escaped instead. */
	if (!utf8_valid(message, strlen(message)))
		message = text_escape_log(message, strlen(message), safe, sizeof(safe));
	body = vd_error_json(info->type, message, info->code);
	if (body == NULL) {
		body = strdup("{\"type\":\"RestException\",\"message\":\"out of memory\",\"code\":null}");
		info = vd_errinfo(VD_ERR_NOMEM);
	}
	/* A client that went away is noticed in r->failed; there is no one left to tell. */
	if (body != NULL && resp_start(r, info->status, "application/json",
	    (int64_t)strlen(body)) == VD_OK && resp_body(r, body, strlen(body)) != VD_OK)
		log_warn("the client went away before the error answer");
	free(body);
}

void
resp_errorf(struct response *r, enum vd_err e, const char *fmt, ...)
{
	char	*msg = NULL;
	va_list	 ap;
	int	 n;

	/* Messages quote ids and names of any length: never cut one short. */
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		resp_error(r, VD_ERR_NOMEM, NULL);
		return;
	}
	resp_error(r, e, msg);
	free(msg);
}
