/*
 * tcpto.h - qmail's table of hosts whose connections time out.
 *
 * The file queue/lock/tcpto, shared by qmail-remote (which reads and
 * updates it), qmail-tcpto (which prints it) and qmail-tcpok (which clears
 * it), has qmail's format so that tools written for qmail keep working:
 * TCPTO_SIZE bytes, TCPTO_RECORDS records of TCPTO_RECORD bytes each:
 *
 *	bytes 0..3   the IPv4 address, network order
 *	byte  4      the number of recent timeouts (0: slot free, at most 10)
 *	bytes 8..11  the time of the last timeout, seconds, little-endian
 *	             (low 32 bits)
 *
 * Every access takes an exclusive flock(2) lock on the file.  A host that
 * timed out twice, at least two minutes apart, with no successful
 * connection in between, is skipped for about an hour (60 to 91 times 64
 * seconds, depending on the process id, so that not every qmail-remote
 * retries at once).  IPv6 addresses do not fit the format and are not
 * recorded.
 */
#ifndef TCPTO_H
#define TCPTO_H

#include <sys/types.h>
#include <time.h>

#define TCPTO_SIZE 1024
#define TCPTO_RECORD 16
#define TCPTO_RECORDS (TCPTO_SIZE / TCPTO_RECORD)
#define TCPTO_COUNT_MAX 10
/* Timeouts closer together than this count once. */
#define TCPTO_SPACING 120

/* One record, decoded. */
struct tcpto_entry {
	unsigned char ip[4];
	unsigned int count;
	unsigned long when;
};

/*
 * tcpto_read - the records of the file at path into e[TCPTO_RECORDS],
 * under the lock.  Returns the number of whole records in the file (a
 * short file has fewer), or -1 with errno.
 */
int tcpto_read(const char *path, struct tcpto_entry *e);

/*
 * tcpto_skip - 1 if ip timed out recently enough to be skipped now (see
 * above), 0 if not or if the file cannot be read (never a reason not to
 * try).  *seen is set to 1 if ip has a record at all.
 */
int tcpto_skip(const char *path, const unsigned char ip[4], time_t now,
    pid_t pid, int *seen);

/*
 * tcpto_update - after a connection attempt to ip: timedout 1 records a
 * timeout (a new record, replacing a free slot or the oldest, or one
 * more count on ip's own record unless the last was less than
 * TCPTO_SPACING seconds ago); timedout 0 marks ip's record free.  Returns
 * 0, or -1 with errno (the caller carries on: the table is advice).
 */
int tcpto_update(const char *path, const unsigned char ip[4], int timedout,
    time_t now);

/* tcpto_clear - zero the whole table (qmail-tcpok): 0 or -1 with errno */
int tcpto_clear(const char *path);

#endif
