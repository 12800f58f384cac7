/* The error table and the JSON error body (spec section 8). */
#include "config.h"

#include <stdlib.h>

#include "error.h"
#include "tap.h"

static void
test_table(void)
{
	int	e;

	for (e = VD_ERR_NOMEM; e < VD_ERR__COUNT; e++) {
		const struct vd_errinfo *i = vd_errinfo((enum vd_err)e);
		ok(i->status >= 400 && i->status <= 599 && i->type[0] != '\0' && i->message[0] != '\0',
		    "error %d has a status, a type and a message", e);
	}
	is_int(vd_errinfo(VD_ERR_MULTIPART)->status, 400, "malformed multipart is 400");
	is_str(vd_strerror(VD_ERR_MULTIPART), "multipart/form-data cannot be processed",
	    "malformed multipart message is Camunda's");
	is_int(vd_errinfo(VD_ERR_MEDIA_TYPE)->status, 415, "not multipart is 415");
	is_int(vd_errinfo(VD_ERR_BODY_LIMIT)->status, 413, "body limit is 413");
	is_int(vd_errinfo(VD_ERR_PUT_FAILED)->status, 500, "missing scope on POST is 500");
	is_int(vd_errinfo(VD_ERR_PUT_FAILED)->code, 0, "missing scope on POST has code 0");
	is_str(vd_errinfo(VD_ERR_NOT_FOUND)->type, "InvalidRequestException", "not found type");
	is_str(vd_errinfo(VD_ERR_UNSUPPORTED_TYPE)->type, "RestException", "unsupported type");
	is_str(vd_strerror(VD_ERR_MIME), "Invalid mime type given", "mime message");
	is_str(vd_strerror(VD_ERR_NO_ENGINE), "No process engine available", "engine message");
	is_int(vd_errinfo(VD_ERR_DB_UNAVAILABLE)->status, 503, "database down is 503");
	is_int(vd_errinfo((enum vd_err)9999)->status, 500, "out of range maps to 500");
}

static void
test_json(void)
{
	char	*s;

	s = vd_error_json("RestException", "a/b \"q\" \\ \n", -1);
	is_str(s, "{\"type\":\"RestException\",\"message\":\"a/b \\\"q\\\" \\\\ \\n\",\"code\":null}",
	    "keys in Camunda's order, code null, slash not escaped");
	free(s);
	s = vd_error_json("RestException", "x", 0);
	is_str(s, "{\"type\":\"RestException\",\"message\":\"x\",\"code\":0}", "code 0");
	free(s);
	s = vd_error_json("InvalidRequestException", "\xc3\xa9\x01", -1);
	is_str(s, "{\"type\":\"InvalidRequestException\",\"message\":\"\xc3\xa9\\u0001\",\"code\":null}",
	    "UTF-8 kept, control bytes escaped");
	free(s);
}

int
main(void)
{
	test_table();
	test_json();
	return done_testing();
}
