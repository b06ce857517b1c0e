/*
 * test_sig.c - unit tests for sig.c: handlers run, interrupted system
 * calls fail with EINTR (no SA_RESTART), blocked signals wait until they
 * are unblocked, and sig_pause wakes for a signal that is already pending.
 *
 * Nothing depends on timing: where a timer is needed it repeats, so a
 * tick that comes too early is followed by another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig.h"

static volatile sig_atomic_t caught_count;
static volatile sig_atomic_t caught_signo;

static void
on_signal(int signo)
{
	caught_count++;
	caught_signo = signo;
}

/* Every test starts with no handlers and an empty mask for its signals. */
static int
sig_reset(void **state)
{
	struct itimerval off;
	sigset_t set;

	memset(&off, 0, sizeof(off));
	if (setitimer(ITIMER_REAL, &off, NULL) == -1)
		return -1;
	caught_count = 0;
	caught_signo = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
		return -1;
	if (sig_default(SIGUSR1) == -1 || sig_default(SIGALRM) == -1)
		return -1;
	return 0;
}

/*
 * Backstop so that a broken sig_catch (one that restarts the read) makes
 * the test fail instead of hang: after many ticks, make the read succeed.
 */
static int wake_fd = -1;
static volatile sig_atomic_t ticks;

static void
on_tick(int signo)
{
	caught_signo = signo;
	if (++ticks == 50 && wake_fd >= 0 && write(wake_fd, "!", 1) != 1)
		caught_count = -1;
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

static void
test_catch_runs_handler(void **state)
{
	assert_int_equal(sig_catch(SIGUSR1, on_signal), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(caught_count, 1);
	assert_int_equal(caught_signo, SIGUSR1);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(caught_count, 2);
}

static void
test_catch_has_no_sa_restart(void **state)
{
	struct sigaction sa;

	assert_int_equal(sig_catch(SIGUSR1, on_signal), 0);
	assert_return_code(sigaction(SIGUSR1, NULL, &sa), errno);
	assert_true(sa.sa_handler == on_signal);
	assert_int_equal(sa.sa_flags & SA_RESTART, 0);
}

static void
test_interrupted_read_returns_eintr(void **state)
{
	int p[2];
	char c;
	ssize_t r;

	assert_return_code(pipe2(p, O_CLOEXEC), errno);
	ticks = 0;
	wake_fd = p[1];
	assert_int_equal(sig_catch(SIGALRM, on_tick), 0);
	timer_set(10000);
	/* Only a signal (or the backstop) can end this read. */
	r = read(p[0], &c, 1);
	timer_set(0);
	wake_fd = -1;
	assert_int_equal(r, -1);
	assert_int_equal(errno, EINTR);
	assert_true(ticks >= 1 && ticks < 50);
	assert_int_equal(caught_signo, SIGALRM);
	close(p[0]);
	close(p[1]);
}

static void
test_block_defers_until_unblock(void **state)
{
	sigset_t pending;

	assert_int_equal(sig_catch(SIGUSR1, on_signal), 0);
	assert_int_equal(sig_block(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(caught_count, 0);
	assert_return_code(sigpending(&pending), errno);
	assert_true(sigismember(&pending, SIGUSR1));
	assert_int_equal(sig_unblock(SIGUSR1), 0);
	/* A pending unblocked signal is delivered before sigprocmask returns.
	 */
	assert_int_equal(caught_count, 1);
	assert_return_code(sigpending(&pending), errno);
	assert_false(sigismember(&pending, SIGUSR1));
}

static void
test_ignore(void **state)
{
	struct sigaction sa;

	assert_int_equal(sig_ignore(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR1), 0); /* would kill us otherwise */
	assert_return_code(sigaction(SIGUSR1, NULL, &sa), errno);
	assert_true(sa.sa_handler == SIG_IGN);
}

static void
test_default_terminates(void **state)
{
	struct sigaction sa;
	pid_t pid;
	int status;

	assert_int_equal(sig_catch(SIGUSR1, on_signal), 0);
	assert_int_equal(sig_default(SIGUSR1), 0);
	assert_return_code(sigaction(SIGUSR1, NULL, &sa), errno);
	assert_true(sa.sa_handler == SIG_DFL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		raise(SIGUSR1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGUSR1);
}

/*
 * Backstop for the sig_pause tests: if sig_pause waited with SIGUSR1
 * still blocked it would never return; a late SIGALRM ends the wait so
 * the test fails instead of hanging.  It never fires when all is well.
 */
static void
backstop_arm(void)
{
	struct itimerval it;

	ticks = 0;
	assert_int_equal(sig_catch(SIGALRM, on_tick), 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = 3;
	assert_return_code(setitimer(ITIMER_REAL, &it, NULL), errno);
}

static void
test_pause_wakes_for_pending_signal(void **state)
{
	sigset_t mask;

	backstop_arm();
	assert_int_equal(sig_block(SIGUSR1), 0);
	assert_int_equal(sig_catch(SIGUSR1, on_signal), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(caught_count, 0);
	assert_int_equal(sig_pause(SIGUSR1), 0);
	timer_set(0);
	assert_int_equal(caught_count, 1);
	assert_int_equal(ticks, 0);
	/* The mask is back as it was: SIGUSR1 still blocked. */
	assert_return_code(sigprocmask(SIG_SETMASK, NULL, &mask), errno);
	assert_true(sigismember(&mask, SIGUSR1));
}

static void
test_pause_wakes_for_signal_from_child(void **state)
{
	pid_t pid;
	int status;

	backstop_arm();
	assert_int_equal(sig_block(SIGUSR1), 0);
	assert_int_equal(sig_catch(SIGUSR1, on_signal), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	/* Blocked beforehand, so the signal cannot slip past the wait. */
	while (caught_count == 0 && ticks == 0)
		assert_int_equal(sig_pause(SIGUSR1), 0);
	timer_set(0);
	assert_int_equal(caught_count, 1);
	assert_int_equal(ticks, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void
test_invalid_signals(void **state)
{
	errno = 0;
	assert_int_equal(sig_catch(SIGKILL, on_signal), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_catch(0, on_signal), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_catch(NSIG + 5, on_signal), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_catch(SIGUSR1, NULL), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_ignore(SIGSTOP), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_block(-1), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_unblock(NSIG), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sig_pause(0), -1);
	assert_int_equal(errno, EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, sig_reset, sig_reset)
	    T(test_catch_runs_handler),
	    T(test_catch_has_no_sa_restart),
	    T(test_interrupted_read_returns_eintr),
	    T(test_block_defers_until_unblock),
	    T(test_ignore),
	    T(test_default_terminates),
	    T(test_pause_wakes_for_pending_signal),
	    T(test_pause_wakes_for_signal_from_child),
	    T(test_invalid_signals),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
