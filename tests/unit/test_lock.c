/*
 * test_lock.c - unit tests for lock.c: flock and OFD whole-file locks
 * between separately opened descriptors, across fork, a blocked waiter,
 * and a wait cut short by a signal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"

static char lock_path[64];

static int
file_setup(void **state)
{
	int fd;

	snprintf(lock_path, sizeof(lock_path), "/tmp/test_lock.XXXXXX");
	fd = mkstemp(lock_path);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

static int
file_teardown(void **state)
{
	return unlink(lock_path);
}

static int
open_lockfile(void)
{
	int fd = open(lock_path, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* Fork a child that runs fn and exits with its result; return that. */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Child bodies: 0 if the lock was free, 1 if held (EWOULDBLOCK), else 2. */
static int
child_try_flock(void)
{
	int fd = open(lock_path, O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return 2;
	if (lock_exclusive_nowait(fd) == 0)
		return 0;
	return errno == EWOULDBLOCK ? 1 : 2;
}

static int
child_try_ofd(void)
{
	int fd = open(lock_path, O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return 2;
	if (lock_ofd_exclusive_nowait(fd) == 0)
		return 0;
	return errno == EWOULDBLOCK ? 1 : 2;
}

static void
test_flock_separate_descriptors(void **state)
{
	int a = open_lockfile();
	int b = open_lockfile();

	assert_int_equal(lock_exclusive_nowait(a), 0);
	errno = 0;
	assert_int_equal(lock_exclusive_nowait(b), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(lock_unlock(a), 0);
	assert_int_equal(lock_exclusive_nowait(b), 0);
	errno = 0;
	assert_int_equal(lock_exclusive_nowait(a), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(a);
	close(b);
}

static void
test_flock_waiting_lock_when_free(void **state)
{
	int a = open_lockfile();
	int b = open_lockfile();

	assert_int_equal(lock_exclusive(a), 0);
	assert_int_equal(lock_exclusive(a), 0); /* again: no self-deadlock */
	assert_int_equal(lock_unlock(a), 0);
	/* nowait first, so a broken unlock fails here instead of hanging */
	assert_int_equal(lock_exclusive_nowait(b), 0);
	assert_int_equal(lock_exclusive(b), 0);
	close(a);
	close(b);
}

static void
test_flock_shared_by_dup_released_by_close(void **state)
{
	int a = open_lockfile();
	int b = open_lockfile();
	int d;

	assert_int_equal(lock_exclusive_nowait(a), 0);
	d = dup(a);
	assert_true(d >= 0);
	/* Same open file description: the lock is already ours. */
	assert_int_equal(lock_exclusive_nowait(d), 0);
	close(a);
	errno = 0;
	assert_int_equal(lock_exclusive_nowait(b), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(d); /* last reference: lock gone */
	assert_int_equal(lock_exclusive_nowait(b), 0);
	close(b);
}

static void
test_flock_across_fork(void **state)
{
	int a = open_lockfile();

	assert_int_equal(lock_exclusive(a), 0);
	assert_int_equal(in_child(child_try_flock), 1);
	assert_int_equal(lock_unlock(a), 0);
	assert_int_equal(in_child(child_try_flock), 0);
	close(a);
}

static void
test_flock_waiter_proceeds_after_unlock(void **state)
{
	int a = open_lockfile();
	int p[2];
	struct pollfd pfd;
	pid_t pid;
	int status;
	char c;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	assert_int_equal(lock_exclusive(a), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(lock_path, O_RDWR | O_CLOEXEC);

		close(p[0]);
		if (fd == -1 || lock_exclusive(fd) == -1)
			_exit(2);
		_exit(write(p[1], "L", 1) == 1 ? 0 : 3);
	}
	close(p[1]);
	/* While we hold the lock the child cannot have it, however fast. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(lock_unlock(a), 0);
	/*
	 * The child now gets the lock.  The long timeout is only a backstop
	 * so that a broken unlock fails the test instead of hanging it.
	 */
	if (poll(&pfd, 1, 10000) != 1)
		kill(pid, SIGKILL);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'L');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(p[0]);
	close(a);
}

static volatile sig_atomic_t alarms;
static int (*backstop_release)(int);
static int backstop_fd = -1;

/*
 * If the waiting call wrongly retried EINTR it would wait forever; after
 * many ticks the holder lets go, so such a bug shows as a failed
 * assertion instead of a hang.
 */
static void
on_alarm(int signo)
{
	if (++alarms == 50 && backstop_fd >= 0)
		(void)backstop_release(backstop_fd);
}

static void
timer_set(long usec)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = usec;
	it.it_interval.tv_usec = usec;
	assert_return_code(setitimer(ITIMER_REAL, &it, NULL), errno);
}

/* A caller bounds the wait with a timer, as qmail-local does. */
static void
run_interrupted(int (*take)(int), int (*release)(int))
{
	struct sigaction sa, old;
	int a = open_lockfile();
	int b = open_lockfile();
	int r;

	assert_int_equal(take(a), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	assert_return_code(sigaction(SIGALRM, &sa, &old), errno);
	alarms = 0;
	backstop_release = release;
	backstop_fd = a;
	timer_set(10000); /* repeats: an early tick is followed by another */
	r = take(b);
	timer_set(0);
	backstop_fd = -1;
	assert_return_code(sigaction(SIGALRM, &old, NULL), errno);
	assert_int_equal(r, -1);
	assert_int_equal(errno, EINTR);
	assert_true(alarms >= 1 && alarms < 50);
	close(a);
	close(b);
}

static void
test_flock_wait_interrupted_by_signal(void **state)
{
	run_interrupted(lock_exclusive, lock_unlock);
}

static void
test_ofd_separate_descriptors(void **state)
{
	int a = open_lockfile();
	int b = open_lockfile();

	assert_int_equal(lock_ofd_exclusive_nowait(a), 0);
	errno = 0;
	assert_int_equal(lock_ofd_exclusive_nowait(b), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(lock_ofd_unlock(a), 0);
	assert_int_equal(lock_ofd_exclusive_nowait(b), 0);
	errno = 0;
	assert_int_equal(lock_ofd_exclusive_nowait(a), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(a);
	close(b);
}

static void
test_ofd_across_fork(void **state)
{
	int a = open_lockfile();

	assert_int_equal(lock_ofd_exclusive(a), 0);
	assert_int_equal(in_child(child_try_ofd), 1);
	assert_int_equal(lock_ofd_unlock(a), 0);
	assert_int_equal(in_child(child_try_ofd), 0);
	close(a);
}

static void
test_ofd_conflicts_with_posix_record_lock(void **state)
{
	struct flock fl;
	int a = open_lockfile();
	int b = open_lockfile();

	/* What a mail reader using fcntl/lockf would hold. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	assert_return_code(fcntl(a, F_SETLK, &fl), errno);
	errno = 0;
	assert_int_equal(lock_ofd_exclusive_nowait(b), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	fl.l_type = F_UNLCK;
	assert_return_code(fcntl(a, F_SETLK, &fl), errno);
	assert_int_equal(lock_ofd_exclusive_nowait(b), 0);

	/* The OFD lock covers the whole file, even bytes not written yet. */
	fl.l_type = F_WRLCK;
	fl.l_start = 100000;
	fl.l_len = 1;
	errno = 0;
	assert_int_equal(fcntl(a, F_SETLK, &fl), -1);
	assert_true(errno == EAGAIN || errno == EACCES);
	close(a);
	close(b);
}

static void
test_ofd_and_flock_are_independent(void **state)
{
	int a = open_lockfile();
	int b = open_lockfile();

	assert_int_equal(lock_exclusive_nowait(a), 0);
	assert_int_equal(lock_ofd_exclusive_nowait(b), 0);
	close(a);
	close(b);
}

static void
test_ofd_needs_write_access(void **state)
{
	int fd = open(lock_path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(lock_ofd_exclusive_nowait(fd), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
}

static void
test_ofd_wait_interrupted_by_signal(void **state)
{
	run_interrupted(lock_ofd_exclusive, lock_ofd_unlock);
}

static void
test_bad_descriptor(void **state)
{
	int fd = open_lockfile();

	close(fd);
	errno = 0;
	assert_int_equal(lock_exclusive(fd), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(lock_unlock(fd), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(lock_ofd_unlock(fd), -1);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, file_setup, file_teardown)
	    T(test_flock_separate_descriptors),
	    T(test_flock_waiting_lock_when_free),
	    T(test_flock_shared_by_dup_released_by_close),
	    T(test_flock_across_fork),
	    T(test_flock_waiter_proceeds_after_unlock),
	    T(test_flock_wait_interrupted_by_signal),
	    T(test_ofd_separate_descriptors),
	    T(test_ofd_across_fork),
	    T(test_ofd_conflicts_with_posix_record_lock),
	    T(test_ofd_and_flock_are_independent),
	    T(test_ofd_needs_write_access),
	    T(test_ofd_wait_interrupted_by_signal),
	    T(test_bad_descriptor),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
