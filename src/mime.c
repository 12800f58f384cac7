/*
 * Media types and header parameters: RFC 9110 section 8.3.1 (media type),
 * section 5.6.6 (parameters), section 5.6.2 (tokens), section 5.6.4
 * (quoted-string); RFC 2045 section 5.1.  Camunda reads a Content-Type with
 * javax.activation's MimeType, which lower-cases type and subtype; we do
 * the same so the stored mime type matches the engine's.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "text.h"

/*
 * A read position in the input and a write position in the storage.  Every
 * string is copied out at most as long as the input it came from, plus one
 * NUL for the base; put() still checks the bound rather than trust that.
 */
struct cursor {
	const unsigned char	*in;
	size_t			 len;
	size_t			 pos;
	char			*out;
	size_t			 cap;
	size_t			 opos;
	bool			 verbatim;	/* quoted strings keep their backslashes */
};

/* RFC 9110 section 5.6.2: tchar. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A control byte is refused anywhere; HTAB is let through and then accepted only where OWS is. */
static bool
has_control(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return true;
	return false;
}

static int
peek(const struct cursor *c)
{
	return c->pos < c->len ? c->in[c->pos] : -1;
}

static bool
eat(struct cursor *c, int ch)
{
	if (peek(c) != ch)
		return false;
	c->pos++;
	return true;
}

/* RFC 9110 section 5.6.3: OWS = *( SP / HTAB ). */
static void
skip_ows(struct cursor *c)
{
	while (peek(c) == ' ' || peek(c) == '\t')
		c->pos++;
}

static bool
put(struct cursor *c, unsigned char ch)
{
	if (c->opos >= c->cap)
		return false;
	c->out[c->opos++] = (char)ch;
	return true;
}

/* Copies a token, lower-cased when asked; returns its length, 0 when there is none. */
static size_t
copy_token(struct cursor *c, bool lower)
{
	size_t		start = c->pos;
	unsigned char	ch;

	while (c->pos < c->len && is_tchar(c->in[c->pos])) {
		ch = c->in[c->pos++];
		if (lower && ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		if (!put(c, ch))
			return 0;
	}
	return c->pos - start;
}

/* Whether the quote at the cursor ends the header: only OWS follows it. */
static bool
quote_ends_header(const struct cursor *c)
{
	size_t	i = c->pos + 1;

	while (i < c->len && (c->in[i] == ' ' || c->in[i] == '\t'))
		i++;
	return i == c->len;
}

/*
 * RFC 9110 section 5.6.4: quoted-string, with each quoted-pair replaced by
 * the byte it quotes.  obs-text (0x80-0xff) is kept: curl sends raw UTF-8
 * filenames this way.  HTAB is refused here: it is only OWS for us.
 *
 * Verbatim (the parameters of a part's Content-Disposition), a backslash
 * is kept, as commons-fileupload, Camunda's parser, keeps it: browsers and
 * curl send a filename's backslashes raw, and only '"' as %22 (RFC 7578
 * section 4.2).  A '"' after a backslash is kept too and does not end the
 * string, unless the header ends there: filename="report\" (the last
 * parameter, as browsers and curl send it) is "report\", not an
 * unterminated string.  Before a ';' it does not end the string, so that
 * a backslash-escaped quote followed by ';' (as in the fallback of our own
 * download header) stays inside it.
 */
static bool
copy_quoted(struct cursor *c)
{
	int	ch;

	if (!eat(c, '"'))
		return false;
	while ((ch = peek(c)) != -1 && ch != '"') {
		c->pos++;
		if (ch == '\\' && peek(c) != -1) {
			if (c->verbatim) {
				if (!put(c, '\\'))
					return false;
				if (peek(c) == '"' && quote_ends_header(c))
					break;
			}
			ch = peek(c);
			c->pos++;
		}
		if (ch == '\t' || !put(c, (unsigned char)ch))
			return false;
	}
	return eat(c, '"');
}

/*
 * parameter = parameter-name "=" parameter-value.  RFC 9110 allows no
 * whitespace around "=", but javax.activation skips it, so Camunda takes
 * "charset = x"; we take it too.
 */
static bool
parse_param(struct cursor *c, struct mime_param *p)
{
	size_t	start;
	bool	ok;

	p->name = c->out + c->opos;
	if (copy_token(c, true) == 0 || !put(c, '\0'))
		return false;
	skip_ows(c);
	if (!eat(c, '='))
		return false;
	skip_ows(c);
	p->value = c->out + c->opos;
	start = c->opos;
	if (peek(c) == '"')
		ok = copy_quoted(c);
	else
		ok = copy_token(c, false) > 0;
	p->value_len = c->opos - start;
	return ok && put(c, '\0');
}

/*
 * RFC 9110 section 5.6.6: parameters = *( OWS ";" OWS [ parameter ] ), so
 * an empty parameter (";;" or a trailing ";") is allowed and skipped.
 */
static enum vd_err
parse_params(struct cursor *c, struct mime *m)
{
	enum vd_err	err = VD_OK;

	for (;;) {
		skip_ows(c);
		if (peek(c) == -1)
			break;
		err = VD_ERR_MIME;
		if (!eat(c, ';'))
			break;
		skip_ows(c);
		if (peek(c) == -1 || peek(c) == ';') {
			err = VD_OK;
			continue;
		}
		if (m->nparams == MIME_MAX_PARAMS || !parse_param(c, &m->params[m->nparams]))
			break;
		m->nparams++;
		err = VD_OK;
	}
	return err;
}

/* Clears m, refuses control bytes and allocates the storage every string of m is copied into. */
static enum vd_err
mime_begin(const char *s, size_t len, struct mime *m, struct cursor *c)
{
	memset(m, 0, sizeof(*m));
	memset(c, 0, sizeof(*c));
	if (has_control(s, len))
		return VD_ERR_MIME;
	if (len == SIZE_MAX)
		return VD_ERR_NOMEM;
	if ((m->storage = malloc(len + 1)) == NULL)
		return VD_ERR_NOMEM;
	c->in = (const unsigned char *)s;
	c->len = len;
	c->out = m->storage;
	c->cap = len + 1;
	return VD_OK;
}

enum vd_err
mime_parse(const char *value, size_t len, struct mime *m)
{
	struct cursor	c;
	enum vd_err	err;

	if ((err = mime_begin(value, len, m, &c)) != VD_OK)
		goto out;
	err = VD_ERR_MIME;
	skip_ows(&c);
	m->base = c.out;
	if (copy_token(&c, true) == 0 || !eat(&c, '/') || !put(&c, '/'))
		goto out;
	if (copy_token(&c, true) == 0 || !put(&c, '\0'))
		goto out;
	err = parse_params(&c, m);
out:
	if (err != VD_OK)
		mime_free(m);
	return err;
}

enum vd_err
mime_parse_params(const char *s, size_t len, struct mime *m)
{
	struct cursor	c;
	enum vd_err	err;

	if ((err = mime_begin(s, len, m, &c)) == VD_OK) {
		c.verbatim = true;
		err = parse_params(&c, m);
	}
	if (err != VD_OK)
		mime_free(m);
	return err;
}

void
mime_free(struct mime *m)
{
	if (m == NULL)
		return;
	free(m->storage);
	memset(m, 0, sizeof(*m));
}

/* The last one wins when a name repeats, as in the Hashtable of javax.activation's parameter list. */
const struct mime_param *
mime_param(const struct mime *m, const char *name)
{
	const struct mime_param	*found = NULL;
	size_t			 i;

	for (i = 0; i < m->nparams; i++)
		if (text_ascii_ieq(m->params[i].name, strlen(m->params[i].name), name))
			found = &m->params[i];
	return found;
}

bool
mime_token_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

bool
mime_base_valid(const char *s, size_t len)
{
	const char	*slash;

	if (len == 0 || (slash = memchr(s, '/', len)) == NULL)
		return false;
	return mime_token_valid(s, (size_t)(slash - s)) &&
	    mime_token_valid(slash + 1, len - (size_t)(slash - s) - 1);
}
