/*
 * test_cdbfile.c - unit tests for src/lib/cdbfile.c: databases made by
 * tinycdb's own cdb(1) tool read through our reader, databases made by
 * our writer read back by cdb(1), and the error cases.
 *
 * cdb(1) is run with fork and execv on fixed arguments.  The tests run in
 * a private temporary directory (the group setup chdirs there).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "cdbfile.h"

#define CDB_TOOL "/usr/bin/cdb"

static char test_dir[] = "/tmp/test_cdbfile.XXXXXX";
static char test_olddir[PATH_MAX];

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	(void)state;
	if (getcwd(test_olddir, sizeof(test_olddir)) == NULL)
		return -1;
	if (mkdtemp(test_dir) == NULL)
		return -1;
	return chdir(test_dir);
}

static int
group_teardown(void **state)
{
	(void)state;
	if (chdir(test_olddir) == -1)
		return -1;
	return nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *name, const void *data, size_t len)
{
	int fd;

	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static int
file_exists(const char *name)
{
	struct stat st;

	return lstat(name, &st) == 0;
}

/*
 * run_cdb - run cdb(1) with argv, stdin from stdin_path (or /dev/null),
 * stdout collected into out; returns its exit status (-1 if it did not
 * exit normally).  Skips the test if the tool is not installed.
 */
static int
run_cdb(const char *const argv[], const char *stdin_path, struct bytes *out)
{
	char buf[4096];
	ssize_t got;
	int status;
	int fds[2];
	pid_t pid;
	int in;

	if (access(CDB_TOOL, X_OK) == -1)
		skip();
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		in = open(
		    stdin_path != NULL ? stdin_path : "/dev/null", O_RDONLY);
		if (in == -1 || dup2(in, 0) == -1 || dup2(fds[1], 1) == -1)
			_exit(126);
		close(fds[0]);
		/* execv's prototype predates const; it does not write */
		execv(CDB_TOOL, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	bytes_truncate(out, 0);
	for (;;) {
		got = read(fds[0], buf, sizeof(buf));
		if (got == -1 && errno == EINTR)
			continue;
		assert_true(got >= 0);
		if (got == 0)
			break;
		assert_int_equal(bytes_append(out, buf, (size_t)got), 0);
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* find_str - cdbfile_find of a C string key */
static int
find_str(struct cdbfile *c, const char *key, struct bytes *value)
{
	return cdbfile_find(c, key, strlen(key), value, 1000);
}

static void
assert_value(const struct bytes *b, const void *want, size_t n)
{
	assert_int_equal(b->len, n);
	if (n > 0)
		assert_memory_equal(b->s, want, n);
}

/* --- reading what cdb(1) wrote ---------------------------------------- */

static void
test_read_tool_made_database(void **state)
{
	static const char input[] = "+3,5:one->first\n"
	                            "+3,6:two->second\n"
	                            "+0,5:->empty\n"
	                            "+4,0:none->\n"
	                            "+3,4:a\0b->x\ny\0\n"
	                            "+3,9:one->duplicate\n"
	                            "\n";
	static const char *const argv[] = {"cdb", "-c", "tool.cdb", NULL};
	struct bytes out = BYTES_INIT(1000);
	struct bytes v = BYTES_INIT(1000);
	struct cdbfile c;

	(void)state;
	write_file("tool.in", input, sizeof(input) - 1);
	assert_int_equal(run_cdb(argv, "tool.in", &out), 0);
	assert_int_equal(cdbfile_open(&c, "tool.cdb"), 1);
	assert_int_equal(find_str(&c, "one", &v), 1);
	assert_value(&v, "first", 5); /* the first of duplicates */
	assert_int_equal(find_str(&c, "two", &v), 1);
	assert_value(&v, "second", 6);
	assert_int_equal(find_str(&c, "", &v), 1);
	assert_value(&v, "empty", 5);
	assert_int_equal(find_str(&c, "none", &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(cdbfile_find(&c, "a\0b", 3, &v, 1000), 1);
	assert_value(&v, "x\ny\0", 4);
	assert_int_equal(find_str(&c, "three", &v), 0);
	assert_int_equal(find_str(&c, "ONE", &v), 0); /* keys are exact */
	assert_int_equal(cdbfile_find(&c, "a", 1, &v, 1000), 0);
	cdbfile_close(&c);
	cdbfile_close(&c); /* closing twice is harmless */
	bytes_free(&out);
	bytes_free(&v);
}

static void
test_read_missing_file(void **state)
{
	struct cdbfile c;

	(void)state;
	errno = 0;
	assert_int_equal(cdbfile_open(&c, "missing.cdb"), 0);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(cdbfile_open(&c, "nodir/missing.cdb"), 0);
	cdbfile_close(&c); /* a closed handle may be closed */
}

static void
test_read_not_a_database(void **state)
{
	struct cdbfile c;

	(void)state;
	write_file("short.cdb", "not a cdb\n", 10);
	errno = 0;
	assert_int_equal(cdbfile_open(&c, "short.cdb"), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(mkdir("dir.cdb", 0755), 0);
	assert_int_equal(cdbfile_open(&c, "dir.cdb"), -1);
}

static void
test_find_absent_key_empties_value(void **state)
{
	struct bytes v = BYTES_INIT(1000);
	struct cdbfile_writer w;
	struct cdbfile c;

	(void)state;
	assert_int_equal(cdbfile_writer_start(&w, "absent.cdb", NULL, 0644), 0);
	assert_int_equal(cdbfile_writer_add(&w, "k", 1, "v", 1), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	assert_int_equal(cdbfile_open(&c, "absent.cdb"), 1);
	assert_int_equal(bytes_copy_str(&v, "stale"), 0);
	assert_int_equal(find_str(&c, "nope", &v), 0);
	assert_int_equal(v.len, 0);
	cdbfile_close(&c);
	bytes_free(&v);
}

static void
test_find_value_limit(void **state)
{
	struct bytes v = BYTES_INIT(1000);
	struct cdbfile_writer w;
	struct cdbfile c;

	(void)state;
	assert_int_equal(cdbfile_writer_start(&w, "limit.cdb", NULL, 0644), 0);
	assert_int_equal(cdbfile_writer_add(&w, "k", 1, "0123456789", 10), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	assert_int_equal(cdbfile_open(&c, "limit.cdb"), 1);
	assert_int_equal(cdbfile_find(&c, "k", 1, &v, 10), 1);
	assert_value(&v, "0123456789", 10);
	errno = 0;
	assert_int_equal(cdbfile_find(&c, "k", 1, &v, 9), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(v.len, 0);
	/* the struct bytes limit applies as well */
	{
		struct bytes small = BYTES_INIT(5);

		errno = 0;
		assert_int_equal(cdbfile_find(&c, "k", 1, &small, 100), -1);
		assert_int_equal(errno, E2BIG);
		bytes_free(&small);
	}
	cdbfile_close(&c);
	bytes_free(&v);
}

/* --- writing for cdb(1) ------------------------------------------------ */

static void
test_written_database_read_by_tool(void **state)
{
	static const char *const q_alpha[] = {
	    "cdb", "-q", "mine.cdb", "alpha", NULL};
	static const char *const q_empty[] = {
	    "cdb", "-q", "mine.cdb", "empty", NULL};
	static const char *const q_nope[] = {
	    "cdb", "-q", "mine.cdb", "nope", NULL};
	static const char *const q_dup[] = {
	    "cdb", "-q", "-n", "2", "mine.cdb", "dup", NULL};
	static const char *const dump[] = {"cdb", "-d", "mine.cdb", NULL};
	static const char want_dump[] = "+5,3:alpha->one\n"
	                                "+5,0:empty->\n"
	                                "+3,5:bin->\0\n\r\xff"
	                                "x\n"
	                                "+3,5:dup->first\n"
	                                "+3,6:dup->second\n"
	                                "\n";
	struct bytes out = BYTES_INIT(10000);
	struct cdbfile_writer w;

	(void)state;
	assert_int_equal(cdbfile_writer_start(&w, "mine.cdb", NULL, 0644), 0);
	assert_true(file_exists("mine.cdb.tmp"));
	assert_false(file_exists("mine.cdb"));
	assert_int_equal(cdbfile_writer_add(&w, "alpha", 5, "one", 3), 0);
	assert_int_equal(cdbfile_writer_add(&w, "empty", 5, "", 0), 0);
	assert_int_equal(cdbfile_writer_add(&w, "bin", 3, "\0\n\r\xffx", 5), 0);
	assert_int_equal(cdbfile_writer_add(&w, "dup", 3, "first", 5), 0);
	assert_int_equal(cdbfile_writer_add(&w, "dup", 3, "second", 6), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	assert_false(file_exists("mine.cdb.tmp"));
	assert_true(file_exists("mine.cdb"));

	assert_int_equal(run_cdb(q_alpha, NULL, &out), 0);
	assert_value(&out, "one", 3);
	assert_int_equal(run_cdb(q_empty, NULL, &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(run_cdb(q_nope, NULL, &out), 100);
	assert_int_equal(run_cdb(q_dup, NULL, &out), 0);
	assert_value(&out, "second", 6);
	assert_int_equal(run_cdb(dump, NULL, &out), 0);
	assert_value(&out, want_dump, sizeof(want_dump) - 1);
	bytes_free(&out);
}

static void
test_writer_replaces_atomically(void **state)
{
	struct bytes v = BYTES_INIT(1000);
	struct cdbfile_writer w;
	struct cdbfile old;
	struct cdbfile c;

	(void)state;
	assert_int_equal(
	    cdbfile_writer_start(&w, "users.cdb", "users.tmp", 0644), 0);
	assert_true(file_exists("users.tmp"));
	assert_int_equal(cdbfile_writer_add(&w, "k", 1, "old", 3), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	assert_false(file_exists("users.tmp"));
	assert_int_equal(cdbfile_open(&old, "users.cdb"), 1);

	/* a stale temporary file from a crash is simply overwritten */
	write_file("users.tmp", "garbage", 7);
	assert_int_equal(
	    cdbfile_writer_start(&w, "users.cdb", "users.tmp", 0644), 0);
	assert_int_equal(cdbfile_writer_add(&w, "k", 1, "new", 3), 0);
	/* until finish, readers see the old database */
	assert_int_equal(cdbfile_open(&c, "users.cdb"), 1);
	assert_int_equal(find_str(&c, "k", &v), 1);
	assert_value(&v, "old", 3);
	cdbfile_close(&c);
	assert_int_equal(cdbfile_writer_finish(&w), 0);

	assert_int_equal(cdbfile_open(&c, "users.cdb"), 1);
	assert_int_equal(find_str(&c, "k", &v), 1);
	assert_value(&v, "new", 3);
	cdbfile_close(&c);
	/* a reader that opened the old file keeps a whole old database */
	assert_int_equal(find_str(&old, "k", &v), 1);
	assert_value(&v, "old", 3);
	cdbfile_close(&old);
	bytes_free(&v);
}

static void
test_writer_abort_keeps_old(void **state)
{
	struct bytes v = BYTES_INIT(1000);
	struct cdbfile_writer w;
	struct cdbfile c;
	int i;

	(void)state;
	assert_int_equal(cdbfile_writer_start(&w, "keep.cdb", NULL, 0644), 0);
	assert_int_equal(cdbfile_writer_add(&w, "k", 1, "kept", 4), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);

	assert_int_equal(cdbfile_writer_start(&w, "keep.cdb", NULL, 0644), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(cdbfile_writer_add(&w, "k", 1, "lost", 4), 0);
	errno = 12345;
	cdbfile_writer_abort(&w);
	assert_int_equal(errno, 12345);
	cdbfile_writer_abort(&w); /* twice is harmless */
	assert_false(file_exists("keep.cdb.tmp"));
	assert_int_equal(cdbfile_open(&c, "keep.cdb"), 1);
	assert_int_equal(find_str(&c, "k", &v), 1);
	assert_value(&v, "kept", 4);
	cdbfile_close(&c);
	/* a finished or aborted writer refuses more work */
	errno = 0;
	assert_int_equal(cdbfile_writer_add(&w, "k", 1, "v", 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(cdbfile_writer_finish(&w), -1);
	assert_int_equal(errno, EBADF);
	bytes_free(&v);
}

static void
test_writer_start_errors(void **state)
{
	struct cdbfile_writer w;
	char *longname;

	(void)state;
	errno = 0;
	assert_int_equal(
	    cdbfile_writer_start(&w, "nodir/x.cdb", NULL, 0644), -1);
	assert_int_equal(errno, ENOENT);
	cdbfile_writer_abort(&w); /* allowed after a failed start */

	/* a symbolic link as the temporary file is refused */
	assert_int_equal(symlink("elsewhere", "link.cdb.tmp"), 0);
	errno = 0;
	assert_int_equal(cdbfile_writer_start(&w, "link.cdb", NULL, 0644), -1);
	assert_int_equal(errno, ELOOP);
	assert_false(file_exists("elsewhere"));

	longname = malloc(CDBFILE_PATH_MAX + 2);
	assert_non_null(longname);
	memset(longname, 'a', CDBFILE_PATH_MAX + 1);
	longname[CDBFILE_PATH_MAX + 1] = '\0';
	errno = 0;
	assert_int_equal(cdbfile_writer_start(&w, longname, "t", 0644), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(longname);
}

static void
test_writer_mode(void **state)
{
	struct cdbfile_writer w;
	struct stat st;
	mode_t old;

	(void)state;
	old = umask(022);
	assert_int_equal(cdbfile_writer_start(&w, "mode.cdb", NULL, 0640), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	umask(old);
	assert_int_equal(stat("mode.cdb", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void
test_writer_empty_database(void **state)
{
	static const char *const q[] = {"cdb", "-q", "empty.cdb", "x", NULL};
	struct bytes v = BYTES_INIT(100);
	struct cdbfile_writer w;
	struct cdbfile c;

	(void)state;
	assert_int_equal(cdbfile_writer_start(&w, "empty.cdb", NULL, 0644), 0);
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	assert_int_equal(cdbfile_open(&c, "empty.cdb"), 1);
	assert_int_equal(find_str(&c, "x", &v), 0);
	cdbfile_close(&c);
	assert_int_equal(run_cdb(q, NULL, &v), 100);
	bytes_free(&v);
}

#define MANY 20000

static void
test_many_records(void **state)
{
	struct bytes v = BYTES_INIT(100);
	struct cdbfile_writer w;
	struct cdbfile c;
	char key[32];
	char val[32];
	int kn;
	int vn;
	int i;

	(void)state;
	assert_int_equal(cdbfile_writer_start(&w, "many.cdb", NULL, 0644), 0);
	for (i = 0; i < MANY; i++) {
		kn = snprintf(key, sizeof(key), "!user%d-", i);
		vn = snprintf(val, sizeof(val), "uid %d", i * 7);
		assert_int_equal(
		    cdbfile_writer_add(&w, key, (size_t)kn, val, (size_t)vn),
		    0);
	}
	assert_int_equal(cdbfile_writer_finish(&w), 0);
	assert_int_equal(cdbfile_open(&c, "many.cdb"), 1);
	for (i = 0; i < MANY; i++) {
		kn = snprintf(key, sizeof(key), "!user%d-", i);
		vn = snprintf(val, sizeof(val), "uid %d", i * 7);
		assert_int_equal(cdbfile_find(&c, key, (size_t)kn, &v, 100), 1);
		assert_value(&v, val, (size_t)vn);
	}
	kn = snprintf(key, sizeof(key), "!user%d-", MANY);
	assert_int_equal(cdbfile_find(&c, key, (size_t)kn, &v, 100), 0);
	cdbfile_close(&c);
	bytes_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_tool_made_database),
	    cmocka_unit_test(test_read_missing_file),
	    cmocka_unit_test(test_read_not_a_database),
	    cmocka_unit_test(test_find_absent_key_empties_value),
	    cmocka_unit_test(test_find_value_limit),
	    cmocka_unit_test(test_written_database_read_by_tool),
	    cmocka_unit_test(test_writer_replaces_atomically),
	    cmocka_unit_test(test_writer_abort_keeps_old),
	    cmocka_unit_test(test_writer_start_errors),
	    cmocka_unit_test(test_writer_mode),
	    cmocka_unit_test(test_writer_empty_database),
	    cmocka_unit_test(test_many_records),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
