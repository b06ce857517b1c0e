/*
 * test_smtpin.c - unit tests for src/lib/smtpin.c: command lines (CR LF
 * discipline, the length limit, NUL bytes), the command split, the
 * MAIL/RCPT address parser, SIZE=, and the DATA reader (dot-stuffing,
 * the end of data, bare CR/LF, hop counting, any chunking).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "smtpin.h"

/* feed - feed in[0..n) in chunks of step; the result, *used total */
static int
feed(struct smtpin_line *l, const char *in, size_t n, size_t step,
    size_t *total)
{
	size_t off = 0, used, k;
	int r = SMTPIN_LINE_MORE;

	while (off < n) {
		k = n - off < step ? n - off : step;
		r = smtpin_line_feed(l, in + off, k, &used);
		off += used;
		if (r != SMTPIN_LINE_MORE)
			break;
	}
	*total = off;
	return r;
}

static void
test_line_crlf(void **state)
{
	struct smtpin_line l;
	const char in[] = "HELO x\r\nNOOP\r\n";
	size_t used, step;

	for (step = 1; step <= sizeof(in); step++) {
		smtpin_line_init(&l);
		assert_int_equal(feed(&l, in, sizeof(in) - 1, step, &used),
		    SMTPIN_LINE_DONE);
		assert_int_equal(used, 8);
		assert_string_equal(l.line.s, "HELO x");
		assert_int_equal(feed(&l, in + 8, 6, step, &used),
		    SMTPIN_LINE_DONE);
		assert_string_equal(l.line.s, "NOOP");
		smtpin_line_free(&l);
	}
}

static void
test_line_bare_lf_and_cr(void **state)
{
	struct smtpin_line l;
	size_t used;

	smtpin_line_init(&l);
	assert_int_equal(feed(&l, "NOOP\n", 5, 100, &used), SMTPIN_LINE_BARE);
	assert_int_equal(feed(&l, "NO\rOP\r\n", 7, 100, &used),
	    SMTPIN_LINE_BARE);
	assert_int_equal(feed(&l, "\n", 1, 100, &used), SMTPIN_LINE_BARE);
	/* CR in one chunk, LF in the next: that is a proper CR LF */
	assert_int_equal(feed(&l, "NOOP\r\n", 6, 5, &used), SMTPIN_LINE_DONE);
	smtpin_line_free(&l);
}

static void
test_line_too_long(void **state)
{
	struct smtpin_line l;
	static char big[SMTPIN_LINE_MAX + 10];
	size_t used;

	smtpin_line_init(&l);
	memset(big, 'a', sizeof(big));
	/* exactly the limit, CR LF included: accepted */
	big[SMTPIN_LINE_MAX - 2] = '\r';
	big[SMTPIN_LINE_MAX - 1] = '\n';
	assert_int_equal(feed(&l, big, SMTPIN_LINE_MAX, 700, &used),
	    SMTPIN_LINE_DONE);
	assert_int_equal(l.line.len, SMTPIN_LINE_MAX - 2);
	/* one more byte: too long, but the session stays in step */
	memset(big, 'a', sizeof(big));
	big[SMTPIN_LINE_MAX - 1] = '\r';
	big[SMTPIN_LINE_MAX] = '\n';
	assert_int_equal(feed(&l, big, SMTPIN_LINE_MAX + 1, 700, &used),
	    SMTPIN_LINE_TOOLONG);
	assert_int_equal(used, SMTPIN_LINE_MAX + 1);
	assert_int_equal(feed(&l, "QUIT\r\n", 6, 100, &used),
	    SMTPIN_LINE_DONE);
	assert_string_equal(l.line.s, "QUIT");
	smtpin_line_free(&l);
}

static void
test_line_nul_becomes_lf(void **state)
{
	struct smtpin_line l;
	size_t used;

	smtpin_line_init(&l);
	assert_int_equal(feed(&l, "A\0B\r\n", 5, 100, &used),
	    SMTPIN_LINE_DONE);
	assert_int_equal(l.line.len, 3);
	assert_memory_equal(l.line.s, "A\nB", 3);
	smtpin_line_free(&l);
}

static void
test_command_split(void **state)
{
	char a[] = "MAIL   FROM:<x>";
	char b[] = "QUIT";
	const char *verb, *arg;

	smtpin_command_split(a, &verb, &arg);
	assert_string_equal(verb, "MAIL");
	assert_string_equal(arg, "FROM:<x>");
	smtpin_command_split(b, &verb, &arg);
	assert_string_equal(verb, "QUIT");
	assert_string_equal(arg, "");
}

/* parsed - smtpin_addr_parse(arg) gives want (NULL: a syntax error) */
static void
parsed(const char *arg, const char *want, const char *want_rest)
{
	struct bytes addr = BYTES_INIT(SMTPIN_ADDR_MAX + 10);
	const char *rest = NULL;
	int r = smtpin_addr_parse(arg, &addr, &rest);

	if (want == NULL) {
		assert_int_equal(r, 0);
	} else {
		assert_int_equal(r, 1);
		assert_string_equal(addr.s, want);
		if (want_rest != NULL)
			assert_string_equal(rest, want_rest);
	}
	bytes_free(&addr);
}

static void
test_addr_parse(void **state)
{
	parsed("FROM:<joe@example.org>", "joe@example.org", "");
	parsed("FROM:<joe@example.org> SIZE=10", "joe@example.org", " SIZE=10");
	parsed("TO:<@a,@b:joe@c>", "joe@c", "");
	parsed("TO:<\"j o>e\"@x>", "j o>e@x", "");
	parsed("TO:<a\\>b@x>", "a>b@x", "");
	parsed("FROM:<>", "", "");
	parsed("FROM: joe@x SIZE=1", "joe@x", "SIZE=1");
	parsed("FROM:", "", "");
	parsed("TO:<a\nb@x>", NULL, NULL);
}

static void
test_addr_length_limit(void **state)
{
	static char arg[SMTPIN_ADDR_MAX + 20];
	size_t i;

	memcpy(arg, "TO:<", 4);
	for (i = 4; i < 4 + SMTPIN_ADDR_MAX - 1; i++)
		arg[i] = 'a';
	arg[i] = '>';
	arg[i + 1] = '\0';
	{
		struct bytes addr = BYTES_INIT(SMTPIN_ADDR_MAX + 10);
		const char *rest;
		assert_int_equal(smtpin_addr_parse(arg, &addr, &rest), 1);
		assert_int_equal(addr.len, SMTPIN_ADDR_MAX - 1);
		bytes_free(&addr);
	}
	/* SMTPIN_ADDR_MAX bytes still pass; one more is refused */
	arg[i] = 'a';
	arg[i + 1] = '>';
	arg[i + 2] = '\0';
	arg[i + 1] = '\0';
	{
		char want[SMTPIN_ADDR_MAX + 1];
		memcpy(want, arg + 4, SMTPIN_ADDR_MAX);
		want[SMTPIN_ADDR_MAX] = '\0';
		arg[i + 1] = '>';
		arg[i + 2] = '\0';
		parsed(arg, want, NULL);
	}
	arg[i + 1] = 'a';
	arg[i + 2] = '>';
	arg[i + 3] = '\0';
	parsed(arg, NULL, NULL);
}

static void
test_param_size(void **state)
{
	unsigned long long n;

	assert_int_equal(smtpin_param_size(" SIZE=1000", &n), 1);
	assert_int_equal(n, 1000);
	assert_int_equal(smtpin_param_size("BODY=8BITMIME size=7", &n), 1);
	assert_int_equal(n, 7);
	assert_int_equal(smtpin_param_size("BODY=8BITMIME", &n), 0);
	assert_int_equal(smtpin_param_size("SIZE=x", &n), 0);
	assert_int_equal(
	    smtpin_param_size("SIZE=99999999999999999999999", &n), 1);
	assert_true(n == (unsigned long long)-1);
}

struct sink {
	char buf[4096];
	size_t len;
};

static void
sink_put(void *ctx, const char *p, size_t n)
{
	struct sink *k = ctx;

	assert_true(k->len + n <= sizeof(k->buf));
	memcpy(k->buf + k->len, p, n);
	k->len += n;
}

/* data - run the reader over in in chunks of step */
static enum smtpin_data_state
data(const char *in, size_t n, size_t step, struct sink *k, size_t *used,
    unsigned long *hops)
{
	struct smtpin_data d;
	size_t off = 0, m;

	k->len = 0;
	smtpin_data_init(&d, sink_put, k);
	while (off < n && d.state != SMTPIN_DATA_END &&
	    d.state != SMTPIN_DATA_BARE) {
		m = n - off < step ? n - off : step;
		off += smtpin_data_step(&d, in + off, m);
	}
	*used = off;
	if (hops != NULL)
		*hops = d.hops;
	return d.state;
}

static void
test_data_basic(void **state)
{
	const char in[] = "Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n";
	const char want[] = "Subject: x\n\n.dot\n";
	struct sink k;
	size_t used, step;

	for (step = 1; step < sizeof(in); step++) {
		assert_int_equal(data(in, sizeof(in) - 1, step, &k, &used, NULL),
		    SMTPIN_DATA_END);
		assert_int_equal(used, sizeof(in) - 1 - 6);
		assert_int_equal(k.len, sizeof(want) - 1);
		assert_memory_equal(k.buf, want, k.len);
	}
}

static void
test_data_empty_message(void **state)
{
	struct sink k;
	size_t used;

	assert_int_equal(data(".\r\n", 3, 10, &k, &used, NULL),
	    SMTPIN_DATA_END);
	assert_int_equal(k.len, 0);
}

static void
test_data_smuggling_refused(void **state)
{
	static const char *const bad[] = {
		"a\n.\r\n",        /* bare LF before the dot */
		"a\r\n.\n",        /* bare LF after the dot */
		"a\r\n.\r.\r\n",   /* bare CR after the dot */
		"a\rb\r\n.\r\n",   /* bare CR in a line */
		"a\n.\n",
	};
	struct sink k;
	size_t used, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(data(bad[i], strlen(bad[i]), 3, &k, &used,
				     NULL),
		    SMTPIN_DATA_BARE);
}

static void
test_data_hops(void **state)
{
	const char in[] = "Received: a\r\nDELIVERED-TO: b\r\nX: y\r\n\r\n"
			  "Received: body\r\n.\r\n";
	struct sink k;
	size_t used;
	unsigned long hops;

	assert_int_equal(data(in, sizeof(in) - 1, 7, &k, &used, &hops),
	    SMTPIN_DATA_END);
	assert_int_equal(hops, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_crlf),
	    cmocka_unit_test(test_line_bare_lf_and_cr),
	    cmocka_unit_test(test_line_too_long),
	    cmocka_unit_test(test_line_nul_becomes_lf),
	    cmocka_unit_test(test_command_split),
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_addr_length_limit),
	    cmocka_unit_test(test_param_size),
	    cmocka_unit_test(test_data_basic),
	    cmocka_unit_test(test_data_empty_message),
	    cmocka_unit_test(test_data_smuggling_refused),
	    cmocka_unit_test(test_data_hops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
