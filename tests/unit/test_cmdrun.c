/*
 * test_cmdrun.c - unit tests for src/lib/cmdrun.c: exit codes, signals,
 * programs that cannot be started, the stdin descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmdrun.h"

static void
test_exit_codes(void **state)
{
	const char *ok[] = { "true", NULL };
	const char *no[] = { "false", NULL };
	const char *c37[] = { "sh", "-c", "exit 37", NULL };
	enum cmdrun_how how;

	(void)state;
	assert_int_equal(cmdrun_run(ok, &how), 0);
	assert_int_equal(how, CMDRUN_EXITED);
	assert_int_equal(cmdrun_run(no, &how), 1);
	assert_int_equal(cmdrun_run(c37, &how), 37);
	assert_int_equal(how, CMDRUN_EXITED);
}

static void
test_crash(void **state)
{
	const char *k[] = { "sh", "-c", "kill -9 $$", NULL };
	enum cmdrun_how how;

	(void)state;
	assert_int_equal(cmdrun_run(k, &how), 111);
	assert_int_equal(how, CMDRUN_CRASHED);
}

static void
test_noexec(void **state)
{
	const char *missing[] = { "/nonexistent/prog", NULL };
	const char *notexec[] = { "/etc/passwd", NULL };
	const char *empty[] = { "", NULL };
	enum cmdrun_how how;

	(void)state;
	assert_int_equal(cmdrun_run(missing, &how), 100);
	assert_int_equal(how, CMDRUN_NOEXEC);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(cmdrun_run(notexec, &how), 100);
	assert_int_equal(how, CMDRUN_NOEXEC);
	assert_int_equal(cmdrun_run(empty, &how), 100);
	assert_int_equal(cmdrun_errno_temporary(ENOMEM), 1);
	assert_int_equal(cmdrun_errno_temporary(ETXTBSY), 1);
	assert_int_equal(cmdrun_errno_temporary(ENOENT), 0);
	assert_int_equal(cmdrun_errno_temporary(EACCES), 0);
}

static void
test_stdin_fd(void **state)
{
	const char *grep[] = { "grep", "-q", "needle", NULL };
	enum cmdrun_how how;
	int p[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = cmdrun_start(grep, p[0]);
	assert_true(pid > 0);
	close(p[0]);
	assert_int_equal(write(p[1], "hay needle hay\n", 15), 15);
	close(p[1]);
	assert_int_equal(cmdrun_finish(pid, &how), 0);
	assert_int_equal(how, CMDRUN_EXITED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_crash),
	    cmocka_unit_test(test_noexec),
	    cmocka_unit_test(test_stdin_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
