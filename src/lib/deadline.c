/*
 * deadline.c - time limits on the monotonic clock, see deadline.h.
 */
#include <limits.h>
#include <time.h>

#include "deadline.h"

void
deadline_set(struct timespec *d, unsigned long seconds)
{
	(void)clock_gettime(CLOCK_MONOTONIC, d);
	if (seconds > (unsigned long)INT_MAX)
		seconds = (unsigned long)INT_MAX; /* 68 years: never, in effect */
	d->tv_sec += (time_t)seconds;
}

void
deadline_add(struct timespec *d, unsigned long seconds)
{
	time_t room = (time_t)INT_MAX * 4 - d->tv_sec;

	/* the clock starts near zero, so INT_MAX * 4 seconds is "never" */
	if (room <= 0)
		return;
	if (seconds > (unsigned long)room)
		seconds = (unsigned long)room;
	d->tv_sec += (time_t)seconds;
}

int
deadline_ms_left(const struct timespec *d)
{
	struct timespec now;
	long long ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->tv_sec - now.tv_sec) * 1000 +
	    (d->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}
