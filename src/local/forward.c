/*
 * forward - forward each new message to the addresses given (forward(1)).
 *
 * Run from a dot-qmail file as "|forward address ...": the message on
 * stdin is queued again, with $DTLINE (the Delivered-To line qmail-local
 * made) in front, from the envelope sender $NEWSENDER to each address.
 * That is what listing the addresses in the dot-qmail file does, but the
 * addresses may be built by the command line.
 *
 * Exit codes are qmail-command(8)'s: 0 queued, 100 permanent failure
 * (no address, $NEWSENDER or $DTLINE missing, qmail-queue refused it
 * permanently), 111 temporary failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "exitcodes.h"
#include "qqueue.h"
#include "sig.h"

int
main(int argc, char **argv)
{
	struct qqueue q;
	const char *sender, *dtline, *report;
	long pid;
	int code, i;

	err_setprogname("forward");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: forward address [ address ... ]");
	sender = getenv("NEWSENDER");
	if (sender == NULL)
		fatalx(EXIT_PERM, "NEWSENDER not set");
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
	for (i = 1; i < argc; i++)
		qqueue_to(&q, argv[i]);
	code = qqueue_close(&q);
	if (code != 0) {
		report = qqueue_strerror(code);
		fatalx(report[0] == 'D' ? EXIT_PERM : EXIT_TEMP, "%s",
		    report + 1);
	}
	fprintf(stderr, "forward: qp %ld\n", pid);
	return EXIT_OK;
}
