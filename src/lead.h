/*
 * The pool's lead worker, and when the others take connections too.
 *
 * Every worker of a pool could watch the listening socket.  But a worker
 * pipelines the requests it holds (worker.c): one wake-up of it, and of its
 * PostgreSQL backend, serves all the requests that arrived together.  Spread
 * over every worker, the same load wakes each of them, and each backend, for
 * fewer requests at a time, and on a small machine the wake-ups cost more
 * than the work.  So the worker of the pool's first slot, the lead, takes
 * the connections alone, and the others (the followers) watch the socket
 * only while the pool is open: while the lead cannot take a connection at
 * once, and for VD_LEAD_HOLD_MS after.
 *
 * The pool opens when the lead starts a request that keeps it from the
 * socket for long (a large upload or download), when every one of its slots
 * is taken and a connection waits, when it is not running (dead, retiring,
 * not yet replaced), and when the supervisor, which looks every tick
 * (VD_LEAD_WATCH_MS), finds it neither waiting for work nor getting on with
 * it (blocked in a call it did not foresee).  It closes once the hold time
 * is over and the lead waits for work: the lead closes it before it waits,
 * the supervisor at its next look.
 *
 * The state lives in a shared anonymous mapping made by the supervisor
 * before it forks; an eventfd, written when the pool opens or closes, wakes
 * the followers, which watch it edge-triggered and never read it.
 */
#ifndef VD_LEAD_H
#define VD_LEAD_H

#include <stdbool.h>
#include <stdint.h>

struct lead;

/* The shared state of a pool of workers (none for one worker: NULL, with errno 0). */
struct lead	*lead_new(unsigned workers);
void		 lead_free(struct lead *);
/* The eventfd the followers watch (EPOLLIN | EPOLLET). */
int		 lead_fd(const struct lead *);

/* Whether the followers should take connections now. */
bool		 lead_is_open(const struct lead *);
/* Opens the pool (the lead cannot take connections for a while); true when it was closed. */
bool		 lead_open(struct lead *);

/* The lead is about to wait for work: closes the pool once the hold time is over. */
void		 lead_wait(struct lead *);
/* The lead has taken a turn of its loop: its wait is over, or it has collected answers. */
void		 lead_turn(struct lead *);

/* The supervisor has reaped the lead: the pool opens until its successor waits for work. */
void		 lead_gone(struct lead *);
/*
 * The supervisor's look, once a tick: opens the pool when the lead is not
 * running, or has been busy without a turn of its loop since the last look
 * (then it returns true, when the pool was closed), and closes it when the
 * hold time is over and the lead waits for work.
 */
bool		 lead_watch(struct lead *, bool running);

#endif
