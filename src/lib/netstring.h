/*
 * netstring.h - netstrings ("12:hello world!,") read and written with
 * hard limits, for QMQP and QMTP.
 *
 * A netstring is the length of its data in decimal, a colon, the data
 * and a comma.  The length has no leading zeros ("0:," is the only one
 * that starts with 0), no sign and no spaces.  Every reader here takes
 * a limit: a declared length over it fails with E2BIG before a byte of
 * the data is read, and a length that does not fit in a size_t fails
 * with ERANGE; nothing ever wraps.  Malformed input (a byte that is not
 * a digit, a leading zero, an empty length, a missing comma) fails with
 * EINVAL.
 *
 * Two levels:
 *  - a byte-at-a-time length scanner and an in-memory parser, which do
 *    no I/O (for responses held in memory, unit tests and fuzzing);
 *  - readers on a struct iobuf for the servers, which stream a message
 *    of any size without holding it: read the length, then the data
 *    (into a struct bytes, or skipped), then the comma.  End of input
 *    before a netstring is complete fails with ENODATA; a read error or
 *    timeout with the iobuf's errno (ETIMEDOUT ...).
 */
#ifndef NETSTRING_H
#define NETSTRING_H

#include <stddef.h>

#include "bytes.h"
#include "iobuf.h"

/* Room for the longest "LEN:" header of a size_t length, with a NUL. */
#define NETSTRING_HEADER_MAX 23

/* The state of a length being scanned. */
struct netstring_length {
	size_t value;  /* the digits so far */
	size_t digits; /* how many digits */
};

/* netstring_length_init - start scanning a length */
void netstring_length_init(struct netstring_length *nl);

/*
 * netstring_length_feed - one more byte c of a length that may be at
 * most limit.  Returns 0 when more bytes are needed, 1 when c was the
 * colon (nl->value is the length), -1 with EINVAL (not a digit, a
 * leading zero, a colon with no digit before it), ERANGE (the value
 * overflows a size_t) or E2BIG (the value is over limit).
 */
int netstring_length_feed(struct netstring_length *nl, char c, size_t limit);

/*
 * netstring_parse - the netstring at the start of p[0..n), whose data
 * may be at most limit bytes.  Returns 1 with *data and *datalen set to
 * its data (inside p) and *used to the bytes it takes including the
 * comma; 0 if p holds only the start of a valid netstring (more input
 * needed); -1 with errno as netstring_length_feed, or EINVAL when the
 * byte after the data is not a comma.
 */
int netstring_parse(const char *p, size_t n, size_t limit, const char **data,
    size_t *datalen, size_t *used);

/*
 * netstring_header - write "LEN:" for a netstring of len data bytes into
 * s (NETSTRING_HEADER_MAX bytes) with a NUL; returns its length.
 */
size_t netstring_header(char *s, size_t len);

/*
 * netstring_size - *total = the size of the netstring of len data bytes
 * (header, data and comma).  0, or -1 with ERANGE if it does not fit in
 * a size_t.
 */
int netstring_size(size_t len, size_t *total);

/* netstring_append - append the netstring of p[0..n) to b: 0 or -1
 * (ERANGE, E2BIG past b's limit, ENOMEM; b unchanged on failure) */
int netstring_append(struct bytes *b, const void *p, size_t n);

/*
 * netstring_read_length - read "LEN:" from in; the length must be at
 * most limit.  0 with *len set and, if used is not NULL, *used set to
 * the bytes read (digits and colon); -1 with errno as
 * netstring_length_feed, ENODATA at end of input, or the iobuf's errno.
 */
int netstring_read_length(struct iobuf *in, size_t limit, size_t *len,
    size_t *used);

/*
 * netstring_read_data - read exactly n data bytes into out (replacing
 * its contents; out's limit applies: E2BIG).  0, or -1 with ENODATA at
 * end of input or the iobuf's errno.
 */
int netstring_read_data(struct iobuf *in, size_t n, struct bytes *out);

/* netstring_skip - read and discard exactly n bytes: 0 or -1 (as above) */
int netstring_skip(struct iobuf *in, size_t n);

/* netstring_read_comma - read the closing comma: 0, or -1 with EINVAL
 * (another byte), ENODATA or the iobuf's errno */
int netstring_read_comma(struct iobuf *in);

/*
 * netstring_read - a whole netstring of at most limit data bytes into
 * out (replacing its contents).  0, or -1 as the readers above.
 */
int netstring_read(struct iobuf *in, size_t limit, struct bytes *out);

#endif
