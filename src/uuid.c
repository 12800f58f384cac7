#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "uuid.h"

bool
uuid_v4(char out[37])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 b[16];
	size_t			 i, n = 0;
	ssize_t			 got;

	do {
		got = getrandom(b, sizeof(b), 0);
	} while (got == -1 && errno == EINTR);
	if (got != (ssize_t)sizeof(b))
		return false;
	/* RFC 9562 section 5.4: version 4, variant 10xx. */
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = hex[b[i] >> 4];
		out[n++] = hex[b[i] & 0x0f];
	}
	out[n] = '\0';
	return true;
}
