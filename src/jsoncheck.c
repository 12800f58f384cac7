/*
 * The grammar of RFC 8259 as a state machine over bytes, with the UTF-8
 * rules of RFC 3629 inside strings (as text.c applies them elsewhere).
 * Arrays and objects nest on a stack of one bit per level.
 */
#include "config.h"

#include <string.h>

#include "jsoncheck.h"

enum {
	ST_VALUE,		/* a value must come */
	ST_ARRAY_FIRST,		/* after '[': a value or ']' */
	ST_OBJECT_FIRST,	/* after '{': a member name or '}' */
	ST_MEMBER,		/* after ',' in an object: a member name */
	ST_COLON,		/* after a member name */
	ST_AFTER,		/* after a value in an array or object: ',' or its end */
	ST_DONE,		/* after the whole value: white space only */
	ST_STRING,
	ST_ESCAPE,		/* after '\' in a string */
	ST_HEX,			/* in the four digits of \uXXXX */
	ST_UTF8,		/* in a multi-byte UTF-8 sequence */
	ST_LITERAL,		/* in true, false or null */
	ST_NUM_MINUS,		/* after a leading '-' */
	ST_NUM_ZERO,		/* after an integer part of 0 */
	ST_NUM_INT,		/* in an integer part 1-9... */
	ST_NUM_POINT,		/* after '.' */
	ST_NUM_FRAC,		/* in the fraction's digits */
	ST_NUM_E,		/* after 'e' or 'E' */
	ST_NUM_ESIGN,		/* after the exponent's sign */
	ST_NUM_EXP,		/* in the exponent's digits */
	ST_ERROR
};

void
jsonck_init(struct jsonck *j)
{
	memset(j, 0, sizeof(*j));
	j->state = ST_VALUE;
}

static bool
fail(struct jsonck *j, const char *why)
{
	j->state = ST_ERROR;
	j->error = why;
	return false;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
in_object(const struct jsonck *j)
{
	unsigned	level = j->depth - 1;

	return (j->objects[level / 8] >> (level % 8)) & 1;
}

static bool
push(struct jsonck *j, bool object, unsigned next)
{
	unsigned	level = j->depth;

	if (level == JSONCK_MAX_DEPTH)
		return fail(j, "arrays and objects nested too deep");
	if (object)
		j->objects[level / 8] |= (unsigned char)(1u << (level % 8));
	else
		j->objects[level / 8] &= (unsigned char)~(1u << (level % 8));
	j->depth++;
	j->state = next;
	return true;
}

/* A value is complete: what may follow depends on where it stands. */
static void
value_end(struct jsonck *j)
{
	j->state = j->depth == 0 ? ST_DONE : ST_AFTER;
}

static bool
literal(struct jsonck *j, const char *rest)
{
	j->literal = rest;
	j->state = ST_LITERAL;
	return true;
}

static bool
value_begin(struct jsonck *j, unsigned char c)
{
	switch (c) {
	case '{':
		return push(j, true, ST_OBJECT_FIRST);
	case '[':
		return push(j, false, ST_ARRAY_FIRST);
	case '"':
		j->key = false;
		j->state = ST_STRING;
		return true;
	case '-':
		j->state = ST_NUM_MINUS;
		return true;
	case '0':
		j->state = ST_NUM_ZERO;
		return true;
	case 't':
		return literal(j, "rue");
	case 'f':
		return literal(j, "alse");
	case 'n':
		j->null = j->depth == 0;
		return literal(j, "ull");
	default:
		if (c >= '1' && c <= '9') {
			j->state = ST_NUM_INT;
			return true;
		}
		return fail(j, "unexpected character where a value should be");
	}
}

/* A byte in a string, outside escapes and UTF-8 sequences. */
static bool
string_byte(struct jsonck *j, unsigned char c)
{
	j->lo = 0x80;
	j->hi = 0xbf;
	if (c == '"') {
		if (j->key)
			j->state = ST_COLON;
		else
			value_end(j);
	} else if (c == '\\') {
		j->state = ST_ESCAPE;
	} else if (c < 0x20) {
		return fail(j, "control character in a string");
	} else if (c >= 0x80) {
		/* The first byte sets the length; the second's range excludes overlong forms, surrogates and > U+10FFFF. */
		if (c >= 0xc2 && c <= 0xdf)
			j->pending = 1;
		else if (c >= 0xe0 && c <= 0xef)
			j->pending = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			j->pending = 3;
		else
			return fail(j, "invalid UTF-8 in a string");
		if (c == 0xe0)
			j->lo = 0xa0;
		else if (c == 0xed)
			j->hi = 0x9f;
		else if (c == 0xf0)
			j->lo = 0x90;
		else if (c == 0xf4)
			j->hi = 0x8f;
		j->state = ST_UTF8;
	}
	return true;
}

/*
 * One byte.  A number has no end mark of its own: the byte after it ends it
 * and is then read again in the state that follows (*again).
 */
static bool
step(struct jsonck *j, unsigned char c, bool *again)
{
	*again = false;
	switch (j->state) {
	case ST_VALUE:
		return is_space(c) || value_begin(j, c);
	case ST_ARRAY_FIRST:
		if (is_space(c))
			return true;
		if (c != ']')
			return value_begin(j, c);
		j->depth--;
		value_end(j);
		return true;
	case ST_OBJECT_FIRST:
	case ST_MEMBER:
		if (is_space(c))
			return true;
		if (c == '}' && j->state == ST_OBJECT_FIRST) {
			j->depth--;
			value_end(j);
			return true;
		}
		if (c != '"')
			return fail(j, "a member name should be here");
		j->key = true;
		j->state = ST_STRING;
		return true;
	case ST_COLON:
		if (is_space(c))
			return true;
		if (c != ':')
			return fail(j, "':' should follow a member name");
		j->state = ST_VALUE;
		return true;
	case ST_AFTER:
		if (is_space(c))
			return true;
		if (c == ',') {
			j->state = in_object(j) ? ST_MEMBER : ST_VALUE;
			return true;
		}
		if (c != (in_object(j) ? '}' : ']'))
			return fail(j, in_object(j) ? "',' or '}' should follow a member" :
			    "',' or ']' should follow an array element");
		j->depth--;
		value_end(j);
		return true;
	case ST_DONE:
		return is_space(c) || fail(j, "unexpected data after the JSON value");
	case ST_STRING:
		return string_byte(j, c);
	case ST_ESCAPE:
		if (c == 'u') {
			j->pending = 4;
			j->state = ST_HEX;
		} else if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
		    c != 'n' && c != 'r' && c != 't') {
			return fail(j, "invalid escape in a string");
		} else {
			j->state = ST_STRING;
		}
		return true;
	case ST_HEX:
		if (!is_digit(c) && !((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
			return fail(j, "\\u must be followed by four hexadecimal digits");
		if (--j->pending == 0)
			j->state = ST_STRING;
		return true;
	case ST_UTF8:
		if (c < j->lo || c > j->hi)
			return fail(j, "invalid UTF-8 in a string");
		j->lo = 0x80;
		j->hi = 0xbf;
		if (--j->pending == 0)
			j->state = ST_STRING;
		return true;
	case ST_LITERAL:
		if (c != (unsigned char)*j->literal)
			return fail(j, "unexpected character where a value should be");
		if (*++j->literal == '\0')
			value_end(j);
		return true;
	case ST_NUM_MINUS:
		if (!is_digit(c))
			return fail(j, "a digit should follow '-'");
		j->state = c == '0' ? ST_NUM_ZERO : ST_NUM_INT;
		return true;
	case ST_NUM_ZERO:
	case ST_NUM_INT:
		if (is_digit(c)) {
			if (j->state == ST_NUM_ZERO)
				return fail(j, "a number must not start with 0 and another digit");
			return true;
		}
		if (c == '.') {
			j->state = ST_NUM_POINT;
			return true;
		}
		/* FALLTHROUGH */
	case ST_NUM_FRAC:
	case ST_NUM_EXP:
		if (is_digit(c))
			return true;
		if ((c == 'e' || c == 'E') && j->state != ST_NUM_EXP) {
			j->state = ST_NUM_E;
			return true;
		}
		value_end(j);
		*again = true;
		return true;
	case ST_NUM_POINT:
		if (!is_digit(c))
			return fail(j, "a digit should follow '.'");
		j->state = ST_NUM_FRAC;
		return true;
	case ST_NUM_E:
		if (c == '+' || c == '-') {
			j->state = ST_NUM_ESIGN;
			return true;
		}
		/* FALLTHROUGH */
	case ST_NUM_ESIGN:
		if (!is_digit(c))
			return fail(j, "a digit should follow the exponent's 'e'");
		j->state = ST_NUM_EXP;
		return true;
	default:
		return false;
	}
}

bool
jsonck_feed(struct jsonck *j, const char *buf, size_t len)
{
	size_t	i = 0;
	bool	again;

	if (j->state == ST_ERROR)
		return false;
	while (i < len) {
		if (!step(j, (unsigned char)buf[i], &again))
			return false;
		if (!again) {
			i++;
			j->offset++;
		}
	}
	return true;
}

bool
jsonck_end(struct jsonck *j)
{
	switch (j->state) {
	case ST_DONE:
		return true;
	case ST_ERROR:
		return false;
	case ST_NUM_ZERO:
	case ST_NUM_INT:
	case ST_NUM_FRAC:
	case ST_NUM_EXP:
		if (j->depth == 0) {
			j->state = ST_DONE;
			return true;
		}
		/* FALLTHROUGH */
	default:
		return fail(j, "the JSON text ends before its value does");
	}
}
