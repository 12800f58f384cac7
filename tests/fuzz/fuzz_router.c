/*
 * libFuzzer harness for the request router.
 *
 * Input format: "<base>\n<uri>".  When the input holds no newline, all of
 * it is the uri and the base is "/engine-rest".  Both are cut at the first
 * NUL, as the real base and REQUEST_URI are C strings.
 *
 * Besides looking for memory errors it checks what route_parse promises:
 * decoded id and name are NUL-terminated UTF-8 of the stated length, and a
 * route found once is found again, identical, from the canonical URI built
 * by percent-encoding every byte of its id and name.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const scope_paths[] = {
	"task", "process-instance", "execution", "case-instance", "case-execution", "variable-instance",
};

static void
check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_router: %s\n", what);
		abort();
	}
}

static void
check_string(const char *s, size_t len)
{
	check(s != NULL && strlen(s) == len, "decoded length");
	check(utf8_valid(s, len), "decoded UTF-8");
}

static char *
pct_encode_all(char *o, const char *s, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i;

	for (i = 0; i < len; i++) {
		*o++ = '%';
		*o++ = hex[(unsigned char)s[i] >> 4];
		*o++ = hex[(unsigned char)s[i] & 0x0f];
	}
	return o;
}

/* Builds "/engine/default/<scope>/<id>/[local]variables/<name>/data" and parses it again. */
static void
check_roundtrip(const struct route *r)
{
	size_t		 cap = 64 + 3 * (r->id_len + r->name_len), n;
	char		*uri = malloc(cap), *buf = malloc(cap + 2), *o;
	struct route	 again;

	check(uri != NULL && buf != NULL, "malloc");
	o = uri + sprintf(uri, "/engine/default/%s/", scope_paths[r->scope]);
	o = pct_encode_all(o, r->id, r->id_len);
	if (r->name != NULL) {
		o += sprintf(o, "/%s/", r->local ? "localVariables" : "variables");
		o = pct_encode_all(o, r->name, r->name_len);
	}
	strcpy(o, "/data");
	n = strlen(uri);
	check(route_parse("", uri, buf, n + 2, &again) == VD_OK, "roundtrip parses");
	check(again.scope == r->scope && again.local == r->local && again.allow == r->allow, "roundtrip route");
	check(again.id_len == r->id_len && memcmp(again.id, r->id, r->id_len) == 0, "roundtrip id");
	check((again.name == NULL) == (r->name == NULL), "roundtrip name presence");
	check(r->name == NULL || (again.name_len == r->name_len &&
	    memcmp(again.name, r->name, r->name_len) == 0), "roundtrip name");
	free(uri);
	free(buf);
}

static void
check_route(const struct route *r)
{
	char	allow[32];
	size_t	i;

	check((unsigned)r->scope <= SCOPE_VARIABLE_INSTANCE, "scope");
	check(r->allow != 0 && (r->allow & ~(ROUTE_GET | ROUTE_HEAD | ROUTE_POST)) == 0, "allow");
	check_string(r->id, r->id_len);
	check(r->id_len > 0, "empty id");
	check((r->name == NULL) == (r->scope == SCOPE_VARIABLE_INSTANCE), "name presence");
	if (r->name != NULL) {
		check_string(r->name, r->name_len);
		check(r->name_len > 0, "empty name");
	}
	for (i = 0; i <= sizeof(allow); i++) {
		route_allow_header(r->allow, allow, i);
		check(i == 0 || strlen(allow) < i, "allow header fits");
	}
	check_roundtrip(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl = memchr(data, '\n', size);
	char		*in = malloc(size + 1), *base = NULL, *uri, *buf, *dec;
	size_t		 ulen, declen;
	struct route	 r;

	check(in != NULL, "malloc");
	memcpy(in, data, size);
	in[size] = '\0';
	uri = in;
	if (nl != NULL) {
		base = in;
		in[nl - data] = '\0';
		uri = in + (nl - data) + 1;
	}
	ulen = strlen(uri);
	buf = malloc(ulen + 2);
	dec = malloc(ulen + 1);
	check(buf != NULL && dec != NULL, "malloc");
	if (route_parse(base ? base : "/engine-rest", uri, buf, ulen + 2, &r) == VD_OK)
		check_route(&r);
	if (pct_decode(uri, ulen, dec, &declen))
		check(declen <= ulen && strlen(dec) == declen, "pct_decode length");
	free(dec);
	free(buf);
	free(in);
	return 0;
}
