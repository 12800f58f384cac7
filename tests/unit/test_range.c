/* Range, If-None-Match (RFC 9110 sections 13.1.2 and 14.1). */
#include "config.h"

#include "range.h"
#include "tap.h"

static void
range(const char *hdr, uint64_t length, enum range_result want, uint64_t woff, uint64_t wlen)
{
	uint64_t		off = 777, len = 777;
	enum range_result	got = range_parse(hdr, length, &off, &len);

	is_int(got, want, "Range \"%s\" on %llu bytes", hdr ? hdr : "(none)",
	    (unsigned long long)length);
	if (want == RANGE_PARTIAL && got == RANGE_PARTIAL) {
		is_int(off, woff, "  offset");
		is_int(len, wlen, "  length");
	}
}

int
main(void)
{
	char	tag[64];

	range(NULL, 10, RANGE_FULL, 0, 0);
	range("bytes=0-4", 10, RANGE_PARTIAL, 0, 5);
	range("bytes=5-", 10, RANGE_PARTIAL, 5, 5);
	range("bytes=9-9", 10, RANGE_PARTIAL, 9, 1);
	range("bytes=3-100", 10, RANGE_PARTIAL, 3, 7);
	range("bytes=-3", 10, RANGE_PARTIAL, 7, 3);
	range("bytes=-30", 10, RANGE_PARTIAL, 0, 10);
	range("BYTES=1-2", 10, RANGE_PARTIAL, 1, 2);
	range("bytes= 1-2 ", 10, RANGE_PARTIAL, 1, 2);
	range("bytes=10-", 10, RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=10-20", 10, RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=-0", 10, RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=0-0", 0, RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=-5", 0, RANGE_FULL, 0, 0);
	range("bytes=-0", 0, RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=5-3", 10, RANGE_FULL, 0, 0);
	range("bytes=0-1,3-4", 10, RANGE_FULL, 0, 0);
	range("bytes=", 10, RANGE_FULL, 0, 0);
	range("bytes=-", 10, RANGE_FULL, 0, 0);
	range("bytes=a-b", 10, RANGE_FULL, 0, 0);
	range("items=0-1", 10, RANGE_FULL, 0, 0);
	range("bytes=+1-2", 10, RANGE_FULL, 0, 0);
	range("bytes=99999999999999999999-", 10, RANGE_FULL, 0, 0);
	range("bytes=0-99999999999999999999", 10, RANGE_FULL, 0, 0);
	range("bytes=0-18446744073709551615", 10, RANGE_PARTIAL, 0, 10);

	ok(etag_list_matches("\"a-1\"", "\"a-1\""), "exact tag");
	ok(etag_list_matches("W/\"a-1\"", "\"a-1\""), "weak tag matches weakly");
	ok(etag_list_matches("\"x\", \"a-1\"", "\"a-1\""), "tag in a list");
	ok(etag_list_matches("*", "\"a-1\""), "star");
	ok(etag_list_matches(" * ", "\"a-1\""), "star with spaces");
	ok(etag_list_matches("\"a,b\", \"a-1\"", "\"a-1\""), "comma inside a tag");
	ok(!etag_list_matches("\"a-2\"", "\"a-1\""), "other tag");
	ok(!etag_list_matches("\"a-1", "\"a-1\""), "unterminated tag");
	ok(!etag_list_matches("a-1", "\"a-1\""), "unquoted tag");
	ok(!etag_list_matches(NULL, "\"a-1\""), "no header");
	ok(etag_list_matches("*", NULL), "star, for a value without a tag");
	ok(!etag_list_matches("\"a-1\", W/\"\"", NULL), "no tag in a list, for a value without a tag");
	ok(!etag_list_matches("", "\"a-1\""), "empty header");

	ok(etag_make(tag, sizeof(tag), "ba-1f2e", 3), "an id of tchar");
	is_str(tag, "\"ba-1f2e-3\"", "quoted id and revision");
	ok(etag_make(tag, sizeof(tag), "a!#$%&'()*+,/:;<=>?@[\\]^`{|}~", 1), "every other visible byte");
	ok(!etag_make(tag, sizeof(tag), "ba\r\nX-Evil: 1", 1), "CR LF in the id");
	is_str(tag, "", "no tag left behind");
	ok(!etag_make(tag, sizeof(tag), "b\"a", 1), "a quote in the id");
	ok(!etag_make(tag, sizeof(tag), "b a", 1), "a space in the id");
	ok(!etag_make(tag, sizeof(tag), "b\ta", 1), "a tab in the id");
	ok(!etag_make(tag, sizeof(tag), "b\x7f", 1), "DEL in the id");
	ok(!etag_make(tag, sizeof(tag), "b\xc3\xa4", 1), "non-ASCII in the id");
	ok(etag_make(tag, 9, "abcd", 1), "a tag that just fits, with its NUL");
	ok(!etag_make(tag, 8, "abcd", 1), "a tag one byte too long");
	is_str(tag, "", "no truncated tag");
	return done_testing();
}
