/*
 * except - run a program and reverse its exit code (except(1)).
 *
 * 0 becomes 100, 111 stays 111, anything else becomes 0.  Used in front of
 * a test in a dot-qmail file: "|except grep -q spam" bounces what grep
 * finds.  A program that cannot be started counts as one that failed
 * (exit 0), unless the reason is temporary (111); one killed by a signal
 * gives 111.
 */
#include <errno.h>
#include <string.h>

#include "cmdrun.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	enum cmdrun_how how;
	int code;

	err_setprogname("except");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: except program [ arg ... ]");
	code = cmdrun_run((const char *const *)argv + 1, &how);
	if (how == CMDRUN_NOEXEC)
		log_warn("unable to run %s", argv[1]);
	else if (how == CMDRUN_CRASHED)
		fatalx(EXIT_TEMP, "child crashed");
	if (code == 0)
		return EXIT_PERM;
	if (code == EXIT_TEMP)
		return EXIT_TEMP;
	return EXIT_OK;
}
