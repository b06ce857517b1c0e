/*
 * maildir2mbox - move the messages of a Maildir into an mbox file
 * (maildir2mbox(1)).
 *
 * $MAILDIR names the Maildir and $MAIL the mbox file.  Every message in
 * new/ and cur/ is appended to $MAIL, oldest first, each after a From_
 * line made of the address in its Return-Path field (MAILER-DAEMON if
 * none) and the time the file was last changed, with "From " lines
 * quoted.  The appending is qmail-local's own (mbox.h): under the same
 * locks a mail reader or a delivery takes, fsynced, and cut back on any
 * failure.  A message is removed from the Maildir only once it is durably
 * in $MAIL, so a failure or a crash can at worst leave a copy in both.
 *
 * qmail copied $MAIL to $MAILTMP and renamed the copy over $MAIL, which
 * loses a message that qmail-local appends to the old file meanwhile;
 * this maildir2mbox appends in place and does not need $MAILTMP (it is
 * accepted and ignored).
 *
 * Like qmail's, it also removes files left in tmp/ for over 36 hours.
 * Every failure exits 111; 0 means every message was moved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "exitcodes.h"
#include "fsync.h"
#include "maildirscan.h"
#include "mbox.h"

/* How long to wait for a mail reader to unlock $MAIL. */
#define M2M_LOCK_SECONDS 60

/* How much of the first line is searched for the Return-Path address. */
#define M2M_FIRSTLINE_MAX 2048

static const char *
m2m_getenv(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fatalx(EXIT_TEMP, "%s not set", name);
	return v;
}

/*
 * m2m_return_path - the address of a first line "Return-Path: <addr>"
 * of the message on fd into sender; "" if there is none.
 */
static void
m2m_return_path(int fd, struct bytes *sender, const char *path)
{
	char line[M2M_FIRSTLINE_MAX];
	ssize_t n;
	size_t i, len;
	const char *lt, *gt;

	bytes_truncate(sender, 0);
	n = pread(fd, line, sizeof(line), 0);
	if (n == -1)
		fatal(EXIT_TEMP, "unable to read %s", path);
	len = (size_t)n;
	if (len < 12 || strncasecmp(line, "Return-Path:", 12) != 0)
		return;
	for (i = 12; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i >= len || line[i] != '<')
		return;
	lt = line + i + 1;
	gt = memchr(lt, '>', len - i - 1);
	if (gt == NULL || memchr(lt, '\n', (size_t)(gt - lt)) != NULL ||
	    memchr(lt, '\0', (size_t)(gt - lt)) != NULL)
		return;
	if (bytes_copy(sender, lt, (size_t)(gt - lt)) == -1 ||
	    bytes_cstr(sender) == NULL)
		fatal(EXIT_TEMP, "unable to read %s", path);
}

/* m2m_move - append one message to mbox, then remove it */
static void
m2m_move(const struct maildirscan_msg *m, const char *mbox)
{
	static char buf[65536];
	struct bytes sender = BYTES_INIT(M2M_FIRSTLINE_MAX + 1);
	struct mbox mb;
	ssize_t n;
	int fd;

	fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return; /* a mail reader took it meanwhile */
		fatal(EXIT_TEMP, "unable to open %s", m->path);
	}
	m2m_return_path(fd, &sender, m->path);
	if (bytes_cstr(&sender) == NULL)
		fatal(EXIT_TEMP, "unable to read %s", m->path);

	if (mbox_open(&mb, mbox, M2M_LOCK_SECONDS) == -1)
		fatal(EXIT_TEMP, "unable to lock %s", mbox);
	if (mbox_begin(&mb, sender.s, m->mtime) == -1) {
		mbox_abort(&mb);
		fatal(EXIT_TEMP, "unable to write %s", mbox);
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			mbox_abort(&mb);
			fatal(EXIT_TEMP, "unable to read %s", m->path);
		}
		if (n == 0)
			break;
		if (mbox_write(&mb, buf, (size_t)n) == -1) {
			mbox_abort(&mb);
			fatal(EXIT_TEMP, "unable to write %s", mbox);
		}
	}
	if (mbox_commit(&mb) == -1)
		fatal(EXIT_TEMP, "unable to write %s", mbox);
	close(fd);
	bytes_free(&sender);
	/* Only now, with the copy durable in mbox, does the original go. */
	if (unlink(m->path) == -1 && errno != ENOENT)
		fatal(EXIT_TEMP, "unable to unlink %s", m->path);
}

int
main(void)
{
	struct maildirscan scan;
	const char *maildir, *mbox;
	char sub[4200];
	size_t i;

	err_setprogname("maildir2mbox");
	maildir = m2m_getenv("MAILDIR");
	mbox = m2m_getenv("MAIL");

	(void)maildirscan_clean_tmp(maildir, time(NULL), MAILDIRSCAN_TMP_AGE);
	if (maildirscan_list(&scan, maildir,
		MAILDIRSCAN_NEW | MAILDIRSCAN_CUR) == -1)
		fatal(EXIT_TEMP, "unable to scan %s", maildir);
	for (i = 0; i < scan.count; i++)
		m2m_move(&scan.msgs[i], mbox);
	if (scan.count > 0) {
		/* Make the removals stick, so a crash does not bring back
		 * many copies; a failure here only risks duplicates. */
		if (strlen(maildir) < sizeof(sub) - 8) {
			memcpy(sub, maildir, strlen(maildir));
			memcpy(sub + strlen(maildir), "/new", 5);
			(void)fsync_dir(sub);
			memcpy(sub + strlen(maildir), "/cur", 5);
			(void)fsync_dir(sub);
		}
	}
	maildirscan_free(&scan);
	return EXIT_OK;
}
