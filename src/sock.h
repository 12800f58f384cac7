/* The listening socket the workers share. */
#ifndef VD_SOCK_H
#define VD_SOCK_H

/*
 * Opens "unix:/path" (mode applied to the socket file) or "HOST:PORT"; NULL
 * takes over a listening socket on fd 0, as spawn-fcgi passes it.  The socket
 * is made non-blocking: workers wait for it with epoll_pwait() and accept
 * without blocking, so a signal can always reach an idle worker.  Returns the fd or
 * -1 with the reason logged.
 */
int	sock_listen(const char *spec, unsigned mode);
/* Removes the socket file of a unix: spec (at shutdown). */
void	sock_unlink(const char *spec);

#endif
