/*
 * libFuzzer harness for the configuration value parsers: none may crash,
 * and an accepted value must lie in the range asked for.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s;
	uint64_t	 v;
	unsigned	 u;

	if ((s = strndup((const char *)data, size)) == NULL)
		return 0;
	if (conf_parse_size(s, 64, 1024 * 1024, &v) && (v < 64 || v > 1024 * 1024))
		abort();
	if (conf_parse_uint(s, 1, 1024, &u) && (u < 1 || u > 1024))
		abort();
	if (conf_parse_mode(s, &u) && u > 0777)
		abort();
	if (conf_base_path_valid(s) && *s != '\0' && (s[0] != '/' || strstr(s, "//") != NULL))
		abort();
	free(s);
	return 0;
}
