/*
 * maildirwatch - show the new mail of a Maildir on a terminal
 * (maildirwatch(1)).
 *
 * Every 30 seconds (twice a minute) maildirwatch clears the window
 * (VT100 escape sequences) and prints a summary of the messages in
 * $MAILDIR/new, oldest first: a count line, then for each message its
 * From and Subject fields.  It runs until it is killed.
 *
 * The summary is safe to show: field values are unfolded, control bytes
 * and escape sequences are printed as '?', each line is cut to the width
 * of a terminal, and only the first MW_HEADER_MAX bytes of a field are
 * kept and the first MW_READ_MAX bytes of a message read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "header.h"
#include "iobuf.h"
#include "maildirscan.h"

/* Seconds between summaries: "twice per minute". */
#define MW_INTERVAL 30

/* Most bytes kept of one header field. */
#define MW_HEADER_MAX 4096

/* Most bytes of one message's header read for a summary. */
#define MW_READ_MAX (256 * 1024)

/* Columns of a summary line. */
#define MW_COLUMNS 79

/* VT100: cursor home, erase the screen. */
#define MW_CLEAR "\033[;H\033[;J"

static char outspace[8192];
static struct iobuf out;

static void
mw_put(const char *s, size_t n)
{
	if (iobuf_write(&out, s, n) == -1)
		fatal(EXIT_TEMP, "unable to write output");
}

static void
mw_puts(const char *s)
{
	mw_put(s, strlen(s));
}

/* mw_show_line - "label value" as one safe line of at most MW_COLUMNS */
static void
mw_show_line(const char *label, const char *v, size_t len)
{
	char line[MW_COLUMNS + 1];
	size_t n = 0, i;
	int space = 0;

	for (i = 0; label[i] && n < MW_COLUMNS; i++)
		line[n++] = label[i];
	for (i = 0; i < len && (v[i] == ' ' || v[i] == '\t'); i++)
		;
	for (; i < len && n < MW_COLUMNS; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\n' || c == ' ' || c == '\t') {
			space = 1; /* unfold: runs of white space become one */
			continue;
		}
		if (space && n < MW_COLUMNS)
			line[n++] = ' ';
		space = 0;
		if (n < MW_COLUMNS)
			line[n++] = (c < 32 || c == 127) ? '?' : (char)c;
	}
	line[n++] = '\n';
	mw_put(line, n);
}

/* mw_show_msg - the From and Subject of one message */
static void
mw_show_msg(const struct maildirscan_msg *m)
{
	static char space[8192];
	struct bytes from = BYTES_INIT(MW_HEADER_MAX);
	struct bytes subject = BYTES_INIT(MW_HEADER_MAX);
	struct bytes field = BYTES_INIT(MW_HEADER_MAX);
	struct iobuf in;
	size_t v, budget = MW_READ_MAX;
	int fd, r, cut;

	fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return; /* read or removed meanwhile */
	iobuf_init(&in, fd, space, sizeof(space), -1);
	while ((r = header_field_read(&in, &field, &cut, &budget)) == 1) {
		if (from.len == 0 &&
		    (v = header_field_value(field.s, field.len, "From")) != 0)
			(void)bytes_copy(&from, field.s + v, field.len - v);
		else if (subject.len == 0 &&
		    (v = header_field_value(field.s, field.len, "Subject")) !=
			0)
			(void)bytes_copy(&subject, field.s + v, field.len - v);
	}
	close(fd);
	mw_show_line("From: ", from.s ? from.s : "", from.len);
	mw_show_line("Subject: ", subject.s ? subject.s : "", subject.len);
	mw_puts("\n");
	bytes_free(&from);
	bytes_free(&subject);
	bytes_free(&field);
}

static void
mw_summary(const char *maildir)
{
	struct maildirscan scan;
	char num[FMT_ULONG];
	size_t i;

	if (maildirscan_list(&scan, maildir, MAILDIRSCAN_NEW) == -1)
		fatal(EXIT_TEMP, "unable to scan %s", maildir);
	mw_puts(MW_CLEAR);
	fmt_ulong(num, scan.count);
	mw_puts(num);
	mw_puts(scan.count == 1 ? " new message\n\n" : " new messages\n\n");
	for (i = 0; i < scan.count; i++)
		mw_show_msg(&scan.msgs[i]);
	maildirscan_free(&scan);
	if (iobuf_flush(&out) == -1)
		fatal(EXIT_TEMP, "unable to write output");
}

int
main(void)
{
	const char *maildir;

	err_setprogname("maildirwatch");
	maildir = getenv("MAILDIR");
	if (maildir == NULL || *maildir == '\0')
		fatalx(EXIT_TEMP, "MAILDIR not set");
	iobuf_init(&out, 1, outspace, sizeof(outspace), -1);
	for (;;) {
		mw_summary(maildir);
		sleep(MW_INTERVAL);
	}
}
