/*
 * proc.h - starting and reaping programs, and descriptor flags.
 *
 * Programs are always run with an explicit argv, never through a shell
 * (DESIGN.md section 7).  proc_spawn takes a small table saying which
 * descriptor the child gets on each chosen number (0, 1, 2 and any
 * others); every other descriptor is the caller's business.  The
 * convention is that callers open everything with O_CLOEXEC (or set it
 * with fd_cloexec), so that a child sees exactly the descriptors its
 * table names and nothing leaks into it.
 *
 * proc_spawn reports a failed exec to the parent through a close-on-exec
 * pipe carrying errno, so "the program could not be started" (-1 with
 * that errno, the child already reaped) is told apart from "the program
 * ran and failed" (a pid, and later an exit status).
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Special values of proc_fdmap.parent. */
#define PROC_FD_CLOSE (-1) /* the child number is closed in the child */

/* Most entries a proc_spawn table may have. */
#define PROC_FDMAP_MAX 16

/* Child descriptor numbers in a table are 0 .. PROC_CHILD_FD_LIMIT - 1. */
#define PROC_CHILD_FD_LIMIT 1024

/*
 * One entry of the descriptor table: the child gets on number child what
 * the parent has open on parent (or nothing, for PROC_FD_CLOSE).  The
 * child's copy is never close-on-exec, whatever the parent's flags are.
 */
struct proc_fdmap {
	int child;
	int parent;
};

/* proc_spec.flags: PROC_SEARCH_PATH looks up a name without '/' in $PATH */
#define PROC_SEARCH_PATH 0x1

/*
 * What to run.  argv must end with NULL and have argv[0].  envp NULL
 * means the caller's environ.  (They are const so that string literals
 * can be passed; exec never writes through them.)  fds/nfds is the
 * descriptor table; numbers not named in it are left as they are in the
 * parent (and so vanish at exec if they are close-on-exec).
 */
struct proc_spec {
	const char *program;
	const char *const *argv;
	const char *const *envp;
	const struct proc_fdmap *fds;
	size_t nfds;
	int flags;
};

/*
 * proc_spawn - fork and exec spec->program.  Returns the child's pid once
 * the exec has succeeded, or -1 with errno: EINVAL for a bad spec (no
 * argv[0], nfds over PROC_FDMAP_MAX, a child number out of range or
 * repeated), EBADF if a parent descriptor in the table is not open, an
 * error of fork/pipe, or the errno of the failed exec (ENOENT, EACCES,
 * ENOEXEC...), in which case the child has already been reaped.  The
 * caller reaps a child that ran, with proc_wait.
 *
 * In the child, every caught signal is reset to its default and the
 * signal mask is emptied before exec; ignored signals stay ignored (as
 * exec keeps them), so call sig_default first if the child must not
 * inherit that.  Signals are blocked in the parent for the duration of the
 * fork so no handler of the caller runs in the child.
 */
pid_t proc_spawn(const struct proc_spec *spec);

/*
 * proc_wait - wait for the child pid (or any child if pid is -1), retrying
 * EINTR.  Returns the pid reaped with its raw status in *status, or -1
 * with errno (ECHILD if there is no such child).
 */
pid_t proc_wait(pid_t pid, int *status);

/*
 * proc_wait_nohang - like proc_wait but never blocks: returns the pid
 * reaped, 0 if no matching child has finished yet, or -1 with errno
 * (ECHILD if there are no matching children at all).
 */
pid_t proc_wait_nohang(pid_t pid, int *status);

/*
 * proc_status_exited - 1 if the status says the child exited, with its
 * exit code (0..255) in *code; 0 otherwise (*code untouched).
 */
int proc_status_exited(int status, int *code);

/*
 * proc_status_signaled - 1 if the status says the child was killed by a
 * signal, with the signal number in *signo and, if core is not NULL,
 * 1 or 0 in *core for whether it dumped core; 0 otherwise (outputs
 * untouched).
 */
int proc_status_signaled(int status, int *signo, int *core);

/* fd_cloexec - set close-on-exec on fd: 0 or -1 */
int fd_cloexec(int fd);

/* fd_inherit - clear close-on-exec on fd: 0 or -1 */
int fd_inherit(int fd);

/* fd_nonblock - set O_NONBLOCK on fd's open file description: 0 or -1 */
int fd_nonblock(int fd);

/* fd_block - clear O_NONBLOCK on fd's open file description: 0 or -1 */
int fd_block(int fd);

/*
 * fd_copy - make to refer to what from refers to (dup2, retrying EINTR),
 * leaving from open; to is not close-on-exec afterwards: 0 or -1.
 */
int fd_copy(int to, int from);

/*
 * fd_move - make to refer to what from refers to and close from; if to ==
 * from only close-on-exec is cleared.  Either way to is not close-on-exec
 * afterwards (fd_move is how a descriptor is handed to a program about to
 * be exec'd).  0 or -1 (from is left open on failure).
 */
int fd_move(int to, int from);

#endif
