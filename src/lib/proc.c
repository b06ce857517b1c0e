/*
 * proc.c - starting and reaping programs, and descriptor flags, see proc.h.
 *
 * Between fork and exec the child calls only async-signal-safe system
 * calls (plus execvpe for a PATH search), and never returns into the
 * caller's code: it either execs or _exits with 127.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* Exit code of a child whose exec failed (never seen by callers). */
#define PROC_EXEC_FAILED 127

static int
proc_spec_check(const struct proc_spec *spec)
{
	size_t i, j;

	if (spec == NULL || spec->program == NULL || spec->argv == NULL ||
	    spec->argv[0] == NULL || spec->nfds > PROC_FDMAP_MAX ||
	    (spec->nfds > 0 && spec->fds == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < spec->nfds; i++) {
		const struct proc_fdmap *m = &spec->fds[i];

		if (m->child < 0 || m->child >= PROC_CHILD_FD_LIMIT ||
		    m->parent < PROC_FD_CLOSE) {
			errno = EINVAL;
			return -1;
		}
		for (j = 0; j < i; j++)
			if (spec->fds[j].child == m->child) {
				errno = EINVAL;
				return -1;
			}
		if (m->parent != PROC_FD_CLOSE &&
		    fcntl(m->parent, F_GETFD) == -1) {
			errno = EBADF;
			return -1;
		}
	}
	return 0;
}

/* Tell the parent why the exec (or its preparation) failed, and die. */
static noreturn void
proc_child_fail(int errfd, int err)
{
	ssize_t r;

	do
		r = write(errfd, &err, sizeof(err));
	while (r == -1 && errno == EINTR);
	_exit(PROC_EXEC_FAILED);
}

/*
 * Give caught signals their default action back, so that nothing of the
 * parent runs in the child once the mask is lifted.  Numbers the C library
 * reserves for itself make sigaction fail and are skipped.
 */
static void
proc_child_signals_reset(void)
{
	struct sigaction sa;
	int s;

	for (s = 1; s < NSIG; s++) {
		if (sigaction(s, NULL, &sa) == -1)
			continue;
		if (sa.sa_handler == SIG_IGN || sa.sa_handler == SIG_DFL)
			continue;
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = 0;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(s, &sa, NULL);
	}
}

static int
proc_dup2(int from, int to)
{
	int r;

	do
		r = dup2(from, to);
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * The child's side.  Every parent descriptor of the table (and the error
 * pipe) is first copied above every child number, so that putting one in
 * place can never overwrite another still to be placed, whatever order
 * or overlap the table has.  dup2 onto the child number then clears
 * close-on-exec on that copy only.
 */
static noreturn void
proc_child(const struct proc_spec *spec, int errfd)
{
	int high[PROC_FDMAP_MAX];
	char *const *argv;
	char *const *envp;
	int minfd = 3;
	sigset_t none;
	size_t i;
	int fd;

	proc_child_signals_reset();
	for (i = 0; i < spec->nfds; i++)
		if (spec->fds[i].child >= minfd)
			minfd = spec->fds[i].child + 1;
	fd = fcntl(errfd, F_DUPFD_CLOEXEC, minfd);
	if (fd == -1)
		proc_child_fail(errfd, errno);
	errfd = fd;
	for (i = 0; i < spec->nfds; i++) {
		high[i] = -1;
		if (spec->fds[i].parent == PROC_FD_CLOSE)
			continue;
		high[i] = fcntl(spec->fds[i].parent, F_DUPFD_CLOEXEC, minfd);
		if (high[i] == -1)
			proc_child_fail(errfd, errno);
	}
	for (i = 0; i < spec->nfds; i++) {
		if (high[i] == -1)
			(void)close(spec->fds[i].child);
		else if (proc_dup2(high[i], spec->fds[i].child) == -1)
			proc_child_fail(errfd, errno);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		proc_child_fail(errfd, errno);
	/* exec's prototypes predate const; it does not modify the strings. */
	argv = (char *const *)spec->argv;
	envp = spec->envp == NULL ? environ : (char *const *)spec->envp;
	if (spec->flags & PROC_SEARCH_PATH)
		execvpe(spec->program, argv, envp);
	else
		execve(spec->program, argv, envp);
	proc_child_fail(errfd, errno);
}

/*
 * Wait for the child's verdict: end of file when the exec closed the
 * pipe, or an errno.  Returns 0 if it ran, else -1 with errno.
 */
static int
proc_exec_result(int fd, pid_t pid)
{
	int err;
	int status;
	ssize_t r;

	do
		r = read(fd, &err, sizeof(err));
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r != (ssize_t)sizeof(err)) {
		/* Cannot tell whether it runs: make sure it does not. */
		err = r == -1 ? errno : EIO;
		(void)kill(pid, SIGKILL);
	}
	(void)proc_wait(pid, &status);
	errno = err;
	return -1;
}

pid_t
proc_spawn(const struct proc_spec *spec)
{
	sigset_t all, old;
	int pipefd[2];
	int saved_errno;
	pid_t pid;

	if (proc_spec_check(spec) == -1)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		return -1;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, &old) == -1)
		goto fail;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		proc_child(spec, pipefd[1]);
	}
	saved_errno = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved_errno;
	if (pid == -1)
		goto fail;
	close(pipefd[1]);
	if (proc_exec_result(pipefd[0], pid) == -1) {
		saved_errno = errno;
		close(pipefd[0]);
		errno = saved_errno;
		return -1;
	}
	close(pipefd[0]);
	return pid;

fail:
	saved_errno = errno;
	close(pipefd[0]);
	close(pipefd[1]);
	errno = saved_errno;
	return -1;
}

pid_t
proc_wait(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, 0);
	while (r == -1 && errno == EINTR);
	return r;
}

pid_t
proc_wait_nohang(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG);
	while (r == -1 && errno == EINTR);
	return r;
}

int
proc_status_exited(int status, int *code)
{
	if (!WIFEXITED(status))
		return 0;
	*code = WEXITSTATUS(status);
	return 1;
}

int
proc_status_signaled(int status, int *signo, int *core)
{
	if (!WIFSIGNALED(status))
		return 0;
	*signo = WTERMSIG(status);
	if (core != NULL)
		*core = WCOREDUMP(status) ? 1 : 0;
	return 1;
}

int
fd_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags == -1)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1 ? -1 : 0;
}

int
fd_inherit(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags == -1)
		return -1;
	if (!(flags & FD_CLOEXEC))
		return 0;
	return fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == -1 ? -1 : 0;
}

int
fd_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ? -1 : 0;
}

int
fd_block(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	if (!(flags & O_NONBLOCK))
		return 0;
	return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ? -1 : 0;
}

int
fd_copy(int to, int from)
{
	if (to == from)
		return fd_inherit(to);
	return proc_dup2(from, to) == -1 ? -1 : 0;
}

int
fd_move(int to, int from)
{
	if (to == from)
		return fd_inherit(to);
	if (proc_dup2(from, to) == -1)
		return -1;
	(void)close(from);
	return 0;
}
