/*
 * libFuzzer harness for the Range and If-None-Match parsers.  Input: the
 * first 8 bytes are the value length, the rest the header value.  Checks
 * that a partial range always lies inside the value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t	 length = 0, off, len;
	char		*s;

	if (size < 8)
		return 0;
	memcpy(&length, data, 8);
	if ((s = strndup((const char *)data + 8, size - 8)) == NULL)
		return 0;
	if (range_parse(s, length, &off, &len) == RANGE_PARTIAL &&
	    (len == 0 || off >= length || len > length - off))
		abort();
	(void)etag_list_matches(s, "\"id-1\"");
	free(s);
	return 0;
}
