/*
 * condredirect - perhaps redirect mail to another address
 * (condredirect(1)).
 *
 * "|condredirect newaddress program arg ..." feeds the message to
 * program.  If it exits 0, the message is queued again for newaddress
 * (with $DTLINE in front and the original envelope sender $SENDER, as a
 * redirection keeps the sender) and condredirect exits 99, so the rest of
 * the dot-qmail file is skipped.  If program exits 111 (or is killed, or
 * cannot be started for a temporary reason) condredirect exits 111;
 * otherwise it exits 0 and the dot-qmail file goes on.
 *
 * The message must be on a seekable stdin (qmail-local gives a file): it
 * is read again from the start after program has read it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmdrun.h"
#include "err.h"
#include "exitcodes.h"
#include "qqueue.h"
#include "sig.h"

/* qmail-command(8): stop processing the dot-qmail file, successfully. */
#define EXIT_STOP 99

int
main(int argc, char **argv)
{
	enum cmdrun_how how;
	struct qqueue q;
	const char *sender, *dtline, *report;
	long pid;
	int code;

	err_setprogname("condredirect");
	if (argc < 3)
		fatalx(EXIT_PERM,
		    "usage: condredirect newaddress program [ arg ... ]");

	code = cmdrun_run((const char *const *)argv + 2, &how);
	if (how == CMDRUN_CRASHED)
		fatalx(EXIT_TEMP, "child crashed");
	if (how == CMDRUN_NOEXEC)
		log_warn("unable to run %s", argv[2]);
	if (code == EXIT_TEMP) {
		if (how == CMDRUN_EXITED)
			fatalx(EXIT_TEMP, "temporary child error");
		return EXIT_TEMP;
	}
	if (code != 0)
		return EXIT_OK;

	if (lseek(0, 0, SEEK_SET) == -1)
		fatal(EXIT_TEMP, "unable to rewind message");
	sender = getenv("SENDER");
	if (sender == NULL)
		fatalx(EXIT_PERM, "SENDER not set");
	dtline = getenv("DTLINE");
	if (dtline == NULL)
		fatalx(EXIT_PERM, "DTLINE not set");
	if (sig_ignore(SIGPIPE) == -1)
		fatal(EXIT_TEMP, "unable to ignore SIGPIPE");

	if (qqueue_open(&q, NULL) == -1)
		fatal(EXIT_TEMP, "unable to run qmail-queue");
	pid = (long)q.pid;
	qqueue_puts(&q, dtline);
	if (qqueue_put_fd(&q, 0) == -1) {
		(void)qqueue_close(&q);
		fatal(EXIT_TEMP, "unable to read message");
	}
	qqueue_from(&q, sender);
	qqueue_to(&q, argv[1]);
	code = qqueue_close(&q);
	if (code != 0) {
		report = qqueue_strerror(code);
		fatalx(report[0] == 'D' ? EXIT_PERM : EXIT_TEMP, "%s",
		    report + 1);
	}
	fprintf(stderr, "condredirect: qp %ld\n", pid);
	return EXIT_STOP;
}
