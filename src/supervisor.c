#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "log.h"
#include "sock.h"
#include "supervisor.h"
#include "worker.h"

struct slot {
	pid_t		pid;		/* 0: not running */
	uint64_t	started_ms;
	uint64_t	respawn_ms;	/* when an empty slot gets a new worker */
};

struct pool {
	const struct vd_conf	*conf;
	int			 listen_fd;
	struct slot		*slots;
	unsigned		 running;
	bool			 stopping;
	uint64_t		 kill_ms;	/* SIGKILL what is left after this */
};

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
spawn(struct pool *p, struct slot *s)
{
	sigset_t	none;
	pid_t		pid;

	if ((pid = fork()) == -1) {
		log_error("cannot fork a worker: %s", strerror(errno));
		s->respawn_ms = now_ms() + VD_RESPAWN_BACKOFF_MS;
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(worker_main(p->conf, p->listen_fd));
	}
	s->pid = pid;
	s->started_ms = now_ms();
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
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((s = slot_of(p, pid)) == NULL)
			continue;
		s->pid = 0;
		p->running--;
		if (p->stopping)
			continue;
		if (WIFSIGNALED(status))
			log_warn("worker %ld killed by signal %d; replacing it", (long)pid,
			    WTERMSIG(status));
		else
			log_warn("worker %ld exited with status %d; replacing it", (long)pid,
			    WEXITSTATUS(status));
		/* A worker that dies right after its start would otherwise fork in a tight loop. */
		s->respawn_ms = now_ms() - s->started_ms < VD_RESPAWN_BACKOFF_MS ?
		    now_ms() + VD_RESPAWN_BACKOFF_MS : 0;
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
	p->kill_ms = now_ms() + (uint64_t)p->conf->shutdown_timeout * 1000u;
	log_info("shutting down: finishing requests in flight");
	/* New connections now fail at once, so nginx moves them to its next upstream. */
	sock_unlink(p->conf->listen);
	close(p->listen_fd);
	signal_all(p, SIGTERM);
}

static void
tick(struct pool *p)
{
	uint64_t	now = now_ms();
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
}

int
supervisor_run(const struct vd_conf *conf, int listen_fd)
{
	struct pool	 p = { conf, listen_fd, NULL, 0, false, 0 };
	struct timespec	 interval = { 0, 100 * 1000 * 1000 };
	sigset_t	 set;
	int		 sig;

	if ((p.slots = calloc(conf->workers, sizeof(*p.slots))) == NULL) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	log_info("starting %u workers", conf->workers);
	while (!p.stopping || p.running > 0) {
		tick(&p);
		sig = sigtimedwait(&set, NULL, &interval);
		if (sig == SIGCHLD)
			reap(&p);
		else if (sig == SIGTERM || sig == SIGINT)
			begin_stop(&p);
		/* A SIGCHLD merged with another signal is caught by the next reap. */
		reap(&p);
	}
	log_info("stopped");
	free(p.slots);
	return EXIT_SUCCESS;
}
