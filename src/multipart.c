/*
 * An incremental multipart/form-data parser (RFC 7578 section 4, RFC 2046
 * section 5.1.1).
 *
 * The body is scanned for the delimiter CRLF "--" boundary.  The body may
 * start with the dash-boundary itself, so the parser starts as if a CRLF
 * had just been seen.  While a delimiter is half-matched at the end of a
 * chunk, the bytes held back are exactly the matched prefix of the
 * delimiter, so they need no buffer: when the match fails they are
 * delivered from the delimiter string itself.  Only part headers are
 * buffered, up to max_header bytes per part.
 *
 * A boundary never contains CR (its characters are "bchars", RFC 2046
 * section 5.1.1), so CR occurs in the delimiter only as its first byte.
 * When a partial match fails, the only shorter prefix that can end at the
 * failing byte is therefore that byte alone, when it is a CR: rescanning
 * from the failing byte is all the backtracking the search needs.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disposition.h"
#include "multipart.h"
#include "text.h"

enum mp_state {
	MP_PREAMBLE,	/* before the first delimiter: discarded */
	MP_DELIM_END,	/* just after a boundary */
	MP_CLOSE_DASH,	/* after "--boundary-": the second '-' must follow */
	MP_PADDING,	/* transport padding after a boundary */
	MP_DELIM_CR,	/* the CR that ends a boundary line: LF must follow */
	MP_HEADERS,	/* a part's header block */
	MP_CONTENT,	/* a part's content */
	MP_EPILOGUE	/* after the close delimiter: ignored */
};

struct mp_parser {
	enum mp_state		 state;
	enum vd_err		 err;		/* sticky: once set, every call returns it */
	char			 delim[4 + MP_BOUNDARY_MAX];	/* CRLF "--" boundary */
	size_t			 dlen;
	size_t			 match;		/* bytes of delim matched and held back */
	struct mp_limits	 lim;
	struct mp_callbacks	 cb;
	void			*arg;
	size_t			 nparts;
	char			*hbuf;		/* the current part's header block */
	size_t			 hlen;
	size_t			 line;		/* start of the current header line in hbuf */
	bool			 have_disp;
	bool			 have_ct;
	size_t			 ct_off;
	size_t			 ct_len;
	struct disposition	 disp;
	struct mp_part		 part;		/* handed to part_begin, valid until part_end */
};

/* RFC 2046 section 5.1.1: bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?" */
static bool
is_bcharnospace(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("'()+_,-./:=?", c) != NULL);
}

/* RFC 2046 section 5.1.1: 1 to 70 bchars (space allowed), the last not a space. */
static bool
boundary_valid(const char *b, size_t len)
{
	size_t	i;

	if (b == NULL || len < 1 || len > MP_BOUNDARY_MAX || b[len - 1] == ' ')
		return false;
	for (i = 0; i < len; i++)
		if (b[i] != ' ' && !is_bcharnospace((unsigned char)b[i]))
			return false;
	return true;
}

struct mp_parser *
mp_new(const char *boundary, size_t boundary_len, const struct mp_limits *limits,
    const struct mp_callbacks *cb, void *arg)
{
	struct mp_parser	*p = NULL;

	if (!boundary_valid(boundary, boundary_len) || limits == NULL || cb == NULL ||
	    limits->max_header == SIZE_MAX)
		goto err;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->hbuf = malloc(limits->max_header + 1)) == NULL)
		goto err;
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, boundary_len);
	p->dlen = 4 + boundary_len;
	/* The body may open with the dash-boundary: behave as if its CRLF had been seen. */
	p->match = 2;
	p->state = MP_PREAMBLE;
	p->lim = *limits;
	p->cb = *cb;
	p->arg = arg;
	return p;
err:
	mp_free(p);
	return NULL;
}

static void
part_reset(struct mp_parser *p)
{
	if (p->have_disp)
		disposition_free(&p->disp);
	p->have_disp = false;
	p->have_ct = false;
	p->hlen = 0;
	p->line = 0;
}

void
mp_free(struct mp_parser *p)
{
	if (p == NULL)
		return;
	part_reset(p);
	free(p->hbuf);
	free(p);
}

/* Hands content to the caller; the preamble is dropped (RFC 2046 section 5.1.1). */
static enum vd_err
emit(struct mp_parser *p, const char *buf, size_t len)
{
	if (len == 0 || p->state == MP_PREAMBLE || p->cb.part_data == NULL)
		return VD_OK;
	return p->cb.part_data(p->arg, buf, len);
}

static enum vd_err
delim_found(struct mp_parser *p)
{
	enum vd_err	err = VD_OK;

	p->match = 0;
	if (p->state == MP_CONTENT && p->cb.part_end != NULL)
		err = p->cb.part_end(p->arg);
	part_reset(p);
	p->state = MP_DELIM_END;
	return err;
}

/*
 * Goes on matching a delimiter prefix held back from the previous chunk.
 * On a mismatch the held bytes turn out to be content; the byte that broke
 * the match is left for scan_fresh(), since it may start a delimiter.
 */
static enum vd_err
scan_held(struct mp_parser *p, const char *buf, size_t len, size_t *pos)
{
	size_t		i = *pos;
	enum vd_err	err = VD_OK;

	while (p->match < p->dlen && i < len && buf[i] == p->delim[p->match]) {
		p->match++;
		i++;
	}
	if (p->match == p->dlen)
		err = delim_found(p);
	else if (i < len) {
		err = emit(p, p->delim, p->match);
		p->match = 0;
	}
	*pos = i;
	return err;
}

/*
 * Delivers the longest run of content that cannot belong to a delimiter in
 * one call, then either ends the part at a whole delimiter or holds back
 * the delimiter prefix that ends the chunk.
 */
static enum vd_err
scan_fresh(struct mp_parser *p, const char *buf, size_t len, size_t *pos)
{
	const char	*cr;
	size_t		 start = *pos, i = start, n = 0;
	enum vd_err	 err;

	while ((cr = memchr(buf + i, '\r', len - i)) != NULL) {
		i = (size_t)(cr - buf);
		n = len - i < p->dlen ? len - i : p->dlen;
		if (memcmp(buf + i, p->delim, n) == 0)
			break;
		i++;
	}
	if (cr == NULL)
		i = len;
	if ((err = emit(p, buf + start, i - start)) != VD_OK || cr == NULL)
		goto out;
	if (n == p->dlen) {
		i += n;
		err = delim_found(p);
	} else {
		p->match = n;
		i = len;
	}
out:
	*pos = i;
	return err;
}

static enum vd_err
scan(struct mp_parser *p, const char *buf, size_t len, size_t *pos)
{
	if (p->match > 0)
		return scan_held(p, buf, len, pos);
	return scan_fresh(p, buf, len, pos);
}

/* The CRLF of a boundary line starts a part: count it against max_parts. */
static enum vd_err
part_start(struct mp_parser *p)
{
	if (p->nparts >= p->lim.max_parts)
		return VD_ERR_PART_COUNT;
	p->nparts++;
	part_reset(p);
	p->state = MP_HEADERS;
	return VD_OK;
}

/*
 * What may follow a boundary (RFC 2046 section 5.1.1): "--" for the close
 * delimiter, or transport padding (LWSP) and CRLF before a part.
 */
static enum vd_err
delim_byte(struct mp_parser *p, char c)
{
	enum vd_err	err = VD_OK;

	if (p->state == MP_DELIM_END && c == '-')
		p->state = MP_CLOSE_DASH;
	else if (p->state == MP_CLOSE_DASH && c == '-')
		p->state = MP_EPILOGUE;
	else if ((p->state == MP_DELIM_END || p->state == MP_PADDING) && (c == ' ' || c == '\t'))
		p->state = MP_PADDING;
	else if ((p->state == MP_DELIM_END || p->state == MP_PADDING) && c == '\r')
		p->state = MP_DELIM_CR;
	else if (p->state == MP_DELIM_CR && c == '\n')
		err = part_start(p);
	else
		err = VD_ERR_MULTIPART;
	return err;
}

/* RFC 9110 section 5.6.2: tchar. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum vd_err
hdr_disposition(struct mp_parser *p, const char *v, size_t len)
{
	enum vd_err	err = VD_ERR_MULTIPART;

	if (p->have_disp)
		goto out;
	memset(&p->disp, 0, sizeof(p->disp));
	if ((err = disposition_parse(v, len, &p->disp)) != VD_OK)
		goto out;
	p->have_disp = true;
out:
	return err;
}

/*
 * One header field, hbuf[off..off+len) without its CRLF.  RFC 7578 section
 * 4.8: only Content-Disposition and Content-Type matter; every other field,
 * Content-Transfer-Encoding included, is ignored.  The field name must be a
 * token directly followed by ':' (RFC 9112 section 5.1 forbids whitespace
 * before the colon); the value is trimmed of OWS.
 */
static enum vd_err
hdr_field(struct mp_parser *p, size_t off, size_t len)
{
	char		*f = p->hbuf + off;
	const char	*colon = memchr(f, ':', len);
	size_t		 nlen, v, e = len, i;
	enum vd_err	 err = VD_ERR_MULTIPART;

	if (colon == NULL || colon == f)
		goto out;
	nlen = (size_t)(colon - f);
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)f[i]))
			goto out;
	for (v = nlen + 1; v < e && (f[v] == ' ' || f[v] == '\t'); v++)
		;
	while (e > v && (f[e - 1] == ' ' || f[e - 1] == '\t'))
		e--;
	err = VD_OK;
	if (text_ascii_ieq(f, nlen, "Content-Disposition"))
		err = hdr_disposition(p, f + v, e - v);
	else if (text_ascii_ieq(f, nlen, "Content-Type")) {
		err = VD_ERR_MULTIPART;
		if (p->have_ct)
			goto out;
		p->have_ct = true;
		p->ct_off = off + v;
		p->ct_len = e - v;
		/* f[e] is OWS or the line's CR: the callback gets a C string. */
		f[e] = '\0';
		err = VD_OK;
	}
out:
	return err;
}

/* The empty line ends the headers: the part begins (RFC 7578 section 4.2 requires a name). */
static enum vd_err
hdr_end(struct mp_parser *p)
{
	enum vd_err	err = VD_ERR_MULTIPART;

	if (!p->have_disp)
		goto out;
	p->part.name = p->disp.name;
	p->part.name_len = p->disp.name_len;
	p->part.filename = p->disp.filename;
	p->part.filename_len = p->disp.filename ? p->disp.filename_len : 0;
	p->part.filename_bad = p->disp.filename_bad;
	p->part.content_type = p->have_ct ? p->hbuf + p->ct_off : NULL;
	p->part.content_type_len = p->have_ct ? p->ct_len : 0;
	p->state = MP_CONTENT;
	p->match = 0;
	err = VD_OK;
	if (p->cb.part_begin != NULL)
		err = p->cb.part_begin(p->arg, &p->part);
out:
	return err;
}

/* A whole line, CRLF included, sits at hbuf[line..hlen). */
static enum vd_err
hdr_line(struct mp_parser *p)
{
	size_t		start = p->line, len = p->hlen - 2 - p->line;

	p->line = p->hlen;
	if (len == 0)
		return hdr_end(p);
	return hdr_field(p, start, len);
}

/*
 * One byte of a header block.  Lines end with CRLF; a bare CR or LF, any
 * other control byte but HTAB, and a line that starts with whitespace (the
 * obsolete line folding, RFC 9112 section 5.2) are malformed.  The block,
 * its lines and the empty line that ends it with their CRLFs, may hold at
 * most max_header bytes.
 */
static enum vd_err
hdr_byte(struct mp_parser *p, unsigned char c)
{
	bool		after_cr = p->hlen > p->line && p->hbuf[p->hlen - 1] == '\r';
	enum vd_err	err = VD_ERR_MULTIPART;

	if (p->hlen >= p->lim.max_header) {
		err = VD_ERR_PART_HEADER;
		goto out;
	}
	if (after_cr != (c == '\n') || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
	    c == 0x7f || (p->hlen == p->line && (c == ' ' || c == '\t')))
		goto out;
	p->hbuf[p->hlen++] = (char)c;
	err = c == '\n' ? hdr_line(p) : VD_OK;
out:
	return err;
}

static enum vd_err
feed_headers(struct mp_parser *p, const char *buf, size_t len, size_t *pos)
{
	enum vd_err	err = VD_OK;

	while (err == VD_OK && *pos < len && p->state == MP_HEADERS)
		err = hdr_byte(p, (unsigned char)buf[(*pos)++]);
	return err;
}

static enum vd_err
feed_step(struct mp_parser *p, const char *buf, size_t len, size_t *pos)
{
	enum vd_err	err = VD_OK;

	switch (p->state) {
	case MP_PREAMBLE:
	case MP_CONTENT:
		err = scan(p, buf, len, pos);
		break;
	case MP_HEADERS:
		err = feed_headers(p, buf, len, pos);
		break;
	case MP_EPILOGUE:
		/* RFC 2046 section 5.1.1: the epilogue is to be ignored. */
		*pos = len;
		break;
	default:
		err = delim_byte(p, buf[(*pos)++]);
		break;
	}
	return err;
}

enum vd_err
mp_feed(struct mp_parser *p, const char *buf, size_t len)
{
	size_t	pos = 0;

	if (p->err == VD_OK && buf == NULL && len > 0)
		p->err = VD_ERR_INTERNAL;
	while (p->err == VD_OK && pos < len)
		p->err = feed_step(p, buf, len, &pos);
	return p->err;
}

enum vd_err
mp_finish(struct mp_parser *p)
{
	if (p->err == VD_OK && p->state != MP_EPILOGUE)
		p->err = VD_ERR_MULTIPART;
	return p->err;
}
