/*
 * cmdrun.c - run a helper program and judge how it ended, see cmdrun.h.
 */
#include <errno.h>
#include <string.h>

#include "cmdrun.h"
#include "exitcodes.h"
#include "proc.h"

int
cmdrun_errno_temporary(int e)
{
	switch (e) {
	case EINTR:
	case ENOMEM:
	case EAGAIN:
	case ETXTBSY:
	case EIO:
	case ENFILE:
	case EMFILE:
	case ETIMEDOUT:
	case ENOSPC:
	case EDQUOT:
	case ENOBUFS:
	case ESTALE:
		return 1;
	default:
		return 0;
	}
}

pid_t
cmdrun_start(const char *const *argv, int stdin_fd)
{
	struct proc_spec spec;
	struct proc_fdmap fds[1];

	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.program = argv[0];
	spec.argv = argv;
	spec.flags = PROC_SEARCH_PATH;
	if (stdin_fd != -1) {
		fds[0].child = 0;
		fds[0].parent = stdin_fd;
		spec.fds = fds;
		spec.nfds = 1;
	}
	return proc_spawn(&spec);
}

int
cmdrun_finish(pid_t pid, enum cmdrun_how *how)
{
	int status, code;

	*how = CMDRUN_CRASHED;
	if (proc_wait(pid, &status) == -1)
		return EXIT_TEMP;
	if (!proc_status_exited(status, &code))
		return EXIT_TEMP;
	*how = CMDRUN_EXITED;
	return code;
}

int
cmdrun_run(const char *const *argv, enum cmdrun_how *how)
{
	pid_t pid;

	pid = cmdrun_start(argv, -1);
	if (pid == -1) {
		*how = CMDRUN_NOEXEC;
		return cmdrun_errno_temporary(errno) ? EXIT_TEMP : EXIT_PERM;
	}
	return cmdrun_finish(pid, how);
}
