/*
 * Value type names of the valueType form part.  Camunda's REST layer
 * (VariableValueDto.fromRestApiTypeName) lower-cases only the first
 * character and then looks the name up exactly, so "File" and "file" are
 * the file type and "FILE" is no type at all.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "vartype.h"

static const struct {
	const char	*name;		/* with its first letter lower-cased */
	enum vartype	 type;
} vartypes[] = {
	{ "bytes",		VT_BYTES },
	{ "file",		VT_FILE },
	{ "serializable",	VT_SERIALIZABLE },
	{ "object",		VT_SERIALIZED_OBJECT },
	{ "json",		VT_SERIALIZED_OBJECT },
	{ "xml",		VT_SERIALIZED_OBJECT },
	{ "string",		VT_PRIMITIVE },
	{ "boolean",		VT_PRIMITIVE },
	{ "short",		VT_PRIMITIVE },
	{ "integer",		VT_PRIMITIVE },
	{ "long",		VT_PRIMITIVE },
	{ "double",		VT_PRIMITIVE },
	{ "date",		VT_PRIMITIVE },
	{ "number",		VT_PRIMITIVE },
	{ "null",		VT_PRIMITIVE },
};

enum vartype
vartype_parse(const char *name, size_t len)
{
	enum vartype	type = VT_UNKNOWN;
	char		first;
	size_t		i;

	first = '\0';
	if (len > 0)
		first = name[0];
	if (first >= 'A' && first <= 'Z')
		first = (char)(first - 'A' + 'a');
	for (i = 0; len > 0 && i < sizeof(vartypes) / sizeof(vartypes[0]); i++) {
		if (strlen(vartypes[i].name) == len && vartypes[i].name[0] == first &&
		    memcmp(vartypes[i].name + 1, name + 1, len - 1) == 0) {
			type = vartypes[i].type;
			break;
		}
	}
	return type;
}
