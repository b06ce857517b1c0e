/*
 * test_fmt.c - unit tests for src/lib/fmt.c: decimal in and out, overflow.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fmt.h"

static void
assert_fmt(unsigned long long u, const char *want)
{
	char s[FMT_ULONG];
	size_t n;

	memset(s, 'X', sizeof(s));
	n = fmt_ulong(s, u);
	assert_int_equal(n, strlen(want));
	assert_string_equal(s, want);
}

static void
test_fmt_ulong_values(void **state)
{
	(void)state;
	assert_fmt(0, "0");
	assert_fmt(7, "7");
	assert_fmt(10, "10");
	assert_fmt(1000000, "1000000");
	assert_fmt(4294967295ULL, "4294967295");
	assert_fmt(4294967296ULL, "4294967296");
	assert_fmt(18446744073709551615ULL, "18446744073709551615");
}

static void
test_fmt_ulong_fits_buffer(void **state)
{
	char s[FMT_ULONG + 1];

	(void)state;
	/* the largest value uses every byte of FMT_ULONG, no more */
	memset(s, 'X', sizeof(s));
	assert_int_equal(fmt_ulong(s, ULLONG_MAX), FMT_ULONG - 1);
	assert_int_equal(s[FMT_ULONG - 1], '\0');
	assert_int_equal(s[FMT_ULONG], 'X');
}

static void
test_scan_ulong_prefix(void **state)
{
	unsigned long long u = 99;

	(void)state;
	assert_int_equal(scan_ulong("123abc", &u), 3);
	assert_int_equal(u, 123);
	assert_int_equal(scan_ulong("0", &u), 1);
	assert_int_equal(u, 0);
	assert_int_equal(scan_ulong("007 ", &u), 3);
	assert_int_equal(u, 7);
	assert_int_equal(scan_ulong("42", &u), 2);
	assert_int_equal(u, 42);
}

static void
test_scan_ulong_not_a_number(void **state)
{
	unsigned long long u = 99;

	(void)state;
	assert_int_equal(scan_ulong("", &u), 0);
	assert_int_equal(scan_ulong("abc", &u), 0);
	assert_int_equal(scan_ulong(" 1", &u), 0);
	assert_int_equal(scan_ulong("+1", &u), 0);
	assert_int_equal(scan_ulong("-1", &u), 0);
	assert_int_equal(u, 99);
}

static void
test_scan_ulong_max_fits(void **state)
{
	unsigned long long u = 0;

	(void)state;
	assert_int_equal(scan_ulong("18446744073709551615", &u), 20);
	assert_true(u == ULLONG_MAX);
	assert_int_equal(scan_ulong("18446744073709551614,", &u), 20);
	assert_true(u == ULLONG_MAX - 1);
	assert_int_equal(
	    scan_ulong("0000000000000000000000018446744073709551615", &u), 43);
	assert_true(u == ULLONG_MAX);
}

static void
test_scan_ulong_overflow(void **state)
{
	unsigned long long u = 5;

	(void)state;
	errno = 0;
	assert_int_equal(scan_ulong("18446744073709551616", &u), 0);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(scan_ulong("18446744073709551620", &u), 0);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(scan_ulong("99999999999999999999", &u), 0);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(scan_ulong("184467440737095516150", &u), 0);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(
	    scan_ulong("123456789012345678901234567890123456789", &u), 0);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(u, 5);
}

static void
test_parse_ulong_ok(void **state)
{
	unsigned long long u = 1;

	(void)state;
	assert_int_equal(parse_ulong("0", 10, &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(parse_ulong("10", 10, &u), 0);
	assert_int_equal(u, 10);
	assert_int_equal(
	    parse_ulong("18446744073709551615", ULLONG_MAX, &u), 0);
	assert_true(u == ULLONG_MAX);
}

static void
test_parse_ulong_invalid(void **state)
{
	static const char *const bad[] = {
	    "", " 1", "1 ", "+1", "-1", "1x", "x1", "0x10", "1.5", "1\n"};
	unsigned long long u = 77;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(parse_ulong(bad[i], ULLONG_MAX, &u), -1);
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_int_equal(parse_ulong(NULL, ULLONG_MAX, &u), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(u, 77);
}

static void
test_parse_ulong_range(void **state)
{
	unsigned long long u = 77;

	(void)state;
	errno = 0;
	assert_int_equal(parse_ulong("11", 10, &u), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(
	    parse_ulong("18446744073709551616", ULLONG_MAX, &u), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(parse_ulong("4294967296", 4294967295ULL, &u), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(u, 77);
	assert_int_equal(parse_ulong("4294967295", 4294967295ULL, &u), 0);
	assert_int_equal(u, 4294967295ULL);
}

static void
test_round_trip(void **state)
{
	static const unsigned long long values[] = {0, 1, 9, 10, 99, 100, 65535,
	    4294967295ULL, 1000000000000ULL, 9223372036854775807ULL,
	    9223372036854775808ULL, 18446744073709551615ULL};
	char s[FMT_ULONG];
	unsigned long long u;
	size_t i;
	size_t n;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		n = fmt_ulong(s, values[i]);
		assert_int_equal(scan_ulong(s, &u), n);
		assert_true(u == values[i]);
		assert_int_equal(parse_ulong(s, ULLONG_MAX, &u), 0);
		assert_true(u == values[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fmt_ulong_values),
	    cmocka_unit_test(test_fmt_ulong_fits_buffer),
	    cmocka_unit_test(test_scan_ulong_prefix),
	    cmocka_unit_test(test_scan_ulong_not_a_number),
	    cmocka_unit_test(test_scan_ulong_max_fits),
	    cmocka_unit_test(test_scan_ulong_overflow),
	    cmocka_unit_test(test_parse_ulong_ok),
	    cmocka_unit_test(test_parse_ulong_invalid),
	    cmocka_unit_test(test_parse_ulong_range),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
