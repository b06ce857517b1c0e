/*
 * iobuf.h - buffered reading and writing on file descriptors.
 *
 * The buffer space is the caller's (usually a static or stack array), so an
 * iobuf never allocates.  With a timeout (in milliseconds, -1 for none)
 * every read or write first waits with poll(2); a peer that stalls longer
 * makes the call fail with ETIMEDOUT.  EINTR is retried.  EAGAIN on a
 * non-blocking descriptor is waited out with poll.
 *
 * A deadline (iobuf_deadline) bounds the whole of an exchange rather than
 * each wait: once the monotonic clock passes it, every read or write that
 * would wait fails with ETIMEDOUT, however steadily the peer trickles.
 */
#ifndef IOBUF_H
#define IOBUF_H

#include <stddef.h>
#include <sys/types.h>

#include <time.h>

#include "bytes.h"

struct iobuf {
	int fd;
	char *buf;
	size_t size;	/* capacity of buf */
	size_t pos;	/* reading: next unread byte */
	size_t len;	/* reading: end of buffered data; writing: pending */
	int timeout_ms; /* -1: wait forever */
	const struct timespec *deadline; /* NULL: none; the caller's */
};

/* iobuf_init - use space[0..size) to buffer fd (size > 0) */
void iobuf_init(struct iobuf *b, int fd, char *space, size_t size,
    int timeout_ms);

/*
 * iobuf_deadline - bound every later wait of b by the monotonic time *d
 * (see deadline.h), as well as by b's timeout; NULL removes the bound.
 * *d stays the caller's: moving it later (deadline_add) extends the
 * limit, as a server does that allows a minimum transfer rate.
 */
void iobuf_deadline(struct iobuf *b, const struct timespec *d);

/*
 * iobuf_fill - make sure some unread data is buffered.  Returns the
 * number of buffered unread bytes, 0 at end of file, -1 on error.
 */
ssize_t iobuf_fill(struct iobuf *b);

/* iobuf_peek - pointer to the buffered unread bytes (see iobuf_fill) */
const char *iobuf_peek(const struct iobuf *b);

/* iobuf_skip - consume n buffered bytes (n <= what iobuf_fill returned) */
void iobuf_skip(struct iobuf *b, size_t n);

/*
 * iobuf_read - read up to n bytes into dst.  Returns the count (short only
 * at end of file), 0 at end of file, -1 on error.
 */
ssize_t iobuf_read(struct iobuf *b, void *dst, size_t n);

/* iobuf_getc - read one byte: 1, 0 at end of file, -1 on error */
int iobuf_getc(struct iobuf *b, char *c);

/*
 * iobuf_getline - append bytes to line up to and including delim.
 * Returns 1 when delim was read, 0 at end of file (line may hold a partial
 * last line), -1 on error; E2BIG when the line would pass line's limit
 * (the bytes up to the limit are in line, the rest stay unread).
 */
int iobuf_getline(struct iobuf *b, struct bytes *line, char delim);

/* iobuf_write - buffer n bytes, flushing as needed: 0 or -1 */
int iobuf_write(struct iobuf *b, const void *p, size_t n);

/* iobuf_puts - iobuf_write of a C string: 0 or -1 */
int iobuf_puts(struct iobuf *b, const char *s);

/* iobuf_flush - write out everything pending: 0 or -1 */
int iobuf_flush(struct iobuf *b);

#endif
