/*
 * deadline.h - a point in time on the monotonic clock, for loops that
 * poll or retry until a time limit runs out.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include <time.h>

/* deadline_set - *d becomes now plus seconds */
void deadline_set(struct timespec *d, unsigned long seconds);

/*
 * deadline_add - move *d later by seconds (a limit that grows with the
 * work done, such as a minimum transfer rate); never wraps
 */
void deadline_add(struct timespec *d, unsigned long seconds);

/*
 * deadline_ms_left - milliseconds from now until *d: 0 once it has
 * passed, at most INT_MAX, so the result can go to poll(2) as it is.
 */
int deadline_ms_left(const struct timespec *d);

#endif
