#include "config.h"

#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "defaults.h"
#include "log.h"
#include "sock.h"

static int
sock_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_error("cannot make the listening socket non-blocking: %s", strerror(errno));
		return -1;
	}
	return fd;
}

static int
sock_inherited(void)
{
	int		acc = 0;
	socklen_t	len = sizeof(acc);

	if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 || !acc) {
		log_error("no --listen given and file descriptor 0 is not a listening socket");
		return -1;
	}
	return sock_nonblock(STDIN_FILENO);
}

/*
 * Binds fd to sun with its file born with the mode and, for --user, the
 * group it will keep: the umask and the file-system gid decide them in
 * bind() itself.  Nothing then changes the path's mode, and only its
 * owner is set afterwards.  The directory may be writable by --user, whose
 * processes could put a symbolic link where the socket was just created:
 * root's chmod() or chown() of the path would then give them the link's
 * target.
 */
static int
bind_born_right(int fd, const struct sockaddr_un *sun, unsigned mode, gid_t gid)
{
	mode_t	old = umask((mode_t)(~mode & 0777));
	gid_t	oldfs = (gid_t)-1;
	int	rc, saved;

	if (gid != (gid_t)-1)
		oldfs = (gid_t)setfsgid(gid);
	rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	if (gid != (gid_t)-1)
		(void)setfsgid(oldfs);
	umask(old);
	errno = saved;
	return rc;
}

/*
 * The socket's owner becomes --user: the path must still be the socket
 * root just made (a socket, root's), and a symbolic link put there since
 * would be changed itself, never its target (AT_SYMLINK_NOFOLLOW).  What
 * is left is a hard link swapped in between the two calls; Linux lets a
 * user link only files it owns or may write (fs.protected_hardlinks, on by
 * default), which it gains nothing by owning.
 */
static int
give_socket(const char *path, uid_t uid)
{
	struct stat	st;

	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		errno = EEXIST;
		log_error("unix:%s was replaced while it was being created", path);
		return -1;
	}
	return fchownat(AT_FDCWD, path, uid, (gid_t)-1, AT_SYMLINK_NOFOLLOW);
}

/* The socket file this process made, so that a shutdown removes that one and no other. */
static struct {
	bool	made;
	dev_t	dev;
	ino_t	ino;
} bound;

/*
 * Removes the socket file this process made, if the path still names it:
 * one that another process has put there since (a second instance, after
 * this one's file was removed by hand) is left alone.
 */
static void
sock_unlink_made(const char *path)
{
	struct stat	st;

	if (!bound.made)
		return;
	bound.made = false;
	if (lstat(path, &st) == -1) {
		if (errno != ENOENT)
			log_warn("cannot check the socket %s: %s", path, strerror(errno));
		return;
	}
	if (st.st_dev != bound.dev || st.st_ino != bound.ino) {
		log_warn("unix:%s is no longer the socket this process made; leaving it", path);
		return;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cannot remove the socket %s: %s (its directory must be writable by --user)",
		    path, strerror(errno));
}

/*
 * Clears the way for bind(): nothing at the path, or a socket file that no
 * server listens on any more (left by a predecessor that was killed), which
 * is removed.  A socket that takes connections belongs to a running server,
 * perhaps another vardata started by mistake, and a file of another kind
 * is not ours to remove: both are refused, and left alone.  The probe is
 * non-blocking, so a live server with a full queue (EAGAIN) counts as live.
 */
static int
clear_stale(const struct sockaddr_un *sun)
{
	const char	*path = sun->sun_path;
	struct stat	 st;
	int		 fd, rc, saved;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("unix:%s exists and is not a socket; not removing it", path);
		errno = EEXIST;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS) {
		log_error("unix:%s: a server is listening there already (another vardata?); "
		    "not taking its socket", path);
		errno = EADDRINUSE;
		return -1;
	}
	if (saved != ECONNREFUSED) {
		log_error("unix:%s: cannot tell whether a server listens there: %s", path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	log_info("removed the stale socket unix:%s", path);
	return 0;
}

static int
sock_unix(const char *path, unsigned mode, uid_t uid, gid_t gid)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* An empty path would bind an abstract socket, which any local process can reach. */
	if (path[0] == '\0') {
		log_error("--listen unix: wants a path");
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_error("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto err;
	/* A socket file left by a killed predecessor would make bind() fail. */
	if (clear_stale(&sun) == -1)
		goto err;
	/* Started as root for --user: the socket is the user's (and its group's, for nginx to join). */
	if (bind_born_right(fd, &sun, mode, uid != (uid_t)-1 ? gid : (gid_t)-1) == -1)
		goto err;
	if (lstat(path, &st) == 0) {
		bound.made = true;
		bound.dev = st.st_dev;
		bound.ino = st.st_ino;
	}
	if (uid != (uid_t)-1 && give_socket(path, uid) == -1)
		goto err;
	if (listen(fd, VD_DEFAULT_BACKLOG) == -1)
		goto err;
	return sock_nonblock(fd);
err:
	log_error("cannot listen on unix:%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	sock_unlink_made(path);
	return -1;
}

static int
sock_inet(const char *spec)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256];
	const char	*colon = strrchr(spec, ':');
	size_t		 hlen;
	int		 fd = -1, one = 1, rc;
	unsigned	 port;

	if (colon == NULL || colon == spec || colon[1] == '\0' ||
	    (hlen = (size_t)(colon - spec)) >= sizeof(host)) {
		log_error("--listen wants unix:/path or HOST:PORT, not \"%s\"", spec);
		return -1;
	}
	/* getaddrinfo() takes any number as a service and keeps only its low 16 bits. */
	if (!conf_parse_uint(colon + 1, 1, 65535, &port)) {
		log_error("--listen wants a port from 1 to 65535, not \"%s\"", colon + 1);
		return -1;
	}
	/* "[::1]:9000": brackets keep the colons of an IPv6 address apart from the port. */
	if (spec[0] == '[' && spec[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2, spec + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, spec);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		log_error("cannot resolve %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, VD_DEFAULT_BACKLOG) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		log_error("cannot listen on %s: %s", spec, strerror(errno));
	freeaddrinfo(res);
	return fd == -1 ? -1 : sock_nonblock(fd);
}

int
sock_listen(const char *spec, unsigned mode, uid_t uid, gid_t gid)
{
	if (spec == NULL)
		return sock_inherited();
	if (strncmp(spec, "unix:", 5) == 0)
		return sock_unix(spec + 5, mode, uid, gid);
	return sock_inet(spec);
}

void
sock_unlink(const char *spec)
{
	if (spec != NULL && strncmp(spec, "unix:", 5) == 0)
		sock_unlink_made(spec + 5);
}
