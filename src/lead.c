#include "config.h"

#include <sys/eventfd.h>
#include <sys/mman.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "clock.h"
#include "defaults.h"
#include "lead.h"

struct lead {
	/* When the pool last had a reason to be open (0: it is closed). */
	_Atomic uint64_t	open_ms;
	/* The lead's turns of its loop, and whether it waits for work. */
	_Atomic uint64_t	turns;
	_Atomic bool		waiting;
	int			efd;
	/* The supervisor's: the turns and the time of its last look. */
	uint64_t		seen_turns, seen_ms;
};

/* The time, in ms, as open_ms keeps it: never 0, which means closed. */
static uint64_t
now_ms(void)
{
	uint64_t	ms = mono_ms();

	return ms != 0 ? ms : 1;
}

struct lead *
lead_new(unsigned workers)
{
	struct lead	*l;

	errno = 0;
	if (workers < 2)
		return NULL;
	l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l == MAP_FAILED)
		return NULL;
	if ((l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		int	e = errno;

		munmap(l, sizeof(*l));
		errno = e;
		return NULL;
	}
	atomic_init(&l->open_ms, 0);
	atomic_init(&l->turns, 0);
	atomic_init(&l->waiting, false);
	return l;
}

void
lead_free(struct lead *l)
{
	if (l == NULL)
		return;
	close(l->efd);
	munmap(l, sizeof(*l));
}

int
lead_fd(const struct lead *l)
{
	return l->efd;
}

bool
lead_is_open(const struct lead *l)
{
	return atomic_load_explicit(&l->open_ms, memory_order_acquire) != 0;
}

/*
 * Wakes the followers, so that they add the listening socket to their
 * epoll sets, or take it out.  The eventfd's counter is never read: it
 * would take 2^64 - 2 writes to fill it.
 */
static void
tell(struct lead *l)
{
	uint64_t	one = 1;

	if (write(l->efd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
		/* Cannot happen; the followers would learn at their next wake-up. */
	}
}

bool
lead_open(struct lead *l)
{
	if (atomic_exchange(&l->open_ms, now_ms()) != 0)
		return false;
	tell(l);
	return true;
}

/*
 * Closes the pool once the hold time is over.  A reason given meanwhile
 * changed the value, and keeps it open.
 */
static void
close_after_hold(struct lead *l, uint64_t now)
{
	uint64_t	since = atomic_load(&l->open_ms);

	if (since != 0 && now - since >= VD_LEAD_HOLD_MS &&
	    atomic_compare_exchange_strong(&l->open_ms, &since, 0))
		tell(l);
}

void
lead_wait(struct lead *l)
{
	close_after_hold(l, now_ms());
	atomic_store(&l->waiting, true);
}

void
lead_turn(struct lead *l)
{
	atomic_store(&l->waiting, false);
	atomic_fetch_add(&l->turns, 1);
}

void
lead_gone(struct lead *l)
{
	lead_open(l);
	/* What the last lead left says nothing of the next one. */
	atomic_store(&l->waiting, false);
	l->seen_ms = 0;
}

bool
lead_watch(struct lead *l, bool running)
{
	uint64_t	now = now_ms(), turns;
	bool		stuck = false;

	if (!running) {
		lead_gone(l);
		return false;
	}
	if (now - l->seen_ms < VD_LEAD_WATCH_MS)
		return false;
	turns = atomic_load(&l->turns);
	if (atomic_load(&l->waiting))
		/* An idle lead would close the pool only at its next wake-up. */
		close_after_hold(l, now);
	else if (turns == l->seen_turns && l->seen_ms != 0)
		stuck = lead_open(l);
	l->seen_turns = turns;
	l->seen_ms = now;
	return stuck;
}
