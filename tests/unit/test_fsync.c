/*
 * test_fsync.c - unit tests for fsync.c: which directory each call opens,
 * and the errors it reports.  Each test runs inside a fresh temporary
 * directory that is also the current directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsync.h"

struct tmp {
	int oldcwd;
	char dir[64];
};

static int
tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_fsync.XXXXXX");
	t->oldcwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->oldcwd == -1 || mkdtemp(t->dir) == NULL || chdir(t->dir) == -1)
		return -1;
	*state = t;
	return 0;
}

static int
tmp_teardown(void **state)
{
	struct tmp *t = *state;

	/* Only the names the tests create. */
	unlink("d/f");
	rmdir("d");
	unlink("f");
	if (fchdir(t->oldcwd) == -1)
		return -1;
	close(t->oldcwd);
	if (rmdir(t->dir) == -1)
		return -1;
	free(t);
	return 0;
}

static void
make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_return_code(close(fd), errno);
}

static void
test_fsync_fd_file(void **state)
{
	int fd = open("f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data\n", 5), 5);
	assert_int_equal(fsync_fd(fd), 0);
	close(fd);
}

static void
test_fsync_fd_bad_descriptor(void **state)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_int_equal(fsync_fd(fd), -1);
	assert_int_equal(errno, EBADF);
}

static void
test_fsync_dir_dir(void **state)
{
	struct tmp *t = *state;

	assert_return_code(mkdir("d", 0700), errno);
	assert_int_equal(fsync_dir("d"), 0);
	assert_int_equal(fsync_dir("."), 0);
	assert_int_equal(fsync_dir(t->dir), 0);
}

static void
test_fsync_dir_missing_is_enoent(void **state)
{
	errno = 0;
	assert_int_equal(fsync_dir("nonexistent"), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_fsync_dir_regular_file_is_enotdir(void **state)
{
	make_file("f");
	errno = 0;
	assert_int_equal(fsync_dir("f"), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void
test_fsync_parent_dir_file(void **state)
{
	assert_return_code(mkdir("d", 0700), errno);
	make_file("d/f");
	assert_int_equal(fsync_parent("d/f"), 0);
	assert_int_equal(fsync_parent("d//f"), 0);
	/* The parent need not hold the name yet (it is what gets synced). */
	assert_int_equal(fsync_parent("d/not-yet"), 0);
}

static void
test_fsync_parent_bare_name_is_cwd(void **state)
{
	make_file("f");
	assert_int_equal(fsync_parent("f"), 0);
	assert_int_equal(fsync_parent("anything"), 0);
}

static void
test_fsync_parent_absolute(void **state)
{
	struct tmp *t = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/f", t->dir);
	make_file("f");
	assert_int_equal(fsync_parent(path), 0);
	/* Names in the root directory. */
	assert_int_equal(fsync_parent("/tmp"), 0);
	assert_int_equal(fsync_parent("//tmp"), 0);
	assert_int_equal(fsync_parent("/"), 0);
}

static void
test_fsync_parent_picks_the_right_directory(void **state)
{
	/* The errors show which directory was opened. */
	errno = 0;
	assert_int_equal(fsync_parent("nodir/f"), -1);
	assert_int_equal(errno, ENOENT);
	make_file("f");
	errno = 0;
	assert_int_equal(fsync_parent("f/x"), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(fsync_parent("f//x"), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(fsync_parent(""), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_fsync_parent_too_long(void **state)
{
	char *path = malloc(PATH_MAX + 16);

	assert_non_null(path);
	memset(path, 'a', PATH_MAX + 8);
	memcpy(path + PATH_MAX + 8, "/f", 3);
	errno = 0;
	assert_int_equal(fsync_parent(path), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)
	    T(test_fsync_fd_file),
	    T(test_fsync_fd_bad_descriptor),
	    T(test_fsync_dir_dir),
	    T(test_fsync_dir_missing_is_enoent),
	    T(test_fsync_dir_regular_file_is_enotdir),
	    T(test_fsync_parent_dir_file),
	    T(test_fsync_parent_bare_name_is_cwd),
	    T(test_fsync_parent_absolute),
	    T(test_fsync_parent_picks_the_right_directory),
	    T(test_fsync_parent_too_long),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
