/*
 * The pool supervisor: forks the workers, replaces any that dies, on SIGHUP
 * replaces each worker once it has finished its requests, and on SIGTERM or
 * SIGINT stops accepting, lets the workers finish the requests they hold
 * (up to --shutdown-timeout), and exits 0.
 */
#ifndef VD_SUPERVISOR_H
#define VD_SUPERVISOR_H

#include "conf.h"

int	supervisor_run(const struct vd_conf *conf, int listen_fd);

#endif
