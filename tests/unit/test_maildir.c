/*
 * test_maildir.c - unit tests for maildir.c: unique names and their host
 * escaping, create/commit/abort, and failures leaving nothing behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"

static char md[64];

static int
count_entries(const char *sub)
{
	char path[128];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", md, sub);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static int
md_setup(void **state)
{
	char path[128];

	snprintf(md, sizeof(md), "/tmp/test_maildir.XXXXXX");
	if (mkdtemp(md) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tmp", md);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/new", md);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/cur", md);
	mkdir(path, 0700);
	return 0;
}

static int
md_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", md);
	return system(cmd);
}

static void
test_name_format(void **state)
{
	char name[MAILDIR_NAME_MAX];

	assert_int_equal(maildir_name_make(name, 1700000000, 123456, 4242, 1,
			     "mail.example.org"), 0);
	assert_string_equal(name, "1700000000.M123456P4242Q1.mail.example.org");
}

static void
test_name_escapes_host(void **state)
{
	char name[MAILDIR_NAME_MAX];

	assert_int_equal(maildir_name_make(name, 1, 2, 3, 4, "a/b:c\\d e"), 0);
	assert_string_equal(name, "1.M2P3Q4.a\\057b\\072c\\134d\\040e");
	assert_null(strchr(name, '/'));
	assert_null(strchr(name, ':'));
}

static void
test_name_rejects_empty_host(void **state)
{
	char name[MAILDIR_NAME_MAX];

	assert_int_equal(maildir_name_make(name, 1, 2, 3, 4, ""), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_name_long_host_is_cut(void **state)
{
	char name[MAILDIR_NAME_MAX], host[1000];

	memset(host, ':', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(maildir_name_make(name, ~0ULL, 999999, ~0ULL, ~0ULL,
			     host), 0);
	assert_true(strlen(name) < MAILDIR_NAME_MAX);
	/* cut at a whole escape: the name ends with "\072" */
	assert_memory_equal(name + strlen(name) - 4, "\\072", 4);
}

static void
test_deliver(void **state)
{
	struct maildir_msg m;
	char path[512], buf[64];
	int fd;
	ssize_t n;

	assert_int_equal(maildir_create(&m, md), 0);
	assert_true(m.fd >= 0);
	assert_int_equal(count_entries("tmp"), 1);
	assert_int_equal(count_entries("new"), 0);
	assert_int_equal(write(m.fd, "hello\n", 6), 6);
	snprintf(path, sizeof(path), "%s/new/%s", md, m.name);
	assert_int_equal(maildir_commit(&m), 0);
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(count_entries("new"), 1);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "hello\n", 6);
	close(fd);
}

static void
test_names_unique(void **state)
{
	struct maildir_msg a, b;

	assert_int_equal(maildir_create(&a, md), 0);
	assert_int_equal(maildir_create(&b, md), 0);
	assert_string_not_equal(a.name, b.name);
	assert_int_equal(maildir_commit(&a), 0);
	assert_int_equal(maildir_commit(&b), 0);
	assert_int_equal(count_entries("new"), 2);
}

static void
test_trailing_slash(void **state)
{
	struct maildir_msg m;
	char dir[80];

	snprintf(dir, sizeof(dir), "%s//", md);
	assert_int_equal(maildir_create(&m, dir), 0);
	assert_int_equal(maildir_commit(&m), 0);
	assert_int_equal(count_entries("new"), 1);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct maildir_msg m;

	assert_int_equal(maildir_create(&m, md), 0);
	assert_int_equal(write(m.fd, "x", 1), 1);
	maildir_abort(&m);
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(count_entries("new"), 0);
	maildir_abort(&m); /* released: harmless */
}

static void
test_missing_tmp(void **state)
{
	struct maildir_msg m;
	char path[128];

	snprintf(path, sizeof(path), "%s/tmp", md);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(maildir_create(&m, md), -1);
	assert_int_equal(errno, ENOENT);
	maildir_abort(&m);
}

static void
test_missing_new_fails_cleanly(void **state)
{
	struct maildir_msg m;
	char path[128];

	snprintf(path, sizeof(path), "%s/new", md);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(maildir_create(&m, md), 0);
	assert_int_equal(maildir_commit(&m), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries("tmp"), 0);
}

static void
test_too_long_dir(void **state)
{
	struct maildir_msg m;
	char *dir = malloc(MAILDIR_PATH_MAX + 10);

	assert_non_null(dir);
	memset(dir, 'a', MAILDIR_PATH_MAX + 9);
	dir[MAILDIR_PATH_MAX + 9] = '\0';
	assert_int_equal(maildir_create(&m, dir), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_format),
		cmocka_unit_test(test_name_escapes_host),
		cmocka_unit_test(test_name_rejects_empty_host),
		cmocka_unit_test(test_name_long_host_is_cut),
		cmocka_unit_test_setup_teardown(test_deliver, md_setup,
		    md_teardown),
		cmocka_unit_test_setup_teardown(test_names_unique, md_setup,
		    md_teardown),
		cmocka_unit_test_setup_teardown(test_trailing_slash, md_setup,
		    md_teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing,
		    md_setup, md_teardown),
		cmocka_unit_test_setup_teardown(test_missing_tmp, md_setup,
		    md_teardown),
		cmocka_unit_test_setup_teardown(test_missing_new_fails_cleanly,
		    md_setup, md_teardown),
		cmocka_unit_test(test_too_long_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
