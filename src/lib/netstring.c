/*
 * netstring.c - netstrings with hard limits, see netstring.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "fmt.h"
#include "iobuf.h"
#include "netstring.h"

void
netstring_length_init(struct netstring_length *nl)
{
	nl->value = 0;
	nl->digits = 0;
}

int
netstring_length_feed(struct netstring_length *nl, char c, size_t limit)
{
	size_t v;

	if (c == ':') {
		if (nl->digits == 0) {
			errno = EINVAL;
			return -1;
		}
		return 1;
	}
	if (c < '0' || c > '9' || (nl->digits == 1 && nl->value == 0)) {
		errno = EINVAL; /* not a digit, or a digit after a leading 0 */
		return -1;
	}
	if (__builtin_mul_overflow(nl->value, (size_t)10, &v) ||
	    __builtin_add_overflow(v, (size_t)(c - '0'), &v)) {
		errno = ERANGE;
		return -1;
	}
	if (v > limit) {
		errno = E2BIG;
		return -1;
	}
	nl->value = v;
	nl->digits++;
	return 0;
}

int
netstring_parse(const char *p, size_t n, size_t limit, const char **data,
    size_t *datalen, size_t *used)
{
	struct netstring_length nl;
	size_t i, left;
	int r;

	netstring_length_init(&nl);
	for (i = 0;; i++) {
		if (i == n)
			return 0;
		r = netstring_length_feed(&nl, p[i], limit);
		if (r == -1)
			return -1;
		if (r == 1)
			break;
	}
	i++; /* the colon */
	left = n - i;
	if (left <= nl.value)
		return 0; /* the data, or the comma, is still to come */
	if (p[i + nl.value] != ',') {
		errno = EINVAL;
		return -1;
	}
	*data = p + i;
	*datalen = nl.value;
	*used = i + nl.value + 1;
	return 1;
}

size_t
netstring_header(char *s, size_t len)
{
	size_t n = fmt_ulong(s, (unsigned long long)len);

	s[n++] = ':';
	s[n] = '\0';
	return n;
}

int
netstring_size(size_t len, size_t *total)
{
	char head[NETSTRING_HEADER_MAX];
	size_t h = netstring_header(head, len);

	if (__builtin_add_overflow(len, h + 1, total)) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int
netstring_append(struct bytes *b, const void *p, size_t n)
{
	char head[NETSTRING_HEADER_MAX];
	size_t h = netstring_header(head, n);
	size_t total, old = b->len;

	if (netstring_size(n, &total) == -1 || bytes_reserve(b, total) == -1)
		return -1;
	if (bytes_append(b, head, h) == -1 || bytes_append(b, p, n) == -1 ||
	    bytes_append_char(b, ',') == -1) {
		bytes_truncate(b, old); /* not reached after the reserve */
		return -1;
	}
	return 0;
}

/* netstring_getc - one byte from in: 0, or -1 (ENODATA at end of input) */
static int
netstring_getc(struct iobuf *in, char *c)
{
	int r = iobuf_getc(in, c);

	if (r == 1)
		return 0;
	if (r == 0)
		errno = ENODATA;
	return -1;
}

int
netstring_read_length(struct iobuf *in, size_t limit, size_t *len,
    size_t *used)
{
	struct netstring_length nl;
	size_t count = 0;
	char c;
	int r;

	netstring_length_init(&nl);
	do {
		if (netstring_getc(in, &c) == -1)
			return -1;
		count++;
		r = netstring_length_feed(&nl, c, limit);
		if (r == -1)
			return -1;
	} while (r == 0);
	*len = nl.value;
	if (used != NULL)
		*used = count;
	return 0;
}

/*
 * netstring_take - consume exactly n bytes of in, appending them to out
 * unless out is NULL.  0, or -1 (ENODATA at end of input, iobuf's errno,
 * out's errno).
 */
static int
netstring_take(struct iobuf *in, size_t n, struct bytes *out)
{
	ssize_t got;
	size_t avail;

	while (n > 0) {
		got = iobuf_fill(in);
		if (got <= 0) {
			if (got == 0)
				errno = ENODATA;
			return -1;
		}
		avail = (size_t)got < n ? (size_t)got : n;
		if (out != NULL &&
		    bytes_append(out, iobuf_peek(in), avail) == -1)
			return -1; /* not reached after the reserve */
		iobuf_skip(in, avail);
		n -= avail;
	}
	return 0;
}

int
netstring_read_data(struct iobuf *in, size_t n, struct bytes *out)
{
	bytes_truncate(out, 0);
	if (bytes_reserve(out, n) == -1)
		return -1;
	return netstring_take(in, n, out);
}

int
netstring_skip(struct iobuf *in, size_t n)
{
	return netstring_take(in, n, NULL);
}

int
netstring_read_comma(struct iobuf *in)
{
	char c;

	if (netstring_getc(in, &c) == -1)
		return -1;
	if (c != ',') {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
netstring_read(struct iobuf *in, size_t limit, struct bytes *out)
{
	size_t len;

	if (netstring_read_length(in, limit, &len, NULL) == -1 ||
	    netstring_read_data(in, len, out) == -1 ||
	    netstring_read_comma(in) == -1)
		return -1;
	return 0;
}
