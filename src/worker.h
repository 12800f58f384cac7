/* A worker process: one libpq connection, up to --pipeline FastCGI requests at a time. */
#ifndef VD_WORKER_H
#define VD_WORKER_H

#include <sys/types.h>

#include "conf.h"

/*
 * Serves requests on listen_fd until SIGTERM, SIGINT or SIGHUP; returns the
 * exit status.  supervisor: the pid of the process that forked it.
 */
int	worker_main(const struct vd_conf *conf, int listen_fd, pid_t supervisor);

#endif
