/*
 * qmail-qstat - how many messages are in the queue.
 *
 * Prints, in qmail's words (scripts match on them):
 *
 *	messages in queue: N
 *	messages in queue but not yet preprocessed: N
 *
 * The first number counts the files in mess/S/ (every message, whatever
 * its state), the second the files in todo/S/ (messages qmail-send has
 * not yet preprocessed).  qmail's qmail-qstat is a shell script over a
 * flat todo/; our todo/ is split like mess/, so a program that reads
 * each subdirectory one entry at a time is both simpler and faster on a
 * large queue, with memory that does not grow with it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "iobuf.h"

/* Room for "queue/todo/SPLIT". */
#define QSTAT_PATH_MAX 48

/*
 * qstat_die_access - "unable to VERB OBJECT: reason" and exit 111; a
 * permission error also says who may read the queue.
 */
static _Noreturn void
qstat_die_access(const char *verb, const char *object)
{
	int e = errno;

	if (e == EACCES || e == EPERM)
		fatalx(EXIT_TEMP,
		    "unable to %s %s: %s (qmail-qstat must be run as root or "
		    "with group id %s)",
		    verb, object, strerror(e),
		    conf_group_names[CONF_GROUP_QMAIL]);
	fatalx(EXIT_TEMP, "unable to %s %s: %s", verb, object, strerror(e));
}

/*
 * qstat_count - the number of entries (other than . and ..) in every
 * subdirectory dir/0 .. dir/SPLIT-1 of the queue.  Every entry counts,
 * as in qmail's script.
 */
static unsigned long long
qstat_count(const char *dir)
{
	char path[QSTAT_PATH_MAX];
	unsigned long long n = 0;
	struct dirent *d;
	unsigned int s;
	DIR *dp;
	int len;

	for (s = 0; s < conf_split; s++) {
		len = snprintf(path, sizeof(path), "queue/%s/%u", dir, s);
		if (len < 0 || (size_t)len >= sizeof(path))
			fatalx(EXIT_TEMP, "internal error: path too long");
		dp = opendir(path + 6);
		if (dp == NULL)
			qstat_die_access("open", path);
		for (;;) {
			errno = 0;
			d = readdir(dp);
			if (d == NULL)
				break;
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			n++;
		}
		if (errno != 0)
			qstat_die_access("read", path);
		closedir(dp);
	}
	return n;
}

static void
qstat_line(struct iobuf *out, const char *label, unsigned long long n)
{
	char num[FMT_ULONG];

	fmt_ulong(num, n);
	if (iobuf_puts(out, label) == -1 || iobuf_puts(out, num) == -1 ||
	    iobuf_puts(out, "\n") == -1)
		fatal(EXIT_TEMP, "unable to write output");
}

int
main(int argc, char **argv)
{
	char space[256];
	struct iobuf out;
	unsigned long long mess;
	unsigned long long todo;

	(void)argc;
	(void)argv;
	err_setprogname("qmail-qstat");
	if (chdir(conf_qmail_home) == -1)
		qstat_die_access("chdir to", conf_qmail_home);
	if (chdir("queue") == -1)
		qstat_die_access("chdir to", "queue");

	/*
	 * todo/ first: a message moves from todo/ to being counted only in
	 * mess/, so counting in this order never shows a message in todo/
	 * that mess/ missed.
	 */
	todo = qstat_count("todo");
	mess = qstat_count("mess");

	iobuf_init(&out, 1, space, sizeof(space), -1);
	qstat_line(&out, "messages in queue: ", mess);
	qstat_line(&out, "messages in queue but not yet preprocessed: ", todo);
	if (iobuf_flush(&out) == -1)
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
