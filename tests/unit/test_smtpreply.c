/*
 * test_smtpreply.c - unit tests for src/lib/smtpreply.c: reply codes,
 * multi-line replies, malformed and endless replies, the text limit and
 * the EHLO keywords.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "smtpreply.h"

static int
line(struct smtpreply *r, const char *s)
{
	return smtpreply_line(r, s, strlen(s));
}

static void
test_code(void **state)
{
	int more = -1;

	assert_int_equal(smtpreply_code("250 ok", 6, &more), 250);
	assert_int_equal(more, 0);
	assert_int_equal(smtpreply_code("250-ok", 6, &more), 250);
	assert_int_equal(more, 1);
	assert_int_equal(smtpreply_code("421", 3, &more), 421);
	assert_int_equal(more, 0);
	assert_int_equal(smtpreply_code("150 x", 5, &more), -1);
	assert_int_equal(smtpreply_code("600 x", 5, &more), -1);
	assert_int_equal(smtpreply_code("25", 2, &more), -1);
	assert_int_equal(smtpreply_code("250x", 4, &more), -1);
	assert_int_equal(smtpreply_code("2a0 x", 5, &more), -1);
}

static void
test_multiline(void **state)
{
	struct smtpreply r;

	smtpreply_init(&r);
	smtpreply_start(&r, 0);
	assert_int_equal(line(&r, "220-hello\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "220 there\r\n"), SMTPREPLY_DONE);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.text.len, strlen("220-hello\n220 there\n"));
	assert_memory_equal(r.text.s, "220-hello\n220 there\n", r.text.len);
	smtpreply_free(&r);
}

static void
test_malformed(void **state)
{
	struct smtpreply r;

	smtpreply_init(&r);
	smtpreply_start(&r, 0);
	assert_int_equal(line(&r, "hello\r\n"), SMTPREPLY_MALFORMED);
	smtpreply_start(&r, 0);
	assert_int_equal(line(&r, "250-a\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "550 b\r\n"), SMTPREPLY_MALFORMED);
	smtpreply_free(&r);
}

static void
test_never_ends(void **state)
{
	struct smtpreply r;
	size_t i;

	smtpreply_init(&r);
	smtpreply_start(&r, 0);
	for (i = 0; i < SMTPREPLY_LINES_MAX; i++)
		assert_int_equal(line(&r, "250-more and more text\r\n"),
		    SMTPREPLY_MORE);
	assert_int_equal(line(&r, "250 end\r\n"), SMTPREPLY_TOOMANY);
	assert_true(r.text.len < SMTPREPLY_TEXT_MAX);
	smtpreply_free(&r);
}

static void
test_ehlo_keywords(void **state)
{
	struct smtpreply r;

	smtpreply_init(&r);
	smtpreply_start(&r, 1);
	assert_int_equal(line(&r, "250-PIPELINING here\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "250-pipelining\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "250-SIZE 1000\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "250-SIZEX\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "250 8BITMIME\r\n"), SMTPREPLY_DONE);
	assert_int_equal(r.offers, SMTPREPLY_OFFER_PIPELINING |
	    SMTPREPLY_OFFER_SIZE | SMTPREPLY_OFFER_8BITMIME);
	/* only from the second line on, and only with ehlo set */
	r.offers = 0;
	smtpreply_start(&r, 1);
	assert_int_equal(line(&r, "250 PIPELINING\r\n"), SMTPREPLY_DONE);
	smtpreply_start(&r, 0);
	assert_int_equal(line(&r, "250-x\r\n"), SMTPREPLY_MORE);
	assert_int_equal(line(&r, "250 PIPELINING\r\n"), SMTPREPLY_DONE);
	assert_int_equal(r.offers, 0);
	smtpreply_free(&r);
}

static void
test_bare_code_and_no_lf(void **state)
{
	struct smtpreply r;

	smtpreply_init(&r);
	smtpreply_start(&r, 0);
	assert_int_equal(line(&r, "354\n"), SMTPREPLY_DONE);
	assert_int_equal(r.code, 354);
	smtpreply_start(&r, 0);
	assert_int_equal(line(&r, "221 bye"), SMTPREPLY_DONE);
	assert_int_equal(r.code, 221);
	smtpreply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code),
	    cmocka_unit_test(test_multiline),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_never_ends),
	    cmocka_unit_test(test_ehlo_keywords),
	    cmocka_unit_test(test_bare_code_and_no_lf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
