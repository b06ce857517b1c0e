/*
 * mbox.h - append one message to an mbox file (mbox(5)), safely.
 *
 * A delivery is:
 *
 *	struct mbox mb;
 *	mbox_open(&mb, path, timeout_seconds);   lock, remember the size
 *	mbox_begin(&mb, sender, time(NULL));      the "From " line
 *	mbox_write(&mb, p, n); ...                the message, quoted
 *	mbox_commit(&mb);                         end, fsync, unlock, close
 *   or	mbox_abort(&mb);                          truncate back, unlock, close
 *
 * Locking: the file is opened for appending (created with mode 0600 if
 * missing) and locked with both an flock(2) lock (what qmail-local and
 * BSD mailers take) and a whole-file fcntl OFD write lock (which
 * conflicts with the POSIX fcntl/lockf locks most mail readers take).
 * The wait is bounded by timeout_seconds (ETIMEDOUT).
 *
 * Format: the message is preceded by the line
 * "From SENDER DAY MON DD HH:MM:SS YYYY\n" (the date in UTC, in the
 * asctime layout; an empty sender is written as MAILER-DAEMON) and every
 * line of the message that starts with "From " after any number of '>'
 * characters gets one more '>' in front (">From " quoting in the mboxrd
 * manner, the same rule as qmail-local's; a reader that strips one '>'
 * gets the original back).  If the message does not end with a newline
 * one is added; then one blank line ends the message.
 *
 * Errors: on any failure, and in mbox_abort, the file is truncated back
 * to the size it had when it was locked, so a failed delivery leaves the
 * mbox exactly as it was.
 *
 * Torn deliveries: a process killed outright (SIGKILL, a crash) cannot
 * truncate.  So before appending, mbox_open records the starting size in
 * the extended attribute "user.mbox.pending" of the file (when the file
 * system supports user xattrs), and mbox_commit removes it after the
 * fsync.  The next mbox_open that finds the attribute (under the lock)
 * truncates the file back to the recorded size before appending - but
 * only if what lies past that size is exactly one message of ours (it
 * starts with "From " and holds no other unquoted "From " line), so a
 * message another program appended after the torn one is never cut.  A
 * torn message is thus visible only until the next delivery (or
 * mbox_repair).  Without xattr support the file is as safe as qmail
 * makes it.  (A kill after the fsync but before the mark is removed cuts
 * a complete message the caller never reported delivered: it is retried,
 * so this trades a duplicate for nothing lost.)
 *
 * The library never prints or exits: every function returns 0 or -1
 * with errno.  A struct mbox needs no cleanup after a failed mbox_open.
 */
#ifndef MBOX_H
#define MBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "bytes.h"
#include "iobuf.h"

/* The extended attribute that marks an append in progress. */
#define MBOX_PENDING_XATTR "user.mbox.pending"

struct mbox {
	int fd;
	off_t start;	  /* the size when locked: where our message begins */
	int failed;	  /* a write failed: commit must fail */
	int at_line_start; /* quoting state: the next byte starts a line */
	size_t gt;	  /* '>' characters seen at the start of this line */
	size_t matched;	  /* bytes of "From " matched after them */
	int last_nl;	  /* the last message byte written was '\n' */
	int wrote_any;	  /* at least one message byte was written */
	struct iobuf out;
	char space[16384];
};

/*
 * mbox_open - open path for reading and appending (O_CREAT, mode 0600;
 * O_NOFOLLOW is not used: a mailbox may be a symbolic link), lock it as above
 * waiting at most timeout_seconds (0: do not wait), repair a torn tail
 * left by a killed delivery, and remember the size.  0, or -1 with errno
 * (ETIMEDOUT when the lock could not be had in time, or that of
 * open/fstat/ftruncate/fsync).
 */
int mbox_open(struct mbox *mb, const char *path, unsigned int timeout_seconds);

/*
 * mbox_begin - write the "From " line for sender ("" for the null
 * sender, written as MAILER-DAEMON; spaces, tabs, CR and LF in it are
 * written as '-' so the line stays one parseable line) dated when.
 * 0 or -1.
 */
int mbox_begin(struct mbox *mb, const char *sender, time_t when);

/*
 * mbox_from_line - append to out the "From " line mbox_begin writes for
 * sender and when (with its newline): what qmail-local exports as UFLINE.
 * 0 or -1 (from bytes_append; out is unchanged then).
 */
int mbox_from_line(struct bytes *out, const char *sender, time_t when);

/*
 * mbox_write - append message bytes p[0..n), quoting "From " lines;
 * may be called any number of times with arbitrary splits of the
 * message.  0 or -1; a failure is also remembered for mbox_commit.
 */
int mbox_write(struct mbox *mb, const void *p, size_t n);

/*
 * mbox_commit - end the message (newline if missing, one blank line),
 * flush, fsync, remove the pending mark, unlock and close.  0 when the
 * message is durably appended; -1 with errno otherwise, in which case the
 * file has been truncated back to its starting size (as by mbox_abort) -
 * except when only the final close(2) fails, after the fsync: then the
 * message stays (a retry may deliver it twice, never lose it).
 */
int mbox_commit(struct mbox *mb);

/*
 * mbox_abort - truncate back to the starting size, unlock and close.
 * Keeps errno.
 */
void mbox_abort(struct mbox *mb);

/*
 * mbox_repair - lock path (waiting at most timeout_seconds), truncate a
 * torn tail left by a killed delivery if there is one, unlock.  1 if a
 * tail was cut, 0 if there was nothing to do (or no such file), -1 with
 * errno.
 */
int mbox_repair(const char *path, unsigned int timeout_seconds);

#endif
