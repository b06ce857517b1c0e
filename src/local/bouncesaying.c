/*
 * bouncesaying - perhaps bounce each incoming message (bouncesaying(1)).
 *
 * "|bouncesaying error" bounces every message with the text error.
 * "|bouncesaying error program arg ..." first feeds the message to
 * program: if it exits 0 the message is bounced with error, if it exits
 * 111 (or is killed, or cannot be started for a temporary reason) the
 * delivery is retried later, and otherwise (or if it cannot be started at
 * all) bouncesaying exits 0 so the dot-qmail file goes on.
 *
 * The error text goes to stderr, where qmail-local takes it into the
 * bounce; the exit code is qmail-command(8)'s 100.
 */
#include <stdio.h>

#include "cmdrun.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	enum cmdrun_how how;
	int code;

	err_setprogname("bouncesaying");
	if (argc < 2)
		fatalx(EXIT_PERM,
		    "usage: bouncesaying error [ program [ arg ... ] ]");
	if (argc > 2) {
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
	}
	fprintf(stderr, "%s\n", argv[1]);
	return EXIT_PERM;
}
