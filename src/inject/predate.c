/*
 * predate - run a program with a Date: line put before its input.
 *
 *	predate child [ arg ... ]
 *
 * The child (looked up in $PATH) reads "Date: <now, local time zone>"
 * and then predate's own standard input, through a pipe.  predate exits
 * with the child's exit code, or 111 if it could not run it or the child
 * died of a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "date822.h"
#include "err.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "proc.h"

int
main(int argc, char **argv)
{
	static char inspace[65536];
	static char outspace[65536];
	struct iobuf in, out;
	struct proc_fdmap fds[1];
	struct proc_spec spec;
	char date[DATE822_MAX];
	int pi[2];
	int status, code, signo;
	int writing = 1;
	ssize_t got;
	pid_t pid;

	err_setprogname("predate");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: predate child");
	if (date822_local(date, time(NULL)) == 0)
		fatalx(EXIT_TEMP, "unable to convert the time");
	if (pipe2(pi, O_CLOEXEC) == -1)
		fatal(EXIT_TEMP, "unable to create pipe");
	fds[0].child = 0;
	fds[0].parent = pi[0];
	memset(&spec, 0, sizeof(spec));
	spec.program = argv[1];
	spec.argv = (const char *const *)(argv + 1);
	spec.fds = fds;
	spec.nfds = 1;
	spec.flags = PROC_SEARCH_PATH;
	pid = proc_spawn(&spec);
	if (pid == -1)
		fatal(EXIT_TEMP, "unable to run %s", argv[1]);
	close(pi[0]);
	signal(SIGPIPE, SIG_IGN);

	/* a child that stops reading early is its own business: keep
	 * reading our input so our writer is not hurt, but write no more */
	iobuf_init(&out, pi[1], outspace, sizeof(outspace), -1);
	iobuf_init(&in, 0, inspace, sizeof(inspace), -1);
	if (iobuf_puts(&out, "Date: ") == -1 || iobuf_puts(&out, date) == -1 ||
	    iobuf_puts(&out, "\n") == -1)
		writing = 0;
	for (;;) {
		got = iobuf_fill(&in);
		if (got == -1)
			fatal(EXIT_TEMP, "unable to read input");
		if (got == 0)
			break;
		if (writing &&
		    iobuf_write(&out, iobuf_peek(&in), (size_t)got) == -1)
			writing = 0;
		iobuf_skip(&in, (size_t)got);
	}
	if (writing)
		(void)iobuf_flush(&out);
	close(pi[1]);
	if (proc_wait(pid, &status) == -1)
		fatal(EXIT_TEMP, "unable to wait for %s", argv[1]);
	if (proc_status_exited(status, &code))
		return code;
	if (proc_status_signaled(status, &signo, NULL))
		fatalx(EXIT_TEMP, "%s crashed (signal %d)", argv[1], signo);
	return EXIT_TEMP;
}
