/*
 * libFuzzer harness for mime.c and the text.c helpers: any input must
 * either be refused or give a result whose every string is safe to emit.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

static void
check_params(const struct mime *m)
{
	size_t	i;

	CHECK(m->nparams <= MIME_MAX_PARAMS);
	for (i = 0; i < m->nparams; i++) {
		CHECK(mime_token_valid(m->params[i].name, strlen(m->params[i].name)));
		CHECK(strlen(m->params[i].value) == m->params[i].value_len);
		CHECK(text_no_controls(m->params[i].value, m->params[i].value_len));
		CHECK(mime_param(m, m->params[i].name) != NULL);
	}
}

static void
fuzz_parse(const char *s, size_t len)
{
	struct mime	m;

	if (mime_parse(s, len, &m) == VD_OK) {
		CHECK(m.base != NULL && mime_base_valid(m.base, strlen(m.base)));
		CHECK(strlen(m.base) <= len);
		check_params(&m);
	} else
		CHECK(m.storage == NULL && m.base == NULL && m.nparams == 0);
	mime_free(&m);
	if (mime_parse_params(s, len, &m) == VD_OK) {
		CHECK(m.base == NULL);
		check_params(&m);
	}
	mime_free(&m);
}

static void
fuzz_text(const char *s, size_t len)
{
	char	out[40];
	size_t	outsz, n;

	if (utf8_valid(s, len))
		CHECK(utf8_chars(s, len) <= len);
	(void)mime_base_valid(s, len);
	if (mime_token_valid(s, len))
		CHECK(text_no_controls(s, len));
	for (outsz = 1; outsz <= sizeof(out); outsz += 7) {
		text_escape_log(s, len, out, outsz);
		n = strnlen(out, outsz);
		CHECK(n < outsz);
		CHECK(text_no_controls(out, n));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy;

	/* An exact-size heap copy, so that ASan sees any read past the end. */
	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	fuzz_parse(copy, size);
	fuzz_text(copy, size);
	free(copy);
	return 0;
}
