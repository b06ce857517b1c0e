/*
 * test_bytes.c - unit tests for src/lib/bytes.c: growth, limits, overflow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"

/*
 * Under AddressSanitizer a huge malloc aborts the program unless the
 * allocator may return NULL; the tests want to see that NULL.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

#define MIB ((size_t)1 << 20)

/* assert_intact - b still holds exactly the C string want and works */
static void
assert_intact(struct bytes *b, const char *want)
{
	size_t n = strlen(want);

	assert_int_equal(b->len, n);
	assert_true(bytes_equal_str(b, want));
	assert_true(b->len < b->cap);
	assert_true(b->cap <= b->limit);
}

static void
test_init_is_empty(void **state)
{
	struct bytes b = BYTES_INIT(100);
	struct bytes c;

	(void)state;
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.limit, 100);
	bytes_init(&c, 7);
	assert_null(c.s);
	assert_int_equal(c.len, 0);
	assert_int_equal(c.cap, 0);
	assert_int_equal(c.limit, 7);
	assert_true(bytes_equal_str(&c, ""));
	assert_false(bytes_equal_str(&c, "x"));
}

static void
test_append_and_cstr(void **state)
{
	struct bytes b = BYTES_INIT(1000);
	char *s;

	(void)state;
	assert_int_equal(bytes_append(&b, "hello", 5), 0);
	assert_int_equal(bytes_append_char(&b, ','), 0);
	assert_int_equal(bytes_append_str(&b, " world"), 0);
	assert_int_equal(b.len, 12);
	s = bytes_cstr(&b);
	assert_non_null(s);
	assert_string_equal(s, "hello, world");
	assert_int_equal(b.len, 12);
	assert_true(bytes_equal_str(&b, "hello, world"));
	assert_false(bytes_equal_str(&b, "hello, worl"));
	assert_false(bytes_equal_str(&b, "hello, world!"));
	bytes_free(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.limit, 1000);
}

static void
test_binary_bytes_kept(void **state)
{
	struct bytes b = BYTES_INIT(64);
	const char raw[] = {'a', '\0', 'b', '\xff', '\n'};

	(void)state;
	assert_int_equal(bytes_append(&b, raw, sizeof(raw)), 0);
	assert_int_equal(b.len, sizeof(raw));
	assert_memory_equal(b.s, raw, sizeof(raw));
	assert_false(bytes_equal_str(&b, "a"));
	bytes_free(&b);
}

static void
test_append_zero_allocates_nothing(void **state)
{
	struct bytes b = BYTES_INIT(10);

	(void)state;
	assert_int_equal(bytes_append(&b, NULL, 0), 0);
	assert_int_equal(bytes_append_str(&b, ""), 0);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
}

static void
test_cstr_of_empty(void **state)
{
	struct bytes b = BYTES_INIT(1);
	struct bytes none = BYTES_INIT(0);
	char *s;

	(void)state;
	s = bytes_cstr(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	bytes_free(&b);
	/* a limit of 0 leaves no room even for the NUL */
	errno = 0;
	assert_null(bytes_cstr(&none));
	assert_int_equal(errno, E2BIG);
}

static void
test_copy_replaces(void **state)
{
	struct bytes b = BYTES_INIT(100);

	(void)state;
	assert_int_equal(bytes_copy_str(&b, "first value"), 0);
	assert_int_equal(bytes_copy(&b, "xy", 2), 0);
	assert_intact(&b, "xy");
	assert_int_equal(bytes_copy_str(&b, ""), 0);
	assert_intact(&b, "");
	bytes_free(&b);
}

static void
test_copy_failure_keeps_old(void **state)
{
	struct bytes b = BYTES_INIT(8);

	(void)state;
	assert_int_equal(bytes_copy_str(&b, "short"), 0);
	errno = 0;
	assert_int_equal(bytes_copy_str(&b, "too long!"), -1);
	assert_int_equal(errno, E2BIG);
	assert_intact(&b, "short");
	bytes_free(&b);
}

static void
test_append_own_contents(void **state)
{
	struct bytes b = BYTES_INIT(1 << 20);
	int i;

	(void)state;
	/* appending from our own buffer must survive the realloc */
	assert_int_equal(
	    bytes_copy_str(&b, "abcdefghijklmnopqrstuvwxyz0123"), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(bytes_append(&b, b.s, b.len), 0);
	assert_int_equal(b.len, 30 * 64);
	for (i = 0; i < 64; i++)
		assert_memory_equal(
		    b.s + 30 * i, "abcdefghijklmnopqrstuvwxyz0123", 30);
	/* and copying a piece of ourselves over ourselves */
	assert_int_equal(bytes_copy(&b, b.s + 3, 4), 0);
	assert_intact(&b, "defg");
	bytes_free(&b);
}

static void
test_append_ulong(void **state)
{
	struct bytes b = BYTES_INIT(100);

	(void)state;
	assert_int_equal(bytes_append_ulong(&b, 0), 0);
	assert_int_equal(bytes_append_char(&b, ' '), 0);
	assert_int_equal(bytes_append_ulong(&b, 1234567890), 0);
	assert_int_equal(bytes_append_char(&b, ' '), 0);
	assert_int_equal(bytes_append_ulong(&b, 18446744073709551615ULL), 0);
	assert_intact(&b, "0 1234567890 18446744073709551615");
	bytes_free(&b);
}

static void
test_truncate(void **state)
{
	struct bytes b = BYTES_INIT(100);

	(void)state;
	assert_int_equal(bytes_copy_str(&b, "abcdef"), 0);
	bytes_truncate(&b, 3);
	assert_intact(&b, "abc");
	bytes_truncate(&b, 10); /* never lengthens */
	assert_intact(&b, "abc");
	bytes_truncate(&b, 0);
	assert_intact(&b, "");
	bytes_free(&b);
}

static void
test_limit_counts_nul(void **state)
{
	struct bytes b = BYTES_INIT(6);
	char *s;

	(void)state;
	/* limit 6: five bytes and the NUL fit, a sixth byte does not */
	assert_int_equal(bytes_append_str(&b, "abcde"), 0);
	assert_int_equal(b.cap, 6);
	s = bytes_cstr(&b);
	assert_non_null(s);
	assert_string_equal(s, "abcde");
	errno = 0;
	assert_int_equal(bytes_append_char(&b, 'f'), -1);
	assert_int_equal(errno, E2BIG);
	assert_intact(&b, "abcde");
	bytes_free(&b);
}

static void
test_append_past_small_limit(void **state)
{
	struct bytes b = BYTES_INIT(16);

	(void)state;
	assert_int_equal(bytes_append_str(&b, "0123456789"), 0);
	errno = 0;
	assert_int_equal(bytes_append_str(&b, "abcdef"), -1);
	assert_int_equal(errno, E2BIG);
	assert_intact(&b, "0123456789");
	errno = 0;
	assert_int_equal(bytes_reserve(&b, 6), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(bytes_reserve(&b, 5), 0);
	/* still usable after the failures */
	assert_int_equal(bytes_append_str(&b, "abcde"), 0);
	assert_intact(&b, "0123456789abcde");
	bytes_free(&b);
}

static void
test_reserve_then_no_realloc(void **state)
{
	struct bytes b = BYTES_INIT(10000);
	char *before;
	int i;

	(void)state;
	assert_int_equal(bytes_reserve(&b, 1000), 0);
	assert_true(b.cap >= 1001);
	before = b.s;
	for (i = 0; i < 1000; i++)
		assert_int_equal(bytes_append_char(&b, 'x'), 0);
	assert_ptr_equal(b.s, before);
	assert_non_null(bytes_cstr(&b));
	assert_ptr_equal(b.s, before);
	bytes_free(&b);
}

static void
test_growth_is_amortised(void **state)
{
	struct bytes b = BYTES_INIT(1 << 24);
	size_t last_cap = 0;
	int grows = 0;
	int i;

	(void)state;
	for (i = 0; i < 1000000; i++) {
		assert_int_equal(
		    bytes_append_char(&b, (char)('a' + i % 26)), 0);
		if (b.cap != last_cap) {
			grows++;
			last_cap = b.cap;
		}
	}
	assert_int_equal(b.len, 1000000);
	/* growing by half again needs about 30 steps for a megabyte */
	assert_in_range(grows, 1, 40);
	assert_int_equal(b.s[999999], 'a' + 999999 % 26);
	bytes_free(&b);
}

static void
test_reserve_2_to_63(void **state)
{
	struct bytes b = BYTES_INIT(SIZE_MAX);

	(void)state;
	assert_int_equal(bytes_copy_str(&b, "keep me"), 0);
	errno = 0;
	assert_int_equal(bytes_reserve(&b, (size_t)1 << 63), -1);
	assert_int_equal(errno, ENOMEM);
	assert_intact(&b, "keep me");
	errno = 0;
	assert_int_equal(bytes_reserve(&b, SIZE_MAX - 100), -1);
	assert_int_equal(errno, ENOMEM);
	assert_intact(&b, "keep me");
	assert_int_equal(bytes_append_str(&b, ", usable"), 0);
	assert_intact(&b, "keep me, usable");
	bytes_free(&b);
}

static void
test_reserve_impossible_allocation(void **state)
{
	struct bytes b = BYTES_INIT(SIZE_MAX);

	(void)state;
	/* below PTRDIFF_MAX, so it reaches realloc, which must fail */
	assert_int_equal(bytes_copy_str(&b, "abc"), 0);
	errno = 0;
	assert_int_equal(bytes_reserve(&b, (size_t)1 << 62), -1);
	assert_int_equal(errno, ENOMEM);
	assert_intact(&b, "abc");
	bytes_free(&b);
}

static void
test_append_length_wraps(void **state)
{
	struct bytes b = BYTES_INIT(SIZE_MAX);
	const char *data = "0123456789";

	(void)state;
	assert_int_equal(bytes_copy_str(&b, data), 0);
	/* len + n wraps past SIZE_MAX: refused before anything is read */
	errno = 0;
	assert_int_equal(bytes_append(&b, data, SIZE_MAX - 5), -1);
	assert_int_equal(errno, ERANGE);
	assert_intact(&b, data);
	errno = 0;
	assert_int_equal(bytes_reserve(&b, SIZE_MAX), -1);
	assert_int_equal(errno, ERANGE);
	assert_intact(&b, data);
	/* len + n == SIZE_MAX: the NUL would wrap */
	errno = 0;
	assert_int_equal(bytes_reserve(&b, SIZE_MAX - b.len), -1);
	assert_int_equal(errno, ERANGE);
	assert_intact(&b, data);
	assert_int_equal(bytes_append_char(&b, '!'), 0);
	assert_intact(&b, "0123456789!");
	bytes_free(&b);
}

static void
test_wrap_under_small_limit(void **state)
{
	struct bytes b = BYTES_INIT(100);

	(void)state;
	assert_int_equal(bytes_copy_str(&b, "x"), 0);
	errno = 0;
	assert_int_equal(bytes_reserve(&b, SIZE_MAX), -1);
	assert_int_equal(errno, ERANGE);
	errno = 0;
	assert_int_equal(bytes_reserve(&b, (size_t)1 << 63), -1);
	assert_int_equal(errno, E2BIG);
	assert_intact(&b, "x");
	bytes_free(&b);
}

static void
test_megabytes_up_to_limit(void **state)
{
	struct bytes b = BYTES_INIT(64 * MIB);
	char *chunk;
	int i;
	int ok = 0;

	(void)state;
	chunk = malloc(MIB);
	assert_non_null(chunk);
	memset(chunk, 'm', MIB);
	for (i = 0; i < 100; i++) {
		chunk[0] = (char)('A' + i % 26);
		if (bytes_append(&b, chunk, MIB) == -1)
			break;
		ok++;
	}
	/* 63 MiB plus a NUL fit under 64 MiB; the 64th chunk does not */
	assert_int_equal(ok, 63);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 63 * MIB);
	assert_true(b.cap <= 64 * MIB);
	assert_int_equal(b.s[62 * MIB], 'A' + 62 % 26);
	assert_int_equal(b.s[63 * MIB - 1], 'm');
	/* the limit is reachable exactly, and not beyond */
	assert_int_equal(bytes_append(&b, chunk, MIB - 1), 0);
	assert_int_equal(b.len, 64 * MIB - 1);
	assert_non_null(bytes_cstr(&b));
	errno = 0;
	assert_int_equal(bytes_append_char(&b, 'z'), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 64 * MIB - 1);
	free(chunk);
	bytes_free(&b);
}

static void
test_free_then_reuse(void **state)
{
	struct bytes b = BYTES_INIT(50);

	(void)state;
	assert_int_equal(bytes_copy_str(&b, "one"), 0);
	bytes_free(&b);
	bytes_free(&b); /* twice is harmless */
	assert_int_equal(bytes_copy_str(&b, "two"), 0);
	assert_intact(&b, "two");
	bytes_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_is_empty),
	    cmocka_unit_test(test_append_and_cstr),
	    cmocka_unit_test(test_binary_bytes_kept),
	    cmocka_unit_test(test_append_zero_allocates_nothing),
	    cmocka_unit_test(test_cstr_of_empty),
	    cmocka_unit_test(test_copy_replaces),
	    cmocka_unit_test(test_copy_failure_keeps_old),
	    cmocka_unit_test(test_append_own_contents),
	    cmocka_unit_test(test_append_ulong),
	    cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_limit_counts_nul),
	    cmocka_unit_test(test_append_past_small_limit),
	    cmocka_unit_test(test_reserve_then_no_realloc),
	    cmocka_unit_test(test_growth_is_amortised),
	    cmocka_unit_test(test_reserve_2_to_63),
	    cmocka_unit_test(test_reserve_impossible_allocation),
	    cmocka_unit_test(test_append_length_wraps),
	    cmocka_unit_test(test_wrap_under_small_limit),
	    cmocka_unit_test(test_megabytes_up_to_limit),
	    cmocka_unit_test(test_free_then_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
