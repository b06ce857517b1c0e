/*
 * iobuf.c - buffered descriptor I/O with poll(2) timeouts, see iobuf.h.
 *
 * One iobuf is used either for reading or for writing, not both: when
 * reading, buf[pos..len) is data not yet consumed; when writing,
 * buf[0..len) is data not yet written.  Nothing here allocates.
 *
 * A timeout applies to each wait for the descriptor, so a peer that keeps
 * sending a byte now and then keeps a read going; one that stalls for
 * timeout_ms makes the call fail with ETIMEDOUT.  Signals (EINTR) neither
 * fail a call nor extend the wait they interrupted.
 *
 * On a blocking descriptor, poll(2) saying "writable" only promises room
 * for PIPE_BUF bytes (a pipe) or a fair part of the send buffer (a
 * socket); a bigger write(2) could then block with no timeout at all.
 * So with a timeout, writes go out in pieces of at most PIPE_BUF bytes.
 *
 * A deadline shortens each wait to the time left before it, so an
 * exchange that has run out of time fails at its next wait.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "deadline.h"
#include "iobuf.h"

void
iobuf_init(struct iobuf *b, int fd, char *space, size_t size, int timeout_ms)
{
	b->fd = fd;
	b->buf = space;
	b->size = size;
	b->pos = 0;
	b->len = 0;
	b->timeout_ms = timeout_ms;
	b->deadline = NULL;
}

void
iobuf_deadline(struct iobuf *b, const struct timespec *d)
{
	b->deadline = d;
}

/*
 * iobuf_wait_ms - how long the next wait of b may last: b's timeout cut
 * to the time left before its deadline; -1 for no limit at all.  When
 * the deadline has already passed, -1 with errno ETIMEDOUT and *expired
 * set.
 */
static int
iobuf_wait_ms(const struct iobuf *b, int *expired)
{
	int left;

	*expired = 0;
	if (b->deadline == NULL)
		return b->timeout_ms;
	left = deadline_ms_left(b->deadline);
	if (left == 0) {
		*expired = 1;
		errno = ETIMEDOUT;
		return -1;
	}
	if (b->timeout_ms >= 0 && b->timeout_ms < left)
		return b->timeout_ms;
	return left;
}

/* iobuf_limited - 1 when waits of b are bounded by a timeout or deadline */
static int
iobuf_limited(const struct iobuf *b)
{
	return b->timeout_ms >= 0 || b->deadline != NULL;
}

/* iobuf_now_ms - a monotonic clock in milliseconds */
static long long
iobuf_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * iobuf_wait - wait until fd is ready for events or has an error or
 * hang-up to report (the read or write that follows reports it), for at
 * most timeout_ms (-1: forever).  0 or -1 (ETIMEDOUT, EBADF, poll's).
 */
static int
iobuf_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd;
	long long deadline = 0;
	long long left;
	int wait_ms = timeout_ms;
	int r;

	if (timeout_ms >= 0)
		deadline = iobuf_now_ms() + timeout_ms;
	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, wait_ms);
		if (r > 0) {
			if (pfd.revents & POLLNVAL) {
				errno = EBADF;
				return -1;
			}
			return 0;
		}
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
		if (timeout_ms >= 0) {
			left = deadline - iobuf_now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			wait_ms = left > INT_MAX ? INT_MAX : (int)left;
		}
	}
}

/* iobuf_sys_read - one read(2) of at most n bytes: count, 0 at EOF, -1 */
static ssize_t
iobuf_sys_read(struct iobuf *b, void *p, size_t n)
{
	ssize_t r;
	int expired;
	int wait_ms;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	for (;;) {
		if (iobuf_limited(b)) {
			wait_ms = iobuf_wait_ms(b, &expired);
			if (expired ||
			    iobuf_wait(b->fd, POLLIN, wait_ms) == -1)
				return -1;
		}
		r = read(b->fd, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* non-blocking descriptor: wait for data */
		if (!iobuf_limited(b) && iobuf_wait(b->fd, POLLIN, -1) == -1)
			return -1;
	}
}

/*
 * iobuf_sys_write - write all of p[0..n); *done counts what was written
 * even when the call fails.  0 or -1.
 */
static int
iobuf_sys_write(struct iobuf *b, const char *p, size_t n, size_t *done)
{
	size_t chunk;
	ssize_t w;
	int expired;
	int wait_ms;

	*done = 0;
	while (*done < n) {
		if (iobuf_limited(b)) {
			wait_ms = iobuf_wait_ms(b, &expired);
			if (expired ||
			    iobuf_wait(b->fd, POLLOUT, wait_ms) == -1)
				return -1;
		}
		chunk = n - *done;
		if (chunk > SSIZE_MAX)
			chunk = SSIZE_MAX;
		if (iobuf_limited(b) && chunk > PIPE_BUF)
			chunk = PIPE_BUF;
		w = write(b->fd, p + *done, chunk);
		if (w > 0) {
			*done += (size_t)w;
			continue;
		}
		if (w == 0) {
			/* no progress and no reason: do not spin */
			errno = EIO;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (!iobuf_limited(b) && iobuf_wait(b->fd, POLLOUT, -1) == -1)
			return -1;
	}
	return 0;
}

ssize_t
iobuf_fill(struct iobuf *b)
{
	ssize_t r;

	if (b->pos < b->len)
		return (ssize_t)(b->len - b->pos);
	b->pos = 0;
	b->len = 0;
	r = iobuf_sys_read(b, b->buf, b->size);
	if (r <= 0)
		return r;
	b->len = (size_t)r;
	return r;
}

const char *
iobuf_peek(const struct iobuf *b)
{
	return b->buf + b->pos;
}

void
iobuf_skip(struct iobuf *b, size_t n)
{
	size_t avail = b->len - b->pos;

	b->pos += n < avail ? n : avail;
}

/*
 * iobuf_read - see iobuf.h.  An error after part of the data was copied
 * still fails the call: a short count must mean end of file, never a
 * connection that broke in the middle of a message.
 */
ssize_t
iobuf_read(struct iobuf *b, void *dst, size_t n)
{
	char *out = dst;
	size_t got = 0;
	size_t k;
	ssize_t r;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	while (got < n) {
		if (b->pos == b->len && n - got >= b->size) {
			/* a big read gains nothing from the buffer */
			r = iobuf_sys_read(b, out + got, n - got);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			got += (size_t)r;
			continue;
		}
		r = iobuf_fill(b);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		k = (size_t)r < n - got ? (size_t)r : n - got;
		memcpy(out + got, b->buf + b->pos, k);
		b->pos += k;
		got += k;
	}
	return (ssize_t)got;
}

int
iobuf_getc(struct iobuf *b, char *c)
{
	ssize_t r;

	r = iobuf_fill(b);
	if (r <= 0)
		return (int)r;
	*c = b->buf[b->pos++];
	return 1;
}

/*
 * iobuf_getline - see iobuf.h.  Each buffered byte is searched and copied
 * once, so a long line costs linear time.
 */
int
iobuf_getline(struct iobuf *b, struct bytes *line, char delim)
{
	const char *start;
	const char *end;
	size_t chunk;
	size_t room;
	ssize_t r;

	for (;;) {
		r = iobuf_fill(b);
		if (r <= 0)
			return (int)r;
		start = b->buf + b->pos;
		end = memchr(start, delim, (size_t)r);
		chunk = end != NULL ? (size_t)(end - start) + 1 : (size_t)r;
		/* room left under the limit, which keeps a byte for a NUL */
		room =
		    line->limit > line->len ? line->limit - line->len - 1 : 0;
		if (chunk > room) {
			if (bytes_append(line, start, room) == -1)
				return -1;
			b->pos += room;
			errno = E2BIG;
			return -1;
		}
		if (bytes_append(line, start, chunk) == -1)
			return -1;
		b->pos += chunk;
		if (end != NULL)
			return 1;
	}
}

int
iobuf_flush(struct iobuf *b)
{
	size_t done;
	int r;

	if (b->len == 0)
		return 0;
	r = iobuf_sys_write(b, b->buf, b->len, &done);
	if (r == -1) {
		/* keep what was not written, so a retry can send it */
		memmove(b->buf, b->buf + done, b->len - done);
		b->len -= done;
		return -1;
	}
	b->len = 0;
	return 0;
}

int
iobuf_write(struct iobuf *b, const void *p, size_t n)
{
	const char *in = p;
	size_t done;
	size_t k;

	while (n > 0) {
		if (b->len == b->size && iobuf_flush(b) == -1)
			return -1;
		if (b->len == 0 && n >= b->size)
			/* a big block goes straight out */
			return iobuf_sys_write(b, in, n, &done);
		k = b->size - b->len < n ? b->size - b->len : n;
		memcpy(b->buf + b->len, in, k);
		b->len += k;
		in += k;
		n -= k;
	}
	return 0;
}

int
iobuf_puts(struct iobuf *b, const char *s)
{
	return iobuf_write(b, s, strlen(s));
}
