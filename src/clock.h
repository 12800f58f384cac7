/* The monotonic clock, as the pool's timers read it. */
#ifndef VD_CLOCK_H
#define VD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t
mono_ms(void)
{
	return mono_us() / 1000u;
}

#endif
