/*
 * date822.h - RFC 5322 dates.
 */
#ifndef DATE822_H
#define DATE822_H

#include <stddef.h>
#include <time.h>

/* Room for the longest date this module writes, with a NUL. */
#define DATE822_MAX 64

/*
 * date822_utc - "22 Nov 2026 05:00:41 -0000" for t, as qmail writes in
 * Received lines (UTC, with -0000).  s has DATE822_MAX bytes; returns the
 * length written (without the NUL), 0 if t cannot be converted.
 */
size_t date822_utc(char *s, time_t t);

/*
 * date822_local - "22 Nov 2026 06:00:41 +0100" for t in the local time
 * zone, as a Date: header field (no day of the week, as qmail writes
 * it).  Same contract as date822_utc.
 */
size_t date822_local(char *s, time_t t);

#endif
