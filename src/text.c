/*
 * Byte-string helpers: UTF-8 validation (RFC 3629), decimal numbers, and
 * the escaping that keeps untrusted text from forging or splitting a log
 * line.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "text.h"

/*
 * Length of the UTF-8 sequence at s[0..len), or 0 when it is not well
 * formed.  The ranges of the second byte are those of the table in RFC 3629
 * section 4: they exclude overlong forms, the surrogates U+D800..U+DFFF and
 * everything beyond U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(u + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

/* Every code point has exactly one byte that is not a continuation byte (10xxxxxx). */
size_t
utf8_chars(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n = 0;

	for (i = 0; i < len; i++)
		if ((u[i] & 0xc0) != 0x80)
			n++;
	return n;
}

bool
text_no_controls(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
	return true;
}

/* The backslash is escaped too, so that a literal "\x0a" in the input cannot pass for an escaped LF. */
static size_t
escape_width(unsigned char c)
{
	return (c < 0x20 || c > 0x7e || c == '\\') ? 4 : 1;
}

static size_t
escape_one(unsigned char c, char *out)
{
	static const char	hex[] = "0123456789abcdef";

	if (escape_width(c) == 1) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0x0f];
	return 4;
}

/* True when the escaped form of s[0..len) fits in room bytes; stops counting as soon as it does not. */
static bool
escape_fits(const unsigned char *s, size_t len, size_t room)
{
	size_t	i, need = 0;

	for (i = 0; i < len; i++) {
		need += escape_width(s[i]);
		if (need > room)
			return false;
	}
	return true;
}

/*
 * An escape sequence is never split: when the text must be cut, whole
 * escaped bytes are written while there is still room for the "...".
 */
char *
text_escape_log(const char *s, size_t len, char *out, size_t outsz)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, pos = 0, room, dots;

	if (outsz == 0)
		return out;
	room = outsz - 1;
	if (escape_fits(u, len, room)) {
		for (i = 0; i < len; i++)
			pos += escape_one(u[i], out + pos);
	} else {
		dots = room < 3 ? room : 3;
		for (i = 0; i < len && pos + escape_width(u[i]) + dots <= room; i++)
			pos += escape_one(u[i], out + pos);
		while (dots-- > 0)
			out[pos++] = '.';
	}
	out[pos] = '\0';
	return out;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

bool
text_ascii_ieq(const char *s, size_t len, const char *lit)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (lit[i] == '\0' || ascii_lower((unsigned char)s[i]) != ascii_lower((unsigned char)lit[i]))
			return false;
	return lit[len] == '\0';
}

int
text_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
text_decimal(const char **pp, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return true;
}
