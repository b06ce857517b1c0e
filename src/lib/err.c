/*
 * err.c - one-line diagnostics on stderr, see err.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

/* Longest diagnostic line; longer ones are cut, never overflowed. */
#define ERR_LINE_MAX 1024

static const char *err_progname = "qmail";

void
err_setprogname(const char *name)
{
	err_progname = name;
}

/* The diagnostic being assembled: always NUL-terminated, never overflowed. */
struct err_line {
	char s[ERR_LINE_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 0))) static void
err_line_vadd(struct err_line *l, const char *fmt, va_list ap)
{
	size_t room = sizeof(l->s) - l->len;
	int n;

	if (room <= 1)
		return;
	n = vsnprintf(l->s + l->len, room, fmt, ap);
	if (n < 0)
		return;
	l->len += (size_t)n < room ? (size_t)n : room - 1;
}

__attribute__((format(printf, 2, 3))) static void
err_line_add(struct err_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_line_vadd(l, fmt, ap);
	va_end(ap);
}

/*
 * Format and write one line in a single write(2), so that lines from
 * processes sharing a log pipe do not interleave.  Control characters
 * (which could forge log lines) are shown as '?'.
 */
__attribute__((format(printf, 4, 0))) static void
err_vemit(const char *level, int with_errno, int saved_errno,
    const char *fmt, va_list ap)
{
	struct err_line line;
	size_t i;

	line.len = 0;
	line.s[0] = '\0';
	err_line_add(&line, "%s: %s: ", err_progname, level);
	err_line_vadd(&line, fmt, ap);
	if (with_errno)
		err_line_add(&line, ": %s", strerror(saved_errno));
	for (i = 0; i < line.len; i++)
		if ((unsigned char)line.s[i] < 32 || line.s[i] == 127)
			line.s[i] = '?';
	if (line.len > sizeof(line.s) - 2)
		line.len = sizeof(line.s) - 2;
	line.s[line.len++] = '\n';
	while (write(2, line.s, line.len) == -1 && errno == EINTR)
		;
}

void
log_warn(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vemit("warning", 1, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vemit("warning", 0, 0, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
fatal(int code, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vemit("fatal", 1, saved_errno, fmt, ap);
	va_end(ap);
	_exit(code);
}

void
fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vemit("fatal", 0, 0, fmt, ap);
	va_end(ap);
	_exit(code);
}
