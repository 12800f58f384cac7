/*
 * libFuzzer harness for jsoncheck.c, differential against json-c (strict
 * mode, UTF-8 checked, the same nesting limit), however the text is split;
 * the first byte picks the split.  Whatever json-c refuses, jsoncheck must
 * refuse, and where both accept they must agree on null.  The other way
 * round is not checked: json-c lets through some texts that RFC 8259 and
 * Jackson, which reads the value in the engine, refuse (a raw control
 * character in a string, "1.e5"); tests/unit/test_jsoncheck.c has those.
 * Texts with a NUL byte are left out, since json-c takes NUL for the end of
 * the input; jsoncheck refuses them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsoncheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* json-c's verdict: 0 not JSON, 1 a value, 2 null. */
static int
jsonc_verdict(const char *text, size_t len)
{
	struct json_tokener	*tok = json_tokener_new_ex(JSONCK_MAX_DEPTH);
	struct json_object	*obj;
	enum json_tokener_error	 err;
	size_t			 end;
	int			 verdict = 0;

	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_continue) {
		/* A bare number ends with the input: json-c is told so by a NUL. */
		obj = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
		len = 0;
		text = "";
	}
	if (err == json_tokener_success) {
		end = json_tokener_get_parse_end(tok);
		verdict = obj == NULL ? 2 : 1;
		for (; end < len; end++)
			if (strchr(" \t\r\n", text[end]) == NULL)
				verdict = 0;
	}
	json_object_put(obj);
	json_tokener_free(tok);
	return verdict;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonck	 j;
	const char	*text = (const char *)data + 1;
	size_t		 len, cut;
	int		 verdict;

	if (size < 1 || size > 1 + 65536)
		return 0;
	len = size - 1;
	cut = data[0] % (len + 1);
	jsonck_init(&j);
	verdict = jsonck_feed(&j, text, cut) && jsonck_feed(&j, text + cut, len - cut) && jsonck_end(&j) ?
	    (j.null ? 2 : 1) : 0;
	if (verdict == 0 && (j.error == NULL || *j.error == '\0'))
		abort();
	if (memchr(text, '\0', len) == NULL && verdict != 0 && verdict != jsonc_verdict(text, len))
		abort();
	return 0;
}
