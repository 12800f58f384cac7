/*
 * Unit tests of the request router: every route, both prefixes, the engine
 * rule, and the paths that must not match.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "tap.h"

#define ALL	(ROUTE_GET | ROUTE_HEAD | ROUTE_POST)
#define RO	(ROUTE_GET | ROUTE_HEAD)

struct rcase {
	const char	*base;
	const char	*uri;
	enum vd_err	 err;
	enum route_scope scope;
	bool		 local;
	const char	*id;
	const char	*name;		/* NULL for /variable-instance */
	unsigned	 allow;
};

static const struct rcase cases[] = {
	/* Every route, under the default base. */
	{ "/engine-rest", "/engine-rest/task/t1/localVariables/v/data", VD_OK, SCOPE_TASK, true, "t1", "v", ALL },
	{ "/engine-rest", "/engine-rest/task/t1/variables/v/data", VD_OK, SCOPE_TASK, false, "t1", "v", ALL },
	{ "/engine-rest", "/engine-rest/process-instance/p/variables/v/data", VD_OK, SCOPE_PROCESS_INSTANCE, false, "p", "v", ALL },
	{ "/engine-rest", "/engine-rest/execution/e/localVariables/v/data", VD_OK, SCOPE_EXECUTION, true, "e", "v", ALL },
	{ "/engine-rest", "/engine-rest/case-instance/c/variables/v/data", VD_OK, SCOPE_CASE_INSTANCE, false, "c", "v", ALL },
	{ "/engine-rest", "/engine-rest/case-execution/c/variables/v/data", VD_OK, SCOPE_CASE_EXECUTION, false, "c", "v", ALL },
	{ "/engine-rest", "/engine-rest/case-execution/c/localVariables/v/data", VD_OK, SCOPE_CASE_EXECUTION, true, "c", "v", ALL },
	{ "/engine-rest", "/engine-rest/variable-instance/vi/data", VD_OK, SCOPE_VARIABLE_INSTANCE, false, "vi", NULL, RO },
	/* The named default engine is the same resource. */
	{ "/engine-rest", "/engine-rest/engine/default/task/t1/variables/v/data", VD_OK, SCOPE_TASK, false, "t1", "v", ALL },
	{ "/engine-rest", "/engine-rest/engine/default/variable-instance/vi/data", VD_OK, SCOPE_VARIABLE_INSTANCE, false, "vi", NULL, RO },
	{ "/engine-rest", "/engine-rest/engine/%64efault/task/t/variables/v/data", VD_OK, SCOPE_TASK, false, "t", "v", ALL },
	/* Other engines. */
	{ "/engine-rest", "/engine-rest/engine/other/task/t1/variables/v/data", VD_ERR_NO_ENGINE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/Default/variable-instance/vi/data", VD_ERR_NO_ENGINE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/%zz/variable-instance/vi/data", VD_ERR_NO_ENGINE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/other/task/%zz/variables/v/data", VD_ERR_NO_ENGINE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/other/task/t1/nothing/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/other", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/default", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/default/engine/default/task/t/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	/* Other bases. */
	{ "", "/task/t1/variables/v/data", VD_OK, SCOPE_TASK, false, "t1", "v", ALL },
	{ "/", "/task/t1/variables/v/data", VD_OK, SCOPE_TASK, false, "t1", "v", ALL },
	{ "", "/engine/default/execution/e/localVariables/v/data", VD_OK, SCOPE_EXECUTION, true, "e", "v", ALL },
	{ "/a/b/", "/a/b/task/t/variables/v/data", VD_OK, SCOPE_TASK, false, "t", "v", ALL },
	{ "", "/engine-rest/task/t1/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/task/t1/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-restx/task/t1/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/Engine-rest/task/t1/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "", "", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "", "/", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "engine-rest/task/t1/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	/* Query strings and fragments are ignored, and end the path. */
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data?deserializeValue=false", VD_OK, SCOPE_TASK, false, "t", "v", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data?a=/b/../c", VD_OK, SCOPE_TASK, false, "t", "v", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data#frag", VD_OK, SCOPE_TASK, false, "t", "v", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/v%3F/data?x", VD_OK, SCOPE_TASK, false, "t", "v?", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/v?/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest?/task/t/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	/* Pairings that do not exist, wrong literals, wrong lengths. */
	{ "/engine-rest", "/engine-rest/process-instance/p/localVariables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/execution/e/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/case-instance/c/localVariables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/variable-instance/vi/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/Data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/Variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/Task/t/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/%64ata", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data/x", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/w/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data/x/y/z/w", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/variable-instance/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/variable-instance", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/deployment/d/resources/r/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	/* One trailing slash is the same resource (as in JAX-RS); two are not. */
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data/", VD_OK, SCOPE_TASK, false, "t", "v", ALL },
	{ "/engine-rest", "/engine-rest/task/t/localVariables/v/data/?x=1", VD_OK, SCOPE_TASK, true, "t", "v", ALL },
	{ "/engine-rest", "/engine-rest/engine/default/execution/e/localVariables/v/data/", VD_OK, SCOPE_EXECUTION, true, "e", "v", ALL },
	{ "/engine-rest", "/engine-rest/variable-instance/vi/data/", VD_OK, SCOPE_VARIABLE_INSTANCE, false, "vi", NULL, RO },
	{ "/engine-rest/", "/engine-rest/variable-instance/vi/data/#f", VD_OK, SCOPE_VARIABLE_INSTANCE, false, "vi", NULL, RO },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data//", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/variable-instance/vi/data//", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data/x/", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/v/", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/engine/other/task/t/variables/v/data/", VD_ERR_NO_ENGINE, 0, false, NULL, NULL, 0 },
	/* Empty and dot segments. */
	{ "/engine-rest", "/engine-rest//task/t/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task//variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables//data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/./variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/../data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/x/../t/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/%2e%2E/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/%2E/variables/v/data", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/.../data", VD_OK, SCOPE_TASK, false, "t", "...", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/.x/data", VD_OK, SCOPE_TASK, false, "t", ".x", ALL },
	/* Decoding: per segment, "+" is literal, %2F stays in the name. */
	{ "/engine-rest", "/engine-rest/task/t/variables/a%2Fb/data", VD_OK, SCOPE_TASK, false, "t", "a/b", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/a%2fb%2F..%2F/data", VD_OK, SCOPE_TASK, false, "t", "a/b/../", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/a+b/data", VD_OK, SCOPE_TASK, false, "t", "a+b", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/a%20b/data", VD_OK, SCOPE_TASK, false, "t", "a b", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/a b/data", VD_OK, SCOPE_TASK, false, "t", "a b", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/100%25/data", VD_OK, SCOPE_TASK, false, "t", "100%", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/%2525/data", VD_OK, SCOPE_TASK, false, "t", "%25", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/%22q%22'/data", VD_OK, SCOPE_TASK, false, "t", "\"q\"'", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/%C3%A9t%c3%a9/data", VD_OK, SCOPE_TASK, false, "t", "\xc3\xa9t\xc3\xa9", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/\xc3\xa9/data", VD_OK, SCOPE_TASK, false, "t", "\xc3\xa9", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/%F0%9F%98%80/data", VD_OK, SCOPE_TASK, false, "t", "\xf0\x9f\x98\x80", ALL },
	{ "/engine-rest", "/engine-rest/task/%74%31/variables/v/data", VD_OK, SCOPE_TASK, false, "t1", "v", ALL },
	{ "/engine-rest", "/engine-rest/task/t/variables/%0A/data", VD_OK, SCOPE_TASK, false, "t", "\n", ALL },
	{ "/engine-rest", "/engine-rest/variable-instance/%2F/data", VD_OK, SCOPE_VARIABLE_INSTANCE, false, "/", NULL, RO },
	/* Bad escapes, NUL, invalid UTF-8. */
	{ "/engine-rest", "/engine-rest/task/t/variables/%/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/a%2/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/a%G0/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/a%0/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/a%00b/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t%00/variables/v/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/%FF/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/%C3/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/%C0%AF/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/%ED%A0%80/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/task/t/variables/\xff/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	{ "/engine-rest", "/engine-rest/variable-instance/%/data", VD_ERR_BAD_PATH, 0, false, NULL, NULL, 0 },
	/* A bad escape in a literal segment is simply not that literal. */
	{ "/engine-rest", "/engine-rest/task/t/variables/v/data%", VD_ERR_NO_ROUTE, 0, false, NULL, NULL, 0 },
};

static void
check_case(const struct rcase *c)
{
	struct route	 r;
	size_t		 bufsz = strlen(c->uri) + 2;
	char		*buf = malloc(bufsz);
	enum vd_err	 err;

	if (buf == NULL)
		abort();
	memset(&r, 0, sizeof(r));
	err = route_parse(c->base, c->uri, buf, bufsz, &r);
	is_int(err, c->err, "[%s] %s: %s", c->base, c->uri, vd_strerror(c->err));
	if (err == VD_OK && c->err == VD_OK) {
		is_int(r.scope, c->scope, "  scope");
		is_int(r.local, c->local, "  local");
		is_str(r.id, c->id, "  id");
		is_int(r.id_len, strlen(c->id), "  id_len");
		is_str(r.name, c->name, "  name");
		is_int(r.name_len, c->name ? strlen(c->name) : 0, "  name_len");
		is_int(r.allow, c->allow, "  allow");
	}
	free(buf);
}

/* The buffer is checked against the segments it must hold, never overrun. */
static void
test_small_buffer(void)
{
	const char	*uri = "/engine-rest/task/abc/variables/defg/data";
	struct route	 r;
	char		 buf[64];

	is_int(route_parse("/engine-rest", uri, buf, 8, &r), VD_ERR_INTERNAL, "buffer one byte short");
	is_int(route_parse("/engine-rest", uri, buf, 9, &r), VD_OK, "buffer exactly large enough");
	is_str(r.name, "defg", "  name");
	is_int(route_parse("/engine-rest", uri, buf, 0, &r), VD_ERR_INTERNAL, "no buffer");
}

static void
test_pct_decode(void)
{
	char	out[16];
	size_t	len = 99;

	ok(pct_decode("", 0, out, &len) && len == 0 && out[0] == '\0', "decode empty");
	ok(pct_decode("a%41%7a+", 8, out, &len) && len == 4 && strcmp(out, "aAz+") == 0, "decode mixed");
	ok(pct_decode("%2F%2f", 6, out, &len) && len == 2 && strcmp(out, "//") == 0, "decode slashes");
	ok(pct_decode("%41", 2, out, &len) == false, "decode honours len (truncated escape)");
	ok(pct_decode("%4", 2, out, &len) == false, "decode short escape");
	ok(pct_decode("%%41", 4, out, &len) == false, "decode %% is not an escape");
	ok(pct_decode("a%00", 4, out, &len) == false, "decode NUL refused");
	ok(pct_decode("a\0b", 3, out, &len) == false, "raw NUL refused");
	ok(pct_decode("%-1", 3, out, &len) == false, "decode sign refused");
}

static void
test_allow(void)
{
	char	buf[32];

	route_allow_header(ROUTE_GET | ROUTE_HEAD | ROUTE_POST, buf, sizeof(buf));
	is_str(buf, "GET, HEAD, POST", "allow all");
	route_allow_header(ROUTE_GET | ROUTE_HEAD, buf, sizeof(buf));
	is_str(buf, "GET, HEAD", "allow read-only");
	route_allow_header(ROUTE_POST, buf, sizeof(buf));
	is_str(buf, "POST", "allow post");
	route_allow_header(0, buf, sizeof(buf));
	is_str(buf, "", "allow nothing");
	route_allow_header(ROUTE_GET | ROUTE_HEAD | ROUTE_POST, buf, 12);
	is_str(buf, "GET, HEAD", "allow cut at a whole name");
	route_allow_header(ROUTE_GET | ROUTE_HEAD | ROUTE_POST, buf, 16);
	is_str(buf, "GET, HEAD, POST", "allow exact fit");
	route_allow_header(ROUTE_GET, buf, 1);
	is_str(buf, "", "allow one byte");
	buf[0] = 'x';
	route_allow_header(ROUTE_GET, buf, 0);
	ok(buf[0] == 'x', "allow zero-size buffer untouched");
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	test_small_buffer();
	test_pct_decode();
	test_allow();
	return done_testing();
}
