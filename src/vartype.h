/*
 * Value type names as the Camunda REST API takes them in the valueType form
 * part: the first letter is case-insensitive, the rest is not.
 */
#ifndef VD_VARTYPE_H
#define VD_VARTYPE_H

#include <stddef.h>

enum vartype {
	VT_UNKNOWN,		/* not a Camunda value type (also the empty name) */
	VT_BYTES,		/* Bytes */
	VT_FILE,		/* File */
	VT_SERIALIZABLE,	/* serializable: a Java-serialized object, kept as bytes */
	VT_SERIALIZED_OBJECT,	/* Object, Json, Xml: need a serialized text value */
	VT_PRIMITIVE		/* String, Integer, Boolean, Short, Long, Double, Date, Number, Null */
};

enum vartype	vartype_parse(const char *name, size_t len);

#endif
