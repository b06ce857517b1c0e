/*
 * test_header.c - unit tests for src/lib/header.c: fields, folding,
 * the end of the header, cut fields and the read budget.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "header.h"

static char space[64];

/* in_from - an iobuf reading s from a temporary file */
static int
in_from(struct iobuf *in, const char *s, size_t len)
{
	char name[] = "/tmp/test_header.XXXXXX";
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	unlink(name);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	iobuf_init(in, fd, space, sizeof(space), -1);
	return fd;
}

static void
test_fields_and_folding(void **state)
{
	static const char msg[] = "Subject: a\n\tb\nTo: x\nBad line\n\nbody\n";
	struct bytes f = BYTES_INIT(1024);
	struct iobuf in;
	int cut, fd;
	char c;

	(void)state;
	fd = in_from(&in, msg, sizeof(msg) - 1);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 1);
	assert_int_equal(f.len, 13);
	assert_memory_equal(f.s, "Subject: a\n\tb", 13);
	assert_int_equal(cut, 0);
	assert_int_equal(header_field_value(f.s, f.len, "subject"), 8);
	assert_int_equal(header_field_value(f.s, f.len, "Subj"), 0);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 1);
	assert_memory_equal(f.s, "To: x", 5);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 1);
	assert_int_equal(header_field_value(f.s, f.len, "Bad"), 0);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 0);
	/* the body follows */
	assert_int_equal(iobuf_getc(&in, &c), 1);
	assert_int_equal(c, 'b');
	bytes_free(&f);
	close(fd);
}

static void
test_value_space_before_colon(void **state)
{
	(void)state;
	assert_int_equal(header_field_value("From \t: x", 9, "from"), 7);
	assert_int_equal(header_field_value("From", 4, "From"), 0);
	assert_int_equal(header_field_value("Fromage: x", 10, "From"), 0);
}

static void
test_end_of_input(void **state)
{
	struct bytes f = BYTES_INIT(1024);
	struct iobuf in;
	int cut, fd;

	(void)state;
	fd = in_from(&in, "A: 1\n B", 7);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 1);
	assert_int_equal(f.len, 7);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 0);
	close(fd);
	fd = in_from(&in, "", 0);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 0);
	close(fd);
	bytes_free(&f);
}

static void
test_long_field_cut(void **state)
{
	size_t n = 100000;
	char *msg = malloc(n + 8);
	struct bytes f = BYTES_INIT(100);
	struct iobuf in;
	int cut, fd;

	(void)state;
	memset(msg, 'x', n);
	memcpy(msg, "Long: ", 6);
	memcpy(msg + n, "\nB: 2\n\n", 7);
	fd = in_from(&in, msg, n + 7);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 1);
	assert_int_equal(cut, 1);
	assert_true(f.len < 100);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 1);
	assert_int_equal(cut, 0);
	assert_memory_equal(f.s, "B: 2", 4);
	assert_int_equal(header_field_read(&in, &f, &cut, NULL), 0);
	close(fd);
	bytes_free(&f);
	free(msg);
}

static void
test_budget(void **state)
{
	static const char msg[] = "A: 1\nB: 2222222\nC: 3\n\n";
	struct bytes f = BYTES_INIT(1024);
	struct iobuf in;
	size_t budget = 8;
	int cut, fd;

	(void)state;
	fd = in_from(&in, msg, sizeof(msg) - 1);
	assert_int_equal(header_field_read(&in, &f, &cut, &budget), 1);
	assert_int_equal(cut, 0);
	assert_int_equal(header_field_read(&in, &f, &cut, &budget), 1);
	assert_int_equal(cut, 1);
	assert_int_equal(f.len, 3);
	assert_int_equal(budget, 0);
	assert_int_equal(header_field_read(&in, &f, &cut, &budget), 0);
	close(fd);
	bytes_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields_and_folding),
	    cmocka_unit_test(test_value_space_before_colon),
	    cmocka_unit_test(test_end_of_input),
	    cmocka_unit_test(test_long_field_cut),
	    cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
