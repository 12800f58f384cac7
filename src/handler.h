/* The endpoints: one request in, one response out (spec sections 4 to 8). */
#ifndef VD_HANDLER_H
#define VD_HANDLER_H

#include <fcgiapp.h>

#include "conf.h"
#include "response.h"
#include "router.h"
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

void	handle_request(struct request *req, struct store *st, const struct vd_conf *conf);

/*
 * GETs in two halves, so that a worker can have several lookups in flight
 * on its connection (store_lookup_send).  handle_get_send() starts req:
 * GET_SENT when its lookup is on its way (the worker then collects the
 * result into job->v and job->e with store_lookup_recv() and calls
 * handle_get_recv()), GET_ANSWERED when it was answered at once (a bad
 * path, a missing database), GET_OTHER when it is no GET: handle_request()
 * takes it, with no lookup in flight.
 */
struct get_job {
	struct route		 rt;
	char			*buf;	/* rt's strings */
	struct var_value	 v;
	enum vd_err		 e;
};

enum get_start { GET_SENT, GET_ANSWERED, GET_OTHER };

enum get_start	handle_get_send(struct request *req, struct store *st, const struct vd_conf *conf,
		    struct get_job *job);
/*
 * Answers from the lookup's result: true when done, false when the answer
 * needs more of the value than the lookup brought, which only
 * handle_get_finish() can read, with no lookup in flight.
 */
bool		handle_get_recv(struct request *req, struct store *st, struct get_job *job);
void		handle_get_finish(struct request *req, struct store *st, struct get_job *job);

#endif
