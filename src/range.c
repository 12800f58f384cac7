#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "range.h"
#include "text.h"

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

enum range_result
range_parse(const char *value, uint64_t length, uint64_t *off, uint64_t *len)
{
	const char	*p;
	uint64_t	 first = 0, last = UINT64_MAX;
	bool		 suffix;

	if (value == NULL || strncasecmp(value, "bytes=", 6) != 0)
		return RANGE_FULL;
	p = skip_ows(value + 6);
	/* RFC 9110 section 14.1.1: "-N" is the last N bytes. */
	if ((suffix = *p == '-'))
		p++;
	if (!text_decimal(&p, suffix ? &last : &first))
		return RANGE_FULL;
	if (!suffix && *p++ != '-')
		return RANGE_FULL;
	if (!suffix && isdigit((unsigned char)*p) && !text_decimal(&p, &last))
		return RANGE_FULL;
	if (*skip_ows(p) != '\0' || (!suffix && last < first))
		return RANGE_FULL;	/* a list of ranges, or junk */
	if (suffix) {
		if (last == 0)
			return RANGE_UNSATISFIABLE;
		/*
		 * The one satisfiable range of an empty value (RFC 9110 section
		 * 14.1.1), which no Content-Range can express: the whole of it.
		 */
		if (length == 0)
			return RANGE_FULL;
		first = last >= length ? 0 : length - last;
		last = length - 1;
	}
	if (first >= length)
		return RANGE_UNSATISFIABLE;
	if (last >= length)
		last = length - 1;
	*off = first;
	*len = last - first + 1;
	return RANGE_PARTIAL;
}

/* Compares one entity tag, "W/" prefix ignored, with etag. */
static bool
tag_equal(const char *p, size_t n, const char *etag)
{
	if (n >= 2 && p[0] == 'W' && p[1] == '/') {
		p += 2;
		n -= 2;
	}
	return n == strlen(etag) && memcmp(p, etag, n) == 0;
}

bool
etag_list_matches(const char *value, const char *etag)
{
	const char	*p = value, *start;

	if (value == NULL)
		return false;
	p = skip_ows(value);
	if (*p == '*' && *skip_ows(p + 1) == '\0')
		return true;
	if (etag == NULL)
		return false;
	while (*p != '\0') {
		p = skip_ows(p);
		start = p;
		/* An entity tag may hold commas inside its quotes. */
		if (*p == 'W' && p[1] == '/')
			p += 2;
		if (*p == '"') {
			p = strchr(p + 1, '"');
			if (p == NULL)
				return false;
			p++;
		} else
			while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
				p++;
		if (tag_equal(start, (size_t)(p - start), etag))
			return true;
		p = skip_ows(p);
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return false;
	}
	return false;
}

bool
etag_make(char *buf, size_t cap, const char *id, int64_t rev)
{
	const unsigned char	*c;
	int			 n;

	if (cap == 0)
		return false;
	buf[0] = '\0';
	for (c = (const unsigned char *)id; *c != '\0'; c++)
		if (*c < 0x21 || *c == '"' || *c > 0x7e)
			return false;
	n = snprintf(buf, cap, "\"%s-%" PRId64 "\"", id, rev);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return false;
	}
	return true;
}
