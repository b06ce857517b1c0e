/*
 * cmdrun.h - run a helper program and judge how it ended, the way the
 * qmail delivery helpers (condredirect, bouncesaying, except, preline) do.
 *
 * The program is run with an explicit argv, never through a shell; a name
 * without '/' is looked up in $PATH.  A program that cannot be started at
 * all is judged like one that ran and failed: temporarily (111) when the
 * reason may go away by itself (out of memory, too many processes or
 * files, a busy text file, an I/O error), permanently (100) otherwise
 * (no such file, permission denied, not an executable ...).
 */
#ifndef CMDRUN_H
#define CMDRUN_H

#include <sys/types.h>

/* How a program run by cmdrun ended. */
enum cmdrun_how {
	CMDRUN_EXITED,	/* it ran and exited: the code is its exit code */
	CMDRUN_NOEXEC,	/* it could not be started: 111 or 100, errno set */
	CMDRUN_CRASHED	/* it was killed by a signal: the code is 111 */
};

/* cmdrun_errno_temporary - 1 if errno value e is worth retrying later */
int cmdrun_errno_temporary(int e);

/*
 * cmdrun_start - start argv[0] with argv; it is given stdin_fd as its
 * descriptor 0 (or the caller's descriptor 0 when stdin_fd is -1) and the
 * caller's descriptors 1 and 2 and environment.  Returns the pid, or -1
 * with errno when it could not be started (already reaped).
 */
pid_t cmdrun_start(const char *const *argv, int stdin_fd);

/*
 * cmdrun_finish - wait for pid and return its exit code (0..255), or 111
 * with *how CMDRUN_CRASHED if it died of a signal or could not be
 * waited for.  *how is CMDRUN_EXITED otherwise.
 */
int cmdrun_finish(pid_t pid, enum cmdrun_how *how);

/*
 * cmdrun_run - cmdrun_start (with the caller's descriptor 0) and
 * cmdrun_finish in one: the exit code, or 111/100 with *how
 * CMDRUN_NOEXEC and errno set when the program could not be started.
 */
int cmdrun_run(const char *const *argv, enum cmdrun_how *how);

#endif
