/* The listening socket the workers share. */
#ifndef VD_SOCK_H
#define VD_SOCK_H

#include <sys/types.h>

/*
 * Opens "unix:/path" (mode applied to the socket file, and owner and group
 * given to uid and gid, unless they are -1) or "HOST:PORT"; NULL takes over
 * a listening socket on fd 0, as spawn-fcgi passes it.  The socket
 * is made non-blocking: workers wait for it with epoll_pwait() and accept
 * without blocking, so a signal can always reach an idle worker.  Returns the fd or
 * -1 with the reason logged.
 */
int	sock_listen(const char *spec, unsigned mode, uid_t uid, gid_t gid);
/*
 * Removes the socket file of a unix: spec (at shutdown, or when the start
 * fails after the bind), if it is still the one sock_listen() made.
 */
void	sock_unlink(const char *spec);

#endif
