#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* The request id is at most 64 bytes of nginx's $request_id or our own counter. */
static char	reqid[72];
static long	pid;

void
log_init(void)
{
	pid = (long)getpid();
}

void
log_set_request(const char *id)
{
	if (id == NULL)
		reqid[0] = '\0';
	else
		snprintf(reqid, sizeof(reqid), "%s", id);
}

static void
log_write(const char *level, const char *fmt, va_list ap)
{
	char	line[2048];
	int	n, m;

	n = snprintf(line, sizeof(line), "vardata[%ld]: %s%s%s", pid ? pid : (long)getpid(),
	    level, reqid[0] != '\0' ? reqid : "", reqid[0] != '\0' ? " " : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(2) per line, so lines of different workers never interleave. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_write("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_write("WARNING: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_write("ERROR: ", fmt, ap);
	va_end(ap);
}
