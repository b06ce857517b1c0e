/*
 * maildir.h - deliver one message into a Maildir (maildir(5)).
 *
 * A delivery is: maildir_create() makes a new, uniquely named file in
 * DIR/tmp/ and gives back a descriptor; the caller writes the message
 * to it (checking every write); maildir_commit() fsyncs and closes the
 * file, links it into DIR/new/ under the same unique name, unlinks the
 * tmp/ name and fsyncs DIR/new/ (DESIGN.md section 3).  Only when
 * maildir_commit() returns 0 is the message delivered: before that
 * instant no name for it exists in new/, so a reader never sees a partial
 * message, whatever happens to the delivering process.  maildir_abort()
 * gives up and removes the tmp/ file.
 *
 * Unique names follow today's maildir convention:
 *
 *	SECONDS.MMICROSECONDSPPIDQSEQUENCE.HOST
 *
 * e.g. "1700000000.M123456P4242Q1.mail.example.org", where SEQUENCE
 * counts the deliveries this process has made (from 1) and HOST is the
 * host name with every '/' written as "\057" and every ':' as "\072" (so
 * that the name stays one path component and leaves ':' to the info
 * part readers add in cur/).  A backslash, a space and any byte that is
 * not printable ASCII is written as a backslash and three octal digits
 * too; a host name that cannot be found is "localhost".
 *
 * The library never prints or exits: every function returns 0 or -1
 * with errno.
 */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <stddef.h>
#include <sys/types.h>

/* Room for a unique name (with its NUL). */
#define MAILDIR_NAME_MAX 256

/* Most bytes of the directory path a delivery accepts (ENAMETOOLONG). */
#define MAILDIR_PATH_MAX 4096

struct maildir_msg {
	int fd;				/* the tmp/ file, open for writing */
	char name[MAILDIR_NAME_MAX];	/* the unique name */
	char *tmppath;			/* DIR/tmp/NAME (owned) */
	char *newpath;			/* DIR/new/NAME (owned) */
	char *newdir;			/* DIR/new (owned) */
};

/*
 * maildir_name_make - write the unique name for the given time, pid,
 * sequence number and host name (escaped as above) into
 * name[0..MAILDIR_NAME_MAX) with a NUL; a host name that would make the
 * name too long is cut at a whole escaped character.  0, or -1 with
 * EINVAL if host is NULL or empty.
 */
int maildir_name_make(char name[MAILDIR_NAME_MAX], unsigned long long sec,
    unsigned long usec, unsigned long long pid, unsigned long long seq,
    const char *host);

/*
 * maildir_create - make a new file DIR/tmp/UNIQUE (mode 0600, O_EXCL,
 * close-on-exec) for a message; m->fd is its descriptor.  A name clash
 * (EEXIST) is retried a few times with a new name.  dir may be relative
 * (to the current directory); a trailing '/' is allowed.  0, or -1 with
 * errno (ENAMETOOLONG, ENOMEM, or that of open(2): ENOENT when DIR/tmp
 * does not exist ...); on failure nothing is left behind.
 */
int maildir_create(struct maildir_msg *m, const char *dir);

/*
 * maildir_commit - fsync and close m->fd, link DIR/tmp/UNIQUE to
 * DIR/new/UNIQUE, unlink the tmp/ name, fsync DIR/new.  0 when the
 * message is durably delivered; -1 with errno otherwise, in which case
 * the tmp/ file and, if it was made, the new/ link are removed again
 * (a failed fsync of new/ is a failure too: the caller must report a
 * temporary error and must not count the message as delivered).  m is
 * released either way.
 */
int maildir_commit(struct maildir_msg *m);

/*
 * maildir_abort - close m->fd, remove the tmp/ file and release m.
 * Keeps errno.  Safe after maildir_create failed or on a released m.
 */
void maildir_abort(struct maildir_msg *m);

#endif
