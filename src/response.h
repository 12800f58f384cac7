/*
 * The response writer: a CGI-style header block (RFC 3875 section 6.3) and
 * a body, on the FastCGI output stream.  Headers are collected in a
 * builder with a sticky error and written once, so a response is either
 * whole or, when the builder failed, replaced by a 500.
 */
#ifndef VD_RESPONSE_H
#define VD_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "error.h"

struct response {
	FCGX_Stream	*out;
	bool		 head;		/* HEAD: headers only */
	bool		 started;	/* the header block has been written */
	bool		 failed;	/* the stream broke: the client is gone */
	int		 status;
	int64_t		 length;	/* the Content-Length sent, -1 for none */
	uint64_t	 body_bytes;
	/* The header block being built. */
	char		*hdr;
	size_t		 hdr_len, hdr_cap;
	bool		 hdr_failed;
};

void		resp_init(struct response *r, FCGX_Stream *out, bool head);
void		resp_free(struct response *r);
/* Appends "Name: value" to the pending header block (value must already be safe). */
void		resp_header(struct response *r, const char *name, const char *value);
/* Drops the pending header block of an answer not started yet, to be decided anew. */
void		resp_reset(struct response *r);
/* Writes "Status:", the pending headers, Content-Type, Content-Length (unless < 0) and the blank line. */
enum vd_err	resp_start(struct response *r, int status, const char *content_type,
		    int64_t content_length) VD_MUSTCHECK;
enum vd_err	resp_body(struct response *r, const char *buf, size_t len) VD_MUSTCHECK;
/*
 * Whether a response was started and then not sent whole: its stream broke,
 * or fewer body bytes were written than its Content-Length announced (a
 * read failed half-way).  Such a response must not end as if it were
 * complete.
 */
bool		resp_cut_short(const struct response *r);
/*
 * Answers the error as Camunda's JSON; message NULL means the default text
 * of e.  Headers already added with resp_header() (an Allow) are kept.
 * Does nothing when a response has started (the caller then drops the
 * connection).
 */
void		resp_error(struct response *r, enum vd_err e, const char *message);
/* The same with a printf-style message. */
void		resp_errorf(struct response *r, enum vd_err e, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

#endif
