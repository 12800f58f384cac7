/*
 * libFuzzer harness for the multipart parser.
 *
 * Input format: "<boundary>\n<body>".  The bytes before the first newline
 * are the boundary, as it would come from the Content-Type parameter; the
 * rest is the request body.  An input without a newline, or with a
 * boundary that mp_new() refuses, is skipped.  Limits are small (8 parts,
 * 512 header bytes) so the fuzzer reaches them.
 *
 * The body is parsed several ways: in one piece, split in two at a
 * position derived from the input, in pseudo-random chunks of 1 to 16
 * bytes, and (for short bodies) byte by byte.  Each run's callbacks are
 * digested; any difference in the digest, the content length, the part
 * count or the final error aborts, as do callbacks out of order, an empty
 * part_data call, or part strings that are not C strings of their length.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BYTEWISE_MAX	2048

struct run {
	uint64_t	hash;		/* FNV-1a over the callbacks, independent of chunking */
	size_t		content;
	size_t		parts;
	bool		in_part;
	enum vd_err	err;
};

static void
check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_multipart: %s\n", what);
		abort();
	}
}

static void
mix(struct run *r, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		r->hash ^= s[i];
		r->hash *= 0x100000001b3ULL;
	}
}

static void
mix_string(struct run *r, const char *s, size_t len)
{
	check(s == NULL || strlen(s) == len, "part string length");
	mix(r, &len, sizeof(len));
	if (s != NULL)
		mix(r, s, len);
	mix(r, s == NULL ? "N" : "S", 1);
}

static enum vd_err
on_begin(void *arg, const struct mp_part *part)
{
	struct run	*r = arg;

	check(!r->in_part, "part_begin inside a part");
	check(part->name != NULL, "part without a name");
	r->in_part = true;
	r->parts++;
	mix(r, "B", 1);
	mix_string(r, part->name, part->name_len);
	mix_string(r, part->filename, part->filename_len);
	mix_string(r, part->content_type, part->content_type_len);
	return VD_OK;
}

static enum vd_err
on_data(void *arg, const char *buf, size_t len)
{
	struct run	*r = arg;

	check(r->in_part, "part_data outside a part");
	check(len > 0, "empty part_data");
	r->content += len;
	mix(r, buf, len);
	return VD_OK;
}

static enum vd_err
on_end(void *arg)
{
	struct run	*r = arg;

	check(r->in_part, "part_end outside a part");
	r->in_part = false;
	mix(r, "E", 1);
	return VD_OK;
}

static const struct mp_callbacks	cbs = { on_begin, on_data, on_end };
static const struct mp_limits		limits = { 8, 512 };

/* How the body is cut: a first piece, then pieces of step bytes, or random sizes of 1 to 16. */
struct cut {
	size_t		first;
	size_t		step;
	bool		random;
	uint64_t	rng;
};

static size_t
next_size(struct cut *c, size_t off, size_t left)
{
	size_t	n;

	if (c->random) {
		c->rng = c->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = 1 + (size_t)(c->rng >> 60);
	} else
		n = off == 0 ? c->first : c->step;
	if (n == 0)
		n = 1;
	return n < left ? n : left;
}

static void
parse(const char *b, size_t blen, const char *body, size_t len, struct cut c, struct run *r)
{
	struct mp_parser	*p = mp_new(b, blen, &limits, &cbs, r);
	size_t			 off = 0, n;

	check(p != NULL, "mp_new");
	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	while (r->err == VD_OK && off < len) {
		n = next_size(&c, off, len - off);
		r->err = mp_feed(p, body + off, n);
		off += n;
	}
	if (r->err == VD_OK)
		r->err = mp_finish(p);
	/* An error is sticky; after the close delimiter more bytes are epilogue. */
	check(mp_feed(p, body, len) == r->err, "sticky error");
	check(mp_finish(p) == r->err, "sticky finish");
	mp_free(p);
}

/*
 * The parser works byte by byte in effect, so however the body is cut the
 * callbacks see the same bytes, in the same order, up to the same error.
 */
static void
same(const struct run *a, const struct run *b, const char *how)
{
	if (a->err == b->err && a->hash == b->hash && a->content == b->content && a->parts == b->parts)
		return;
	fprintf(stderr, "fuzz_multipart: %s differs: err %d/%d parts %zu/%zu content %zu/%zu\n",
	    how, a->err, b->err, a->parts, b->parts, a->content, b->content);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t		*nl = memchr(data, '\n', size);
	const char		*b = (const char *)data, *body;
	struct mp_parser	*probe;
	struct run		 whole, other;
	struct cut		 c = { 0, 0, false, 0 };
	size_t			 blen, len, i;

	if (nl == NULL)
		return 0;
	blen = (size_t)(nl - data);
	body = (const char *)nl + 1;
	len = size - blen - 1;
	if ((probe = mp_new(b, blen, &limits, &cbs, &whole)) == NULL)
		return 0;
	mp_free(probe);
	c.first = c.step = len;
	parse(b, blen, body, len, c, &whole);
	check(whole.err != VD_OK || !whole.in_part, "success inside a part");
	c.first = len / 2;
	parse(b, blen, body, len, c, &other);
	same(&whole, &other, "split in half");
	for (i = 0; i < size; i++)
		c.rng = c.rng * 31 + data[i];
	c.first = (size_t)(c.rng % (len + 1));
	parse(b, blen, body, len, c, &other);
	same(&whole, &other, "split at a derived position");
	c.random = true;
	parse(b, blen, body, len, c, &other);
	same(&whole, &other, "random chunks");
	if (len <= BYTEWISE_MAX) {
		c.random = false;
		c.first = c.step = 1;
		parse(b, blen, body, len, c, &other);
		same(&whole, &other, "byte by byte");
	}
	return 0;
}
