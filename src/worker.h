/* A worker process: one libpq connection, up to --pipeline FastCGI requests at a time. */
#ifndef VD_WORKER_H
#define VD_WORKER_H

#include <sys/types.h>

#include <stdbool.h>

#include "conf.h"
#include "lead.h"

/*
 * Serves requests on listen_fd until SIGTERM, SIGINT or SIGHUP; returns the
 * exit status.  supervisor: the pid of the process that forked it; lead:
 * the pool's shared state (NULL for a pool of one), and whether this worker
 * is the pool's lead.
 */
int	worker_main(const struct vd_conf *conf, int listen_fd, pid_t supervisor,
	    struct lead *lead, bool is_lead);

#endif
