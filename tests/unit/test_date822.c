/*
 * test_date822.c - unit tests for src/lib/date822.c: fixed instants in
 * fixed zones, including half-hour and negative offsets and leap days.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "date822.h"

static void
zone_set(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

static void
assert_utc(time_t t, const char *want)
{
	char s[DATE822_MAX];
	size_t n;

	memset(s, 'X', sizeof(s));
	n = date822_utc(s, t);
	assert_string_equal(s, want);
	assert_int_equal(n, strlen(want));
}

static void
assert_local(time_t t, const char *want)
{
	char s[DATE822_MAX];
	size_t n;

	memset(s, 'X', sizeof(s));
	n = date822_local(s, t);
	assert_string_equal(s, want);
	assert_int_equal(n, strlen(want));
}

static void
test_utc_epoch(void **state)
{
	(void)state;
	assert_utc(0, "1 Jan 1970 00:00:00 -0000");
	assert_utc(-1, "31 Dec 1969 23:59:59 -0000");
}

static void
test_utc_values(void **state)
{
	(void)state;
	assert_utc(1700000000, "14 Nov 2023 22:13:20 -0000");
	assert_utc(1688169600, "1 Jul 2023 00:00:00 -0000");
	assert_utc(253402300799, "31 Dec 9999 23:59:59 -0000");
}

static void
test_utc_leap_days(void **state)
{
	(void)state;
	assert_utc(1709208000, "29 Feb 2024 12:00:00 -0000");
	assert_utc(1709251199, "29 Feb 2024 23:59:59 -0000");
	assert_utc(1709251200, "1 Mar 2024 00:00:00 -0000");
	assert_utc(951782400, "29 Feb 2000 00:00:00 -0000");
}

static void
test_utc_ignores_tz(void **state)
{
	(void)state;
	zone_set("IST-5:30");
	assert_utc(0, "1 Jan 1970 00:00:00 -0000");
	zone_set("NST3:30");
	assert_utc(1700000000, "14 Nov 2023 22:13:20 -0000");
}

static void
test_local_utc(void **state)
{
	(void)state;
	zone_set("UTC");
	assert_local(0, "1 Jan 1970 00:00:00 +0000");
	assert_local(1700000000, "14 Nov 2023 22:13:20 +0000");
	assert_local(1709208000, "29 Feb 2024 12:00:00 +0000");
	assert_local(951782400, "29 Feb 2000 00:00:00 +0000");
}

static void
test_local_posix_newfoundland(void **state)
{
	(void)state;
	zone_set("NST3:30");
	assert_local(0, "31 Dec 1969 20:30:00 -0330");
	assert_local(1700000000, "14 Nov 2023 18:43:20 -0330");
	assert_local(1709208000, "29 Feb 2024 08:30:00 -0330");
	assert_local(951782400, "28 Feb 2000 20:30:00 -0330");
}

static void
test_local_posix_india(void **state)
{
	(void)state;
	zone_set("IST-5:30");
	assert_local(0, "1 Jan 1970 05:30:00 +0530");
	assert_local(1700000000, "15 Nov 2023 03:43:20 +0530");
	assert_local(1709251199, "1 Mar 2024 05:29:59 +0530");
	assert_local(951782400, "29 Feb 2000 05:30:00 +0530");
}

static void
test_local_posix_dst_rule(void **state)
{
	(void)state;
	zone_set("EST5EDT,M3.2.0,M11.1.0");
	assert_local(1700000000, "14 Nov 2023 17:13:20 -0500");
	assert_local(1688169600, "30 Jun 2023 20:00:00 -0400");
}

static void
test_local_olson_zones(void **state)
{
	(void)state;
	if (access("/usr/share/zoneinfo/America/St_Johns", R_OK) != 0 ||
	    access("/usr/share/zoneinfo/Asia/Kolkata", R_OK) != 0)
		skip();
	zone_set("America/St_Johns");
	assert_local(0, "31 Dec 1969 20:30:00 -0330");
	assert_local(1709208000, "29 Feb 2024 08:30:00 -0330");
	/* summer time there is two and a half hours behind */
	assert_local(1688169600, "30 Jun 2023 21:30:00 -0230");
	zone_set("Asia/Kolkata");
	assert_local(0, "1 Jan 1970 05:30:00 +0530");
	assert_local(1700000000, "15 Nov 2023 03:43:20 +0530");
}

static void
test_local_offset_with_seconds(void **state)
{
	(void)state;
	/* old local mean time offsets: the seconds are dropped */
	zone_set("LMT-0:19:32");
	assert_local(0, "1 Jan 1970 00:19:32 +0019");
	zone_set("LMT+0:19:32");
	assert_local(0, "31 Dec 1969 23:40:28 -0019");
}

static void
test_local_five_digit_year(void **state)
{
	(void)state;
	zone_set("IST-5:30");
	assert_local(253402300799, "1 Jan 10000 05:29:59 +0530");
}

/* qmail writes no day of the week: "7 Dec 2026 15:16:54 +0000" */
static void
test_local_no_weekday(void **state)
{
	char s[DATE822_MAX];
	time_t t;

	(void)state;
	zone_set("UTC");
	assert_local(1796656614, "7 Dec 2026 15:16:54 +0000");
	/* any instant: starts with the day of the month, holds no comma */
	for (t = 0; t < 7 * 86400; t += 86400 + 3601) {
		assert_true(date822_local(s, t) > 0);
		assert_true(s[0] >= '1' && s[0] <= '9');
		assert_null(strchr(s, ','));
	}
}

static void
test_unconvertible_times(void **state)
{
	char s[DATE822_MAX];

	(void)state;
	zone_set("UTC");
	/* the year does not fit in an int */
	assert_int_equal(date822_utc(s, (time_t)LLONG_MAX), 0);
	assert_int_equal(date822_local(s, (time_t)LLONG_MAX), 0);
	/* a year before year 0 cannot be written */
	assert_int_equal(date822_utc(s, (time_t)-100000000000LL), 0);
	assert_int_equal(date822_local(s, (time_t)-100000000000LL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utc_epoch),
	    cmocka_unit_test(test_utc_values),
	    cmocka_unit_test(test_utc_leap_days),
	    cmocka_unit_test(test_utc_ignores_tz),
	    cmocka_unit_test(test_local_utc),
	    cmocka_unit_test(test_local_posix_newfoundland),
	    cmocka_unit_test(test_local_posix_india),
	    cmocka_unit_test(test_local_posix_dst_rule),
	    cmocka_unit_test(test_local_olson_zones),
	    cmocka_unit_test(test_local_offset_with_seconds),
	    cmocka_unit_test(test_local_five_digit_year),
	    cmocka_unit_test(test_local_no_weekday),
	    cmocka_unit_test(test_unconvertible_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
