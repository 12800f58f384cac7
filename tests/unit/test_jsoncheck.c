/*
 * The JSON validator (RFC 8259): each text is read whole, one byte at a
 * time, and split in two at every position; all must agree.
 */
#include "config.h"

#include "jsoncheck.h"
#include "tap.h"

enum verdict { BAD, VALUE, NUL };

static enum verdict
check_split(const char *text, size_t len, size_t cut, const char **why)
{
	struct jsonck	j;
	bool		good;

	jsonck_init(&j);
	good = jsonck_feed(&j, text, cut) && jsonck_feed(&j, text + cut, len - cut) && jsonck_end(&j);
	*why = j.error;
	return !good ? BAD : j.null ? NUL : VALUE;
}

static enum verdict
check_bytes(const char *text, size_t len)
{
	struct jsonck	j;
	size_t		i;

	jsonck_init(&j);
	for (i = 0; i < len; i++)
		if (!jsonck_feed(&j, text + i, 1))
			return BAD;
	if (!jsonck_end(&j))
		return BAD;
	return j.null ? NUL : VALUE;
}

static void
json_n(const char *text, size_t len, enum verdict want, const char *label)
{
	const char	*why = NULL;
	enum verdict	 whole = check_split(text, len, len, &why);
	size_t		 cut;
	bool		 same = check_bytes(text, len) == whole;

	for (cut = 0; cut <= len; cut++) {
		const char *w;

		same = same && check_split(text, len, cut, &w) == whole;
	}
	is_int(whole, want, "%s", label);
	ok(same, "  the same however it is split");
	if (want == BAD)
		ok(why != NULL && *why != '\0', "  says why (%s)", why ? why : "nothing");
}

/* The text as the test's name, with control and non-ASCII bytes as \xNN. */
static void
json(const char *text, enum verdict want)
{
	char	label[256];
	size_t	i, n = 0;

	for (i = 0; text[i] != '\0' && n + 5 < sizeof(label); i++) {
		unsigned char	c = (unsigned char)text[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(label + n, sizeof(label) - n, "\\x%02x", c);
		else
			label[n++] = (char)c;
	}
	label[n] = '\0';
	json_n(text, strlen(text), want, label);
}

int
main(void)
{
	static char	deep[2 * JSONCK_MAX_DEPTH + 3];
	size_t		i;

	/* Values of every kind, and white space around them. */
	json("{}", VALUE);
	json("[]", VALUE);
	json(" { \"a\" : [ 1 , 2.5e-3 , -0 , true , false , null , \"x\" ] } \r\n\t", VALUE);
	json("{\"a\":{\"b\":{}},\"c\":[[],[{}]]}", VALUE);
	json("\"\"", VALUE);
	json("0", VALUE);
	json("-12", VALUE);
	json("3.25", VALUE);
	json("1E9", VALUE);
	json("1e+9", VALUE);
	json("  7  ", VALUE);
	json("true", VALUE);
	json("null", NUL);
	json(" null\n", NUL);
	json("[null]", VALUE);
	json("{\"a\":null}", VALUE);
	json("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"", VALUE);
	json("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf\"", VALUE);

	/* Not JSON. */
	json("", BAD);
	json("   ", BAD);
	json("{", BAD);
	json("[1,]", BAD);
	json("{\"a\":1,}", BAD);
	json("{\"a\"}", BAD);
	json("{\"a\" 1}", BAD);
	json("{a:1}", BAD);
	json("{'a':1}", BAD);
	json("[1 2]", BAD);
	json("[1}", BAD);
	json("{\"a\":1]", BAD);
	json("]", BAD);
	json("{}}", BAD);
	json("{} {}", BAD);
	json("1 2", BAD);
	json("nul", BAD);
	json("nulll", BAD);
	json("True", BAD);
	json("NaN", BAD);
	json("Infinity", BAD);
	json("+1", BAD);
	json("01", BAD);
	json("-", BAD);
	json("-a", BAD);
	json("1.", BAD);
	json(".5", BAD);
	json("1.e3", BAD);
	json("1e", BAD);
	json("1e+", BAD);
	json("1e3.5", BAD);
	json("0x10", BAD);
	json("[1.]", BAD);
	json("\"abc", BAD);
	json("\"a\\x\"", BAD);
	json("\"\\u12\"", BAD);
	json("\"\\u12G4\"", BAD);
	json("\"tab\there\"", BAD);
	json("\"line\nbreak\"", BAD);
	json("/* comment */ 1", BAD);
	json("\xef\xbb\xbf{}", BAD);
	/* Invalid UTF-8 in a string: a stray continuation byte, overlong forms, a surrogate, beyond U+10FFFF, cut short. */
	json("\"\x80\"", BAD);
	json("\"\xc0\xaf\"", BAD);
	json("\"\xe0\x80\xaf\"", BAD);
	json("\"\xed\xa0\x80\"", BAD);
	json("\"\xf4\x90\x80\x80\"", BAD);
	json("\"\xf5\x80\x80\x80\"", BAD);
	json("\"\xc3\"", BAD);
	json("\"\xe2\x82\"", BAD);
	json("\xc3\xa9", BAD);
	/* A NUL byte is never white space, after the value or anywhere else. */
	json_n("{\"a\":1}\0\0", 9, BAD, "{\"a\":1} then two NUL bytes");
	json_n("null\0", 5, BAD, "null then a NUL byte");
	json_n("1\0", 2, BAD, "1 then a NUL byte");
	json_n("\"a\0b\"", 5, BAD, "a NUL byte in a string");
	json_n("[\0]", 3, BAD, "a NUL byte in an array");

	/* Nesting: up to the limit, and one level more. */
	for (i = 0; i < JSONCK_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JSONCK_MAX_DEPTH + i] = ']';
	}
	json_n(deep, 2 * JSONCK_MAX_DEPTH, VALUE, "arrays nested to the limit");
	{
		/* {"":[{"":[ ... alternate objects and arrays: each object needs a member name. */
		static char	mixed[8 * JSONCK_MAX_DEPTH];
		size_t		n = 0;

		for (i = 0; i < JSONCK_MAX_DEPTH; i++)
			n += (size_t)snprintf(mixed + n, sizeof(mixed) - n, i % 2 ? "[" : "{\"\":");
		for (i = JSONCK_MAX_DEPTH; i-- > 0;)
			mixed[n++] = i % 2 ? ']' : '}';
		json_n(mixed, n, VALUE, "objects and arrays alternating, nested to the limit");
	}
	for (i = 0; i <= JSONCK_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JSONCK_MAX_DEPTH + 1 + i] = ']';
	}
	json_n(deep, 2 * JSONCK_MAX_DEPTH + 2, BAD, "arrays nested one level deeper than the limit");

	{
		struct jsonck	j;

		jsonck_init(&j);
		ok(jsonck_feed(&j, "[1,", 3) && !jsonck_feed(&j, " x", 2), "an error in a later piece");
		is_int(j.offset, 4, "  its offset counts from the start of the text");
		ok(!jsonck_feed(&j, "]", 1) && !jsonck_end(&j), "  and it stays an error");
	}
	return done_testing();
}
