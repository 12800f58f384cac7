/*
 * Unit tests of disposition.c: parsing a part's Content-Disposition
 * (RFC 7578 section 4.2, RFC 8187 filename*) and building the download
 * header (RFC 6266).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "disposition.h"
#include "tap.h"

#define S(lit)	(lit), (sizeof(lit) - 1)

static enum vd_err
parse_err(const char *s, size_t len)
{
	struct disposition	d;
	enum vd_err		err;

	err = disposition_parse(s, len, &d);
	disposition_free(&d);
	return err;
}

/* A filename that cannot be stored: the header parses, filename_bad is set, no filename. */
static bool
bad_filename(const char *s, size_t len)
{
	struct disposition	d;
	bool			bad;

	bad = disposition_parse(s, len, &d) == VD_OK && d.filename_bad && d.filename == NULL &&
	    d.filename_len == 0 && d.name != NULL;
	disposition_free(&d);
	return bad;
}

/* Parses s and checks the name and the filename (want_fn NULL: no filename). */
static void
check(const char *s, size_t len, const char *want_name, const char *want_fn, size_t want_fn_len, const char *what)
{
	struct disposition	d;
	enum vd_err		err;

	err = disposition_parse(s, len, &d);
	is_int(err, VD_OK, "%s: parses", what);
	if (err != VD_OK)
		return;
	is_str(d.name, want_name, "%s: name", what);
	is_int(d.name_len, strlen(want_name), "%s: name_len", what);
	if (want_fn == NULL) {
		ok(d.filename == NULL && d.filename_len == 0, "%s: no filename", what);
	} else {
		ok(d.filename != NULL && d.filename_len == want_fn_len &&
		    memcmp(d.filename, want_fn, want_fn_len) == 0 && d.filename[want_fn_len] == '\0',
		    "%s: filename", what);
	}
	disposition_free(&d);
}

static size_t
slen(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

#define CHECK(s, name, fn, what)	check(S(s), name, fn, slen(fn), what)

static void
test_parse(void)
{
	struct disposition	d;

	CHECK("form-data; name=\"data\"", "data", NULL, "name only");
	CHECK("form-data; name=data", "data", NULL, "token name");
	CHECK("Form-Data; NAME=\"data\"", "data", NULL, "case-insensitive type and parameter name");
	CHECK("FORM-DATA;name=\"valueType\"", "valueType", NULL, "no OWS; name keeps its case");
	CHECK("  form-data ;  name=\"x\"  ", "x", NULL, "OWS everywhere");
	CHECK("form-data; name=\"data\"; filename=\"test.txt\"", "data", "test.txt", "filename");
	CHECK("form-data; filename=\"test.txt\"; name=\"data\"", "data", "test.txt", "any order");
	CHECK("form-data; name=\"data\"; filename=\"a b.txt\"", "data", "a b.txt", "curl -F with a space");
	CHECK("form-data; name=\"data\"; filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"", "data", "r\xc3\xa9sum\xc3\xa9.pdf",
	    "raw UTF-8 in quotes (curl)");
	CHECK("form-data; name=\"data\"; filename=\"a%22b%0D%0A.txt\"", "data", "a%22b%0D%0A.txt",
	    "plain filename is not percent-decoded (browsers' %22)");
	/* Backslashes are kept, as commons-fileupload (Camunda) keeps them. */
	CHECK("form-data; name=\"data\"; filename=\"a\\\"b\\\\c\"", "data", "a\\\"b\\\\c",
	    "a backslash before a quote keeps the string open and stays");
	CHECK("form-data; name=\"data\"; filename=\"C:\\dir\\x.txt\"", "data", "C:\\dir\\x.txt",
	    "raw backslashes (browsers, curl 7.81 and later)");
	CHECK("form-data; name=\"data\"; filename=\"C:\\\\dir\\\\x.txt\"", "data", "C:\\\\dir\\\\x.txt",
	    "doubled backslashes stay doubled");
	CHECK("form-data; name=\"data\"; filename=\"report\\\"", "data", "report\\",
	    "a backslash at the end of the last parameter");
	CHECK("form-data; name=\"data\"; filename=\"report\\\"  ", "data", "report\\",
	    "a backslash at the end of the header, OWS after the quote");
	CHECK("form-data; name=\"data\"; filename=\"a\\\";b.txt\"", "data", "a\\\";b.txt",
	    "an escaped quote before ';' stays inside the string");
	is_int(parse_err(S("form-data; filename=\"report\\\"; name=\"data\"")), VD_ERR_MULTIPART,
	    "a backslash at the end of a filename that is not the last parameter: unterminated");
	CHECK("form-data; name=\"data\"; filename=\"say \\\"hi\\\".txt\"", "data", "say \\\"hi\\\".txt",
	    "quotes escaped by curl before 7.81 are stored as sent, as Camunda stores them");
	CHECK("form-data; name=\"\"", "", NULL, "empty name is allowed");
	CHECK("form-data; name=\"data\"; filename=\"\"", "data", "", "empty filename");
	CHECK("form-data; name=\"data\"; charset=x; foo=\"bar\"", "data", NULL, "unknown parameters ignored");
	CHECK("form-data; name=\"a\"; name=\"b\"", "b", NULL, "the last name wins");
	CHECK("form-data; name=\"data\";", "data", NULL, "trailing ';'");
	CHECK("form-data; name=\"x\xf0\x9f\x98\x80\"", "x\xf0\x9f\x98\x80", NULL, "UTF-8 name");

	is_int(disposition_parse(S("form-data; name=\"data\"; filename=\"\""), &d), VD_OK, "empty filename parses");
	ok(d.filename != NULL && d.filename_len == 0 && d.filename[0] == '\0', "empty filename is \"\", not NULL");
	disposition_free(&d);
	ok(d.name == NULL && d.filename == NULL && d.storage == NULL, "disposition_free clears");
	disposition_free(&d);
	ok(1, "disposition_free twice is harmless");
}

static void
test_ext(void)
{
	CHECK("form-data; name=\"data\"; filename*=UTF-8''a%20b.txt", "data", "a b.txt", "filename*");
	CHECK("form-data; name=\"data\"; filename*=utf-8''%E2%82%AC%20rates", "data", "\xe2\x82\xac rates",
	    "filename* lower-case charset, UTF-8 euro");
	CHECK("form-data; name=\"data\"; filename*=UTF-8'en'x%e2%82%acy", "data", "x\xe2\x82\xacy",
	    "language tag, lower-case hex");
	CHECK("form-data; name=\"data\"; filename*=ISO-8859-1''caf%E9", "data", "caf\xc3\xa9", "ISO-8859-1 converted");
	CHECK("form-data; name=\"data\"; filename*=iso-8859-1''%FF%80%41", "data", "\xc3\xbf\xc2\x80" "A",
	    "ISO-8859-1 high bytes");
	CHECK("form-data; name=\"data\"; filename=\"fallback.txt\"; filename*=UTF-8''real.txt", "data", "real.txt",
	    "filename* wins when after");
	CHECK("form-data; name=\"data\"; filename*=UTF-8''real.txt; filename=\"fallback.txt\"", "data", "real.txt",
	    "filename* wins when before");
	CHECK("form-data; name=\"data\"; FILENAME*=UTF-8''x", "data", "x", "parameter name case-insensitive");
	CHECK("form-data; name=\"data\"; filename*=UTF-8''", "data", "", "empty filename*");
	CHECK("form-data; name=\"data\"; filename*=\"UTF-8''a%20b\"", "data", "a b", "quoted ext-value tolerated");
	CHECK("form-data; name=\"data\"; filename=\"caf\xff\"; filename*=UTF-8''ok", "data", "ok",
	    "an ignored plain filename is not checked");

	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-16''a")), "other charset");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=''a")), "no charset");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8'a")), "one quote");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8")), "no quote");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%2")), "short %%");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%")), "bare %%");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%G1")), "bad hex");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%1x")), "bad second hex");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''%E9")), "not UTF-8");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''%C0%AF")), "overlong");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''%ED%A0%80")), "surrogate");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%00b")), "%%00");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%0D%0Ab")), "%%0D%%0A");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%09b")), "%%09");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=UTF-8''a%7Fb")), "%%7F");
	ok(bad_filename(S("form-data; name=\"data\"; filename*=ISO-8859-1''a%0Ab")),
	    "ISO-8859-1 control");
	ok(bad_filename(S("form-data; name=\"data\"; filename=\"ok\"; filename*=UTF-16''x")),
	    "a bad filename* is not stored, even with a filename");
}

static void
test_bad(void)
{
	is_int(parse_err("", 0), VD_ERR_MULTIPART, "empty");
	is_int(parse_err(NULL, 0), VD_ERR_MULTIPART, "NULL, 0");
	is_int(parse_err(S("form-data")), VD_ERR_MULTIPART, "no name");
	is_int(parse_err(S("form-data;")), VD_ERR_MULTIPART, "no name, trailing ';'");
	is_int(parse_err(S("form-data; filename=\"a\"")), VD_ERR_MULTIPART, "filename but no name");
	is_int(parse_err(S("attachment; name=\"data\"")), VD_ERR_MULTIPART, "attachment");
	is_int(parse_err(S("inline; name=\"data\"")), VD_ERR_MULTIPART, "inline");
	is_int(parse_err(S("form-datax; name=\"data\"")), VD_ERR_MULTIPART, "longer type");
	is_int(parse_err(S("form-dat; name=\"data\"")), VD_ERR_MULTIPART, "shorter type");
	is_int(parse_err(S("form; name=\"data\"")), VD_ERR_MULTIPART, "prefix");
	is_int(parse_err(S("; name=\"data\"")), VD_ERR_MULTIPART, "no type");
	is_int(parse_err(S("name=\"data\"")), VD_ERR_MULTIPART, "parameters only");
	is_int(parse_err(S("form-data name=\"data\"")), VD_ERR_MULTIPART, "no ';'");
	is_int(parse_err(S("form-data; name=\"data")), VD_ERR_MULTIPART, "unterminated quote");
	is_int(parse_err(S("form-data; name=\"data\" x")), VD_ERR_MULTIPART, "junk after a value");
	is_int(parse_err(S("form-data; name=")), VD_ERR_MULTIPART, "empty token value");
	is_int(parse_err(S("form-data; name=\"d\nata\"")), VD_ERR_MULTIPART, "LF in name");
	is_int(parse_err(S("form-data; name=\"data\"; filename=\"a\rb\"")), VD_ERR_MULTIPART, "CR in filename");
	is_int(parse_err(S("form-data; name=\"data\"; filename=\"a\tb\"")), VD_ERR_MULTIPART, "TAB in filename");
	is_int(parse_err(S("form-data; name=\"data\"; filename=\"a\\\tb\"")), VD_ERR_MULTIPART,
	    "escaped TAB in filename");
	is_int(parse_err(S("form-data; name=\"data\"; filename=\"a\x00" "b\"")), VD_ERR_MULTIPART, "NUL in filename");
	is_int(parse_err(S("form-data; name=\"data\"; filename=\"a\x7f" "b\"")), VD_ERR_MULTIPART, "DEL in filename");
	ok(bad_filename(S("form-data; name=\"data\"; filename=\"caf\xe9\"")),
	    "Latin-1 byte in filename");
	ok(bad_filename(S("form-data; name=\"data\"; filename=\"\xc0\xaf\"")), "overlong");
	ok(bad_filename(S("form-data; name=\"data\"; filename=\"\xed\xa0\x80\"")), "surrogate");
	ok(bad_filename(S("form-data; name=\"data\"; filename=\"\xe2\x82\"")), "truncated");
	is_int(parse_err(S("form-data; name=\"\xff\"")), VD_ERR_MULTIPART, "invalid UTF-8 in name");
	is_int(parse_err(S("form-data; name=caf\xc3\xa9")), VD_ERR_MULTIPART, "non-ASCII in a token");
	is_int(parse_err(S("form-data; name=\"data\"\r\n")), VD_ERR_MULTIPART, "CRLF at the end");
	is_int(parse_err(S("form-data\x00; name=\"data\"")), VD_ERR_MULTIPART, "NUL after the type");
}

static void
test_max_params(void)
{
	char	buf[512];
	size_t	i, n;

	n = (size_t)snprintf(buf, sizeof(buf), "form-data; name=\"data\"");
	for (i = 1; i < 16; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; p%zu=x", i);
	is_int(parse_err(buf, n), VD_OK, "16 parameters");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; p=x");
	is_int(parse_err(buf, n), VD_ERR_MULTIPART, "17 parameters");
}

/* Builds the header for s[0..len) and compares it with want. */
static void
build_is(const char *s, size_t len, const char *want, const char *what)
{
	char	*got;

	got = disposition_build(s, len);
	is_str(got, want, "%s", what);
	free(got);
}

static void
test_build(void)
{
	char	*got;
	size_t	 i, n;
	char	 all[256];
	int	 clean = 1;

	build_is(S("test.txt"), "attachment; filename=\"test.txt\"; filename*=UTF-8''test.txt",
	    "byte-identical to Camunda for test.txt");
	build_is("", 0, "attachment; filename=\"\"; filename*=UTF-8''", "empty");
	build_is(S("a b.txt"), "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt", "space is %20");
	build_is(S("A-Z_a.z*09"), "attachment; filename=\"A-Z_a.z*09\"; filename*=UTF-8''A-Z_a.z*09", "unreserved");
	build_is(S("a+b~c!d'e(f)g"), "attachment; filename=\"a+b~c!d'e(f)g\"; filename*=UTF-8''a%2Bb%7Ec%21d%27e%28f%29g",
	    "URLEncoder encodes + ~ ! ' ( )");
	build_is(S("q\"b\\s"), "attachment; filename=\"q\\\"b\\\\s\"; filename*=UTF-8''q%22b%5Cs",
	    "quote and backslash escaped in the fallback");
	build_is(S("r\xc3\xa9sum\xc3\xa9.pdf"),
	    "attachment; filename=\"r__sum__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "one '_' per non-ASCII byte");
	build_is(S("\xe2\x82\xac"), "attachment; filename=\"___\"; filename*=UTF-8''%E2%82%AC", "euro sign");
	build_is(S("a\r\nb\x00\x7f"), "attachment; filename=\"a__b__\"; filename*=UTF-8''a%0D%0Ab%00%7F",
	    "controls replaced and encoded");
	build_is(S("x;y=z%"), "attachment; filename=\"x;y=z%\"; filename*=UTF-8''x%3By%3Dz%25", "separators");

	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	got = disposition_build(all, sizeof(all));
	ok(got != NULL, "every byte value builds");
	n = got == NULL ? 0 : strlen(got);
	for (i = 0; i < n; i++)
		if ((unsigned char)got[i] < 0x20 || (unsigned char)got[i] >= 0x7f)
			clean = 0;
	ok(clean, "no control or non-ASCII byte in the header");
	free(got);

	ok(disposition_build("x", SIZE_MAX) == NULL, "an impossible length is refused");
	ok(disposition_build("x", SIZE_MAX / 5) == NULL, "a length whose header size overflows is refused");
}

int
main(void)
{
	test_parse();
	test_ext();
	test_bad();
	test_max_params();
	test_build();
	return done_testing();
}
