/*
 * test_logsafe.c - qmail's log-safe rule: '\n' -> '/', unsafe -> '_'.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logsafe.h"

static void
test_rule(void **state)
{
	struct bytes b = BYTES_INIT(1024);
	const char in[] = "Remote host said: 550 no\nsuch user 100%\x01\xff~!";

	(void)state;
	assert_int_equal(logsafe_append(&b, in, sizeof(in) - 1), 0);
	assert_int_equal(b.len, sizeof(in) - 1);
	assert_memory_equal(b.s, "Remote_host_said:_550_no/such_user_100___~!",
	    b.len);
	bytes_free(&b);
}

static void
test_appends_and_keeps_nul_out(void **state)
{
	struct bytes b = BYTES_INIT(64);

	(void)state;
	assert_int_equal(bytes_append_str(&b, "x "), 0);
	assert_int_equal(logsafe_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.s, "x a_b", 5);
	bytes_free(&b);
}

static void
test_limit_leaves_string_unchanged(void **state)
{
	struct bytes b = BYTES_INIT(8);

	(void)state;
	assert_int_equal(bytes_append_str(&b, "abc"), 0);
	assert_int_equal(logsafe_append(&b, "0123456789", 10), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.s, "abc", 3);
	bytes_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_appends_and_keeps_nul_out),
		cmocka_unit_test(test_limit_leaves_string_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
