/*
 * test_maildirscan.c - unit tests for src/lib/maildirscan.c: order,
 * what counts as a message, tmp/ cleaning.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "maildirscan.h"

static char dir[64];

static void
touch(const char *sub, const char *name, time_t mtime)
{
	char p[256];
	struct timeval tv[2];
	int fd;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	if (mtime) {
		tv[0].tv_sec = tv[1].tv_sec = mtime;
		tv[0].tv_usec = tv[1].tv_usec = 0;
		assert_int_equal(utimes(p, tv), 0);
	}
}

static int
setup(void **state)
{
	char p[128];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_maildirscan.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/new", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/cur", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/tmp", dir);
	mkdir(p, 0700);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_order_and_filter(void **state)
{
	struct maildirscan s;
	char p[256];

	(void)state;
	touch("new", "200.b.h", 0);
	touch("new", "100.a.h", 0);
	touch("cur", "150.c.h:2,S", 0);
	touch("cur", ".hidden", 0);
	touch("new", "zzz", 0);
	snprintf(p, sizeof(p), "%s/new/99.dir", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/cur/50.link", dir);
	assert_int_equal(symlink("/etc/passwd", p), 0);

	assert_int_equal(maildirscan_list(&s, dir,
			     MAILDIRSCAN_NEW | MAILDIRSCAN_CUR), 0);
	assert_int_equal(s.count, 4);
	assert_string_equal(s.msgs[0].name, "zzz");
	assert_int_equal(s.msgs[0].stamp, 0);
	assert_string_equal(s.msgs[1].name, "100.a.h");
	assert_int_equal(s.msgs[1].stamp, 100);
	assert_string_equal(s.msgs[2].name, "150.c.h:2,S");
	assert_string_equal(s.msgs[3].name, "200.b.h");
	snprintf(p, sizeof(p), "%s/cur/150.c.h:2,S", dir);
	assert_string_equal(s.msgs[2].path, p);
	assert_int_equal(s.msgs[2].size, 2);
	maildirscan_free(&s);

	assert_int_equal(maildirscan_list(&s, dir, MAILDIRSCAN_NEW), 0);
	assert_int_equal(s.count, 3);
	maildirscan_free(&s);
}

static void
test_missing_dir(void **state)
{
	struct maildirscan s;

	(void)state;
	assert_int_equal(maildirscan_list(&s, "/nonexistent/md",
			     MAILDIRSCAN_NEW), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(s.count, 0);
}

static void
test_clean_tmp(void **state)
{
	char p[256];
	time_t now = time(NULL);

	(void)state;
	touch("tmp", "old", now - MAILDIRSCAN_TMP_AGE - 10);
	touch("tmp", "fresh", 0);
	assert_int_equal(maildirscan_clean_tmp(dir, now, MAILDIRSCAN_TMP_AGE),
	    1);
	snprintf(p, sizeof(p), "%s/tmp/old", dir);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/tmp/fresh", dir);
	assert_int_equal(access(p, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order_and_filter, setup,
		teardown),
	    cmocka_unit_test(test_missing_dir),
	    cmocka_unit_test_setup_teardown(test_clean_tmp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
