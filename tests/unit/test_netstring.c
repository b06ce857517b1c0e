/*
 * test_netstring.c - netstrings with hard limits (src/lib/netstring.c):
 * the length scanner, the in-memory parser, the writers and the iobuf
 * readers on real pipes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "iobuf.h"
#include "netstring.h"

/* parse - netstring_parse of a C string; the result, errno in *err */
static int
parse(const char *s, size_t limit, const char **data, size_t *len,
    size_t *used, int *err)
{
	int r;

	errno = 0;
	r = netstring_parse(s, strlen(s), limit, data, len, used);
	*err = errno;
	return r;
}

static void
test_parse_good(void **state)
{
	const char *data;
	size_t len, used;
	int err;

	(void)state;
	assert_int_equal(parse("12:hello world!,", 100, &data, &len, &used,
			     &err), 1);
	assert_int_equal(len, 12);
	assert_memory_equal(data, "hello world!", 12);
	assert_int_equal(used, 16);
	assert_int_equal(parse("0:,rest", 100, &data, &len, &used, &err), 1);
	assert_int_equal(len, 0);
	assert_int_equal(used, 3);
	/* exactly at the limit */
	assert_int_equal(parse("3:abc,", 3, &data, &len, &used, &err), 1);
	/* binary data: colons, commas and NULs inside are data */
	assert_int_equal(netstring_parse("3:,:\0,", 6, 10, &data, &len, &used),
	    1);
	assert_memory_equal(data, ",:\0", 3);
}

static void
test_parse_incomplete(void **state)
{
	static const char *const partial[] = { "", "1", "12", "12:", "3:ab",
		"3:abc", "0:" };
	const char *data;
	size_t len, used, i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
		assert_int_equal(parse(partial[i], 100, &data, &len, &used,
				     &err), 0);
}

static void
test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		":,",        /* no digits */
		"01:a,",     /* leading zero */
		"00:,",      /* leading zero */
		"-1:a,",     /* sign */
		"+1:a,",     /* sign */
		" 1:a,",     /* space */
		"1 :a,",     /* space */
		"0x1:a,",    /* not decimal */
		"3:abc;",    /* not a comma */
		"3:abcd,",   /* longer than declared */
		"a:",        /* not a digit */
	};
	const char *data;
	size_t len, used, i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], 100, &data, &len, &used, &err),
		    -1);
		assert_int_equal(err, EINVAL);
	}
}

static void
test_parse_limits(void **state)
{
	const char *data;
	size_t len, used;
	int err;

	(void)state;
	assert_int_equal(parse("4:abcd,", 3, &data, &len, &used, &err), -1);
	assert_int_equal(err, E2BIG);
	/* a huge declared length fails before any data is needed */
	assert_int_equal(parse("999999999:", 1000, &data, &len, &used, &err),
	    -1);
	assert_int_equal(err, E2BIG);
	/* 2^64 and beyond: never wraps, whatever the limit */
	assert_int_equal(parse("18446744073709551616:", SIZE_MAX, &data, &len,
			     &used, &err), -1);
	assert_int_equal(err, ERANGE);
	assert_int_equal(parse("99999999999999999999999999:", SIZE_MAX, &data,
			     &len, &used, &err), -1);
	assert_int_equal(err, ERANGE);
	/* SIZE_MAX itself scans (and then needs more input) */
	assert_int_equal(parse("18446744073709551615:", SIZE_MAX, &data, &len,
			     &used, &err), 0);
}

static void
test_length_feed(void **state)
{
	struct netstring_length nl;

	(void)state;
	netstring_length_init(&nl);
	assert_int_equal(netstring_length_feed(&nl, '4', 100), 0);
	assert_int_equal(netstring_length_feed(&nl, '2', 100), 0);
	assert_int_equal(netstring_length_feed(&nl, ':', 100), 1);
	assert_int_equal(nl.value, 42);
	netstring_length_init(&nl);
	assert_int_equal(netstring_length_feed(&nl, '0', 100), 0);
	errno = 0;
	assert_int_equal(netstring_length_feed(&nl, '7', 100), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_write(void **state)
{
	struct bytes b = BYTES_INIT(64);
	char head[NETSTRING_HEADER_MAX];
	size_t total;

	(void)state;
	assert_int_equal(netstring_header(head, 0), 2);
	assert_string_equal(head, "0:");
	assert_int_equal(netstring_header(head, SIZE_MAX),
	    strlen("18446744073709551615:"));
	assert_int_equal(netstring_append(&b, "hello", 5), 0);
	assert_int_equal(netstring_append(&b, "", 0), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.s, "5:hello,0:,", 11);
	assert_int_equal(netstring_size(12, &total), 0);
	assert_int_equal(total, 16);
	errno = 0;
	assert_int_equal(netstring_size(SIZE_MAX - 3, &total), -1);
	assert_int_equal(errno, ERANGE);
	/* past the bytes limit: E2BIG and b unchanged */
	errno = 0;
	assert_int_equal(netstring_append(&b, "0123456789012345678901234567890123456789012345678901234", 55), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 11);
	bytes_free(&b);
}

/* reader - an iobuf reading a pipe that holds n bytes of text */
static int
reader(struct iobuf *in, char *space, size_t size, const char *text,
    size_t n)
{
	int fd[2];

	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], text, n), (ssize_t)n);
	close(fd[1]);
	iobuf_init(in, fd[0], space, size, 1000);
	return fd[0];
}

static void
test_read_stream(void **state)
{
	static const char text[] = "5:hello,3:a\0b,11:";
	struct bytes out = BYTES_INIT(16);
	struct iobuf in;
	char space[4]; /* tiny: every reader must cross buffer refills */
	size_t len, used;
	int fd;

	(void)state;
	fd = reader(&in, space, sizeof(space), text, sizeof(text) - 1);
	assert_int_equal(netstring_read(&in, 10, &out), 0);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.s, "hello", 5);
	assert_int_equal(netstring_read_length(&in, 10, &len, &used), 0);
	assert_int_equal(len, 3);
	assert_int_equal(used, 2);
	assert_int_equal(netstring_read_data(&in, len, &out), 0);
	assert_memory_equal(out.s, "a\0b", 3);
	assert_int_equal(netstring_read_comma(&in), 0);
	assert_int_equal(netstring_read_length(&in, 100, &len, NULL), 0);
	assert_int_equal(len, 11);
	errno = 0;
	assert_int_equal(netstring_skip(&in, len), -1);
	assert_int_equal(errno, ENODATA); /* truncated */
	close(fd);
	bytes_free(&out);
}

static void
test_read_errors(void **state)
{
	struct bytes out = BYTES_INIT(16);
	struct iobuf in;
	char space[64];
	int fd;

	(void)state;
	fd = reader(&in, space, sizeof(space), "3:abc;", 6);
	errno = 0;
	assert_int_equal(netstring_read(&in, 10, &out), -1);
	assert_int_equal(errno, EINVAL); /* missing comma */
	close(fd);
	fd = reader(&in, space, sizeof(space), "20:", 3);
	errno = 0;
	assert_int_equal(netstring_read(&in, 100, &out), -1);
	assert_int_equal(errno, E2BIG); /* out's own limit */
	close(fd);
	fd = reader(&in, space, sizeof(space), "100000000000000000000000:", 25);
	errno = 0;
	assert_int_equal(netstring_read(&in, SIZE_MAX, &out), -1);
	assert_int_equal(errno, ERANGE);
	close(fd);
	fd = reader(&in, space, sizeof(space), "12", 2);
	errno = 0;
	assert_int_equal(netstring_read(&in, 100, &out), -1);
	assert_int_equal(errno, ENODATA);
	close(fd);
	fd = reader(&in, space, sizeof(space), "007:", 4);
	errno = 0;
	assert_int_equal(netstring_read(&in, 100, &out), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	bytes_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_incomplete),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_length_feed),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_read_stream),
		cmocka_unit_test(test_read_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
