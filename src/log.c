#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* The request id is at most 64 bytes of nginx's $request_id or our own counter. */
static char	reqid[72];
static long	pid;

/*
 * The lines held by log_hold().  A write(2) of at most PIPE_BUF bytes is
 * never interleaved with other processes' writes, even into a pipe, so the
 * workers' batches stay whole lines as single lines did.  A line written
 * at once was one of the eleven system calls a worker made for a small
 * GET.  A worker that crashes loses the lines of its last batch.
 */
#define LINE_MAX_BYTES	2048
_Static_assert(LINE_MAX_BYTES <= PIPE_BUF, "a line must fit a batch");
static char	held[PIPE_BUF];
static size_t	held_len;
static bool	holding;

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

void
log_hold(void)
{
	holding = true;
}

void
log_flush(void)
{
	if (held_len > 0)
		(void)!write(STDERR_FILENO, held, held_len);
	held_len = 0;
}

static void
log_write(const char *level, const char *fmt, va_list ap)
{
	char	line[LINE_MAX_BYTES];
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
	if (holding && *level == '\0') {
		if (held_len + (size_t)n > sizeof(held))
			log_flush();
		memcpy(held + held_len, line, (size_t)n);
		held_len += (size_t)n;
		return;
	}
	log_flush();
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
