/*
 * libFuzzer harness for disposition.c.  The input is parsed as a part's
 * Content-Disposition and also used as a filename for the download header;
 * that header is then parsed back (as form-data) and must give the same
 * filename whenever the filename was acceptable in the first place.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disposition.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

#define ATTACHMENT	"attachment"
#define FORM_DATA	"form-data; name=\"x\""

static void
check_text(const char *s, size_t len)
{
	CHECK(s != NULL && s[len] == '\0' && strlen(s) == len);
	CHECK(utf8_valid(s, len) && text_no_controls(s, len));
}

static void
fuzz_parse(const char *s, size_t len)
{
	struct disposition	d;

	if (disposition_parse(s, len, &d) == VD_OK) {
		check_text(d.name, d.name_len);
		if (d.filename != NULL)
			check_text(d.filename, d.filename_len);
	} else
		CHECK(d.storage == NULL && d.name == NULL && d.filename == NULL);
	disposition_free(&d);
}

/* "attachment; filename=..." becomes "form-data; name="x"; filename=..." and is parsed again. */
static void
round_trip(const char *s, size_t len, const char *hdr, size_t hlen)
{
	struct disposition	d;
	char			*again;
	size_t			 n;

	CHECK(hlen >= sizeof(ATTACHMENT) - 1 && memcmp(hdr, ATTACHMENT, sizeof(ATTACHMENT) - 1) == 0);
	n = sizeof(FORM_DATA) - 1 + hlen - (sizeof(ATTACHMENT) - 1);
	if ((again = malloc(n)) == NULL)
		return;
	memcpy(again, FORM_DATA, sizeof(FORM_DATA) - 1);
	memcpy(again + sizeof(FORM_DATA) - 1, hdr + sizeof(ATTACHMENT) - 1, hlen - (sizeof(ATTACHMENT) - 1));
	if (utf8_valid(s, len) && text_no_controls(s, len)) {
		CHECK(disposition_parse(again, n, &d) == VD_OK);
		CHECK(d.filename != NULL && d.filename_len == len && memcmp(d.filename, s, len) == 0);
		disposition_free(&d);
	}
	free(again);
}

static void
fuzz_build(const char *s, size_t len)
{
	char	*hdr;
	size_t	 hlen;

	if ((hdr = disposition_build(s, len)) == NULL)
		return;
	hlen = strlen(hdr);
	CHECK(text_no_controls(hdr, hlen));
	CHECK(utf8_valid(hdr, hlen) && utf8_chars(hdr, hlen) == hlen);
	round_trip(s, len, hdr, hlen);
	free(hdr);
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
	fuzz_build(copy, size);
	free(copy);
	return 0;
}
