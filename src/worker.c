#include "config.h"

#include <sys/epoll.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "clock.h"
#include "handler.h"
#include "lead.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"
#include "text.h"
#include "worker.h"

/* SIGTERM or SIGINT: the pool stops.  SIGHUP: this worker retires. */
static volatile sig_atomic_t	stopping, retiring;
static const int		end_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		retiring = 1;
	else
		stopping = 1;
}

static const char *
param(FCGX_Request *r, const char *name)
{
	return FCGX_GetParam(name, r->envp);
}

/*
 * A worker has up to conf->pipeline requests open at once, one slot each:
 * libfcgi's re-entrant API keeps one connection per FCGX_Request.  A GET
 * sends its lookup, and a POST with a small body its whole write, down the
 * worker's one database connection, and the worker goes on accepting; the
 * statements are pipelined, and their answers come back in the order they
 * were sent and are answered as they arrive.  (A write that sent the
 * update alone and found no variable sends the whole write next, and
 * waits its turn again at the end of the queue.)  Anything else (a large
 * upload, a GET that needs more of a value than its lookup brought) runs
 * to its end alone, once nothing is in flight.  So one wake-up of the
 * worker, and of its PostgreSQL backend, serves every request that arrived
 * together; served one at a time, each request cost both of them a sleep
 * and a wake-up.
 */
struct slot {
	FCGX_Request	 fr;
	struct request	 req;
	struct job	 job;
	struct slot	*next;		/* in the in-flight queue or the deferred list */
	uint64_t	 t0;
	char		 id[72];	/* the request id of its log lines */
	bool		 busy;
};

struct slot_list {
	struct slot	*head, *tail;
};

struct worker {
	const struct vd_conf	*conf;
	struct store		*st;
	struct lead		*lead;		/* NULL: the only worker */
	bool			 is_lead;
	bool			 listening;	/* the listening socket is in the epoll set */
	int			 listen_fd;
	int			 ep;
	int			 db_fd;		/* the database socket watched, else -1 */
	unsigned long		 db_serial;	/* ... and its connection's number */
	struct slot		*slots;
	unsigned		 nslots, nbusy;
	struct slot_list	 in_flight;	/* statements sent, oldest first */
	struct slot_list	 deferred;	/* answers that need the connection to themselves */
	unsigned long		 serial;
	pid_t			 supervisor;	/* the parent: another one means it died */
};

static void
list_push(struct slot_list *l, struct slot *s)
{
	s->next = NULL;
	if (l->tail != NULL)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
}

static struct slot *
list_pop(struct slot_list *l)
{
	struct slot	*s = l->head;

	if (s != NULL && (l->head = s->next) == NULL)
		l->tail = NULL;
	return s;
}

/*
 * The lead is about to be kept from the listening socket for a while (a
 * request that runs alone): the other workers take the connections.
 */
static void
away(struct worker *w)
{
	if (w->is_lead)
		lead_open(w->lead);
}

/*
 * A follower watches the listening socket while the pool is open (the
 * lead's eventfd wakes it when the pool opens or closes).  It takes the
 * connections it was woken for first, so the socket leaves its epoll set
 * only before it sleeps again.
 */
static void
follow(struct worker *w)
{
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	bool			 open = lead_is_open(w->lead);

	if (open == w->listening)
		return;
	ev.data.fd = w->listen_fd;
	if (epoll_ctl(w->ep, open ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->listen_fd, &ev) == -1) {
		log_error("epoll_ctl: %s", strerror(errno));
		return;
	}
	w->listening = open;
}

/*
 * Takes a slot's new request: its log id (nginx's $request_id, else our
 * own) and what the handler needs of its parameters.
 */
static void
slot_begin(struct worker *w, struct slot *s)
{
	FCGX_Request	*fr = &s->fr;
	const char	*id = param(fr, "REQUEST_ID");
	const char	*method = param(fr, "REQUEST_METHOD");
	const char	*uri = param(fr, "REQUEST_URI");

	s->busy = true;
	w->nbusy++;
	s->t0 = mono_us();
	if (id != NULL && *id != '\0')
		text_escape_log(id, strlen(id), s->id, 65);
	else
		snprintf(s->id, sizeof(s->id), "%ld-%lu", (long)getpid(), ++w->serial);
	log_set_request(s->id);
	memset(&s->req, 0, sizeof(s->req));
	s->req.method = method ? method : "";
	s->req.uri = uri ? uri : "";
	s->req.content_type = param(fr, "CONTENT_TYPE");
	s->req.content_length = param(fr, "CONTENT_LENGTH");
	s->req.range = param(fr, "HTTP_RANGE");
	s->req.if_range = param(fr, "HTTP_IF_RANGE");
	s->req.if_none_match = param(fr, "HTTP_IF_NONE_MATCH");
	s->req.in = fr->in;
	resp_init(&s->req.resp, fr->out, strcmp(s->req.method, "HEAD") == 0);
}

/*
 * Whether the request was read to its end.  Then nginx sends nothing more
 * and the connection can simply be closed.  Otherwise libfcgi's lingering
 * close (shut down our side, wait for nginx to close its own) keeps unread
 * input from resetting the connection before nginx has the answer; but it
 * costs a wait for nginx, which holds every request of the worker.  A
 * request without a body has its end of input in the buffer already.
 */
static bool
input_done(struct slot *s)
{
	const char	*cl = s->req.content_length;

	if (FCGX_HasSeenEOF(s->fr.in) == EOF)
		return true;
	if (cl != NULL && *cl != '\0' && strcmp(cl, "0") != 0)
		return false;
	return FCGX_GetChar(s->fr.in) == EOF;
}

static void
slot_end(struct worker *w, struct slot *s)
{
	struct request	*req = &s->req;
	char		 safe_uri[512], safe_method[24];

	log_set_request(s->id);
	if (!req->resp.started && !req->resp.failed)
		resp_error(&req->resp, VD_ERR_INTERNAL, NULL);
	/* nginx and Apache pass only valid methods; another FastCGI client may not. */
	text_escape_log(req->method, strlen(req->method), safe_method, sizeof(safe_method));
	text_escape_log(req->uri, strlen(req->uri), safe_uri, sizeof(safe_uri));
	log_info("%s %s %d %lluB %lluus", safe_method, safe_uri,
	    req->resp.status, (unsigned long long)req->resp.body_bytes,
	    (unsigned long long)(mono_us() - s->t0));
	resp_free(&req->resp);
	if (resp_cut_short(&req->resp)) {
		/*
		 * FastCGI has no way to say that an answer is incomplete but to
		 * close the connection without FCGI_END_REQUEST; finishing the
		 * request would let the web server end the response as a whole
		 * one (Apache, which frames the body itself, with the last chunk
		 * of a shorter body).  Nothing more is read or written on it.
		 */
		log_warn("answer cut short after %llu bytes: dropping the connection",
		    (unsigned long long)req->resp.body_bytes);
		FCGX_Detach(&s->fr);
		FCGX_Free(&s->fr, 1);
	} else {
		if (input_done(s))
			FCGX_Detach(&s->fr);
		FCGX_Finish_r(&s->fr);
	}
	log_set_request(NULL);
	s->busy = false;
	w->nbusy--;
}

/*
 * Epoll watches the socket of the database connection at all times: for
 * the answers of the statements in flight, and, while there are none, for
 * the server closing the connection (store_idle_input()).  Called before
 * every wait, it follows the store to a new connection, which may have the
 * descriptor of the old one (the serial tells them apart; the old one left
 * the set when it was closed).  Watching it only while statements were in
 * flight cost two epoll_ctl(2) calls for every batch of requests.
 */
static void
watch_db(struct worker *w)
{
	struct epoll_event	 ev = { .events = EPOLLIN };
	unsigned long		 serial;
	int			 fd = store_socket(w->st, &serial);

	if (fd == w->db_fd && serial == w->db_serial)
		return;
	if (w->db_fd != -1)
		(void)epoll_ctl(w->ep, EPOLL_CTL_DEL, w->db_fd, NULL);
	w->db_fd = -1;
	if (fd == -1)
		return;
	ev.data.fd = fd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_error("epoll_ctl: %s", strerror(errno));
		return;
	}
	w->db_fd = fd;
	w->db_serial = serial;
}

/* Answers the oldest request in flight once its statement's answer is in; false when it is not (yet). */
static bool
collect_one(struct worker *w, bool wait)
{
	struct slot	*s = w->in_flight.head;

	if (s == NULL)
		return false;
	if (wait)
		log_flush();
	log_set_request(s->id);
	switch (handle_recv(&s->req, w->st, &s->job, wait)) {
	case JOB_WAIT:
		log_set_request(NULL);
		return false;
	case JOB_DONE:
		list_pop(&w->in_flight);
		slot_end(w, s);
		break;
	case JOB_AGAIN:
		list_pop(&w->in_flight);
		list_push(&w->in_flight, s);
		log_set_request(NULL);
		break;
	case JOB_DEFERRED:
		list_pop(&w->in_flight);
		list_push(&w->deferred, s);
		log_set_request(NULL);
		break;
	}
	return true;
}

/*
 * After anything happened: a dropped connection fails what was in flight
 * (no socket will tell), and once nothing is, the deferred answers run.
 */
static void
settle(struct worker *w)
{
	struct slot	*s;

	if (w->in_flight.head != NULL && store_socket(w->st, NULL) == -1)
		while (collect_one(w, false))
			;
	if (store_in_flight(w->st) != 0)
		return;
	while ((s = list_pop(&w->deferred)) != NULL) {
		away(w);
		log_flush();
		log_set_request(s->id);
		handle_finish(&s->req, w->st, &s->job);
		slot_end(w, s);
	}
}

/* Waits for every statement in flight and answers its request. */
static void
drain(struct worker *w)
{
	while (collect_one(w, true))
		;
	settle(w);
}

static void
start(struct worker *w, struct slot *s)
{
	slot_begin(w, s);
	switch (handle_send(&s->req, w->st, w->conf, &s->job)) {
	case JOB_SENT:
		list_push(&w->in_flight, s);
		log_set_request(NULL);
		return;
	case JOB_ANSWERED:
		break;
	case JOB_OTHER:
		away(w);
		drain(w);
		log_flush();
		log_set_request(s->id);
		handle_request(&s->req, w->st, w->conf);
		break;
	}
	slot_end(w, s);
}

static struct slot *
free_slot(struct worker *w)
{
	for (unsigned i = 0; i < w->nslots; i++)
		if (!w->slots[i].busy)
			return &w->slots[i];
	return NULL;
}

/*
 * Takes connections while there are free slots.  The listening socket is
 * non-blocking: when none is waiting (or another worker won the race),
 * FCGX_Accept_r fails with EAGAIN.  false on a fatal error.
 */
static bool
accept_ready(struct worker *w)
{
	struct slot	*s;
	int		 rc;

	while ((s = free_slot(w)) != NULL) {
		if ((rc = FCGX_Accept_r(&s->fr)) < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
			    rc == -ECONNABORTED)
				return true;
			log_error("accept: %s", strerror(-rc));
			return false;
		}
		start(w, s);
		settle(w);
	}
	return true;
}

/* The database socket is readable: answers to collect, or a goodbye. */
static void
db_ready(struct worker *w)
{
	if (w->in_flight.head == NULL && store_in_flight(w->st) == 0) {
		store_idle_input(w->st);
		return;
	}
	while (collect_one(w, false))
		;
	settle(w);
}

/* Whether a connection waits on the listening socket (every slot of the lead is taken). */
static bool
connection_waits(struct worker *w)
{
	struct pollfd	pfd = { .fd = w->listen_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/*
 * SIGTERM (and SIGINT, SIGHUP) is blocked except while the worker waits in
 * epoll_pwait(), so it can never interrupt a request half-way, and an idle
 * worker always sees it.  EPOLLEXCLUSIVE wakes one idle worker per
 * connection instead of all of them.  With every slot taken, the worker
 * waits for the database only.
 */
static int
serve_loop(struct worker *w)
{
	struct epoll_event	 evs[4];
	sigset_t		 waitmask;
	size_t			 k;
	int			 i, n;

	sigprocmask(SIG_SETMASK, NULL, &waitmask);
	for (k = 0; k < sizeof(end_signals) / sizeof(end_signals[0]); k++)
		sigdelset(&waitmask, end_signals[k]);
	while (!stopping && !retiring) {
		if (w->nbusy == w->nslots && w->in_flight.head != NULL) {
			if (w->is_lead && connection_waits(w))
				away(w);
			collect_one(w, true);
			while (collect_one(w, false))
				;
			settle(w);
			if (w->is_lead)
				lead_turn(w->lead);
			continue;
		}
		/* What was taken in this turn goes to the database together. */
		store_flush(w->st);
		log_flush();
		watch_db(w);
		if (w->is_lead)
			lead_wait(w->lead);
		else if (w->lead != NULL)
			follow(w);
		n = epoll_pwait(w->ep, evs, 4, -1, &waitmask);
		if (w->is_lead)
			lead_turn(w->lead);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_error("epoll_pwait: %s", strerror(errno));
			away(w);
			return EXIT_FAILURE;
		}
		/*
		 * The database first: its readiness is still true then (a request
		 * accepted first could read the answers while it waits for its
		 * own), and a goodbye on the idle connection is taken before a
		 * request accepted in this round would use it.
		 */
		for (i = 0; i < n; i++)
			if (evs[i].data.fd == w->db_fd)
				db_ready(w);
		for (i = 0; i < n; i++)
			if (evs[i].data.fd == w->listen_fd && !accept_ready(w)) {
				/* The requests it holds are answered before the worker is replaced. */
				away(w);
				drain(w);
				return EXIT_FAILURE;
			}
		settle(w);
	}
	if (!stopping && getppid() != w->supervisor)
		log_warn("the supervisor is gone: exiting once the requests in flight are done");
	away(w);
	drain(w);
	/*
	 * A retiring worker leaves the socket's queue to the others.  When the
	 * pool stops, connections already queued on the socket were accepted
	 * by the kernel on our behalf: serve them rather than let the last
	 * close reset them.  The non-blocking accept ends with EAGAIN once the
	 * queue is empty.  A unix socket's name is gone by now (the supervisor
	 * removed it), so none can join; a TCP port, or a socket passed on fd
	 * 0, takes connections until the last worker has exited, and those that
	 * came after that worker's last accept are reset then.
	 */
	while (stopping && FCGX_Accept_r(&w->slots[0].fr) >= 0) {
		start(w, &w->slots[0]);
		drain(w);
	}
	return EXIT_SUCCESS;
}

int
worker_main(const struct vd_conf *conf, int listen_fd, pid_t supervisor, struct lead *lead,
    bool is_lead)
{
	struct sigaction	 sa;
	sigset_t		 block;
	struct worker		 w = { .conf = conf, .lead = lead, .is_lead = lead != NULL && is_lead,
				       .listen_fd = listen_fd, .ep = -1, .db_fd = -1,
				       .supervisor = supervisor };
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int			 status = EXIT_FAILURE;
	unsigned		 i;

	log_init();
	log_hold();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(end_signals) / sizeof(end_signals[0]); i++) {
		sigaction(end_signals[i], &sa, NULL);
		sigaddset(&block, end_signals[i]);
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	w.nslots = conf->pipeline;
	if ((w.slots = calloc(w.nslots, sizeof(*w.slots))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	if (FCGX_Init() != 0)
		goto fcgi;
	for (i = 0; i < w.nslots; i++)
		if (FCGX_InitRequest(&w.slots[i].fr, listen_fd, 0) != 0)
			goto fcgi;
	if ((w.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_error("epoll: %s", strerror(errno));
		goto out;
	}
	if (lead == NULL || w.is_lead) {
		ev.data.fd = listen_fd;
		w.listening = true;
	} else {
		/* A follower: the lead's eventfd, the listening socket when the pool opens. */
		ev.events = EPOLLIN | EPOLLET;
		ev.data.fd = lead_fd(lead);
	}
	if (epoll_ctl(w.ep, EPOLL_CTL_ADD, ev.data.fd, &ev) == -1) {
		log_error("epoll: %s", strerror(errno));
		goto out;
	}
	if ((w.st = store_new(conf)) == NULL) {
		log_error("cannot set up the store (memory or spool file)");
		goto out;
	}
	/* Connect now so the first request does not wait; failing is fine, requests retry. */
	if (store_connect(w.st) != VD_OK)
		log_warn("no database yet: requests get 503 until it answers");
	if (!conf->seccomp || sandbox_enter())
		status = serve_loop(&w);
	goto out;
fcgi:
	log_error("cannot initialise libfcgi");
out:
	store_free(w.st);
	if (w.ep != -1)
		close(w.ep);
	free(w.slots);
	log_flush();
	return status;
}
