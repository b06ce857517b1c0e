/*
 * test_err.c - the diagnostic convention: one line on stderr, the right
 * words, the right exit code, control characters neutralised.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"

/*
 * run_child - run fn in a child with stderr on a pipe; return what it
 * printed (at most size-1 bytes) and its exit status in *status.
 */
static void
run_child(void (*fn)(void), char *out, size_t size, int *status)
{
	int p[2];
	pid_t pid;
	size_t len = 0;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (len < size - 1 &&
	    (n = read(p[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
}

static void
child_fatal(void)
{
	err_setprogname("prog");
	errno = ENOENT;
	fatal(111, "unable to open %s", "control/me");
}

static void
child_fatalx(void)
{
	err_setprogname("prog");
	fatalx(100, "bad address %d", 7);
}

static void
child_warn(void)
{
	err_setprogname("prog");
	errno = EACCES;
	log_warn("unable to read %s", "x");
	log_warnx("plain");
}

static void
child_hostile(void)
{
	err_setprogname("prog");
	log_warnx("from %s", "evil\nprog: fatal: forged\r\x1b[0m");
}

static char long_arg[5000];

static void
child_long(void)
{
	err_setprogname("prog");
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	log_warnx("%s", long_arg);
}

static void
test_fatal_with_errno(void **state)
{
	char out[512];
	int st;

	(void)state;
	run_child(child_fatal, out, sizeof(out), &st);
	assert_string_equal(out, "prog: fatal: unable to open control/me: "
	    "No such file or directory\n");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 111);
}

static void
test_fatalx_without_errno(void **state)
{
	char out[512];
	int st;

	(void)state;
	run_child(child_fatalx, out, sizeof(out), &st);
	assert_string_equal(out, "prog: fatal: bad address 7\n");
	assert_int_equal(WEXITSTATUS(st), 100);
}

static void
test_warnings_do_not_exit(void **state)
{
	char out[512];
	int st;

	(void)state;
	run_child(child_warn, out, sizeof(out), &st);
	assert_string_equal(out, "prog: warning: unable to read x: "
	    "Permission denied\nprog: warning: plain\n");
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_control_characters_cannot_forge_lines(void **state)
{
	char out[512];
	int st;

	(void)state;
	run_child(child_hostile, out, sizeof(out), &st);
	assert_string_equal(out,
	    "prog: warning: from evil?prog: fatal: forged??[0m\n");
}

static void
test_long_message_is_one_cut_line(void **state)
{
	char out[8192];
	int st;

	(void)state;
	run_child(child_long, out, sizeof(out), &st);
	assert_true(strlen(out) < 1100);
	assert_true(strlen(out) > 1000);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	assert_memory_equal(out, "prog: warning: aaaa", 19);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fatal_with_errno),
		cmocka_unit_test(test_fatalx_without_errno),
		cmocka_unit_test(test_warnings_do_not_exit),
		cmocka_unit_test(test_control_characters_cannot_forge_lines),
		cmocka_unit_test(test_long_message_is_one_cut_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
