/*
 * Unit tests of the multipart parser.  Every valid body is fed whole, split
 * in two at every byte position, and byte by byte; the callbacks must tell
 * the same story each time.  Every malformed body must give the same error
 * however it is split.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "multipart.h"
#include "tap.h"

/* A string literal with its length, so bodies may hold NUL bytes. */
#define S(lit)	{ (lit), sizeof(lit) - 1 }

struct bytes {
	const char	*s;
	size_t		 len;
};

/* What the callbacks saw, as one transcript, plus counters. */
struct rec {
	char		*t;
	size_t		 len, cap;
	size_t		 data_calls;
	size_t		 empty_calls;
	size_t		 delivered;	/* content bytes of all parts */
	int		 fail_at;	/* 'b', 'd' or 'e': that callback fails */
};

static void
rec_put(struct rec *r, const char *s, size_t len)
{
	if (len > SIZE_MAX / 2 - r->len)
		abort();
	if (r->len + len + 1 > r->cap) {
		r->cap = (r->len + len + 1) * 2;
		if ((r->t = realloc(r->t, r->cap)) == NULL)
			abort();
	}
	memcpy(r->t + r->len, s, len);
	r->len += len;
	r->t[r->len] = '\0';
}

/* Empties the transcript and the counters, keeping the buffer and fail_at. */
static void
rec_reset(struct rec *r)
{
	r->len = 0;
	r->data_calls = r->empty_calls = r->delivered = 0;
	rec_put(r, "", 0);
}

static void
rec_str(struct rec *r, const char *s, size_t len)
{
	if (s == NULL)
		rec_put(r, "(null)", 6);
	else {
		rec_put(r, s, len);
		/* The strings handed to part_begin are C strings of exactly their length. */
		if (strlen(s) != len)
			rec_put(r, "(BADLEN)", 8);
	}
}

static enum vd_err
cb_begin(void *arg, const struct mp_part *part)
{
	struct rec	*r = arg;

	rec_put(r, "[", 1);
	rec_str(r, part->name, part->name_len);
	rec_put(r, "|", 1);
	rec_str(r, part->filename, part->filename_len);
	rec_put(r, "|", 1);
	rec_str(r, part->content_type, part->content_type_len);
	rec_put(r, "]", 1);
	return r->fail_at == 'b' ? VD_ERR_FIELD : VD_OK;
}

static enum vd_err
cb_data(void *arg, const char *buf, size_t len)
{
	struct rec	*r = arg;

	r->data_calls++;
	if (len == 0)
		r->empty_calls++;
	r->delivered += len;
	rec_put(r, buf, len);
	return r->fail_at == 'd' ? VD_ERR_FILENAME : VD_OK;
}

static enum vd_err
cb_end(void *arg)
{
	struct rec	*r = arg;

	rec_put(r, "[end]", 5);
	return r->fail_at == 'e' ? VD_ERR_INVALID : VD_OK;
}

static const struct mp_callbacks	callbacks = { cb_begin, cb_data, cb_end };
static const struct mp_limits		deflimits = { VD_DEFAULT_MAX_PARTS, VD_DEFAULT_MAX_PART_HEADER };

/*
 * Feeds body in pieces of the given sizes (0 ends the list; the rest goes
 * in one last piece) and returns the first error, or mp_finish()'s answer.
 */
static enum vd_err
run(const char *boundary, const struct mp_limits *lim, const char *body, size_t len,
    const size_t *sizes, struct rec *r)
{
	struct mp_parser	*p;
	size_t			 off = 0, n;
	enum vd_err		 err = VD_OK;

	rec_reset(r);
	if ((p = mp_new(boundary, strlen(boundary), lim, &callbacks, r)) == NULL)
		abort();
	while (err == VD_OK && off < len) {
		n = (sizes != NULL && *sizes != 0) ? *sizes++ : len - off;
		if (n > len - off)
			n = len - off;
		err = mp_feed(p, body + off, n);
		off += n;
	}
	if (err == VD_OK)
		err = mp_finish(p);
	mp_free(p);
	return err;
}

/* Byte by byte. */
static enum vd_err
run_bytes(const char *boundary, const struct mp_limits *lim, const char *body, size_t len,
    struct rec *r)
{
	struct mp_parser	*p;
	size_t			 i;
	enum vd_err		 err = VD_OK;

	rec_reset(r);
	if ((p = mp_new(boundary, strlen(boundary), lim, &callbacks, r)) == NULL)
		abort();
	for (i = 0; err == VD_OK && i < len; i++)
		err = mp_feed(p, body + i, 1);
	if (err == VD_OK)
		err = mp_finish(p);
	mp_free(p);
	return err;
}

struct vcase {
	const char	*what;
	const char	*boundary;
	struct bytes	 body;
	struct bytes	 want;		/* the transcript */
	size_t		 nonempty;	/* parts with content: part_data calls when fed whole */
};

#define CD	"Content-Disposition: form-data; name="
#define B69	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-"
#define B70	B69 "."

static const struct vcase valid[] = {
	{ "one part", "XyZ",
	  S("--XyZ\r\n" CD "\"data\"\r\n\r\nhello\r\n--XyZ--\r\n"),
	  S("[data|(null)|(null)]hello[end]"), 1 },
	{ "several parts", "----WebKitFormBoundary7MA4YWxkTrZu0gW",
	  S("------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    CD "\"data\"; filename=\"a.txt\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "line 1\r\nline 2\r\n"
	    "\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    CD "\"valueType\"\r\nContent-Type: text/plain\r\n\r\nFile"
	    "\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    CD "\"x\"\r\n\r\n1"
	    "\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"),
	  S("[data|a.txt|text/plain; charset=UTF-8]line 1\r\nline 2\r\n[end]"
	    "[valueType|(null)|text/plain]File[end][x|(null)|(null)]1[end]"), 3 },
	{ "empty content", "b",
	  S("--b\r\n" CD "\"data\"\r\n\r\n\r\n--b\r\n" CD "e\r\n\r\n\r\n--b--"),
	  S("[data|(null)|(null)][end][e|(null)|(null)][end]"), 0 },
	{ "content with CRLF-- and boundary prefixes", "XyZ",
	  S("--XyZ\r\n" CD "d\r\n\r\n"
	    "a\r\n--\r\n--X\r\n--Xy\r\n--XyY\r\r\n\r\n\r\n-\r\n--Xy"
	    "\r\n--XyZ--"),
	  S("[d|(null)|(null)]a\r\n--\r\n--X\r\n--Xy\r\n--XyY\r\r\n\r\n\r\n-\r\n--Xy[end]"), 1 },
	{ "content ending in CR", "XyZ",
	  S("--XyZ\r\n" CD "d\r\n\r\nx\r\r\n--XyZ--"),
	  S("[d|(null)|(null)]x\r[end]"), 1 },
	{ "content that is CRLF", "XyZ",
	  S("--XyZ\r\n" CD "d\r\n\r\n\r\n\r\n--XyZ--"),
	  S("[d|(null)|(null)]\r\n[end]"), 1 },
	{ "boundary without CRLF is content", "XyZ",
	  S("--XyZ\r\n" CD "d\r\n\r\n--XyZ x--XyZ--\n--XyZ\r--XyZ\r\n--XyZ--"),
	  S("[d|(null)|(null)]--XyZ x--XyZ--\n--XyZ\r--XyZ[end]"), 1 },
	{ "binary content with NUL", "XyZ",
	  S("--XyZ\r\n" CD "d\r\n\r\n\0\x01\xff\xfe\0\r\n\0--XyZ\r\n--XyZ--"),
	  S("[d|(null)|(null)]\0\x01\xff\xfe\0\r\n\0--XyZ[end]"), 1 },
	{ "preamble and epilogue", "XyZ",
	  S("This is the preamble.\r\n--XyY\r\nx--XyZ\r\n--XyZ\r\n" CD "d\r\n\r\nv"
	    "\r\n--XyZ--\r\nThe epilogue, --XyZ\r\n--XyZ\r\nbroken\r\n--XyZ--"),
	  S("[d|(null)|(null)]v[end]"), 1 },
	{ "empty preamble", "XyZ",
	  S("\r\n--XyZ\r\n" CD "d\r\n\r\nv\r\n--XyZ--"),
	  S("[d|(null)|(null)]v[end]"), 1 },
	{ "preamble that ends in CR", "XyZ",
	  S("\r\r\r\n--XyZ\r\n" CD "d\r\n\r\nv\r\n--XyZ--"),
	  S("[d|(null)|(null)]v[end]"), 1 },
	{ "transport padding", "XyZ",
	  S("--XyZ \t \r\n" CD "d\r\n\r\nv\r\n--XyZ\t\r\n" CD "e\r\n\r\nw\r\n--XyZ--  junk"),
	  S("[d|(null)|(null)]v[end][e|(null)|(null)]w[end]"), 2 },
	{ "Content-Transfer-Encoding is ignored", "XyZ",
	  S("--XyZ\r\nContent-Transfer-Encoding: base64\r\n" CD "data\r\nX-Other: 1\r\n\r\naGVsbG8="
	    "\r\n--XyZ--"),
	  S("[data|(null)|(null)]aGVsbG8=[end]"), 1 },
	{ "header names ignore case, OWS trimmed", "XyZ",
	  S("--XyZ\r\ncontent-disposition:form-data; name=\"a\"\r\nCONTENT-TYPE:\t application/json \t\r\n"
	    "\r\n{}\r\n--XyZ--"),
	  S("[a|(null)|application/json]{}[end]"), 1 },
	{ "empty Content-Type value", "XyZ",
	  S("--XyZ\r\n" CD "a\r\nContent-Type:\r\n\r\nx\r\n--XyZ--"),
	  S("[a|(null)|]x[end]"), 1 },
	{ "zero parts", "XyZ",
	  S("--XyZ--"),
	  S(""), 0 },
	{ "longest boundary", B70,
	  S("--" B70 "\r\n" CD "d\r\n\r\n\r\n--" B69 "X\r\n--" B70 "--"),
	  S("[d|(null)|(null)]\r\n--" B69 "X[end]"), 1 },
	{ "boundary with space and specials", "a b'()+_,-./:=?z",
	  S("--a b'()+_,-./:=?z\r\n" CD "d\r\n\r\nv\r\n--a b'()+_,-./:=?z--"),
	  S("[d|(null)|(null)]v[end]"), 1 },
	{ "one-character boundary", "-",
	  S("---\r\n" CD "d\r\n\r\n-\r\n--x\r\n-\r\n---\r\n" CD "e\r\n\r\n\r\n-----"),
	  S("[d|(null)|(null)]-\r\n--x\r\n-[end][e|(null)|(null)][end]"), 1 },
	{ "filename* and UTF-8", "XyZ",
	  S("--XyZ\r\n" CD "\"data\"; filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\nv\r\n--XyZ\r\n"
	    CD "\"f\"; filename=\"\xc3\xa9 x.bin\"\r\n\r\nw\r\n--XyZ--"),
	  S("[data|\xc3\xa9t\xc3\xa9.txt|(null)]v[end][f|\xc3\xa9 x.bin|(null)]w[end]"), 2 },
	{ "same name twice", "XyZ",
	  S("--XyZ\r\n" CD "d\r\n\r\n1\r\n--XyZ\r\n" CD "d\r\n\r\n2\r\n--XyZ--"),
	  S("[d|(null)|(null)]1[end][d|(null)|(null)]2[end]"), 2 },
};

struct bcase {
	const char	*what;
	struct bytes	 body;
	enum vd_err	 err;
};

#define P	"--XyZ\r\n"
#define OK_H	CD "d\r\n\r\n"

static const struct bcase malformed[] = {
	{ "empty body", S(""), VD_ERR_MULTIPART },
	{ "no delimiter at all", S("hello world\r\n"), VD_ERR_MULTIPART },
	{ "preamble only", S("x\r\n--XyZ"), VD_ERR_MULTIPART },
	{ "boundary only", S("--XyZ"), VD_ERR_MULTIPART },
	{ "half a close delimiter", S("--XyZ-"), VD_ERR_MULTIPART },
	{ "truncated after boundary line", S(P), VD_ERR_MULTIPART },
	{ "truncated in padding", S("--XyZ  "), VD_ERR_MULTIPART },
	{ "truncated after CR", S("--XyZ\r"), VD_ERR_MULTIPART },
	{ "truncated in headers", S(P CD "d\r\n"), VD_ERR_MULTIPART },
	{ "truncated in a header line", S(P CD "d"), VD_ERR_MULTIPART },
	{ "truncated in content", S(P OK_H "abc"), VD_ERR_MULTIPART },
	{ "truncated in a delimiter", S(P OK_H "abc\r\n--Xy"), VD_ERR_MULTIPART },
	{ "truncated after a delimiter", S(P OK_H "abc\r\n--XyZ"), VD_ERR_MULTIPART },
	{ "truncated after the next boundary line", S(P OK_H "abc\r\n--XyZ\r\n"), VD_ERR_MULTIPART },
	{ "junk after boundary", S("--XyZx\r\n" OK_H "\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "junk after inner boundary", S(P OK_H "a\r\n--XyZZ\r\n" OK_H "\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "single dash after boundary", S("--XyZ-x"), VD_ERR_MULTIPART },
	{ "padding then dashes", S("--XyZ --"), VD_ERR_MULTIPART },
	{ "padding then junk", S("--XyZ x\r\n"), VD_ERR_MULTIPART },
	{ "bare LF after boundary", S("--XyZ\n" OK_H "\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "CR without LF after boundary", S("--XyZ\rx"), VD_ERR_MULTIPART },
	{ "bare LF in headers", S(P CD "d\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "bare LF ending headers", S(P CD "d\r\n\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "bare CR in a header", S(P CD "d\rx\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "CR CR LF", S(P CD "d\r\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "header folding (SP)", S(P CD "d\r\n x\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "header folding (HT)", S(P CD "d\r\n\tx\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "first header line starts with SP", S(P " " CD "d\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "header line without colon", S(P CD "d\r\nX-Foo\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "empty header name", S(P CD "d\r\n: x\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "space before colon", S(P "Content-Disposition : form-data; name=d\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "non-token header name", S(P CD "d\r\nX(y): 1\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "NUL in a header", S(P CD "d\r\nX: a\0b\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "control byte in a header", S(P CD "d\r\nX: a\x01\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "DEL in a header", S(P CD "d\x7f\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "ESC in a header", S(P CD "d\r\nContent-Type: text/\x1b\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "no Content-Disposition", S(P "Content-Type: text/plain\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "no headers at all", S(P "\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "duplicate Content-Disposition", S(P CD "d\r\n" CD "d\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "duplicate Content-Disposition, other case",
	  S(P CD "d\r\ncontent-disposition: form-data; name=e\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "duplicate Content-Type",
	  S(P CD "d\r\nContent-Type: text/plain\r\ncontent-type: text/plain\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "Content-Disposition not form-data", S(P "Content-Disposition: attachment; name=d\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "Content-Disposition without name", S(P "Content-Disposition: form-data\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "Content-Disposition empty", S(P "Content-Disposition:\r\n\r\nx\r\n--XyZ--"), VD_ERR_MULTIPART },
	{ "bad part after a good one", S(P OK_H "v\r\n--XyZ\r\nX-Foo\r\n\r\n\r\n--XyZ--"), VD_ERR_MULTIPART },
};

/* The transcript of a whole feed, and the same for every two-way split and byte by byte. */
static void
check_valid(const struct vcase *c)
{
	struct rec	 r = { 0 }, s = { 0 };
	size_t		 cut, sizes[2], bad = 0;
	enum vd_err	 err;

	err = run(c->boundary, &deflimits, c->body.s, c->body.len, NULL, &r);
	is_int(err, VD_OK, "valid: %s", c->what);
	ok(r.len == c->want.len && memcmp(r.t, c->want.s, r.len) == 0, "  transcript");
	if (r.len != c->want.len || memcmp(r.t, c->want.s, r.len) != 0)
		printf("#   got \"%s\"\n#  want \"%s\"\n", r.t, c->want.s);
	is_int(r.data_calls, c->nonempty, "  one part_data call per part when fed whole");
	for (cut = 0; cut <= c->body.len; cut++) {
		sizes[0] = cut;
		sizes[1] = 0;
		/* A zero first size means "the rest": cut 0 is the whole feed again. */
		err = run(c->boundary, &deflimits, c->body.s, c->body.len, sizes, &s);
		if (err != VD_OK || s.len != r.len || memcmp(s.t, r.t, r.len) != 0 || s.empty_calls)
			bad++;
	}
	is_int(bad, 0, "  same result when split at each of %zu positions", c->body.len + 1);
	err = run_bytes(c->boundary, &deflimits, c->body.s, c->body.len, &s);
	ok(err == VD_OK && s.len == r.len && memcmp(s.t, r.t, r.len) == 0 && s.empty_calls == 0,
	    "  same result byte by byte");
	free(r.t);
	free(s.t);
}

static void
check_malformed(const char *what, const struct mp_limits *lim, const char *body, size_t len,
    enum vd_err want)
{
	struct rec	 r = { 0 };
	size_t		 cut, sizes[2], bad = 0;

	is_int(run("XyZ", lim, body, len, NULL, &r), want, "malformed: %s", what);
	for (cut = 1; cut < len; cut++) {
		sizes[0] = cut;
		sizes[1] = 0;
		if (run("XyZ", lim, body, len, sizes, &r) != want)
			bad++;
	}
	is_int(bad, 0, "  same error when split anywhere");
	is_int(run_bytes("XyZ", lim, body, len, &r), want, "  same error byte by byte");
	free(r.t);
}

static void
test_boundaries(void)
{
	static const char	 b71[] = B70 "x";
	struct rec		 r = { 0 };
	struct mp_parser	*p;

	ok(mp_new("", 0, &deflimits, &callbacks, &r) == NULL, "boundary: empty refused");
	ok(mp_new(NULL, 3, &deflimits, &callbacks, &r) == NULL, "boundary: NULL refused");
	ok(mp_new(b71, 71, &deflimits, &callbacks, &r) == NULL, "boundary: 71 characters refused");
	ok(mp_new("ab ", 3, &deflimits, &callbacks, &r) == NULL, "boundary: trailing space refused");
	ok(mp_new("a\rb", 3, &deflimits, &callbacks, &r) == NULL, "boundary: CR refused");
	ok(mp_new("a;b", 3, &deflimits, &callbacks, &r) == NULL, "boundary: ';' refused");
	ok(mp_new("a\"b", 3, &deflimits, &callbacks, &r) == NULL, "boundary: '\"' refused");
	ok(mp_new("a\0b", 3, &deflimits, &callbacks, &r) == NULL, "boundary: NUL refused");
	ok(mp_new("\xc3\xa9", 2, &deflimits, &callbacks, &r) == NULL, "boundary: non-ASCII refused");
	ok(mp_new("ab", 2, NULL, &callbacks, &r) == NULL, "no limits refused");
	ok(mp_new("ab", 2, &deflimits, NULL, &r) == NULL, "no callbacks refused");
	p = mp_new(" a", 2, &deflimits, &callbacks, &r);
	ok(p != NULL, "boundary: leading space accepted");
	mp_free(p);
	p = mp_new(B70, 70, &deflimits, &callbacks, &r);
	ok(p != NULL, "boundary: 70 characters accepted");
	mp_free(p);
	mp_free(NULL);
}

/* RFC 2046 section 5.1.1: the boundary is case-sensitive. */
static void
test_boundary_case(void)
{
	static const char	body[] = P OK_H "v\r\n--xyz--\r\n--XyZ--";
	struct rec		r = { 0 };

	is_int(run("XyZ", &deflimits, body, sizeof(body) - 1, NULL, &r), VD_OK, "boundary matched case-sensitively");
	is_str(r.t, "[d|(null)|(null)]v\r\n--xyz--[end]", "  lower-case boundary is content");
	free(r.t);
}

/* The header block limit counts every byte of the block, the empty line's CRLF included. */
static void
test_header_limit(void)
{
	static const char	body[] = P CD "d\r\nX: 12345\r\n\r\nv\r\n--XyZ--";
	const size_t		block = sizeof(CD "d\r\nX: 12345\r\n\r\n") - 1;
	struct mp_limits	lim = { 4, block };
	char			*big;
	size_t			 n = 100000;
	struct rec		 r = { 0 };

	is_int(run("XyZ", &lim, body, sizeof(body) - 1, NULL, &r), VD_OK, "header block of exactly max_header");
	lim.max_header = block - 1;
	check_malformed("header block one byte over max_header", &lim, body, sizeof(body) - 1,
	    VD_ERR_PART_HEADER);
	lim.max_header = 0;
	check_malformed("max_header 0", &lim, body, sizeof(body) - 1, VD_ERR_PART_HEADER);
	/* An endless header is refused while it streams in, not at the end. */
	if ((big = malloc(n)) == NULL)
		abort();
	memset(big, 'a', n);
	memcpy(big, P "X-Long: ", sizeof(P "X-Long: ") - 1);
	is_int(run("XyZ", &deflimits, big, n, NULL, &r), VD_ERR_PART_HEADER, "endless header refused");
	is_int(r.len, 0, "  no callback");
	free(big);
	free(r.t);
}

static void
test_part_limit(void)
{
	static const char	two[] = P OK_H "1\r\n--XyZ\r\n" OK_H "2\r\n--XyZ--";
	static const char	three[] = P OK_H "1\r\n--XyZ\r\n" OK_H "2\r\n--XyZ\r\n" OK_H "3\r\n--XyZ--";
	static const char	third_starts[] = P OK_H "1\r\n--XyZ\r\n" OK_H "2\r\n--XyZ\r\n";
	static const char	third_half[] = P OK_H "1\r\n--XyZ\r\n" OK_H "2\r\n--XyZ\r";
	struct mp_limits	lim = { 2, VD_DEFAULT_MAX_PART_HEADER };
	struct rec		r = { 0 };

	is_int(run("XyZ", &lim, two, sizeof(two) - 1, NULL, &r), VD_OK, "max_parts parts accepted");
	check_malformed("one part too many", &lim, three, sizeof(three) - 1, VD_ERR_PART_COUNT);
	check_malformed("one part too many, seen when it starts", &lim, third_starts,
	    sizeof(third_starts) - 1, VD_ERR_PART_COUNT);
	check_malformed("a third boundary line not yet ended", &lim, third_half, sizeof(third_half) - 1,
	    VD_ERR_MULTIPART);
	lim.max_parts = 0;
	check_malformed("max_parts 0", &lim, two, sizeof(two) - 1, VD_ERR_PART_COUNT);
	is_int(run("XyZ", &lim, "--XyZ--", 7, NULL, &r), VD_OK, "max_parts 0, no part");
	free(r.t);
}

/* A callback's error stops the parser, and every later call repeats it. */
static void
test_callback_errors(void)
{
	static const char	body[] = P OK_H "v\r\n--XyZ--";
	static const struct {
		int		at;
		enum vd_err	err;
		const char	*seen;
	} cases[] = {
		{ 'b', VD_ERR_FIELD, "[d|(null)|(null)]" },
		{ 'd', VD_ERR_FILENAME, "[d|(null)|(null)]v" },
		{ 'e', VD_ERR_INVALID, "[d|(null)|(null)]v[end]" },
	};
	struct mp_parser	*p;
	struct rec		 r = { 0 };
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.fail_at = cases[i].at;
		is_int(run("XyZ", &deflimits, body, sizeof(body) - 1, NULL, &r), cases[i].err,
		    "callback '%c' error returned", cases[i].at);
		is_str(r.t, cases[i].seen, "  and nothing after it");
		is_int(run_bytes("XyZ", &deflimits, body, sizeof(body) - 1, &r), cases[i].err,
		    "  byte by byte too");
	}
	r.fail_at = 'b';
	rec_reset(&r);
	p = mp_new("XyZ", 3, &deflimits, &callbacks, &r);
	is_int(mp_feed(p, body, sizeof(body) - 1), VD_ERR_FIELD, "sticky: first error");
	is_int(mp_feed(p, body, sizeof(body) - 1), VD_ERR_FIELD, "sticky: feed repeats it");
	is_int(mp_feed(p, "", 0), VD_ERR_FIELD, "sticky: empty feed repeats it");
	is_int(mp_finish(p), VD_ERR_FIELD, "sticky: finish repeats it");
	mp_free(p);
	r.fail_at = 0;
	p = mp_new("XyZ", 3, &deflimits, &callbacks, &r);
	is_int(mp_feed(p, "--XyZ!", 6), VD_ERR_MULTIPART, "sticky: malformed");
	is_int(mp_feed(p, body, sizeof(body) - 1), VD_ERR_MULTIPART, "sticky: good bytes after it");
	is_int(mp_finish(p), VD_ERR_MULTIPART, "sticky: finish");
	mp_free(p);
	p = mp_new("XyZ", 3, &deflimits, &callbacks, &r);
	is_int(mp_feed(p, P OK_H "v", sizeof(P OK_H "v") - 1), VD_OK, "truncated: feed fine");
	is_int(mp_finish(p), VD_ERR_MULTIPART, "truncated: finish fails");
	is_int(mp_finish(p), VD_ERR_MULTIPART, "truncated: finish again");
	is_int(mp_feed(p, "\r\n--XyZ--", 9), VD_ERR_MULTIPART, "truncated: no feeding after finish failed");
	mp_free(p);
	free(r.t);
}

/* Length of the longest suffix of s[0..len) that is a proper prefix of d. */
static size_t
held_expected(const char *s, size_t len, const char *d, size_t dlen)
{
	size_t	k;

	for (k = dlen - 1; k > 0; k--)
		if (k <= len && memcmp(s + len - k, d, k) == 0)
			return k;
	return 0;
}

/*
 * Content is delivered as soon as it cannot be part of a delimiter: after
 * every byte, what is held back is exactly the longest delimiter prefix
 * that ends the content so far, never more than the delimiter less one.
 */
static void
test_prompt(void)
{
	static const char	head[] = "--boundary\r\n" CD "d\r\n\r\n";
	static const char	content[] = "abc\r\n--bound\r\r\n-\r\n--boundar\r\n--boundarx\r\n\r\n--xyz\r";
	static const char	delim[] = "\r\n--boundary";
	char			 body[256];
	struct mp_parser	*p;
	struct rec		 r = { 0 };
	size_t			 hl = sizeof(head) - 1, cl = sizeof(content) - 1, i, bad = 0, most = 0, held;

	memcpy(body, head, hl);
	memcpy(body + hl, content, cl);
	memcpy(body + hl + cl, "\r\n--boundary--", 14);
	rec_put(&r, "", 0);
	p = mp_new("boundary", 8, &deflimits, &callbacks, &r);
	for (i = 0; i < hl + cl; i++) {
		if (mp_feed(p, body + i, 1) != VD_OK)
			bad++;
		if (i + 1 <= hl)
			continue;
		held = (i + 1 - hl) - r.delivered;
		if (held != held_expected(content, i + 1 - hl, delim, sizeof(delim) - 1))
			bad++;
		if (held > most)
			most = held;
	}
	is_int(bad, 0, "held back only a delimiter prefix after every byte");
	is_int(most, sizeof(delim) - 2, "  at most the delimiter less one byte");
	is_int(r.delivered, cl - 1, "  all but the final CR delivered");
	ok(mp_feed(p, body + hl + cl, 14) == VD_OK && mp_finish(p) == VD_OK, "  then the body ends");
	is_int(r.delivered, cl, "  and the CR turned out to be content");
	mp_free(p);
	free(r.t);
}

/* Large content in chunks: delivered in runs, one call per chunk at most (plus held-back bytes). */
static void
test_large(void)
{
	const size_t		 n = 1 << 20;
	struct mp_parser	*p;
	struct rec		 r = { 0 };
	char			*body;
	size_t			 hl, i, off, chunk = VD_IO_CHUNK;
	enum vd_err		 err = VD_OK;

	if ((body = malloc(n)) == NULL)
		abort();
	hl = sizeof(P OK_H) - 1;
	memcpy(body, P OK_H, hl);
	for (i = hl; i < n; i++)
		body[i] = (i % 97 == 0) ? '\r' : (i % 89 == 0) ? '\n' : (char)('a' + i % 26);
	memcpy(body + n - 9, "\r\n--XyZ--", 9);
	p = mp_new("XyZ", 3, &deflimits, &callbacks, &r);
	for (off = 0; err == VD_OK && off < n; off += chunk)
		err = mp_feed(p, body + off, n - off < chunk ? n - off : chunk);
	ok(err == VD_OK && mp_finish(p) == VD_OK, "1 MiB part in %zu-byte chunks", chunk);
	is_int(r.delivered, n - hl - 9, "  every content byte delivered");
	ok(r.data_calls <= 2 * (n / chunk + 1), "  in %zu calls", r.data_calls);
	mp_free(p);
	free(body);
	free(r.t);
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		check_valid(&valid[i]);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		check_malformed(malformed[i].what, &deflimits, malformed[i].body.s, malformed[i].body.len,
		    malformed[i].err);
	test_boundaries();
	test_boundary_case();
	test_header_limit();
	test_part_limit();
	test_callback_errors();
	test_prompt();
	test_large();
	return done_testing();
}
