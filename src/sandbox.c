#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "log.h"
#include "sandbox.h"

#ifdef HAVE_SECCOMP

/* Built with AddressSanitizer (GCC says so one way, clang another). */
#if defined(__SANITIZE_ADDRESS__)
#define VD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VD_ASAN 1
#endif
#endif

/*
 * What a worker does after its start: FastCGI I/O on accepted sockets,
 * libpq queries, memory, time, and logging to stderr.  A reconnect to the
 * database also opens sockets and reads files (.pgpass, the passwd
 * database through NSS), hence socket, connect and read-only open.  Over
 * TCP it resolves the host name (glibc's resolver sends its queries with
 * sendmmsg and sizes answers with ioctl FIONREAD) and asks GSSAPI for
 * credentials, which lists /etc/gss/mech.d (getdents64).
 */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(close), SCMP_SYS(shutdown),
	SCMP_SYS(fcntl), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(connect),
	SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(stat), SCMP_SYS(statx),
	SCMP_SYS(getdents64), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(uname),
	SCMP_SYS(lseek), SCMP_SYS(ftruncate), SCMP_SYS(pread64), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid), SCMP_SYS(getrandom), SCMP_SYS(sysinfo),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(mprotect),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(futex), SCMP_SYS(sched_yield),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
#ifdef VD_ASAN
	/* AddressSanitizer asks for the signal stack before every noreturn call (_exit()). */
	SCMP_SYS(sigaltstack),
#endif
};

bool
sandbox_available(void)
{
	return true;
}

/*
 * The open flags that change a file: a read-only open has none of them.
 * O_RDONLY is 0, so the access mode alone would let O_RDONLY|O_CREAT make a
 * file, and O_RDONLY|O_TRUNC empty one.
 */
#define OPEN_WRITES	(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)

/*
 * Rules that look at arguments: sockets of the three families, files opened
 * read-only (OPEN_WRITES), and of ioctl only FIONREAD (how much a socket has
 * to read); and the kernel keyring's calls, which fail rather than kill.
 * A socket of a family numbered above AF_INET6 fails with EAFNOSUPPORT
 * instead of killing the worker: when a host name has several addresses,
 * glibc's getaddrinfo() asks the kernel over a netlink socket (AF_NETLINK)
 * which of its own addresses to prefer, and it sorts without that answer
 * when the socket cannot be had.
 */
static int
sandbox_arg_rules(scmp_filter_ctx ctx)
{
	static const int	families[] = { AF_UNIX, AF_INET, AF_INET6 };
	static const int	keyring[] = { SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key) };
	size_t			i;
	int			rc;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]))) != 0)
			return rc;
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)AF_INET6))) != 0)
		return rc;
	/*
	 * Kerberos keeps its credentials in the kernel's keyring where that is
	 * the configured cache (KEYRING:, the default of FreeIPA and sssd
	 * hosts); GSSAPI asked for credentials on a reconnect then finds none,
	 * as on a host without Kerberos, and libpq goes on without it.
	 */
	for (i = 0; i < sizeof(keyring) / sizeof(keyring[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), keyring[i], 0)) != 0)
			return rc;
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)FIONREAD))) != 0)
		return rc;
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_WRITES, O_RDONLY))) != 0)
		return rc;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, OPEN_WRITES, O_RDONLY));
}

bool
sandbox_enter(void)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		rc = -ENOMEM;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		goto err;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0)) != 0)
			goto err;
	if ((rc = sandbox_arg_rules(ctx)) != 0 || (rc = seccomp_load(ctx)) != 0)
		goto err;
	seccomp_release(ctx);
	return true;
err:
	log_error("cannot install the seccomp filter: %s", strerror(-rc));
	if (ctx != NULL)
		seccomp_release(ctx);
	return false;
}

#else

bool
sandbox_available(void)
{
	return false;
}

bool
sandbox_enter(void)
{
	log_error("this vardata was built without libseccomp");
	return false;
}

#endif
