/*
 * The worker's seccomp filter: each probe runs in a child that installs the
 * filter and makes one system call, and the parent sees whether the filter
 * let the child live (exit status 0) or killed it (SIGSYS).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

static char	dir[] = "/tmp/vd-sandbox-XXXXXX";
static char	path[sizeof(dir) + 16];

enum outcome { LIVES, KILLED, REFUSED, NOSYS };

/*
 * Runs probe() under the filter in a child: LIVES when the call was let
 * through, REFUSED when it failed with EAFNOSUPPORT, NOSYS with ENOSYS,
 * KILLED on SIGSYS.
 */
static enum outcome
under_filter(long (*probe)(void))
{
	pid_t	pid;
	int	status;
	long	rc;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (!sandbox_enter())
			_exit(3);
		rc = probe();
		_exit(rc != -1 ? 0 : errno == EAFNOSUPPORT ? 4 : errno == ENOSYS ? 5 : 0);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return KILLED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return LIVES;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		return REFUSED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 5)
		return NOSYS;
	return -1;
}

static long open_read(void) { return syscall(SYS_open, "/etc/hostname", O_RDONLY | O_CLOEXEC); }
static long openat_read(void) { return syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY); }
static long open_write(void) { return syscall(SYS_open, path, O_WRONLY | O_CREAT, 0600); }
static long openat_rdwr(void) { return syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT, 0600); }
static long open_create(void) { return syscall(SYS_open, path, O_RDONLY | O_CREAT, 0600); }
static long openat_create(void) { return syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CREAT, 0600); }
static long openat_trunc(void) { return syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY | O_TRUNC); }
static long openat_append(void) { return syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY | O_APPEND); }
static long socket_unix(void) { return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }
static long socket_netlink(void) { return syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0); }
static long ioctl_fionread(void) { int n; return syscall(SYS_ioctl, 0, FIONREAD, &n); }
static long ioctl_other(void) { return syscall(SYS_ioctl, 0, FIONBIO, &(int){ 1 }); }
static long keyring_read(void) { return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2, 0); }
static long do_unlink(void) { return syscall(SYS_unlink, path); }

int
main(void)
{
	if (!sandbox_available()) {
		printf("1..0 # SKIP built without libseccomp\n");
		return EXIT_SUCCESS;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(path, sizeof(path), "%s/new", dir);

	is_int(under_filter(open_read), LIVES, "open read-only (the passwd database, .pgpass)");
	is_int(under_filter(openat_read), LIVES, "openat read-only");
	is_int(under_filter(open_write), KILLED, "open for writing kills");
	is_int(under_filter(openat_rdwr), KILLED, "openat for reading and writing kills");
	is_int(under_filter(open_create), KILLED, "open read-only with O_CREAT kills");
	is_int(under_filter(openat_create), KILLED, "openat read-only with O_CREAT kills");
	ok(access(path, F_OK) == -1, "no file was created");
	is_int(under_filter(openat_trunc), KILLED, "openat read-only with O_TRUNC kills");
	is_int(under_filter(openat_append), KILLED, "openat read-only with O_APPEND kills");
	is_int(under_filter(socket_unix), LIVES, "a unix socket (the database)");
	is_int(under_filter(socket_netlink), REFUSED, "a netlink socket fails with EAFNOSUPPORT");
	is_int(under_filter(ioctl_fionread), LIVES, "ioctl FIONREAD");
	is_int(under_filter(ioctl_other), KILLED, "any other ioctl kills");
	is_int(under_filter(keyring_read), NOSYS, "keyctl (a KEYRING: Kerberos cache) fails with ENOSYS");
	close(open(path, O_WRONLY | O_CREAT, 0600));
	is_int(under_filter(do_unlink), KILLED, "unlink kills");
	unlink(path);
	rmdir(dir);
	return done_testing();
}
