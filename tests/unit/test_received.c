/*
 * test_received.c - qmail's Received header field (src/lib/received.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "received.h"

/* 1 Jan 2026 00:00:00 UTC */
#define T2026 ((time_t)1767225600)

static void
expect(const char *proto, const char *local, const char *ip,
    const char *host, const char *info, const char *helo, const char *want)
{
	struct bytes b = BYTES_INIT(4096);

	assert_int_equal(received_append(&b, proto, local, ip, host, info, helo,
			     T2026), 0);
	assert_non_null(bytes_cstr(&b));
	assert_string_equal(b.s, want);
	bytes_free(&b);
}

static void
test_forms(void **state)
{
	(void)state;
	expect("QMQP", "mx.example.org", "192.0.2.7", "client.example.net",
	    NULL, NULL,
	    "Received: from client.example.net (192.0.2.7)\n"
	    "  by mx.example.org with QMQP; 1 Jan 2026 00:00:00 -0000\n");
	expect("QMTP", "unknown", "unknown", "unknown", "joe", NULL,
	    "Received: from unknown (joe@unknown)\n"
	    "  by unknown with QMTP; 1 Jan 2026 00:00:00 -0000\n");
	expect("SMTP", "l", "::1", "h", NULL, "helo.example",
	    "Received: from h (HELO helo.example) (::1)\n"
	    "  by l with SMTP; 1 Jan 2026 00:00:00 -0000\n");
}

static void
test_unsafe_bytes(void **state)
{
	(void)state;
	expect("QMTP", "a b", "1\n2", "h<o>st\r", "x y", "(evil)",
	    "Received: from h?o?st? (HELO ?evil?) (x?y@1?2)\n"
	    "  by a?b with QMTP; 1 Jan 2026 00:00:00 -0000\n");
	expect("QMTP", "%+/=:-@.", "ip", "\xff\x80", NULL, NULL,
	    "Received: from ?? (ip)\n"
	    "  by %+/=:-@. with QMTP; 1 Jan 2026 00:00:00 -0000\n");
}

static void
test_limit(void **state)
{
	struct bytes b = BYTES_INIT(40);

	(void)state;
	assert_int_equal(bytes_append_str(&b, "kept"), 0);
	errno = 0;
	assert_int_equal(received_append(&b, "QMQP", "l", "i", "h", NULL, NULL,
			     T2026), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 4); /* unchanged */
	bytes_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_unsafe_bytes),
		cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
