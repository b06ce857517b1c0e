/*
 * control.c - reading qmail control files, see control.h.
 *
 * Files are read with read(2) through a small stack buffer; nothing is
 * held beyond what the caller's struct bytes keeps, and that is bounded
 * by CONTROL_LINE_MAX and CONTROL_FILE_MAX while reading, not afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "control.h"
#include "fmt.h"

/* Read size: control files are small, lists are read in a few calls. */
#define CONTROL_CHUNK 4096

/*
 * control_open - open path for reading: 1 with *fd set, 0 if it does not
 * exist, -1 on any other error.
 */
static int
control_open(const char *path, int *fd)
{
	int f;

	do
		f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (f == -1 && errno == EINTR);
	if (f == -1)
		return errno == ENOENT ? 0 : -1;
	*fd = f;
	return 1;
}

/* control_read - read(2) retrying EINTR */
static ssize_t
control_read(int fd, char *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r == -1 && errno == EINTR);
	return r;
}

/* control_close_keep_errno - close fd without disturbing errno */
static void
control_close_keep_errno(int fd)
{
	int saved_errno = errno;

	close(fd);
	errno = saved_errno;
}

static int
control_is_trailing_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* control_strip_from - strip trailing whitespace, never below start */
static void
control_strip_from(struct bytes *b, size_t start)
{
	size_t n = b->len;

	while (n > start && control_is_trailing_space(b->s[n - 1]))
		n--;
	bytes_truncate(b, n);
}

int
control_readline(struct bytes *out, const char *path)
{
	char buf[CONTROL_CHUNK];
	const char *nl;
	ssize_t got;
	size_t take;
	int fd;
	int r;

	bytes_truncate(out, 0);
	r = control_open(path, &fd);
	if (r != 1)
		return r;
	for (;;) {
		got = control_read(fd, buf, sizeof(buf));
		if (got == -1)
			goto fail;
		if (got == 0)
			break;
		nl = memchr(buf, '\n', (size_t)got);
		take = nl != NULL ? (size_t)(nl - buf) : (size_t)got;
		if (take > CONTROL_LINE_MAX - out->len) {
			errno = E2BIG;
			goto fail;
		}
		if (bytes_append(out, buf, take) == -1)
			goto fail;
		if (nl != NULL)
			break;
	}
	close(fd);
	control_strip_from(out, 0);
	return 1;
fail:
	control_close_keep_errno(fd);
	bytes_truncate(out, 0);
	return -1;
}

int
control_readline_def(struct bytes *out, const char *path, const char *def)
{
	return control_readline_me(out, path, NULL, def);
}

int
control_readline_me(struct bytes *out, const char *path, const struct bytes *me,
    const char *def)
{
	int r;

	r = control_readline(out, path);
	if (r != 0)
		return r;
	if (me != NULL) {
		if (bytes_copy(out, me->s, me->len) == -1)
			return -1;
		return 1;
	}
	if (def != NULL) {
		if (bytes_copy_str(out, def) == -1)
			return -1;
		return 1;
	}
	return 0;
}

int
control_readint(unsigned long *out, const char *path)
{
	struct bytes line = BYTES_INIT(CONTROL_LINE_BYTES);
	unsigned long long v;
	const char *s;
	int r;

	r = control_readline(&line, path);
	if (r != 1)
		goto done;
	s = bytes_cstr(&line);
	if (s == NULL) {
		r = -1;
		goto done;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9') {
		r = 0; /* not a number: absent, as in qmail */
		goto done;
	}
	if (scan_ulong(s, &v) == 0 || v > ULONG_MAX) {
		errno = ERANGE;
		r = -1;
		goto done;
	}
	*out = (unsigned long)v;
	r = 1;
done:
	bytes_free(&line);
	return r;
}

int
control_readdatabytes(unsigned long *out)
{
	unsigned long long u;
	const char *v;

	*out = 0;
	if (control_readint(out, "control/databytes") == -1) {
		*out = 0;
		return -1;
	}
	v = getenv("DATABYTES");
	if (v != NULL) {
		if (scan_ulong(v, &u) == 0)
			u = errno == ERANGE ? ULLONG_MAX : 0;
		*out = u > ULONG_MAX - 1 ? ULONG_MAX - 1 : (unsigned long)u;
	}
	return 0;
}

/*
 * control_list_end_line - the raw line out->s[start..len) is complete:
 * cut it at a NUL, strip it, and either drop it (empty or comment) or
 * keep it with a NUL terminator.  0 or -1.
 */
static int
control_list_end_line(struct bytes *out, size_t start)
{
	const char *nul;

	if (out->len == start)
		return 0; /* empty line; out->s may still be NULL */
	nul = memchr(out->s + start, '\0', out->len - start);
	if (nul != NULL)
		bytes_truncate(out, (size_t)(nul - out->s));
	control_strip_from(out, start);
	if (out->len == start || out->s[start] == '#') {
		bytes_truncate(out, start);
		return 0;
	}
	return bytes_append_char(out, '\0');
}

/*
 * control_list_read - read every line of fd into out (emptied first).
 * The current raw line is built in place at the end of out, so no
 * second buffer is needed.
 */
static int
control_list_read(struct bytes *out, int fd)
{
	char buf[CONTROL_CHUNK];
	size_t total = 0;
	size_t start = 0;
	size_t pos;
	size_t take;
	const char *nl;
	ssize_t got;

	for (;;) {
		got = control_read(fd, buf, sizeof(buf));
		if (got == -1)
			return -1;
		if (got == 0)
			break;
		if ((size_t)got > CONTROL_FILE_MAX - total) {
			errno = E2BIG;
			return -1;
		}
		total += (size_t)got;
		for (pos = 0; pos < (size_t)got; pos += take) {
			nl = memchr(buf + pos, '\n', (size_t)got - pos);
			take = nl != NULL ? (size_t)(nl - (buf + pos))
			                  : (size_t)got - pos;
			if (take > CONTROL_LINE_MAX - (out->len - start)) {
				errno = E2BIG;
				return -1;
			}
			if (bytes_append(out, buf + pos, take) == -1)
				return -1;
			if (nl == NULL)
				continue;
			take++; /* the '\n' */
			if (control_list_end_line(out, start) == -1)
				return -1;
			start = out->len;
		}
	}
	if (out->len > start)
		return control_list_end_line(out, start);
	return 0;
}

int
control_readlines(struct bytes *out, const char *path)
{
	int fd;
	int r;

	bytes_truncate(out, 0);
	r = control_open(path, &fd);
	if (r != 1)
		return r;
	if (control_list_read(out, fd) == -1) {
		control_close_keep_errno(fd);
		bytes_truncate(out, 0);
		return -1;
	}
	close(fd);
	return 1;
}

int
control_readlines_me(
    struct bytes *out, const char *path, const struct bytes *me)
{
	int r;

	r = control_readlines(out, path);
	if (r != 0 || me == NULL)
		return r;
	if (me->len > CONTROL_LINE_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (bytes_copy(out, me->s, me->len) == -1)
		return -1;
	/* me is made an entry as a line would be ("#..." is dropped). */
	if (control_list_end_line(out, 0) == -1) {
		bytes_truncate(out, 0);
		return -1;
	}
	return 1;
}

void
control_iter_start(struct control_iter *it, const struct bytes *list)
{
	it->next = list->s;
	it->end = list->s != NULL ? list->s + list->len : NULL;
}

int
control_iter_next(struct control_iter *it, const char **line, size_t *len)
{
	const char *nul;
	size_t n;

	if (it->next == NULL || it->next >= it->end)
		return 0;
	nul = memchr(it->next, '\0', (size_t)(it->end - it->next));
	n = nul != NULL ? (size_t)(nul - it->next)
	                : (size_t)(it->end - it->next);
	*line = it->next;
	*len = n;
	it->next += nul != NULL ? n + 1 : n;
	return 1;
}
