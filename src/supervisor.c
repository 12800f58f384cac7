#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "defaults.h"
#include "lead.h"
#include "log.h"
#include "sock.h"
#include "supervisor.h"
#include "worker.h"

struct slot {
	pid_t		pid;		/* 0: not running */
	uint64_t	started_ms;
	uint64_t	respawn_ms;	/* when an empty slot gets a new worker */
	uint64_t	backoff_ms;	/* the pause after the next failed start */
	bool		retiring;	/* told to finish and exit (SIGHUP) */
};

struct pool {
	const struct vd_conf	*conf;
	int			 listen_fd;
	struct slot		*slots;
	struct lead		*lead;		/* NULL: a pool of one */
	unsigned		 running;
	bool			 stopping;
	uint64_t		 kill_ms;	/* SIGKILL what is left after this */
};

/*
 * The pause before a slot's next start after a failed one (a fork that
 * failed, a worker that died within VD_RESPAWN_BACKOFF_MS of its start):
 * 1 s, doubled for every failure in a row up to 30 s, so a setup that is
 * broken for good (a spool directory removed, a seccomp filter the kernel
 * refuses) costs a fork now and then, not every second forever.  A worker
 * that lives longer than VD_RESPAWN_BACKOFF_MS starts the count again.
 */
static uint64_t
next_backoff(struct slot *s)
{
	uint64_t	ms = s->backoff_ms < VD_RESPAWN_BACKOFF_MS ? VD_RESPAWN_BACKOFF_MS : s->backoff_ms;

	s->backoff_ms = ms * 2 < VD_RESPAWN_BACKOFF_MAX_MS ? ms * 2 : VD_RESPAWN_BACKOFF_MAX_MS;
	return ms;
}

/*
 * The worker starts with SIGTERM, SIGINT and SIGHUP still blocked, so one
 * that comes before worker_main() has its handlers waits for them instead
 * of killing it.  If the supervisor dies, however it dies, the kernel sends
 * the worker SIGHUP: it finishes the requests it holds and exits, instead
 * of serving on, orphaned, with a database session nobody will end and a
 * TCP port a new supervisor could not bind.
 */
static void
spawn(struct pool *p, struct slot *s)
{
	sigset_t	chld;
	pid_t		pid, supervisor = getpid();

	if ((pid = fork()) == -1) {
		log_error("cannot fork a worker: %s", strerror(errno));
		s->respawn_ms = mono_ms() + next_backoff(s);
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		/* The supervisor may have died before PR_SET_PDEATHSIG took hold. */
		if (prctl(PR_SET_PDEATHSIG, SIGHUP) == -1 || getppid() != supervisor)
			_exit(EXIT_FAILURE);
		_exit(worker_main(p->conf, p->listen_fd, supervisor, p->lead, s == &p->slots[0]));
	}
	s->pid = pid;
	s->started_ms = mono_ms();
	s->retiring = false;
	p->running++;
}

static struct slot *
slot_of(struct pool *p, pid_t pid)
{
	unsigned	i;

	for (i = 0; i < p->conf->workers; i++)
		if (p->slots[i].pid == pid)
			return &p->slots[i];
	return NULL;
}

static void
reap(struct pool *p)
{
	struct slot	*s;
	char		 then[48];
	uint64_t	 pause;
	pid_t		 pid;
	int		 status;
	bool		 clean;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((s = slot_of(p, pid)) == NULL)
			continue;
		s->pid = 0;
		if (p->lead != NULL && s == &p->slots[0])
			lead_gone(p->lead);
		p->running--;
		clean = WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SUCCESS;
		/* Stopping, a worker that ends cleanly is expected, and none is replaced. */
		if (p->stopping && clean)
			continue;
		if (s->retiring && clean) {
			log_info("worker %ld retired; replacing it", (long)pid);
			s->respawn_ms = 0;
			continue;
		}
		/* A worker that dies right after its start would otherwise fork in a tight loop. */
		pause = 0;
		if (!p->stopping) {
			if (mono_ms() - s->started_ms < VD_RESPAWN_BACKOFF_MS)
				pause = next_backoff(s);
			else
				s->backoff_ms = 0;
			s->respawn_ms = mono_ms() + pause;
		}
		if (p->stopping)
			then[0] = '\0';
		else if (pause == 0)
			snprintf(then, sizeof(then), "; replacing it");
		else
			snprintf(then, sizeof(then), "; replacing it in %llu s",
			    (unsigned long long)(pause / 1000));
		if (WIFSIGNALED(status))
			log_warn("worker %ld killed by signal %d%s", (long)pid, WTERMSIG(status), then);
		else
			log_warn("worker %ld exited with status %d%s", (long)pid, WEXITSTATUS(status), then);
	}
}

static void
signal_all(struct pool *p, int sig)
{
	unsigned	i;

	for (i = 0; i < p->conf->workers; i++)
		if (p->slots[i].pid > 0)
			kill(p->slots[i].pid, sig);
}

static void
begin_stop(struct pool *p)
{
	if (p->stopping)
		return;
	p->stopping = true;
	p->kill_ms = mono_ms() + (uint64_t)p->conf->shutdown_timeout * 1000u;
	log_info("shutting down: finishing requests in flight");
	/* New connections now fail at once, so nginx moves them to its next upstream. */
	sock_unlink(p->conf->listen);
	close(p->listen_fd);
	signal_all(p, SIGTERM);
}

/*
 * SIGHUP: every worker finishes the requests it holds, exits, and is
 * replaced by a new one with a new database session, which picks up what
 * changed on the server side (ALTER ROLE ... SET, a password, where the
 * host name points).  The options are not read again.  The pool never has
 * more than --workers workers, so never more database sessions either.
 */
static void
begin_reload(struct pool *p)
{
	unsigned	i;

	if (p->stopping)
		return;
	log_info("reloading: each worker is replaced once it has finished its requests");
	for (i = 0; i < p->conf->workers; i++)
		p->slots[i].retiring = p->slots[i].pid > 0;
	signal_all(p, SIGHUP);
}

static void
tick(struct pool *p)
{
	uint64_t	now = mono_ms();
	unsigned	i;

	if (p->stopping) {
		if (now >= p->kill_ms && p->running > 0) {
			log_warn("shutdown timeout: killing %u busy workers", p->running);
			signal_all(p, SIGKILL);
			p->kill_ms = UINT64_MAX;
		}
		return;
	}
	for (i = 0; i < p->conf->workers; i++)
		if (p->slots[i].pid == 0 && now >= p->slots[i].respawn_ms)
			spawn(p, &p->slots[i]);
	if (p->lead != NULL &&
	    lead_watch(p->lead, p->slots[0].pid != 0 && !p->slots[0].retiring))
		log_info("the lead worker %ld has been busy for over %d ms without taking connections:"
		    " the others take them", (long)p->slots[0].pid, VD_LEAD_WATCH_MS);
}

int
supervisor_run(const struct vd_conf *conf, int listen_fd)
{
	struct pool	 p = { conf, listen_fd, NULL, NULL, 0, false, 0 };
	struct timespec	 interval = { 0, 100 * 1000 * 1000 };
	sigset_t	 set;
	int		 sig;

	if ((p.slots = calloc(conf->workers, sizeof(*p.slots))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	if ((p.lead = lead_new(conf->workers)) == NULL && errno != 0)
		log_warn("no lead worker (%s): every worker takes connections", strerror(errno));
	/*
	 * A SIGCHLD ignored by whoever started us survives execve(), and then
	 * the kernel reaps the workers itself: waitpid() would never report
	 * one, none would be replaced, and a stop would wait for them forever.
	 */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	log_info("starting %u workers", conf->workers);
	while (!p.stopping || p.running > 0) {
		tick(&p);
		sig = sigtimedwait(&set, NULL, &interval);
		if (sig == SIGCHLD)
			reap(&p);
		else if (sig == SIGTERM || sig == SIGINT)
			begin_stop(&p);
		else if (sig == SIGHUP)
			begin_reload(&p);
		/* A SIGCHLD merged with another signal is caught by the next reap. */
		reap(&p);
	}
	log_info("stopped");
	lead_free(p.lead);
	free(p.slots);
	return EXIT_SUCCESS;
}
