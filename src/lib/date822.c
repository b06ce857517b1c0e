/*
 * date822.c - RFC 5322 date-time strings, see date822.h.
 *
 * The day and month names are spelled here, not taken from the locale:
 * RFC 5322 wants the English abbreviations whatever LC_TIME says.  The
 * day of the month is written without a leading zero and no day of the
 * week is written (it is optional in RFC 5322), as qmail does.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "date822.h"

static const char date822_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Zone offsets beyond this many hours cannot be written as +hhmm. */
#define DATE822_ZONE_HOURS_MAX 99

/*
 * date822_fields_ok - the broken-down time can be written: fields in
 * range, a year RFC 5322 can express (four digits or more, not negative).
 */
static int
date822_fields_ok(const struct tm *tm)
{
	long long year = (long long)tm->tm_year + 1900;

	if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
	    tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 ||
	    tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 60 || year < 0) {
		errno = EOVERFLOW;
		return 0;
	}
	return 1;
}

/*
 * date822_write - "D Mon YYYY hh:mm:ss " followed by zone, into s
 * (DATE822_MAX bytes).  Returns the length or 0.
 */
static size_t
date822_write(char *s, const struct tm *tm, const char *zone)
{
	int n;

	if (!date822_fields_ok(tm))
		return 0;
	n = snprintf(s, DATE822_MAX, "%d %s %04lld %02d:%02d:%02d %s",
	    tm->tm_mday, date822_months[tm->tm_mon],
	    (long long)tm->tm_year + 1900, tm->tm_hour, tm->tm_min, tm->tm_sec,
	    zone);
	if (n < 0 || n >= DATE822_MAX) {
		errno = EOVERFLOW;
		return 0;
	}
	return (size_t)n;
}

size_t
date822_utc(char *s, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return date822_write(s, &tm, "-0000");
}

/*
 * date822_zone - "+hhmm" or "-hhmm" for an offset east of UTC in
 * seconds; seconds beyond whole minutes (old local mean times) are
 * dropped.  zone has 6 bytes.  0 or -1 (EOVERFLOW).
 */
static int
date822_zone(char zone[6], long gmtoff)
{
	unsigned long east;
	unsigned long minutes;
	char sign = '+';

	if (gmtoff < 0) {
		sign = '-';
		east = 0UL - (unsigned long)gmtoff;
	} else {
		east = (unsigned long)gmtoff;
	}
	minutes = east / 60;
	if (minutes / 60 > DATE822_ZONE_HOURS_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	zone[0] = sign;
	zone[1] = (char)('0' + minutes / 600);
	zone[2] = (char)('0' + minutes / 60 % 10);
	zone[3] = (char)('0' + minutes % 60 / 10);
	zone[4] = (char)('0' + minutes % 10);
	zone[5] = '\0';
	return 0;
}

size_t
date822_local(char *s, time_t t)
{
	struct tm tm;
	char zone[6];

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	if (date822_zone(zone, tm.tm_gmtoff) == -1)
		return 0;
	return date822_write(s, &tm, zone);
}
