/*
 * maildirscan.h - list the messages of a Maildir (maildir(5)), oldest
 * first, for the programs that read one (maildir2mbox, maildirwatch).
 *
 * A message is a regular file in new/ or cur/ whose name does not start
 * with a dot; anything else there (subdirectories, symbolic links,
 * sockets, dot-files) is not a message and is left alone.  Messages are
 * ordered by the number of seconds their unique name starts with (a name
 * without one counts as 0), then by name, so the order is that of
 * delivery and is the same on every run.
 *
 * Memory is bounded: at most MAILDIRSCAN_MAX messages are listed; a
 * Maildir with more fails with E2BIG.  The library never prints or exits.
 */
#ifndef MAILDIRSCAN_H
#define MAILDIRSCAN_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Most messages one scan lists. */
#define MAILDIRSCAN_MAX 1000000

/* Which subdirectories maildirscan_list reads. */
#define MAILDIRSCAN_NEW 0x1
#define MAILDIRSCAN_CUR 0x2

/* How old a tmp/ file must be before maildirscan_clean_tmp removes it. */
#define MAILDIRSCAN_TMP_AGE (36 * 60 * 60)

struct maildirscan_msg {
	char *path;		   /* DIR/new/NAME or DIR/cur/NAME (owned) */
	const char *name;	   /* NAME, inside path */
	unsigned long long stamp;  /* the seconds NAME starts with, or 0 */
	time_t mtime;		   /* the file's modification time */
	off_t size;		   /* the file's size */
};

struct maildirscan {
	struct maildirscan_msg *msgs;
	size_t count;
	size_t cap;
};

/*
 * maildirscan_list - fill s (which need not be initialised) with the
 * messages of dir's subdirectories chosen by flags, sorted as above.
 * 0, or -1 with errno (that of opendir/readdir/fstatat: ENOENT when a
 * subdirectory is missing; E2BIG past MAILDIRSCAN_MAX; ENAMETOOLONG;
 * ENOMEM), s empty then.  A file that vanishes during the scan is skipped.
 */
int maildirscan_list(struct maildirscan *s, const char *dir, int flags);

/* maildirscan_free - release what maildirscan_list made; s is empty */
void maildirscan_free(struct maildirscan *s);

/*
 * maildirscan_clean_tmp - remove the regular files in dir/tmp not
 * modified for age seconds before now (deliveries that died, as
 * maildir(5) asks readers to do).  Returns the number removed, or -1 with
 * errno if tmp/ cannot be read.
 */
long maildirscan_clean_tmp(const char *dir, time_t now, time_t age);

#endif
