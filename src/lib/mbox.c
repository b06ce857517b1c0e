/*
 * mbox.c - append one message to an mbox file, safely (see mbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "fmt.h"
#include "fsync.h"
#include "lock.h"
#include "mbox.h"

/* How long to sleep between two tries of a busy lock. */
#define MBOX_LOCK_POLL_NS 50000000L

/* How much of the file a repair reads at once. */
#define MBOX_REPAIR_CHUNK 65536

static const char from_[] = "From ";

/* Take both locks, waiting at most timeout_seconds: 0 or -1. */
static int
mbox_lock(int fd, unsigned int timeout_seconds)
{
	struct timespec deadline, pause = { 0, MBOX_LOCK_POLL_NS };

	deadline_set(&deadline, timeout_seconds);
	for (;;) {
		if (lock_exclusive_nowait(fd) == 0) {
			if (lock_ofd_exclusive_nowait(fd) == 0)
				return 0;
			if (errno != EWOULDBLOCK)
				return -1;
			lock_unlock(fd);
		} else if (errno != EWOULDBLOCK)
			return -1;
		if (deadline_ms_left(&deadline) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

/*
 * Does the region [start, size) look like one torn message of ours: it
 * starts with "From " and holds no other "\nFrom " (our own lines that
 * start with "From " are always quoted)?  1, 0, or -1 on a read error.
 */
static int
torn_tail_is_ours(int fd, off_t start, off_t size)
{
	char buf[MBOX_REPAIR_CHUNK + 5];
	size_t carry = 0;
	off_t pos = start;
	int first = 1;

	while (pos < size) {
		size_t want = MBOX_REPAIR_CHUNK, i;
		ssize_t r;

		if ((off_t)want > size - pos)
			want = (size_t)(size - pos);
		r = pread(fd, buf + carry, want, pos);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		pos += r;
		want = carry + (size_t)r;
		if (first) {
			if (want < 5 && pos < size) {
				carry = want;
				continue;
			}
			if (want < 5 || memcmp(buf, from_, 5) != 0)
				return 0;
			first = 0;
			i = 1;
		} else
			i = 0;
		for (; i + 6 <= want; i++)
			if (buf[i] == '\n' && memcmp(buf + i + 1, from_, 5) == 0)
				return 0;
		/* keep the last 5 bytes: a "\nFrom " may straddle chunks */
		carry = want < 5 ? want : 5;
		memmove(buf, buf + want - carry, carry);
	}
	return first ? 0 : 1;
}

/*
 * Under the lock: if a killed delivery left its mark, cut its torn
 * message off.  1 if cut, 0 if nothing to do, -1 on error.
 */
static int
mbox_repair_locked(int fd)
{
	char val[FMT_ULONG + 1];
	unsigned long long start;
	struct stat st;
	ssize_t n;
	int cut = 0, ours;

	n = fgetxattr(fd, MBOX_PENDING_XATTR, val, sizeof(val) - 1);
	if (n == -1)
		return 0; /* no mark (ENODATA) or no xattrs at all */
	val[n] = '\0';
	if (fstat(fd, &st) == -1)
		return -1;
	if (parse_ulong(val, (unsigned long long)st.st_size, &start) == 0 &&
	    (off_t)start < st.st_size) {
		ours = torn_tail_is_ours(fd, (off_t)start, st.st_size);
		if (ours == -1)
			return -1;
		if (ours) {
			if (ftruncate(fd, (off_t)start) == -1)
				return -1;
			if (fsync_fd(fd) == -1)
				return -1;
			cut = 1;
		}
	}
	if (fremovexattr(fd, MBOX_PENDING_XATTR) == -1 && errno != ENODATA)
		return -1;
	return cut;
}

int
mbox_open(struct mbox *mb, const char *path, unsigned int timeout_seconds)
{
	struct stat st;
	char val[FMT_ULONG];
	int saved;

	memset(mb, 0, sizeof(*mb));
	mb->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (mb->fd == -1)
		return -1;
	if (mbox_lock(mb->fd, timeout_seconds) == -1)
		goto fail;
	if (mbox_repair_locked(mb->fd) == -1)
		goto fail;
	if (fstat(mb->fd, &st) == -1)
		goto fail;
	mb->start = st.st_size;
	/* Best effort: without xattrs we are as safe as qmail. */
	fsetxattr(mb->fd, MBOX_PENDING_XATTR, val,
	    fmt_ulong(val, (unsigned long long)mb->start), 0);
	mb->at_line_start = 1;
	mb->last_nl = 1;
	iobuf_init(&mb->out, mb->fd, mb->space, sizeof(mb->space), -1);
	return 0;
fail:
	saved = errno;
	close(mb->fd);
	mb->fd = -1;
	errno = saved;
	return -1;
}

int
mbox_from_line(struct bytes *out, const char *sender, time_t when)
{
	char date[64];
	struct tm tm;
	size_t oldlen = out->len, i;

	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		memcpy(date, "Thu Jan  1 00:00:00 1970",
		    sizeof("Thu Jan  1 00:00:00 1970"));
	if (bytes_append_str(out, "From ") == -1)
		return -1;
	if (*sender == '\0') {
		if (bytes_append_str(out, "MAILER-DAEMON") == -1)
			goto fail;
	} else
		for (i = 0; sender[i]; i++) {
			char c = sender[i];

			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				c = '-';
			if (bytes_append_char(out, c) == -1)
				goto fail;
		}
	if (bytes_append_char(out, ' ') == -1 ||
	    bytes_append_str(out, date) == -1 ||
	    bytes_append_char(out, '\n') == -1)
		goto fail;
	return 0;
fail:
	bytes_truncate(out, oldlen);
	return -1;
}

static int
mbox_put(struct mbox *mb, const char *p, size_t n)
{
	if (mb->failed)
		return -1;
	if (iobuf_write(&mb->out, p, n) == -1) {
		mb->failed = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

int
mbox_begin(struct mbox *mb, const char *sender, time_t when)
{
	struct bytes line = BYTES_INIT(65536);
	int r;

	if (mbox_from_line(&line, sender, when) == -1) {
		mb->failed = errno;
		return -1;
	}
	r = mbox_put(mb, line.s, line.len);
	bytes_free(&line);
	return r;
}

/* Write the held-back start of a line: gt '>'s and part of "From ". */
static int
mbox_put_held(struct mbox *mb)
{
	static const char gts[64] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>"
				     ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";

	while (mb->gt > 0) {
		size_t n = mb->gt < sizeof(gts) ? mb->gt : sizeof(gts);

		if (mbox_put(mb, gts, n) == -1)
			return -1;
		mb->gt -= n;
		mb->wrote_any = 1;
		mb->last_nl = 0;
	}
	if (mb->matched > 0) {
		if (mbox_put(mb, from_, mb->matched) == -1)
			return -1;
		mb->matched = 0;
		mb->wrote_any = 1;
		mb->last_nl = 0;
	}
	return 0;
}

int
mbox_write(struct mbox *mb, const void *p, size_t n)
{
	const char *s = p;
	size_t i = 0;

	while (i < n) {
		if (mb->failed) {
			errno = mb->failed;
			return -1;
		}
		if (mb->at_line_start) {
			char c = s[i];

			if (mb->matched == 0 && c == '>') {
				mb->gt++;
				i++;
				continue;
			}
			if (c == from_[mb->matched]) {
				mb->matched++;
				i++;
				if (mb->matched == 5) {
					/* a From line: one more '>' */
					mb->gt++;
					mb->matched = 0;
					if (mbox_put_held(mb) == -1 ||
					    mbox_put(mb, from_, 5) == -1)
						return -1;
					mb->at_line_start = 0;
				}
				continue;
			}
			if (mbox_put_held(mb) == -1)
				return -1;
			mb->at_line_start = 0;
		}
		/* copy up to and including the next newline in one go */
		{
			const char *nl = memchr(s + i, '\n', n - i);
			size_t len = nl ? (size_t)(nl - (s + i)) + 1 : n - i;

			if (mbox_put(mb, s + i, len) == -1)
				return -1;
			i += len;
			mb->wrote_any = 1;
			mb->last_nl = nl != NULL;
			if (nl != NULL)
				mb->at_line_start = 1;
		}
	}
	return 0;
}

void
mbox_abort(struct mbox *mb)
{
	int saved = errno;

	if (mb->fd >= 0) {
		if (ftruncate(mb->fd, mb->start) == 0)
			fsync_fd(mb->fd);
		fremovexattr(mb->fd, MBOX_PENDING_XATTR);
		close(mb->fd); /* releases both locks */
		mb->fd = -1;
	}
	errno = saved;
}

int
mbox_commit(struct mbox *mb)
{
	int saved;

	if (mb->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (mbox_put_held(mb) == -1)
		goto fail;
	if (mb->wrote_any && !mb->last_nl && mbox_put(mb, "\n", 1) == -1)
		goto fail;
	if (mbox_put(mb, "\n", 1) == -1)
		goto fail;
	if (iobuf_flush(&mb->out) == -1)
		goto fail;
	if (fsync_fd(mb->fd) == -1)
		goto fail;
	if (fremovexattr(mb->fd, MBOX_PENDING_XATTR) == -1 &&
	    errno != ENODATA && errno != ENOTSUP)
		goto fail;
	if (close(mb->fd) == -1) {
		mb->fd = -1;
		return -1; /* the data was fsynced; the lock is gone */
	}
	mb->fd = -1;
	return 0;
fail:
	saved = mb->failed ? mb->failed : errno;
	mbox_abort(mb);
	errno = saved;
	return -1;
}

int
mbox_repair(const char *path, unsigned int timeout_seconds)
{
	int fd, r, saved;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (mbox_lock(fd, timeout_seconds) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	r = mbox_repair_locked(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}
