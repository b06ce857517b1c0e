/*
 * test_quote.c - unit tests for src/lib/quote.c: which local parts stand
 * bare, how the others are quoted, and that failures change nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "quote.h"

/* assert_quoted - quote_address(in) gives exactly want */
static void
assert_quoted_n(const char *in, size_t len, const char *want)
{
	struct bytes out = BYTES_INIT(1000);

	assert_int_equal(quote_address(&out, in, len), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.s, want, out.len);
	bytes_free(&out);
}

static void
assert_quoted(const char *in, const char *want)
{
	assert_quoted_n(in, strlen(in), want);
}

/* assert_local_quoted - quote_local(in) gives exactly want */
static void
assert_local_quoted(const char *in, const char *want)
{
	struct bytes out = BYTES_INIT(1000);

	assert_int_equal(quote_local(&out, in, strlen(in)), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.s, want, out.len);
	bytes_free(&out);
}

static void
test_plain_addresses(void **state)
{
	(void)state;
	assert_quoted("joe@example.com", "joe@example.com");
	assert_quoted("postmaster", "postmaster");
	assert_quoted("a@b", "a@b");
	assert_quoted(
	    "Joe_Q-Public+tag@example.com", "Joe_Q-Public+tag@example.com");
}

static void
test_all_atext_stands_bare(void **state)
{
	(void)state;
	assert_quoted("!#$%&'*+-/=?^_`{|}~@x", "!#$%&'*+-/=?^_`{|}~@x");
	assert_quoted("AZaz09@x", "AZaz09@x");
}

static void
test_dotted(void **state)
{
	(void)state;
	assert_quoted("first.last@example.com", "first.last@example.com");
	assert_quoted("a.b.c.d@x", "a.b.c.d@x");
}

static void
test_bad_dots_quoted(void **state)
{
	(void)state;
	assert_quoted(".joe@x", "\".joe\"@x");
	assert_quoted("joe.@x", "\"joe.\"@x");
	assert_quoted("jo..e@x", "\"jo..e\"@x");
	assert_quoted(".@x", "\".\"@x");
	assert_quoted("..@x", "\"..\"@x");
}

static void
test_specials_quoted(void **state)
{
	(void)state;
	assert_quoted("joe smith@x", "\"joe smith\"@x");
	assert_quoted("a(b)@x", "\"a(b)\"@x");
	assert_quoted("a,b@x", "\"a,b\"@x");
	assert_quoted("a:b;c<d>e[f]@x", "\"a:b;c<d>e[f]\"@x");
	assert_quoted("tab\there@x", "\"tab\there\"@x");
}

static void
test_quote_and_backslash_escaped(void **state)
{
	(void)state;
	assert_quoted("say\"hi\"@x", "\"say\\\"hi\\\"\"@x");
	assert_quoted("back\\slash@x", "\"back\\\\slash\"@x");
	assert_quoted("\"@x", "\"\\\"\"@x");
	assert_quoted("\\@x", "\"\\\\\"@x");
	assert_quoted("\"\\\"\\@x", "\"\\\"\\\\\\\"\\\\\"@x");
}

static void
test_eight_bit_quoted(void **state)
{
	(void)state;
	assert_quoted("j\xc3\xb6rg@example.de", "\"j\xc3\xb6rg\"@example.de");
	assert_quoted("\xff@x", "\"\xff\"@x");
	/* a control byte is quoted, not escaped */
	assert_quoted("a\x01z@x", "\"a\x01z\"@x");
	assert_quoted("del\x7f@x", "\"del\x7f\"@x");
}

static void
test_empty_local_part(void **state)
{
	(void)state;
	assert_quoted("@example.com", "\"\"@example.com");
	assert_quoted("", "\"\"");
	assert_quoted_n(NULL, 0, "\"\"");
	assert_local_quoted("", "\"\"");
}

static void
test_several_at_signs(void **state)
{
	(void)state;
	/* only the last '@' separates the domain */
	assert_quoted("a@b@c", "\"a@b\"@c");
	assert_quoted("@@x", "\"@\"@x");
	assert_quoted("a@b@c@d.example", "\"a@b@c\"@d.example");
	assert_quoted("user@", "user@");
	assert_quoted("a@b@", "\"a@b\"@");
}

static void
test_domain_unchanged(void **state)
{
	(void)state;
	assert_quoted("joe@[127.0.0.1]", "joe@[127.0.0.1]");
	assert_quoted(
	    "joe smith@Weird Domain\"", "\"joe smith\"@Weird Domain\"");
}

static void
test_local_only(void **state)
{
	(void)state;
	assert_local_quoted("joe", "joe");
	assert_local_quoted("a.b", "a.b");
	assert_local_quoted("a@b", "\"a@b\"");
	assert_local_quoted("x\"y", "\"x\\\"y\"");
	assert_local_quoted("a..b", "\"a..b\"");
}

static void
test_appends_to_existing(void **state)
{
	struct bytes out = BYTES_INIT(100);

	(void)state;
	assert_int_equal(bytes_copy_str(&out, "Return-Path: <"), 0);
	assert_int_equal(quote_address(&out, "a b@x", 5), 0);
	assert_int_equal(bytes_append_char(&out, '>'), 0);
	assert_true(bytes_equal_str(&out, "Return-Path: <\"a b\"@x>"));
	bytes_free(&out);
}

static void
test_length_not_nul(void **state)
{
	(void)state;
	/* the length decides, not a terminating NUL */
	assert_quoted_n("joe@example.comTRAILING", 15, "joe@example.com");
	assert_quoted_n("a@b@c", 3, "a@b");
}

static void
test_header_breaking_bytes_refused(void **state)
{
	static const char *const bad[] = {
	    "a\nb@x", "a\rb@x", "joe@x\r\nBcc: victim@y", "joe@exa\nmple"};
	struct bytes out = BYTES_INIT(100);
	size_t i;

	(void)state;
	assert_int_equal(bytes_copy_str(&out, "To: "), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(
		    quote_address(&out, bad[i], strlen(bad[i])), -1);
		assert_int_equal(errno, EINVAL);
		assert_true(bytes_equal_str(&out, "To: "));
	}
	errno = 0;
	assert_int_equal(quote_address(&out, "a\0b@x", 5), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(quote_local(&out, "a\nb", 3), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(bytes_equal_str(&out, "To: "));
	bytes_free(&out);
}

static void
test_limit_leaves_out_unchanged(void **state)
{
	struct bytes out = BYTES_INIT(12);
	size_t n;

	(void)state;
	assert_int_equal(bytes_copy_str(&out, "To: "), 0);
	/* the opening quote and part of the text fit; the rest does not */
	errno = 0;
	assert_int_equal(quote_address(&out, "a\"b\"c d@x", 9), -1);
	assert_int_equal(errno, E2BIG);
	assert_true(bytes_equal_str(&out, "To: "));
	errno = 0;
	assert_int_equal(quote_local(&out, "quoted local", 12), -1);
	assert_int_equal(errno, E2BIG);
	assert_true(bytes_equal_str(&out, "To: "));
	/* bare: it fits exactly (7 bytes plus the NUL) */
	n = strlen("joe@x.y");
	assert_int_equal(quote_address(&out, "joe@x.y", n), 0);
	assert_true(bytes_equal_str(&out, "To: joe@x.y"));
	bytes_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_addresses),
	    cmocka_unit_test(test_all_atext_stands_bare),
	    cmocka_unit_test(test_dotted),
	    cmocka_unit_test(test_bad_dots_quoted),
	    cmocka_unit_test(test_specials_quoted),
	    cmocka_unit_test(test_quote_and_backslash_escaped),
	    cmocka_unit_test(test_eight_bit_quoted),
	    cmocka_unit_test(test_empty_local_part),
	    cmocka_unit_test(test_several_at_signs),
	    cmocka_unit_test(test_domain_unchanged),
	    cmocka_unit_test(test_local_only),
	    cmocka_unit_test(test_appends_to_existing),
	    cmocka_unit_test(test_length_not_nul),
	    cmocka_unit_test(test_header_breaking_bytes_refused),
	    cmocka_unit_test(test_limit_leaves_out_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
