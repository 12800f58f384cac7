/* The endpoints: one request in, one response out (spec sections 4 to 8). */
#ifndef VD_HANDLER_H
#define VD_HANDLER_H

#include <fcgiapp.h>

#include "conf.h"
#include "response.h"
#include "mime.h"
#include "router.h"
#include "upload.h"
#include "store.h"

struct request {
	const char	*method;
	const char	*uri;		/* REQUEST_URI, raw */
	const char	*content_type;	/* NULL when absent */
	const char	*content_length;/* NULL when absent */
	const char	*range;		/* Range, If-Range, If-None-Match; NULL when absent */
	const char	*if_range;
	const char	*if_none_match;
	FCGX_Stream	*in;
	struct response	 resp;
};

/*
 * A request that runs alone, with nothing in flight (JOB_OTHER below): a
 * method vardata does not serve, or a POST too large to pipeline.
 */
void	handle_request(struct request *req, struct store *st, const struct vd_conf *conf);

/*
 * Requests in two halves, so that a worker can have several statements in
 * flight on its connection: a GET's lookup, or the whole write of a POST
 * whose body is small.  handle_send() starts req: JOB_SENT when its
 * statement is on its way (the worker calls handle_recv() when its turn
 * comes), JOB_ANSWERED when it was answered at once (a bad path or body, no
 * database), JOB_OTHER when it must run alone: handle_request() takes it,
 * with nothing in flight.
 */
struct job {
	bool			 post;
	struct route		 rt;
	char			*buf;		/* rt's strings */
	/* A GET: its lookup's answer. */
	struct var_value	 v;
	enum vd_err		 e;
	/* A POST: its body, the value and the write. */
	struct mime		 m;
	struct upload		 up;
	struct var_write	 w;
	char			*text2;
	char			*value;
	size_t			 value_len;
	bool			 update_only;	/* its statement was the update alone */
};

enum job_start { JOB_SENT, JOB_ANSWERED, JOB_OTHER };

/*
 * What handle_recv() did: JOB_WAIT, the answer is not complete (call again
 * when the socket is readable); JOB_DONE, answered; JOB_AGAIN, a write
 * sent its next statement, or a lookup whose batch failed went out again
 * alone, and that answer comes after every other one in flight;
 * JOB_DEFERRED, the GET needs more of its value than the lookup brought,
 * or the write met a concurrent writer: call handle_finish() once nothing
 * is in flight.
 */
enum job_turn { JOB_WAIT, JOB_DONE, JOB_AGAIN, JOB_DEFERRED };

enum job_start	handle_send(struct request *req, struct store *st, const struct vd_conf *conf,
		    struct job *job);
enum job_turn	handle_recv(struct request *req, struct store *st, struct job *job, bool wait);
void		handle_finish(struct request *req, struct store *st, struct job *job);

#endif
