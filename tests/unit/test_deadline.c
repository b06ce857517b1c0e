/*
 * test_deadline.c - deadlines on the monotonic clock.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "deadline.h"

static void
test_future(void **state)
{
	struct timespec d;
	int ms;

	(void)state;
	deadline_set(&d, 10);
	ms = deadline_ms_left(&d);
	assert_true(ms > 9000);
	assert_true(ms <= 10000);
}

static void
test_passed(void **state)
{
	struct timespec d, pause = {0, 20 * 1000 * 1000};

	(void)state;
	deadline_set(&d, 0);
	assert_true(deadline_ms_left(&d) <= 1);
	nanosleep(&pause, NULL);
	assert_int_equal(deadline_ms_left(&d), 0);
	d.tv_sec -= 1000;
	assert_int_equal(deadline_ms_left(&d), 0);
}

static void
test_huge(void **state)
{
	struct timespec d;

	(void)state;
	deadline_set(&d, (unsigned long)-1);
	assert_int_equal(deadline_ms_left(&d), INT_MAX);
}

static void
test_add(void **state)
{
	struct timespec d;
	int ms;

	(void)state;
	deadline_set(&d, 1);
	deadline_add(&d, 9);
	ms = deadline_ms_left(&d);
	assert_true(ms > 9000);
	assert_true(ms <= 10000);
	deadline_add(&d, (unsigned long)-1);
	assert_int_equal(deadline_ms_left(&d), INT_MAX);
	assert_true(d.tv_sec > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_future),
		cmocka_unit_test(test_passed),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
