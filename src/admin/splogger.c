/*
 * splogger - send lines from stdin to syslog (splogger(8)).
 *
 *	splogger [tag [facility]]
 *
 * Each line read on fd 0 is logged at priority info (or alert, if the
 * line starts with "alert:", warning if it starts with "warning:", as
 * qmail's splogger does) under tag (default "qmail") and facility number
 * facility (default 2, LOG_MAIL; a facility number is the syslog
 * facility code divided by 8), after a prefix with the time: seconds
 * since the epoch, a dot and microseconds ("1700000000.123456 ").  Bytes
 * outside printable ASCII become '?'.  A line is cut into pieces of at
 * most SPLOGGER_LINE bytes.
 *
 * If SPLOGGER_STDOUT is set in the environment the formatted lines go to
 * stdout instead of syslog (used by the tests; not in qmail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "iobuf.h"

#define SPLOGGER_LINE 800
#define FACILITY_MAX 23

static int to_stdout;

static void
emit(const char *tag, const char *line, size_t len)
{
	struct timeval tv;
	char buf[SPLOGGER_LINE + 64];
	int prio = LOG_INFO;
	size_t i;
	int n;

	if (len >= 6 && memcmp(line, "alert:", 6) == 0)
		prio = LOG_ALERT;
	else if (len >= 8 && memcmp(line, "warning:", 8) == 0)
		prio = LOG_WARNING;
	gettimeofday(&tv, NULL);
	n = snprintf(buf, sizeof(buf), "%lld.%06ld ", (long long)tv.tv_sec,
	    (long)tv.tv_usec);
	if (n < 0)
		n = 0;
	for (i = 0; i < len && (size_t)n + 1 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)line[i];

		buf[n++] = (c >= 32 && c < 127) ? (char)c : '?';
	}
	buf[n] = '\0';
	if (to_stdout)
		printf("%s: %s\n", tag, buf);
	else
		syslog(prio, "%s", buf);
}

int
main(int argc, char **argv)
{
	const char *tag = "qmail";
	int facility = 2;
	char inspace[4096];
	struct iobuf in;
	char line[SPLOGGER_LINE];
	size_t len = 0;
	char c;
	int r;

	err_setprogname("splogger");
	if (argc > 1)
		tag = argv[1];
	if (argc > 2) {
		unsigned long long f;

		if (parse_ulong(argv[2], FACILITY_MAX, &f) == -1)
			fatalx(EXIT_PERM, "facility must be 0..%d",
			    FACILITY_MAX);
		facility = (int)f;
	}
	to_stdout = getenv("SPLOGGER_STDOUT") != NULL;
	if (!to_stdout)
		openlog(tag, 0, facility << 3);
	iobuf_init(&in, 0, inspace, sizeof(inspace), -1);
	while ((r = iobuf_getc(&in, &c)) == 1) {
		if (c == '\n') {
			emit(tag, line, len);
			len = 0;
			continue;
		}
		if (len == sizeof(line)) {
			emit(tag, line, len);
			len = 0;
		}
		line[len++] = c;
	}
	if (len > 0)
		emit(tag, line, len);
	if (to_stdout)
		fflush(stdout);
	return r == -1 ? EXIT_TEMP : EXIT_OK;
}
