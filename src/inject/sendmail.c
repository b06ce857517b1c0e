/*
 * sendmail - the Sendmail-compatible front end to qmail-inject.
 *
 * Programs that know only "sendmail" call it with sendmail's options;
 * this program maps the few that mean something to qmail-inject options
 * (or to qmail-smtpd / qmail-qread for -bs / -bp), accepts and ignores
 * the rest that sendmail's callers commonly pass, rejects anything else
 * with a usage message, and execs the qmail program with an explicit
 * argv.  It never reads the message itself.  An envelope address (-f,
 * -r, a recipient) holding CR, LF or NUL is refused here already, as
 * qmail-inject refuses it.
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

/* refuse_line_break - no envelope address may hold CR or LF (argv
 * strings cannot hold NUL); exit 100 before anything runs */
static void
refuse_line_break(const char *what, const char *value)
{
	if (strpbrk(value, "\r\n") != NULL)
		fatalx(EXIT_PERM,
		    "unable to accept %s: an address may not hold CR, LF or "
		    "NUL", what);
}

/* setenv_or_die - one variable of the -bs environment */
static void
setenv_or_die(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		fatal(EXIT_TEMP, "unable to set %s", name);
}

/*
 * smtpd_environment - sendmail -bs is a local user speaking SMTP: when
 * PROTO is unset (not run by tcpserver or tcp-env), give qmail-smtpd
 * the environment qmail's sendmail gives it, a trusted client on the
 * loopback that may relay (RELAYCLIENT empty) with no size limit.
 * When PROTO is set the environment is left alone.
 */
static void
smtpd_environment(void)
{
	if (getenv("PROTO") != NULL)
		return;
	setenv_or_die("RELAYCLIENT", "");
	setenv_or_die("DATABYTES", "0");
	setenv_or_die("PROTO", "TCP");
	setenv_or_die("TCPLOCALIP", "127.0.0.1");
	setenv_or_die("TCPLOCALHOST", "localhost");
	setenv_or_die("TCPREMOTEIP", "127.0.0.1");
	setenv_or_die("TCPREMOTEHOST", "localhost");
	setenv_or_die("TCPREMOTEINFO", "sendmail-bs");
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
		case 'r':
			refuse_line_break("-f sender", optarg);
			sender = optarg;
			break;
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
				smtpd_environment();
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
	for (i = 0; i < argc; i++) {
		refuse_line_break("recipient argument", argv[i]);
		args[n++] = argv[i];
	}
	args[n] = NULL;
	run("qmail-inject", args);
	return EXIT_TEMP;
}
