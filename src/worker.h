/* A worker process: one libpq connection, one FastCGI request at a time. */
#ifndef VD_WORKER_H
#define VD_WORKER_H

#include "conf.h"

/* Serves requests on listen_fd until SIGTERM; returns the exit status. */
int	worker_main(const struct vd_conf *conf, int listen_fd);

#endif
