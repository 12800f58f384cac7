/*
 * Unit tests of mime.c (Content-Type and header parameters) and of the
 * text.c helpers (UTF-8, control bytes, log escaping).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "mime.h"
#include "text.h"
#include "tap.h"

#define S(lit)	(lit), (sizeof(lit) - 1)

/* Parses a NUL-free literal and returns the error code, discarding the result. */
static enum vd_err
parse_err(const char *s, size_t len)
{
	struct mime	m;
	enum vd_err	err;

	err = mime_parse(s, len, &m);
	mime_free(&m);
	return err;
}

static void
test_base(void)
{
	struct mime	m;

	is_int(mime_parse(S("text/plain"), &m), VD_OK, "text/plain parses");
	is_str(m.base, "text/plain", "base as given");
	is_int(m.nparams, 0, "no parameters");
	mime_free(&m);
	ok(m.base == NULL && m.storage == NULL, "mime_free clears");
	mime_free(&m);
	ok(1, "mime_free twice is harmless");

	is_int(mime_parse(S("Application/PDF"), &m), VD_OK, "mixed case parses");
	is_str(m.base, "application/pdf", "type and subtype lower-cased, as javax.activation does");
	mime_free(&m);

	is_int(mime_parse(S(" \t image/svg+xml \t"), &m), VD_OK, "leading and trailing OWS");
	is_str(m.base, "image/svg+xml", "OWS not in base");
	mime_free(&m);

	is_int(mime_parse(S("application/vnd.ms-excel"), &m), VD_OK, "dots and dashes");
	is_str(m.base, "application/vnd.ms-excel", "vendor type");
	mime_free(&m);

	is_int(mime_parse(S("x!#$%&'*+-.^_`|~0/y"), &m), VD_OK, "every tchar symbol");
	is_str(m.base, "x!#$%&'*+-.^_`|~0/y", "tchars kept");
	mime_free(&m);

	is_int(mime_parse(S("*/*"), &m), VD_OK, "*/* is two tokens");
	mime_free(&m);
}

static void
test_params(void)
{
	struct mime			 m;
	const struct mime_param		*p;

	is_int(mime_parse(S("text/plain; charset=UTF-8; Encoding=\"gzip\""), &m), VD_OK, "two parameters");
	is_int(m.nparams, 2, "count");
	is_str(m.params[0].name, "charset", "name");
	is_str(m.params[0].value, "UTF-8", "token value keeps its case");
	is_int(m.params[0].value_len, 5, "value_len");
	is_str(m.params[1].name, "encoding", "name lower-cased");
	is_str(m.params[1].value, "gzip", "quoted value unquoted");
	p = mime_param(&m, "ENCODING");
	ok(p != NULL && strcmp(p->value, "gzip") == 0, "lookup is case-insensitive");
	ok(mime_param(&m, "enc") == NULL, "no prefix match");
	ok(mime_param(&m, "encodings") == NULL, "no longer match");
	mime_free(&m);

	is_int(mime_parse(S("text/plain;charset=utf-8"), &m), VD_OK, "no OWS around ';'");
	is_str(m.params[0].value, "utf-8", "value");
	mime_free(&m);

	is_int(mime_parse(S("text/plain ;\tcharset=utf-8 \t"), &m), VD_OK, "OWS with tabs");
	mime_free(&m);

	is_int(mime_parse(S("text/plain; charset = utf-8"), &m), VD_OK, "whitespace around '=' as javax.activation");
	is_str(m.params[0].value, "utf-8", "value after whitespace");
	mime_free(&m);

	is_int(mime_parse(S("text/plain;"), &m), VD_OK, "trailing ';'");
	is_int(m.nparams, 0, "no parameter");
	mime_free(&m);
	is_int(mime_parse(S("text/plain; a=b; "), &m), VD_OK, "trailing '; '");
	is_int(m.nparams, 1, "one parameter");
	mime_free(&m);
	is_int(mime_parse(S("text/plain;;a=b;;"), &m), VD_OK, "empty parameters (RFC 9110 5.6.6)");
	is_int(m.nparams, 1, "one parameter");
	mime_free(&m);

	is_int(mime_parse(S("a/b; x=\"q\\\"uo\\\\te\\d\""), &m), VD_OK, "quoted-pairs");
	is_str(m.params[0].value, "q\"uo\\ted", "quoted-pairs unescaped");
	mime_free(&m);

	is_int(mime_parse(S("a/b; x=\"\""), &m), VD_OK, "empty quoted value");
	is_str(m.params[0].value, "", "empty");
	is_int(m.params[0].value_len, 0, "length 0");
	mime_free(&m);

	is_int(mime_parse(S("a/b; x=\"a b;c=d\""), &m), VD_OK, "';' and space inside quotes");
	is_str(m.params[0].value, "a b;c=d", "kept");
	is_int(m.nparams, 1, "still one parameter");
	mime_free(&m);

	is_int(mime_parse(S("a/b; x=\"caf\xc3\xa9\""), &m), VD_OK, "obs-text in a quoted value");
	is_str(m.params[0].value, "caf\xc3\xa9", "bytes kept");
	ok(!mime_token_valid(m.params[0].value, m.params[0].value_len), "but it is no token");
	mime_free(&m);

	is_int(mime_parse(S("a/b; x=1; x=2"), &m), VD_OK, "repeated name");
	p = mime_param(&m, "x");
	ok(p != NULL && strcmp(p->value, "2") == 0, "the last one wins");
	mime_free(&m);
}

static void
test_max_params(void)
{
	struct mime	m;
	char		buf[256];
	size_t		i, n;

	n = (size_t)snprintf(buf, sizeof(buf), "a/b");
	for (i = 0; i < MIME_MAX_PARAMS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ";p%zu=%zu", i, i);
	is_int(mime_parse(buf, n, &m), VD_OK, "MIME_MAX_PARAMS parameters");
	is_int(m.nparams, MIME_MAX_PARAMS, "all kept");
	is_str(m.params[MIME_MAX_PARAMS - 1].name, "p15", "last name");
	mime_free(&m);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ";x=y");
	is_int(parse_err(buf, n), VD_ERR_MIME, "one more is refused");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ";;;");
	is_int(parse_err(buf, n), VD_ERR_MIME, "still refused with empty ones after");
}

static void
test_bad(void)
{
	struct mime	m;

	is_int(parse_err("", 0), VD_ERR_MIME, "empty");
	is_int(parse_err(NULL, 0), VD_ERR_MIME, "NULL, 0");
	is_int(parse_err(S("   ")), VD_ERR_MIME, "only OWS");
	is_int(parse_err(S("text")), VD_ERR_MIME, "no slash");
	is_int(parse_err(S("text/")), VD_ERR_MIME, "no subtype");
	is_int(parse_err(S("/plain")), VD_ERR_MIME, "no type");
	is_int(parse_err(S("/")), VD_ERR_MIME, "only a slash");
	is_int(parse_err(S("text/plain/x")), VD_ERR_MIME, "two slashes");
	is_int(parse_err(S("text /plain")), VD_ERR_MIME, "space before slash");
	is_int(parse_err(S("text/ plain")), VD_ERR_MIME, "space after slash");
	is_int(parse_err(S("te xt/plain")), VD_ERR_MIME, "space in type");
	is_int(parse_err(S("text/plain x")), VD_ERR_MIME, "junk after the base");
	is_int(parse_err(S("text/pl\"ain")), VD_ERR_MIME, "quote in subtype");
	is_int(parse_err(S("text/plain,text/html")), VD_ERR_MIME, "a list");
	is_int(parse_err(S("t\xc3\xa9xt/plain")), VD_ERR_MIME, "non-ASCII in type");
	is_int(parse_err(S("text/plain; charset")), VD_ERR_MIME, "parameter without '='");
	is_int(parse_err(S("text/plain; charset=")), VD_ERR_MIME, "parameter without value");
	is_int(parse_err(S("text/plain; =utf-8")), VD_ERR_MIME, "parameter without name");
	is_int(parse_err(S("text/plain; charset=utf-8 x")), VD_ERR_MIME, "junk after a value");
	is_int(parse_err(S("text/plain; charset=\"utf-8\"x")), VD_ERR_MIME, "junk after a quoted value");
	is_int(parse_err(S("text/plain; charset=\"utf-8")), VD_ERR_MIME, "unterminated quoted-string");
	is_int(parse_err(S("text/plain; charset=\"utf-8\\")), VD_ERR_MIME, "backslash at the end");
	is_int(parse_err(S("text/plain; charset=\"utf-8\\\"")), VD_ERR_MIME, "escaped closing quote");
	is_int(parse_err(S("text/plain; charset=ut/f")), VD_ERR_MIME, "slash in a token value");
	is_int(parse_err(S("text/plain; charset=caf\xc3\xa9")), VD_ERR_MIME, "non-ASCII in a token value");
	is_int(parse_err(S("text/plain; ch@rset=x")), VD_ERR_MIME, "separator in a name");
	is_int(parse_err(S("text/plain; a=b c=d")), VD_ERR_MIME, "missing ';'");
	is_int(parse_err(S("text/plain\r\n")), VD_ERR_MIME, "CRLF at the end");
	is_int(parse_err(S("text/plain\n")), VD_ERR_MIME, "LF at the end");
	is_int(parse_err(S("text/pl\x00" "ain")), VD_ERR_MIME, "NUL inside");
	is_int(parse_err(S("text/plain\x00")), VD_ERR_MIME, "NUL at the end");
	is_int(parse_err(S("text/plain\x7f")), VD_ERR_MIME, "DEL");
	is_int(parse_err(S("text/plain; a=\"x\ry\"")), VD_ERR_MIME, "CR in a quoted value");
	is_int(parse_err(S("text/plain; a=\"x\ty\"")), VD_ERR_MIME, "HTAB inside a quoted value");
	is_int(parse_err(S("text/plain; a=\"x\\\ty\"")), VD_ERR_MIME, "escaped HTAB");
	is_int(parse_err(S("text/plain; a=\"x\\\x01y\"")), VD_ERR_MIME, "escaped control byte");
	is_int(parse_err(S("text/plain; a=\"x\x7fy\"")), VD_ERR_MIME, "DEL in a quoted value");
	is_int(parse_err(S("text\t/plain")), VD_ERR_MIME, "HTAB outside OWS");
	is_int(mime_parse(S("text"), &m), VD_ERR_MIME, "error result");
	ok(m.base == NULL && m.storage == NULL && m.nparams == 0, "m is cleared on error");
	mime_free(&m);
}

static void
test_parse_params(void)
{
	struct mime			 m;
	const struct mime_param		*p;

	is_int(mime_parse_params(S("; name=\"data\"; filename=\"a b.txt\""), &m), VD_OK, "disposition tail");
	ok(m.base == NULL, "no base");
	is_int(m.nparams, 2, "two");
	p = mime_param(&m, "filename");
	ok(p != NULL && strcmp(p->value, "a b.txt") == 0, "filename");
	mime_free(&m);

	is_int(mime_parse_params("", 0, &m), VD_OK, "empty tail");
	is_int(m.nparams, 0, "nothing");
	mime_free(&m);
	is_int(mime_parse_params(NULL, 0, &m), VD_OK, "NULL tail");
	mime_free(&m);
	is_int(mime_parse_params(S("  "), &m), VD_OK, "only OWS");
	mime_free(&m);

	is_int(mime_parse_params(S("; filename*=UTF-8''a%20b"), &m), VD_OK, "ext-value is a token");
	p = mime_param(&m, "FILENAME*");
	ok(p != NULL && strcmp(p->value, "UTF-8''a%20b") == 0, "kept raw");
	mime_free(&m);

	is_int(mime_parse_params(S("name=x"), &m), VD_ERR_MIME, "must start with ';'");
	is_int(mime_parse_params(S("; name=x\n"), &m), VD_ERR_MIME, "LF");
	is_int(mime_parse_params(S("; name"), &m), VD_ERR_MIME, "no '='");
}

static void
test_valid(void)
{
	ok(mime_base_valid(S("text/plain")), "base valid");
	ok(mime_base_valid(S("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), "long base");
	ok(!mime_base_valid("", 0), "empty base");
	ok(!mime_base_valid(NULL, 0), "NULL base");
	ok(!mime_base_valid(S("text")), "no slash");
	ok(!mime_base_valid(S("text/")), "no subtype");
	ok(!mime_base_valid(S("/plain")), "no type");
	ok(!mime_base_valid(S("a/b/c")), "two slashes");
	ok(!mime_base_valid(S("text/plain; charset=x")), "parameters are not a base");
	ok(!mime_base_valid(S("text/plain\r\nX-Evil: 1")), "header injection");
	ok(!mime_base_valid(S("text/pl\x00" "ain")), "NUL");
	ok(!mime_base_valid(S("text/pl\xc3\xa4in")), "non-ASCII");
	ok(!mime_base_valid(S(" text/plain")), "space");

	ok(mime_token_valid(S("utf-8")), "token");
	ok(mime_token_valid(S("ISO-8859-1")), "token upper case");
	ok(!mime_token_valid("", 0), "empty token");
	ok(!mime_token_valid(S("a b")), "space");
	ok(!mime_token_valid(S("a;b")), "semicolon");
	ok(!mime_token_valid(S("a\"b")), "quote");
	ok(!mime_token_valid(S("a/b")), "slash");
	ok(!mime_token_valid(S("a\r\nb")), "CRLF");
	ok(!mime_token_valid(S("a\x00" "b")), "NUL");
	ok(!mime_token_valid(S("\x7f")), "DEL");
	ok(!mime_token_valid(S("\x80")), "0x80");
}

static void
test_utf8(void)
{
	ok(utf8_valid("", 0), "empty is valid");
	ok(utf8_valid(S("plain ascii")), "ASCII");
	ok(utf8_valid(S("\x00")), "NUL is a valid code point");
	ok(utf8_valid(S("\xc2\x80")), "U+0080");
	ok(utf8_valid(S("\xdf\xbf")), "U+07FF");
	ok(utf8_valid(S("\xe0\xa0\x80")), "U+0800");
	ok(utf8_valid(S("\xed\x9f\xbf")), "U+D7FF");
	ok(utf8_valid(S("\xee\x80\x80")), "U+E000");
	ok(utf8_valid(S("\xef\xbf\xbf")), "U+FFFF");
	ok(utf8_valid(S("\xf0\x90\x80\x80")), "U+10000");
	ok(utf8_valid(S("\xf4\x8f\xbf\xbf")), "U+10FFFF");
	ok(utf8_valid(S("r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")), "mixed");

	ok(!utf8_valid(S("\x80")), "lone continuation");
	ok(!utf8_valid(S("\xbf")), "lone continuation 0xbf");
	ok(!utf8_valid(S("\xc0\xaf")), "overlong C0 AF");
	ok(!utf8_valid(S("\xc1\xbf")), "overlong C1 BF");
	ok(!utf8_valid(S("\xe0\x80\xaf")), "overlong 3 bytes");
	ok(!utf8_valid(S("\xe0\x9f\xbf")), "overlong E0 9F BF");
	ok(!utf8_valid(S("\xf0\x80\x80\xaf")), "overlong 4 bytes");
	ok(!utf8_valid(S("\xf0\x8f\xbf\xbf")), "overlong F0 8F");
	ok(!utf8_valid(S("\xed\xa0\x80")), "surrogate D800");
	ok(!utf8_valid(S("\xed\xbf\xbf")), "surrogate DFFF");
	ok(!utf8_valid(S("\xf4\x90\x80\x80")), "U+110000");
	ok(!utf8_valid(S("\xf5\x80\x80\x80")), "F5");
	ok(!utf8_valid(S("\xf8\x88\x80\x80\x80")), "5-byte form");
	ok(!utf8_valid(S("\xfe")), "FE");
	ok(!utf8_valid(S("\xff")), "FF");
	ok(!utf8_valid(S("\xc3")), "truncated 2");
	ok(!utf8_valid(S("\xe2\x82")), "truncated 3");
	ok(!utf8_valid(S("\xf0\x9f\x98")), "truncated 4");
	ok(!utf8_valid(S("a\xc3")), "truncated at the end");
	ok(!utf8_valid(S("\xc3" "a")), "bad continuation");
	ok(!utf8_valid(S("\xe2\x82" "a")), "bad third byte");
	ok(!utf8_valid(S("\xf0\x9f\x98\xc0")), "bad fourth byte");
	ok(!utf8_valid("\xc3\xa9", 1), "length is respected");

	is_int(utf8_chars("", 0), 0, "no chars");
	is_int(utf8_chars(S("abc")), 3, "ASCII chars");
	is_int(utf8_chars(S("r\xc3\xa9sum\xc3\xa9")), 6, "two-byte chars");
	is_int(utf8_chars(S("\xe2\x82\xac\xf0\x9f\x98\x80")), 2, "three- and four-byte chars");
}

static void
test_controls(void)
{
	ok(text_no_controls("", 0), "empty");
	ok(text_no_controls(S("a b~\xc3\xa9\x80\xff")), "printable and high bytes");
	ok(!text_no_controls(S("a\x00")), "NUL");
	ok(!text_no_controls(S("a\tb")), "TAB");
	ok(!text_no_controls(S("a\rb")), "CR");
	ok(!text_no_controls(S("a\nb")), "LF");
	ok(!text_no_controls(S("\x1f")), "0x1f");
	ok(!text_no_controls(S("\x7f")), "DEL");
	ok(text_no_controls("a\n", 1), "length is respected");

	ok(text_ascii_ieq(S("Form-DATA"), "form-data"), "ieq");
	ok(!text_ascii_ieq(S("form-dat"), "form-data"), "shorter");
	ok(!text_ascii_ieq(S("form-datas"), "form-data"), "longer");
	ok(text_ascii_ieq("", 0, ""), "both empty");
	ok(!text_ascii_ieq(S("\xc3\xa9"), "\xc3\x89"), "no case folding beyond ASCII");
}

static void
test_escape(void)
{
	char	buf[64], small[8];

	is_str(text_escape_log(S("hello"), buf, sizeof(buf)), "hello", "plain");
	is_str(text_escape_log("", 0, buf, sizeof(buf)), "", "empty");
	is_str(text_escape_log(S("a\r\nb"), buf, sizeof(buf)), "a\\x0d\\x0ab", "CRLF escaped");
	is_str(text_escape_log(S("a\\b"), buf, sizeof(buf)), "a\\x5cb", "backslash escaped");
	is_str(text_escape_log(S("\x00\x7f\x80\xff"), buf, sizeof(buf)), "\\x00\\x7f\\x80\\xff", "NUL, DEL, high");
	is_str(text_escape_log(S(" ~"), buf, sizeof(buf)), " ~", "edges of printable ASCII");

	is_str(text_escape_log(S("1234567"), small, sizeof(small)), "1234567", "exactly fits");
	is_str(text_escape_log(S("12345678"), small, sizeof(small)), "1234...", "cut");
	is_str(text_escape_log(S("12\n45678"), small, sizeof(small)), "12...", "escape not split");
	is_str(text_escape_log(S("1\n"), small, sizeof(small)), "1\\x0a", "escape fits");
	is_str(text_escape_log(S("1\n3"), small, sizeof(small)), "1\\x0a3", "escapes fit exactly");
	is_str(text_escape_log(S("\n\n"), small, sizeof(small)), "\\x0a...", "one escape and dots");
	is_str(text_escape_log(S("a\n\n"), small, sizeof(small)), "a...", "no room for the escape");
	is_str(text_escape_log(S("\n\n"), small, 6), "...", "nothing but dots");
	is_str(text_escape_log(S("abc"), small, 3), "..", "outsz 3");
	is_str(text_escape_log(S("abc"), small, 2), ".", "outsz 2");
	is_str(text_escape_log(S("abc"), small, 1), "", "outsz 1");
	is_str(text_escape_log(S("ab"), small, 3), "ab", "outsz 3, fits");
	small[0] = 'X';
	ok(text_escape_log(S("abc"), small, 0) == small && small[0] == 'X', "outsz 0 writes nothing");
	ok(text_escape_log(S("abc"), buf, sizeof(buf)) == buf, "returns out");
}

int
main(void)
{
	test_base();
	test_params();
	test_max_params();
	test_bad();
	test_parse_params();
	test_valid();
	test_utf8();
	test_controls();
	test_escape();
	return done_testing();
}
