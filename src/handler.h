/* The endpoints: one request in, one response out (spec sections 4 to 8). */
#ifndef VD_HANDLER_H
#define VD_HANDLER_H

#include <fcgiapp.h>

#include "conf.h"
#include "response.h"
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

#endif
