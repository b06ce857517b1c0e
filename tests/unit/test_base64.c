/*
 * test_base64.c - strict base64 decoding and encoding (RFC 4648).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

static long
dec(const char *s, char *out, size_t cap)
{
	return base64_decode(s, strlen(s), out, cap);
}

static void
test_rfc4648_vectors(void **state)
{
	static const char *const pairs[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char out[64];
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		n = dec(pairs[i][1], out, sizeof(out));
		assert_int_equal(n, (long)strlen(pairs[i][0]));
		assert_memory_equal(out, pairs[i][0], (size_t)n);
		n = base64_encode(pairs[i][0], strlen(pairs[i][0]), out,
		    sizeof(out));
		assert_int_equal(n, (long)strlen(pairs[i][1]));
		assert_memory_equal(out, pairs[i][1], (size_t)n);
	}
}

static void
test_auth_plain(void **state)
{
	char out[64];
	long n;

	(void)state;
	n = dec("AGpvZQBzZWNyZXQ=", out, sizeof(out));
	assert_int_equal(n, 11);
	assert_memory_equal(out, "\0joe\0secret", 11);
}

static void
test_strict(void **state)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z", "Zm9vY", "Zg==Zg==", "Z===", "====",
		"Zm 9v", "Zm9v\r\n", "Zm-v", "Zm_v", "Zh==", "Zm9=",
		"=Zm9", "Zm=v", "\x80xyz",
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(dec(bad[i], out, sizeof(out)), -1);
		assert_int_equal(errno, EINVAL);
	}
}

static void
test_limits(void **state)
{
	char out[8];

	(void)state;
	errno = 0;
	assert_int_equal(dec("Zm9vYmFy", out, 5), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(dec("Zm9vYmFy", out, 6), 6);
	errno = 0;
	assert_int_equal(base64_encode("foobar", 6, out, 7), -1);
	assert_int_equal(errno, E2BIG);
}

static void
test_round_trip_all_bytes(void **state)
{
	char raw[256], enc[400], back[256];
	size_t len;
	long n, m;

	(void)state;
	for (len = 0; len < sizeof(raw); len++)
		raw[len] = (char)(255 - len);
	for (len = 0; len <= sizeof(raw); len += 7) {
		n = base64_encode(raw, len, enc, sizeof(enc));
		assert_int_equal(n, (long)base64_encoded_len(len));
		m = base64_decode(enc, (size_t)n, back, sizeof(back));
		assert_int_equal(m, (long)len);
		assert_memory_equal(back, raw, len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_auth_plain),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_round_trip_all_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
