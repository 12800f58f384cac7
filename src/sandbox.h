/*
 * The worker's seccomp filter (--seccomp): once a worker has started, it
 * may use only the system calls that serving requests and reconnecting to
 * PostgreSQL need; any other call kills the process, and the supervisor
 * replaces it.
 */
#ifndef VD_SANDBOX_H
#define VD_SANDBOX_H

#include <stdbool.h>

/* True when built with libseccomp. */
bool	sandbox_available(void);
/* Installs the filter; false (logged) when it could not be installed. */
bool	sandbox_enter(void);

#endif
