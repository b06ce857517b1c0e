/*
 * test_mbox.c - unit tests for mbox.c: the From line, >From quoting at
 * every split of the input, the ending, abort truncation, lock timeout,
 * and the repair of a torn tail left by a killed delivery.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "mbox.h"

static char path[64];

static int
mb_setup(void **state)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_mbox.XXXXXX");
	fd = mkstemp(path);
	if (fd == -1)
		return -1;
	close(fd);
	return unlink(path); /* mbox_open creates it */
}

static int
mb_teardown(void **state)
{
	unlink(path);
	return 0;
}

/* The whole file, NUL-terminated, in a static buffer. */
static const char *
slurp(void)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void
deliver(const char *sender, const char *msg, size_t split)
{
	struct mbox mb;
	size_t len = strlen(msg), i;

	assert_int_equal(mbox_open(&mb, path, 1), 0);
	assert_int_equal(mbox_begin(&mb, sender, 0), 0);
	if (split == 0)
		assert_int_equal(mbox_write(&mb, msg, len), 0);
	else
		for (i = 0; i < len; i += split)
			assert_int_equal(mbox_write(&mb, msg + i,
					     len - i < split ? len - i : split),
			    0);
	assert_int_equal(mbox_commit(&mb), 0);
}

static void
test_from_line(void **state)
{
	struct bytes b = BYTES_INIT(1000);

	assert_int_equal(mbox_from_line(&b, "a b\tc\nd@x", 86400 * 365), 0);
	assert_int_equal(bytes_equal_str(&b,
			     "From a-b-c-d@x Fri Jan  1 00:00:00 1971\n"), 1);
	bytes_truncate(&b, 0);
	assert_int_equal(mbox_from_line(&b, "", 0), 0);
	assert_int_equal(bytes_equal_str(&b,
			     "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"), 1);
	bytes_free(&b);
}

static const char quoted_in[] =
    "Subject: x\n\nFrom here\n>From there\n>>From everywhere\nFrom\n"
    "Fro\n>Fromage\n > From\nFrom: x\n>\nx From y\n";
static const char quoted_out[] =
    "From a@b Thu Jan  1 00:00:00 1970\n"
    "Subject: x\n\n>From here\n>>From there\n>>>From everywhere\nFrom\n"
    "Fro\n>Fromage\n > From\nFrom: x\n>\nx From y\n\n";

static void
test_quoting_every_split(void **state)
{
	size_t split;

	for (split = 0; split <= 12; split++) {
		unlink(path);
		deliver("a@b", quoted_in, split);
		assert_string_equal(slurp(), quoted_out);
	}
}

static void
test_first_line_from(void **state)
{
	deliver("a@b", "From x\n", 0);
	assert_string_equal(slurp(),
	    "From a@b Thu Jan  1 00:00:00 1970\n>From x\n\n");
}

static void
test_missing_newline_added(void **state)
{
	deliver("a@b", "no newline", 0);
	deliver("c@d", ">>", 1);
	assert_string_equal(slurp(),
	    "From a@b Thu Jan  1 00:00:00 1970\nno newline\n\n"
	    "From c@d Thu Jan  1 00:00:00 1970\n>>\n\n");
}

static void
test_empty_message(void **state)
{
	deliver("", "", 0);
	assert_string_equal(slurp(),
	    "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n\n");
}

static void
test_abort_truncates(void **state)
{
	struct mbox mb;
	char before[1024];

	deliver("a@b", "one\n", 0);
	snprintf(before, sizeof(before), "%s", slurp());
	assert_int_equal(mbox_open(&mb, path, 1), 0);
	assert_int_equal(mbox_begin(&mb, "x@y", 0), 0);
	assert_int_equal(mbox_write(&mb, "partial\n", 8), 0);
	mbox_abort(&mb);
	assert_string_equal(slurp(), before);
}

static void
test_lock_timeout(void **state)
{
	struct mbox mb;
	int fd;

	deliver("a@b", "one\n", 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(mbox_open(&mb, path, 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(fd);
	assert_int_equal(mbox_open(&mb, path, 0), 0);
	mbox_abort(&mb);
}

/* Simulate a killed delivery: the mark set, half a message appended. */
static int
leave_torn(const char *tail)
{
	struct mbox mb;
	int fd;

	assert_int_equal(mbox_open(&mb, path, 1), 0);
	/* the process "dies" here: its descriptor goes, the mark stays */
	close(mb.fd);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, tail, strlen(tail)), (ssize_t)strlen(tail));
	close(fd);
	return getxattr(path, MBOX_PENDING_XATTR, NULL, 0) > 0;
}

static void
test_repair_torn_tail(void **state)
{
	deliver("a@b", "one\n", 0);
	if (!leave_torn("From x@y Thu Jan  1 00:00:00 1970\nSubject: torn\n"))
		skip(); /* no user xattrs on this file system */
	deliver("c@d", "two\n", 0);
	assert_string_equal(slurp(),
	    "From a@b Thu Jan  1 00:00:00 1970\none\n\n"
	    "From c@d Thu Jan  1 00:00:00 1970\ntwo\n\n");
	assert_int_equal(getxattr(path, MBOX_PENDING_XATTR, NULL, 0), -1);
}

static void
test_repair_function(void **state)
{
	deliver("a@b", "one\n", 0);
	if (!leave_torn("From x@y Thu Jan  1 00:00:00 1970\nSub"))
		skip();
	assert_int_equal(mbox_repair(path, 1), 1);
	assert_string_equal(slurp(), "From a@b Thu Jan  1 00:00:00 1970\none\n\n");
	assert_int_equal(mbox_repair(path, 1), 0);
}

static void
test_repair_spares_foreign_messages(void **state)
{
	const char *after;

	deliver("a@b", "one\n", 0);
	/* torn, then another program appended a whole message after it */
	if (!leave_torn("From x@y Thu Jan  1 00:00:00 1970\nSub\n\n"
			"From z@w Thu Jan  1 00:00:00 1970\nthree\n\n"))
		skip();
	assert_int_equal(mbox_repair(path, 1), 0);
	after = slurp();
	assert_non_null(strstr(after, "three\n"));
	assert_int_equal(getxattr(path, MBOX_PENDING_XATTR, NULL, 0), -1);
}

static void
test_repair_no_file(void **state)
{
	assert_int_equal(mbox_repair(path, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_line),
#define T(f) cmocka_unit_test_setup_teardown(f, mb_setup, mb_teardown)
		T(test_quoting_every_split),
		T(test_first_line_from),
		T(test_missing_newline_added),
		T(test_empty_message),
		T(test_abort_truncates),
		T(test_lock_timeout),
		T(test_repair_torn_tail),
		T(test_repair_function),
		T(test_repair_spares_foreign_messages),
		T(test_repair_no_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
