/*
 * test_proc.c - unit tests for proc.c: spawning with an explicit argv and
 * descriptor table, exec failures reported to the parent, decoding wait
 * statuses, and the descriptor flag helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* Read fd to end of file into buf (NUL-terminated); returns the length. */
static size_t
read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;

	for (;;) {
		assert_true(len < size);
		r = read(fd, buf + len, size - 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return len;
}

/* Spawn program with argv and table, wait, and return the raw status. */
static int
run_status(const char *program, const char *const *argv,
    const struct proc_fdmap *fds, size_t nfds)
{
	struct proc_spec spec = {program, argv, NULL, fds, nfds, 0};
	pid_t pid;
	int status;

	pid = proc_spawn(&spec);
	assert_true(pid > 0);
	assert_int_equal(proc_wait(pid, &status), pid);
	return status;
}

/* Spawn, collect the child's fd 1 through a pipe, expect exit 0. */
static void
run_capture(
    const char *program, const char *const *argv, char *out, size_t size)
{
	struct proc_fdmap fds[1];
	int p[2];
	int status, code;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	fds[0].child = 1;
	fds[0].parent = p[1];
	{
		struct proc_spec spec = {program, argv, NULL, fds, 1, 0};
		pid_t pid = proc_spawn(&spec);

		assert_true(pid > 0);
		close(p[1]);
		read_all(p[0], out, size);
		close(p[0]);
		assert_int_equal(proc_wait(pid, &status), pid);
	}
	assert_true(proc_status_exited(status, &code));
	assert_int_equal(code, 0);
}

static void
test_spawn_true_exits_0(void **state)
{
	const char *argv[] = {"true", NULL};
	int code = -1;

	assert_true(
	    proc_status_exited(run_status("/bin/true", argv, NULL, 0), &code));
	assert_int_equal(code, 0);
}

static void
test_spawn_false_exits_1(void **state)
{
	const char *argv[] = {"false", NULL};
	int status, code = -1, signo;

	status = run_status("/bin/false", argv, NULL, 0);
	assert_true(proc_status_exited(status, &code));
	assert_int_equal(code, 1);
	assert_false(proc_status_signaled(status, &signo, NULL));
}

static void
test_spawn_exit_111(void **state)
{
	const char *argv[] = {"sh", "-c", "exit 111", NULL};
	int code = -1;

	assert_true(
	    proc_status_exited(run_status("/bin/sh", argv, NULL, 0), &code));
	assert_int_equal(code, 111);
}

static void
test_spawn_killed_by_sigkill(void **state)
{
	const char *argv[] = {"cat", NULL};
	struct proc_fdmap fds[1];
	struct proc_spec spec = {"/bin/cat", argv, NULL, fds, 1, 0};
	int p[2];
	int status, code, signo = 0, core = -1;
	pid_t pid;

	/* cat blocks reading a pipe we keep open: no timing involved. */
	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	fds[0].child = 0;
	fds[0].parent = p[0];
	pid = proc_spawn(&spec);
	assert_true(pid > 0);
	assert_return_code(kill(pid, SIGKILL), errno);
	assert_int_equal(proc_wait(pid, &status), pid);
	close(p[0]);
	close(p[1]);
	assert_false(proc_status_exited(status, &code));
	assert_true(proc_status_signaled(status, &signo, &core));
	assert_int_equal(signo, 9);
	assert_int_equal(core, 0);
}

static void
test_status_decode_synthetic(void **state)
{
	int code = -1, signo = -1, core = -1;

	assert_true(proc_status_exited(W_EXITCODE(100, 0), &code));
	assert_int_equal(code, 100);
	assert_false(proc_status_signaled(W_EXITCODE(100, 0), &signo, &core));
	assert_int_equal(signo, -1);
	assert_true(proc_status_signaled(
	    W_EXITCODE(0, SIGSEGV) | WCOREFLAG, &signo, &core));
	assert_int_equal(signo, SIGSEGV);
	assert_int_equal(core, 1);
	assert_true(proc_status_signaled(W_EXITCODE(0, SIGTERM), &signo, NULL));
	assert_int_equal(signo, SIGTERM);
	code = -1;
	assert_false(proc_status_exited(W_EXITCODE(0, SIGTERM), &code));
	assert_int_equal(code, -1);
}

static void
test_exec_missing_program_reports_enoent(void **state)
{
	const char *argv[] = {"nope", NULL};
	struct proc_spec spec = {
	    "/nonexistent/qmail-test-nope", argv, NULL, NULL, 0, 0};
	int status;

	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, ENOENT);
	/* The failed child was reaped: no child is left to wait for. */
	assert_int_equal(proc_wait_nohang(-1, &status), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_exec_not_executable_reports_eacces(void **state)
{
	char path[] = "/tmp/test_proc.XXXXXX";
	const char *argv[] = {"x", NULL};
	struct proc_spec spec = {path, argv, NULL, NULL, 0, 0};
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_return_code(chmod(path, 0600), errno);
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EACCES);
	unlink(path);
}

static void
test_search_path(void **state)
{
	const char *argv[] = {"true", NULL};
	const char *argv_missing[] = {"qmail-test-no-such-program", NULL};
	struct proc_spec spec = {"true", argv, NULL, NULL, 0, PROC_SEARCH_PATH};
	int status, code = -1;
	pid_t pid;

	pid = proc_spawn(&spec);
	assert_true(pid > 0);
	assert_int_equal(proc_wait(pid, &status), pid);
	assert_true(proc_status_exited(status, &code));
	assert_int_equal(code, 0);

	spec.program = argv_missing[0];
	spec.argv = argv_missing;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_stdout_to_pipe(void **state)
{
	const char *argv[] = {"echo", "hello", NULL};
	char out[64];

	run_capture("/bin/echo", argv, out, sizeof(out));
	assert_string_equal(out, "hello\n");
}

static void
test_argv_passed_literally(void **state)
{
	const char *echo_argv[] = {"echo", "a;b", "$(x)", NULL};
	const char *printf_argv[] = {"printf", "[%s]", "a;b", "$(x)", "a b",
	    "*", "`id`", "'\"", "x > /dev/null", "", NULL};
	char out[256];

	run_capture("/bin/echo", echo_argv, out, sizeof(out));
	assert_string_equal(out, "a;b $(x)\n");
	run_capture("/usr/bin/printf", printf_argv, out, sizeof(out));
	assert_string_equal(
	    out, "[a;b][$(x)][a b][*][`id`]['\"][x > /dev/null][]");
}

static void
test_stdin_and_stdout_pipes(void **state)
{
	const char *argv[] = {"cat", NULL};
	struct proc_fdmap fds[2];
	struct proc_spec spec = {"/bin/cat", argv, NULL, fds, 2, 0};
	int in[2], out[2];
	char buf[64];
	int status, code = -1;
	pid_t pid;

	assert_return_code(pipe2(in, O_CLOEXEC), errno);
	assert_return_code(pipe2(out, O_CLOEXEC), errno);
	fds[0].child = 0;
	fds[0].parent = in[0];
	fds[1].child = 1;
	fds[1].parent = out[1];
	pid = proc_spawn(&spec);
	assert_true(pid > 0);
	close(in[0]);
	close(out[1]);
	assert_int_equal(write(in[1], "data\n", 5), 5);
	close(in[1]);
	read_all(out[0], buf, sizeof(buf));
	close(out[0]);
	assert_string_equal(buf, "data\n");
	assert_int_equal(proc_wait(pid, &status), pid);
	assert_true(proc_status_exited(status, &code));
	assert_int_equal(code, 0);
}

/*
 * A table whose entries overlap (child 7 gets parent 8 and child 8
 * gets parent 7) must not let one dup2 clobber the other.
 */
static void
test_swapped_descriptors(void **state)
{
	const char *argv[] = {"sh", "-c", "echo to7 >&7; echo to8 >&8", NULL};
	struct proc_fdmap fds[2];
	int p[2], q[2];
	int p7, q8;
	char buf[64];
	int code = -1;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_return_code(pipe2(q, O_CLOEXEC), errno);
	p7 = fcntl(p[1], F_DUPFD_CLOEXEC, 7);
	assert_int_equal(p7, 7);
	q8 = fcntl(q[1], F_DUPFD_CLOEXEC, 8);
	assert_int_equal(q8, 8);
	close(p[1]);
	close(q[1]);
	fds[0].child = 8;
	fds[0].parent = 7;
	fds[1].child = 7;
	fds[1].parent = 8;
	assert_true(
	    proc_status_exited(run_status("/bin/sh", argv, fds, 2), &code));
	assert_int_equal(code, 0);
	close(p7);
	close(q8);
	read_all(p[0], buf, sizeof(buf));
	assert_string_equal(buf, "to8\n");
	read_all(q[0], buf, sizeof(buf));
	assert_string_equal(buf, "to7\n");
	close(p[0]);
	close(q[0]);
}

static void
test_closed_descriptor_and_envp(void **state)
{
	const char *argv[] = {"cat", NULL};
	const char *envp[] = {"LC_ALL=C", NULL};
	struct proc_fdmap fds[2];
	struct proc_spec spec = {"/bin/cat", argv, envp, fds, 2, 0};
	int err[2];
	char buf[256];
	int status, code = -1;
	pid_t pid;

	assert_return_code(pipe2(err, O_CLOEXEC), errno);
	fds[0].child = 0;
	fds[0].parent = PROC_FD_CLOSE;
	fds[1].child = 2;
	fds[1].parent = err[1];
	pid = proc_spawn(&spec);
	assert_true(pid > 0);
	close(err[1]);
	read_all(err[0], buf, sizeof(buf));
	close(err[0]);
	assert_int_equal(proc_wait(pid, &status), pid);
	assert_true(proc_status_exited(status, &code));
	assert_int_equal(code, 1);
	assert_non_null(strstr(buf, "Bad file descriptor"));
}

static void
test_cloexec_descriptors_do_not_leak(void **state)
{
	const char *argv[] = {"sh", "-c",
	    "for n in 50 51; do test -e /proc/$$/fd/$n && echo $n; done", NULL};
	char out[64];
	int fd50, fd51, nul;

	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(nul >= 0);
	fd50 = fcntl(nul, F_DUPFD_CLOEXEC, 50);
	assert_int_equal(fd50, 50);
	fd51 = fcntl(nul, F_DUPFD, 51); /* not close-on-exec: inherited */
	assert_int_equal(fd51, 51);
	run_capture("/bin/sh", argv, out, sizeof(out));
	assert_string_equal(out, "51\n");
	close(fd50);
	close(fd51);
	close(nul);
}

static unsigned long long
status_mask(const char *status, const char *field)
{
	const char *p = strstr(status, field);

	assert_non_null(p);
	return strtoull(p + strlen(field), NULL, 16);
}

static void
set_disposition(int signo, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	assert_return_code(sigaction(signo, &sa, NULL), errno);
}

static void
test_child_signal_mask_empty_parent_mask_restored(void **state)
{
	const char *argv[] = {"cat", "/proc/self/status", NULL};
	char out[4096];
	sigset_t set, old, now;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	assert_return_code(sigprocmask(SIG_BLOCK, &set, &old), errno);
	set_disposition(SIGHUP, SIG_IGN);
	run_capture("/bin/cat", argv, out, sizeof(out));
	assert_return_code(sigprocmask(SIG_SETMASK, NULL, &now), errno);
	assert_true(sigismember(&now, SIGUSR2));
	assert_false(sigismember(&now, SIGTERM));
	assert_return_code(sigprocmask(SIG_SETMASK, &old, NULL), errno);
	set_disposition(SIGHUP, SIG_DFL);

	assert_true(status_mask(out, "\nSigBlk:") == 0);
	assert_true(status_mask(out, "\nSigIgn:") & (1ULL << (SIGHUP - 1)));
}

static void
test_spec_errors(void **state)
{
	const char *argv[] = {"true", NULL};
	const char *noargs[] = {NULL};
	struct proc_fdmap fds[PROC_FDMAP_MAX + 1];
	struct proc_spec spec = {"/bin/true", argv, NULL, fds, 0, 0};
	size_t i;
	int unused;

	errno = 0;
	assert_int_equal(proc_spawn(NULL), -1);
	assert_int_equal(errno, EINVAL);

	spec.argv = noargs;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EINVAL);
	spec.argv = argv;

	for (i = 0; i < PROC_FDMAP_MAX + 1; i++) {
		fds[i].child = (int)i + 3;
		fds[i].parent = PROC_FD_CLOSE;
	}
	spec.nfds = PROC_FDMAP_MAX + 1;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EINVAL);

	spec.nfds = 2;
	fds[1].child = fds[0].child; /* repeated child number */
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EINVAL);

	spec.nfds = 1;
	fds[0].child = -1;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EINVAL);

	fds[0].child = PROC_CHILD_FD_LIMIT;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EINVAL);

	fds[0].child = 0;
	fds[0].parent = -7;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EINVAL);

	/* A parent descriptor that is not open. */
	unused = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(unused >= 0);
	close(unused);
	fds[0].parent = unused;
	errno = 0;
	assert_int_equal(proc_spawn(&spec), -1);
	assert_int_equal(errno, EBADF);

	errno = 0;
	assert_int_equal(proc_wait_nohang(-1, &unused), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_wait_nohang(void **state)
{
	const char *argv[] = {"cat", NULL};
	struct proc_fdmap fds[1];
	struct proc_spec spec = {"/bin/cat", argv, NULL, fds, 1, 0};
	int p[2];
	int status, code = -1;
	pid_t pid;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	fds[0].child = 0;
	fds[0].parent = p[0];
	pid = proc_spawn(&spec);
	assert_true(pid > 0);
	close(p[0]);
	/* cat cannot finish while we hold the write end open. */
	assert_int_equal(proc_wait_nohang(pid, &status), 0);
	close(p[1]);
	assert_int_equal(proc_wait(pid, &status), pid);
	assert_true(proc_status_exited(status, &code));
	assert_int_equal(code, 0);
}

static void
test_fd_cloexec_and_inherit(void **state)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fd_cloexec(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fd_cloexec(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fd_inherit(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	errno = 0;
	assert_int_equal(fd_cloexec(fd), -1);
	assert_int_equal(errno, EBADF);
}

static void
test_fd_nonblock_and_block(void **state)
{
	int p[2];
	char c;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_int_equal(fd_nonblock(p[0]), 0);
	assert_int_equal(fcntl(p[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	errno = 0;
	assert_int_equal(read(p[0], &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fd_block(p[0]), 0);
	assert_int_equal(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	close(p[0]);
	close(p[1]);
	errno = 0;
	assert_int_equal(fd_nonblock(p[0]), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(fd_block(p[0]), -1);
}

static void
test_fd_move(void **state)
{
	int p[2];
	int to;
	char c = 0;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	to = fcntl(p[1], F_DUPFD_CLOEXEC, 40);
	assert_true(to >= 40);
	close(to); /* a free number to move onto */
	assert_int_equal(fd_move(to, p[1]), 0);
	errno = 0;
	assert_int_equal(fcntl(p[1], F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(fcntl(to, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(write(to, "m", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'm');

	/* Onto itself: stays open, close-on-exec cleared. */
	assert_int_equal(fd_cloexec(to), 0);
	assert_int_equal(fd_move(to, to), 0);
	assert_int_equal(fcntl(to, F_GETFD), 0);

	/* From a closed descriptor: fails, to is untouched. */
	errno = 0;
	assert_int_equal(fd_move(to, p[1]), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(write(to, "n", 1), 1);
	close(to);
	close(p[0]);
}

static void
test_fd_copy(void **state)
{
	int p[2];
	int to;
	char buf[2];

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	to = fcntl(p[1], F_DUPFD_CLOEXEC, 40);
	assert_true(to >= 40);
	close(to);
	assert_int_equal(fd_copy(to, p[1]), 0);
	assert_int_equal(fcntl(to, F_GETFD), 0);
	assert_int_equal(write(p[1], "a", 1), 1); /* from still open */
	assert_int_equal(write(to, "b", 1), 1);
	assert_int_equal(read(p[0], buf, 2), 2);
	assert_memory_equal(buf, "ab", 2);
	close(to);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spawn_true_exits_0),
	    cmocka_unit_test(test_spawn_false_exits_1),
	    cmocka_unit_test(test_spawn_exit_111),
	    cmocka_unit_test(test_spawn_killed_by_sigkill),
	    cmocka_unit_test(test_status_decode_synthetic),
	    cmocka_unit_test(test_exec_missing_program_reports_enoent),
	    cmocka_unit_test(test_exec_not_executable_reports_eacces),
	    cmocka_unit_test(test_search_path),
	    cmocka_unit_test(test_stdout_to_pipe),
	    cmocka_unit_test(test_argv_passed_literally),
	    cmocka_unit_test(test_stdin_and_stdout_pipes),
	    cmocka_unit_test(test_swapped_descriptors),
	    cmocka_unit_test(test_closed_descriptor_and_envp),
	    cmocka_unit_test(test_cloexec_descriptors_do_not_leak),
	    cmocka_unit_test(test_child_signal_mask_empty_parent_mask_restored),
	    cmocka_unit_test(test_spec_errors),
	    cmocka_unit_test(test_wait_nohang),
	    cmocka_unit_test(test_fd_cloexec_and_inherit),
	    cmocka_unit_test(test_fd_nonblock_and_block),
	    cmocka_unit_test(test_fd_move),
	    cmocka_unit_test(test_fd_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
