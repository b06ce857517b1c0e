/*
 * preline - prepend the mailbox lines to a message and feed it to a
 * program (preline(1)).
 *
 * "|preline command arg ..." runs command (explicit argv, looked up in
 * $PATH, no shell) with the message on its stdin, preceded by $UFLINE
 * (the UUCP-style From_ line), $RPLINE (Return-Path) and $DTLINE
 * (Delivered-To) as qmail-local sets them, for programs such as procmail
 * that do not read qmail-command(8)'s environment.
 *
 *	-f  leave out the From_ line      -F  put it back
 *	-r  leave out the Return-Path     -R  put it back
 *	-d  leave out the Delivered-To    -D  put it back
 *
 * preline exits with command's exit code, so qmail-local reads it as the
 * command's; 111 if command is killed, cannot be started for a temporary
 * reason, or stops reading before the end of the message; 100 if it
 * cannot be started at all or the environment lacks a line it needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdrun.h"
#include "err.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "sig.h"

static noreturn void
preline_usage(void)
{
	fatalx(EXIT_PERM, "usage: preline [ -frdFRD ] command [ arg ... ]");
}

/* preline_getenv - the value of name, which must be set */
static const char *
preline_getenv(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL)
		fatalx(EXIT_PERM, "%s not set", name);
	return v;
}

/* preline_feed - the lines, then stdin, into out; 0, or -1 with errno */
static int
preline_feed(struct iobuf *out, const char *uf, const char *rp,
    const char *dt)
{
	static char space[16384];
	struct iobuf in;
	ssize_t n;

	if ((uf && iobuf_puts(out, uf) == -1) ||
	    (rp && iobuf_puts(out, rp) == -1) ||
	    (dt && iobuf_puts(out, dt) == -1))
		return -1;
	iobuf_init(&in, 0, space, sizeof(space), -1);
	for (;;) {
		n = iobuf_fill(&in);
		if (n == -1)
			return -1;
		if (n == 0)
			return iobuf_flush(out);
		if (iobuf_write(out, iobuf_peek(&in), (size_t)n) == -1)
			return -1;
		iobuf_skip(&in, (size_t)n);
	}
}

int
main(int argc, char **argv)
{
	static char space[16384];
	int want_uf = 1, want_rp = 1, want_dt = 1;
	const char *uf = NULL, *rp = NULL, *dt = NULL;
	enum cmdrun_how how;
	struct iobuf out;
	int pipefd[2], opt, code, fed, saved;
	pid_t pid;

	err_setprogname("preline");
	while ((opt = getopt(argc, argv, "+frdFRD")) != -1) {
		switch (opt) {
		case 'f': want_uf = 0; break;
		case 'F': want_uf = 1; break;
		case 'r': want_rp = 0; break;
		case 'R': want_rp = 1; break;
		case 'd': want_dt = 0; break;
		case 'D': want_dt = 1; break;
		default: preline_usage();
		}
	}
	argv += optind;
	if (argv[0] == NULL)
		preline_usage();
	if (want_uf)
		uf = preline_getenv("UFLINE");
	if (want_rp)
		rp = preline_getenv("RPLINE");
	if (want_dt)
		dt = preline_getenv("DTLINE");

	if (sig_ignore(SIGPIPE) == -1)
		fatal(EXIT_TEMP, "unable to ignore SIGPIPE");
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		fatal(EXIT_TEMP, "unable to create pipe");
	pid = cmdrun_start((const char *const *)argv, pipefd[0]);
	if (pid == -1)
		fatal(cmdrun_errno_temporary(errno) ? EXIT_TEMP : EXIT_PERM,
		    "unable to run %s", argv[0]);
	close(pipefd[0]);

	iobuf_init(&out, pipefd[1], space, sizeof(space), -1);
	fed = preline_feed(&out, uf, rp, dt);
	saved = errno;
	close(pipefd[1]);
	code = cmdrun_finish(pid, &how);
	if (how == CMDRUN_CRASHED)
		fatalx(EXIT_TEMP, "child crashed");
	if (fed == -1) {
		errno = saved;
		fatal(EXIT_TEMP, "unable to copy input");
	}
	return code;
}
