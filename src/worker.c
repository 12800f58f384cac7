#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "handler.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"
#include "text.h"
#include "worker.h"

static volatile sig_atomic_t	stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *
param(FCGX_Request *r, const char *name)
{
	return FCGX_GetParam(name, r->envp);
}

/* The id every log line of this request carries: nginx's $request_id, else our own. */
static void
request_id(FCGX_Request *r, unsigned long serial)
{
	const char	*id = param(r, "REQUEST_ID");
	char		 buf[72];

	if (id != NULL && *id != '\0')
		text_escape_log(id, strlen(id), buf, 65);
	else
		snprintf(buf, sizeof(buf), "%ld-%lu", (long)getpid(), serial);
	log_set_request(buf);
}

static void
serve(FCGX_Request *fr, struct store *st, const struct vd_conf *conf, unsigned long serial)
{
	struct request	 req;
	const char	*method = param(fr, "REQUEST_METHOD");
	const char	*uri = param(fr, "REQUEST_URI");
	char		 safe_uri[512];
	uint64_t	 t0 = now_us();

	request_id(fr, serial);
	memset(&req, 0, sizeof(req));
	req.method = method ? method : "";
	req.uri = uri ? uri : "";
	req.content_type = param(fr, "CONTENT_TYPE");
	req.content_length = param(fr, "CONTENT_LENGTH");
	req.range = param(fr, "HTTP_RANGE");
	req.if_range = param(fr, "HTTP_IF_RANGE");
	req.if_none_match = param(fr, "HTTP_IF_NONE_MATCH");
	req.in = fr->in;
	resp_init(&req.resp, fr->out, strcmp(req.method, "HEAD") == 0);
	handle_request(&req, st, conf);
	if (!req.resp.started && !req.resp.failed)
		resp_error(&req.resp, VD_ERR_INTERNAL, NULL);
	text_escape_log(req.uri, strlen(req.uri), safe_uri, sizeof(safe_uri));
	log_info("%s %s %d %lluB %lluus", method && strlen(method) < 16 ? method : "?", safe_uri,
	    req.resp.status, (unsigned long long)req.resp.body_bytes,
	    (unsigned long long)(now_us() - t0));
	resp_free(&req.resp);
	log_set_request(NULL);
}

/*
 * SIGTERM is blocked except while the worker waits in epoll_pwait(), so it
 * can never interrupt a request half-way, and an idle worker always sees
 * it.  EPOLLEXCLUSIVE wakes one idle worker per connection instead of all
 * of them.  The listening socket is non-blocking: when another worker won
 * the race anyway, FCGX_Accept_r fails with EAGAIN and we wait again.
 */
static int
serve_loop(FCGX_Request *fr, int ep, struct store *st, const struct vd_conf *conf)
{
	struct epoll_event	 ev;
	sigset_t		 waitmask;
	unsigned long		 serial = 0;
	int			 rc;

	sigprocmask(SIG_SETMASK, NULL, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	while (!stopping) {
		if (epoll_pwait(ep, &ev, 1, -1, &waitmask) == -1) {
			if (errno == EINTR)
				continue;
			log_error("epoll_pwait: %s", strerror(errno));
			return EXIT_FAILURE;
		}
		if ((rc = FCGX_Accept_r(fr)) < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
			    rc == -ECONNABORTED)
				continue;
			log_error("accept: %s", strerror(-rc));
			return EXIT_FAILURE;
		}
		serve(fr, st, conf, ++serial);
		FCGX_Finish_r(fr);
	}
	/*
	 * Connections already queued on the socket were accepted by the kernel
	 * on our behalf: serve them rather than let the last close reset them.
	 * The supervisor has removed the socket's name, so none can join, and
	 * the non-blocking accept ends with EAGAIN once the queue is empty.
	 */
	while (FCGX_Accept_r(fr) >= 0) {
		serve(fr, st, conf, ++serial);
		FCGX_Finish_r(fr);
	}
	return EXIT_SUCCESS;
}

int
worker_main(const struct vd_conf *conf, int listen_fd)
{
	struct sigaction	 sa;
	sigset_t		 block;
	FCGX_Request		 fr;
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct store		*st;
	int			 status, ep;

	log_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		log_error("cannot initialise libfcgi");
		return EXIT_FAILURE;
	}
	ev.data.fd = listen_fd;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == -1) {
		log_error("epoll: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	if ((st = store_new(conf)) == NULL) {
		log_error("cannot set up the store (memory or spool file)");
		return EXIT_FAILURE;
	}
	/* Connect now so the first request does not wait; failing is fine, requests retry. */
	if (store_connect(st) != VD_OK)
		log_warn("no database yet: requests get 503 until it answers");
	if (conf->seccomp && !sandbox_enter()) {
		store_free(st);
		return EXIT_FAILURE;
	}
	status = serve_loop(&fr, ep, st, conf);
	store_free(st);
	return status;
}
