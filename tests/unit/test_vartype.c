/*
 * Unit tests of vartype.c: only the first letter of a value type name is
 * case-insensitive, as in Camunda's REST layer.
 */
#include "config.h"

#include <string.h>

#include "vartype.h"
#include "tap.h"

static void
is_type(const char *name, enum vartype want)
{
	is_int(vartype_parse(name, strlen(name)), want, "'%s'", name);
}

int
main(void)
{
	static const struct {
		const char	*name;
		enum vartype	 type;
	} known[] = {
		{ "bytes", VT_BYTES }, { "file", VT_FILE }, { "serializable", VT_SERIALIZABLE },
		{ "object", VT_SERIALIZED_OBJECT }, { "json", VT_SERIALIZED_OBJECT }, { "xml", VT_SERIALIZED_OBJECT },
		{ "string", VT_PRIMITIVE }, { "boolean", VT_PRIMITIVE }, { "short", VT_PRIMITIVE },
		{ "integer", VT_PRIMITIVE }, { "long", VT_PRIMITIVE }, { "double", VT_PRIMITIVE },
		{ "date", VT_PRIMITIVE }, { "number", VT_PRIMITIVE }, { "null", VT_PRIMITIVE },
	};
	char	buf[32];
	size_t	i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		is_type(known[i].name, known[i].type);
		snprintf(buf, sizeof(buf), "%s", known[i].name);
		buf[0] = (char)(buf[0] - 'a' + 'A');
		is_type(buf, known[i].type);
		buf[1] = (char)(buf[1] - 'a' + 'A');
		is_type(buf, VT_UNKNOWN);
	}

	is_type("", VT_UNKNOWN);
	ok(vartype_parse(NULL, 0) == VT_UNKNOWN, "NULL, 0");
	is_type("FILE", VT_UNKNOWN);
	is_type("BYTES", VT_UNKNOWN);
	is_type("fILE", VT_UNKNOWN);
	is_type("Json", VT_SERIALIZED_OBJECT);
	is_type("Xml", VT_SERIALIZED_OBJECT);
	is_type("Serializable", VT_SERIALIZABLE);
	is_type("Bytes ", VT_UNKNOWN);
	is_type(" Bytes", VT_UNKNOWN);
	is_type("Byte", VT_UNKNOWN);
	is_type("Bytess", VT_UNKNOWN);
	is_type("b", VT_UNKNOWN);
	is_type("B", VT_UNKNOWN);
	is_type("Int", VT_UNKNOWN);
	is_type("Float", VT_UNKNOWN);
	is_type("Spin://application/json", VT_UNKNOWN);
	is_type("\xc3\x89", VT_UNKNOWN);

	is_int(vartype_parse("Filename", 4), VT_FILE, "the length bounds the name");
	is_int(vartype_parse("File", 3), VT_UNKNOWN, "a prefix is not the name");
	is_int(vartype_parse("File\0", 5), VT_UNKNOWN, "an embedded NUL counts");
	return done_testing();
}
