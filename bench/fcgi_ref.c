/*
 * fcgi_ref: the reference FastCGI responder of the benchmark (bench/run.sh).
 *
 * It does the least a FastCGI application can do and still answer the same
 * requests as vardata: no database, no routing, no parsing.  A GET or HEAD is
 * answered with a fixed body (the same bytes the benchmark stores in the
 * database) and the same kind of headers vardata sends for a Bytes value; a
 * POST has its whole body read and thrown away, then 204.  Like vardata it is
 * a pool of pre-forked processes accepting on one unix socket, and it is put
 * behind the same nginx server block, so its request rate is the ceiling of
 * "HTTP + nginx + FastCGI" on this machine: R_fcgi in bench/README.md.
 *
 * usage: fcgi_ref --listen PATH --workers N --body FILE [--socket-mode OCTAL]
 *                 [--user NAME]
 *
 * It runs until SIGTERM or SIGINT, which it passes on to its workers.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

/* The same backlog and read chunk as vardata, so neither side gets a bigger queue or buffer. */
#define REF_BACKLOG	1024
#define REF_IO_CHUNK	(64 * 1024)
/* The body is a small fixed value; a typo in --body must not load a disk image. */
#define REF_BODY_MAX	(16 * 1024 * 1024)
#define REF_WORKERS_MAX	256

struct ref_conf {
	const char	*listen;
	const char	*body_file;
	const char	*user;
	unsigned	 workers;
	mode_t		 mode;
};

/* What a GET answers with: headers and body in one buffer, written with one call. */
struct ref_reply {
	char	*buf;
	size_t	 len;
	size_t	 head_len;	/* HEAD stops here */
};

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi_ref --listen PATH --workers N --body FILE "
	    "[--socket-mode OCTAL] [--user NAME]\n");
	exit(2);
}

static bool
parse_uint(const char *s, int base, unsigned long max, unsigned long *out)
{
	char	*end;

	errno = 0;
	*out = strtoul(s, &end, base);
	return errno == 0 && end != s && *end == '\0' && *out <= max && s[0] != '-';
}

static void
parse_args(int argc, char **argv, struct ref_conf *c)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "body", required_argument, NULL, 'b' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long	v;
	int		ch;

	memset(c, 0, sizeof(*c));
	c->workers = 1;
	c->mode = 0666;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': c->listen = optarg; break;
		case 'b': c->body_file = optarg; break;
		case 'u': c->user = optarg; break;
		case 'w':
			if (!parse_uint(optarg, 10, REF_WORKERS_MAX, &v) || v == 0)
				usage();
			c->workers = (unsigned)v;
			break;
		case 'm':
			if (!parse_uint(optarg, 8, 07777, &v))
				usage();
			c->mode = (mode_t)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || c->listen == NULL || c->body_file == NULL)
		usage();
}

/* The whole file, or NULL with a message. */
static char *
read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	long	 size;

	if ((f = fopen(path, "rb")) == NULL)
		goto err;
	if (fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1)
		goto err;
	if (size > REF_BODY_MAX) {
		errno = EFBIG;
		goto err;
	}
	if ((buf = malloc((size_t)size + 1)) == NULL)
		goto err;
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto err;
	fclose(f);
	*len = (size_t)size;
	return buf;
err:
	fprintf(stderr, "fcgi_ref: cannot read %s: %s\n", path, strerror(errno));
	free(buf);
	if (f != NULL)
		fclose(f);
	return NULL;
}

/*
 * The headers vardata sends for a Bytes value (an ETag naming the byte-array
 * row, Accept-Ranges, the type, the length, nosniff), so that nginx parses
 * and forwards a header block of the same shape and size.
 */
static bool
build_reply(const char *body, size_t body_len, struct ref_reply *r)
{
	char	head[512];
	int	n;

	n = snprintf(head, sizeof(head),
	    "Status: 200 OK\r\n"
	    "ETag: \"bench-ba-small-1\"\r\n"
	    "Accept-Ranges: bytes\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "\r\n", body_len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return false;
	if ((r->buf = malloc((size_t)n + body_len)) == NULL)
		return false;
	memcpy(r->buf, head, (size_t)n);
	memcpy(r->buf + n, body, body_len);
	r->head_len = (size_t)n;
	r->len = (size_t)n + body_len;
	return true;
}

static int
listen_unix(const char *path, mode_t mode)
{
	struct sockaddr_un	sun;
	int			fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		goto err;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		goto err;
	if (unlink(path) == -1 && errno != ENOENT)
		goto err;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || chmod(path, mode) == -1 ||
	    listen(fd, REF_BACKLOG) == -1)
		goto err;
	return fd;
err:
	fprintf(stderr, "fcgi_ref: cannot listen on %s: %s\n", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static bool
drop_privileges(const char *user)
{
	struct passwd	*pw;

	if (user == NULL)
		return true;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "fcgi_ref: no such user: %s\n", user);
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "fcgi_ref: cannot become %s: %s\n", user, strerror(errno));
		return false;
	}
	return true;
}

/* Reads the request body to its end, as any application that takes an upload must. */
static bool
consume_body(FCGX_Stream *in)
{
	static char	buf[REF_IO_CHUNK];

	while (FCGX_GetStr(buf, sizeof(buf), in) > 0)
		;
	return FCGX_GetError(in) == 0;
}

/*
 * Every request is read to its end (a GET's input ends where its
 * parameters do), so that, as in vardata, the connection can be closed at
 * once: libfcgi's lingering close, which waits for nginx to close first,
 * is only needed while input is left unread.
 */
static void
answer(FCGX_Request *req, const struct ref_reply *reply)
{
	static const char	no_content[] =
	    "Status: 204 No Content\r\nX-Content-Type-Options: nosniff\r\n\r\n";
	const char		*method = FCGX_GetParam("REQUEST_METHOD", req->envp);

	if (!consume_body(req->in))
		return;
	FCGX_Detach(req);
	if (method != NULL && strcmp(method, "POST") == 0)
		FCGX_PutStr(no_content, (int)sizeof(no_content) - 1, req->out);
	else if (method != NULL && strcmp(method, "HEAD") == 0)
		FCGX_PutStr(reply->buf, (int)reply->head_len, req->out);
	else
		FCGX_PutStr(reply->buf, (int)reply->len, req->out);
}

static int
worker(int fd, const struct ref_reply *reply)
{
	FCGX_Request	req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, 0) != 0) {
		fprintf(stderr, "fcgi_ref: cannot initialise libfcgi\n");
		return EXIT_FAILURE;
	}
	/* Blocking accept in every worker: the kernel wakes one of them per connection. */
	while (FCGX_Accept_r(&req) >= 0) {
		answer(&req, reply);
		FCGX_Finish_r(&req);
	}
	return EXIT_FAILURE;
}

/* Forks the workers, then waits for a signal; a worker that dies ends the whole pool. */
static int
supervise(int fd, unsigned workers, const struct ref_reply *reply)
{
	pid_t		*pids;
	sigset_t	 set;
	unsigned	 i;
	int		 sig = 0, status = EXIT_SUCCESS;

	if ((pids = calloc(workers, sizeof(*pids))) == NULL)
		return EXIT_FAILURE;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < workers; i++) {
		if ((pids[i] = fork()) == -1) {
			fprintf(stderr, "fcgi_ref: fork: %s\n", strerror(errno));
			status = EXIT_FAILURE;
			goto out;
		}
		if (pids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			_exit(worker(fd, reply));
		}
	}
	if (sigwait(&set, &sig) != 0 || sig == SIGCHLD) {
		fprintf(stderr, "fcgi_ref: a worker died\n");
		status = EXIT_FAILURE;
	}
out:
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			(void)waitpid(pids[i], NULL, 0);
	free(pids);
	return status;
}

int
main(int argc, char **argv)
{
	struct ref_conf		 conf;
	struct ref_reply	 reply = { NULL, 0, 0 };
	char			*body = NULL;
	size_t			 body_len = 0;
	int			 fd = -1, status = EXIT_FAILURE;

	parse_args(argc, argv, &conf);
	signal(SIGPIPE, SIG_IGN);
	if ((body = read_file(conf.body_file, &body_len)) == NULL)
		goto out;
	if (!build_reply(body, body_len, &reply))
		goto out;
	if ((fd = listen_unix(conf.listen, conf.mode)) == -1)
		goto out;
	if (!drop_privileges(conf.user))
		goto out;
	status = supervise(fd, conf.workers, &reply);
	(void)unlink(conf.listen);
out:
	if (fd != -1)
		close(fd);
	free(reply.buf);
	free(body);
	return status;
}
