/*
 * logsafe.c - qmail's log-safe rewriting of untrusted bytes, see logsafe.h.
 */
#include "logsafe.h"

int
logsafe_append(struct bytes *out, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	if (bytes_reserve(out, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\n')
			c = '/';
		else if (c < 33 || c > 126 || c == '%')
			c = '_';
		out->s[out->len++] = (char)c;
	}
	return 0;
}
