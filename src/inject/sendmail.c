/*
 * sendmail - the Sendmail-compatible front end to qmail-inject.
 *
 * Programs that know only "sendmail" call it with sendmail's options;
 * this program maps the few that mean something to qmail-inject options
 * (or to qmail-smtpd / qmail-qread for -bs / -bp), accepts and ignores
 * the rest that sendmail's callers commonly pass, rejects anything else
 * with a usage message, and execs the qmail program with an explicit
 * argv.  It never reads the message itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "exitcodes.h"

/* Most arguments we build for qmail-inject besides the recipients. */
#define SENDMAIL_FIXED_ARGS 8

static void
usage(void)
{
	fatalx(EXIT_PERM,
	    "usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] "
	    "[ arg ... ]");
}

/* run - exec QMAILHOME/bin/name with argv; only returns by dying */
static void
run(const char *name, char **argv)
{
	char path[4096];
	int n;

	n = snprintf(path, sizeof(path), "%s/bin/%s", conf_qmail_home, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		fatalx(EXIT_TEMP, "unable to run %s: path too long", name);
	execv(path, argv);
	fatal(EXIT_TEMP, "unable to run %s", path);
}

int
main(int argc, char **argv)
{
	char *sender = NULL;
	int flagh = 0;
	int opt;
	char **args;
	size_t n = 0;
	int i;
	char *one[2];
	static char s_qread[] = "qmail-qread", s_smtpd[] = "qmail-smtpd",
		    s_inject[] = "qmail-inject", s_H[] = "-H", s_a[] = "-a",
		    s_f[] = "-f", s_dashdash[] = "--";

	err_setprogname("sendmail");
	/* sendmail's own options that qmail honours or ignores; -N, -R and
	 * -X (DSN, return, log file) and -e -p -o -B take an argument */
	opterr = 0;
	while ((opt = getopt(argc, argv, "vimtEJxe:f:r:p:o:B:F:b:N:R:X:")) !=
	    -1) {
		switch (opt) {
		case 't': flagh = 1; break;
		case 'f':
		case 'r': sender = optarg; break;
		case 'F':
			if (setenv("QMAILNAME", optarg, 1) == -1)
				fatal(EXIT_TEMP, "unable to set QMAILNAME");
			break;
		case 'b':
			switch (optarg[0]) {
			case 'm':
				if (optarg[1] != '\0')
					usage();
				break;
			case 'p':
				if (optarg[1] != '\0')
					usage();
				one[0] = s_qread;
				one[1] = NULL;
				run("qmail-qread", one);
				break;
			case 's':
				if (optarg[1] != '\0')
					usage();
				one[0] = s_smtpd;
				one[1] = NULL;
				run("qmail-smtpd", one);
				break;
			default: usage();
			}
			break;
		case 'v': case 'i': case 'm': case 'E': case 'J': case 'x':
		case 'e': case 'p': case 'o': case 'B': case 'N': case 'R':
		case 'X':
			break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((size_t)argc > ((size_t)-1) / sizeof(char *) - SENDMAIL_FIXED_ARGS)
		fatalx(EXIT_PERM, "too many arguments");
	args = calloc((size_t)argc + SENDMAIL_FIXED_ARGS, sizeof(char *));
	if (args == NULL)
		fatal(EXIT_TEMP, "unable to allocate memory");
	args[n++] = s_inject;
	args[n++] = flagh ? s_H : s_a;
	if (sender != NULL) {
		args[n++] = s_f;
		args[n++] = sender;
	}
	args[n++] = s_dashdash;
	for (i = 0; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	run("qmail-inject", args);
	return EXIT_TEMP;
}
