/*
 * test_pop3cmd.c - POP3 command lines: splitting, line ends, the length
 * limit, NUL bytes, end of file, read one byte at a time or buffered.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pop3cmd.h"

struct reader {
	int fd;
	struct iobuf in;
	char space[4096];
	struct pop3cmd cmd;
};

/* reader_open - a reader of data (n bytes) through a pipe, bufsize 1 or more */
static void
reader_open(struct reader *r, const char *data, size_t n, size_t bufsize)
{
	int fd[2];

	assert_int_equal(pipe(fd), 0);
	assert_true(n < 60000); /* fits in the pipe */
	assert_int_equal(write(fd[1], data, n), (ssize_t)n);
	close(fd[1]);
	r->fd = fd[0];
	iobuf_init(&r->in, fd[0], r->space, bufsize, 1000);
	pop3cmd_init(&r->cmd);
}

static void
reader_close(struct reader *r)
{
	pop3cmd_wipe(&r->cmd);
	close(r->fd);
}

static void
expect(struct reader *r, const char *verb, const char *arg)
{
	assert_int_equal(pop3cmd_read(&r->in, &r->cmd), 1);
	assert_string_equal(r->cmd.verb, verb);
	assert_string_equal(r->cmd.arg, arg);
}

static void
test_split(void **state)
{
	static const char in[] = "USER alice\r\npass   my secret  \nNOOP\r\n"
	                         "list 1\n\r\n";
	size_t bufsize;
	struct reader r;

	(void)state;
	for (bufsize = 1; bufsize <= 4096; bufsize *= 64) {
		reader_open(&r, in, sizeof(in) - 1, bufsize);
		expect(&r, "USER", "alice");
		assert_true(pop3cmd_is(&r.cmd, "user"));
		assert_false(pop3cmd_is(&r.cmd, "use"));
		expect(&r, "pass", "my secret  ");
		assert_true(pop3cmd_is(&r.cmd, "PASS"));
		expect(&r, "NOOP", "");
		expect(&r, "list", "1");
		expect(&r, "", "");
		assert_int_equal(pop3cmd_read(&r.in, &r.cmd), 0);
		reader_close(&r);
	}
}

static void
test_one_byte_reads_leave_the_rest(void **state)
{
	static const char in[] = "PASS x\r\nSTAT\r\n";
	struct reader r;
	char rest[16];

	(void)state;
	reader_open(&r, in, sizeof(in) - 1, 1);
	expect(&r, "PASS", "x");
	/* nothing past the line was taken from the descriptor */
	assert_int_equal(read(r.fd, rest, sizeof(rest)), 6);
	assert_memory_equal(rest, "STAT\r\n", 6);
	reader_close(&r);
}

static void
test_limit(void **state)
{
	char *in = malloc(3 * POP3CMD_LINE_MAX + 100);
	size_t n = 0;
	struct reader r;

	(void)state;
	assert_non_null(in);
	/* exactly the limit, with CR LF: accepted */
	memcpy(in + n, "TOP ", 4);
	memset(in + n + 4, '1', POP3CMD_LINE_MAX - 4);
	n += POP3CMD_LINE_MAX;
	memcpy(in + n, "\r\n", 2);
	n += 2;
	/* one more byte: refused, then reading goes on */
	memset(in + n, 'x', POP3CMD_LINE_MAX + 1);
	n += POP3CMD_LINE_MAX + 1;
	in[n++] = '\n';
	/* far longer */
	memset(in + n, 'y', POP3CMD_LINE_MAX - 50);
	n += POP3CMD_LINE_MAX - 50;
	memset(in + n, 'z', 80);
	n += 80;
	memcpy(in + n, "\r\nQUIT\r\n", 8);
	n += 8;

	reader_open(&r, in, n, 4096);
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), 1);
	assert_string_equal(r.cmd.verb, "TOP");
	assert_int_equal(strlen(r.cmd.arg), POP3CMD_LINE_MAX - 4);
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), -1);
	assert_int_equal(errno, E2BIG);
	expect(&r, "QUIT", "");
	reader_close(&r);
	free(in);
}

static void
test_nul_and_eof(void **state)
{
	static const char in[] = "USER a\0b\r\nNOOP\r\nQUIT";
	struct reader r;

	(void)state;
	reader_open(&r, in, sizeof(in) - 1, 1);
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), -1);
	assert_int_equal(errno, EINVAL);
	expect(&r, "NOOP", "");
	/* a last line without its LF is not a command */
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), 0);
	reader_close(&r);
}

static void
test_overlong_at_eof(void **state)
{
	char in[POP3CMD_LINE_MAX + 500];
	struct reader r;

	(void)state;
	memset(in, 'a', sizeof(in));
	reader_open(&r, in, sizeof(in), 64);
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), 0);
	reader_close(&r);
}

static void
test_timeout(void **state)
{
	struct reader r;
	int fd[2];

	(void)state;
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], "NO", 2), 2);
	iobuf_init(&r.in, fd[0], r.space, sizeof(r.space), 50);
	pop3cmd_init(&r.cmd);
	assert_int_equal(pop3cmd_read(&r.in, &r.cmd), -1);
	assert_int_equal(errno, ETIMEDOUT);
	pop3cmd_wipe(&r.cmd);
	close(fd[0]);
	close(fd[1]);
}

static void
test_wipe(void **state)
{
	static const char in[] = "PASS hunter2\r\n";
	struct reader r;

	(void)state;
	reader_open(&r, in, sizeof(in) - 1, 4096);
	expect(&r, "PASS", "hunter2");
	pop3cmd_wipe(&r.cmd);
	assert_null(r.cmd.line.s);
	assert_int_equal(r.cmd.line.len, 0);
	assert_string_equal(r.cmd.arg, "");
	close(r.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_one_byte_reads_leave_the_rest),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_nul_and_eof),
	    cmocka_unit_test(test_overlong_at_eof),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
