/*
 * fmt.c - decimal numbers to and from text, see fmt.h.
 *
 * Plain ASCII digits only: no sign, no spaces, no locale.  Overflow is
 * detected exactly, before the multiplication that would wrap.
 */
#include <errno.h>
#include <limits.h>

#include "fmt.h"

size_t
fmt_ulong(char *s, unsigned long long u)
{
	char rev[FMT_ULONG];
	size_t n = 0;
	size_t i;

	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	for (i = 0; i < n; i++)
		s[i] = rev[n - 1 - i];
	s[n] = '\0';
	return n;
}

static int
fmt_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

size_t
scan_ulong(const char *s, unsigned long long *u)
{
	unsigned long long v = 0;
	size_t i;
	unsigned d;

	for (i = 0; fmt_is_digit(s[i]); i++) {
		d = (unsigned)(s[i] - '0');
		/* v * 10 + d <= ULLONG_MAX, without computing it */
		if (v > ULLONG_MAX / 10 ||
		    (v == ULLONG_MAX / 10 && d > ULLONG_MAX % 10)) {
			errno = ERANGE;
			return 0;
		}
		v = v * 10 + d;
	}
	if (i == 0) {
		errno = EINVAL;
		return 0;
	}
	*u = v;
	return i;
}

int
parse_ulong(const char *s, unsigned long long max, unsigned long long *u)
{
	unsigned long long v;
	size_t n;
	size_t i;

	if (s == NULL || s[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; s[i] != '\0'; i++)
		if (!fmt_is_digit(s[i])) {
			errno = EINVAL;
			return -1;
		}
	n = scan_ulong(s, &v);
	if (n == 0)
		return -1; /* ERANGE from scan_ulong */
	if (v > max) {
		errno = ERANGE;
		return -1;
	}
	*u = v;
	return 0;
}
