/*
 * fuzz_addr822.c - libFuzzer target for the address-list parser that
 * qmail-inject uses on every address field (src/lib/addr822.c).
 *
 * The input is one field body.  It is parsed, with its re-formatted
 * output, and the output is parsed again.  Invariants:
 *   - the output parses back to the same addresses, in the same order
 *     (parse(format(parse(x))) == parse(x));
 *   - formatting is stable: the output formatted again is the same text;
 *   - no address and no output line holds CR, LF (other than a fold
 *     before two spaces) or NUL;
 *   - a parse fails only with E2BIG (an address over its limit).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr822.h"
#include "bytes.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

/* Inputs past this are cut: quoting may double an address, and the
 * second parse must stay within ADDR822_ADDRESS_MAX. */
#define FUZZ_INPUT_MAX ((size_t)16 * 1024)

/* holds - b holds the byte c (an empty b has s == NULL) */
static int
holds(const struct bytes *b, char c)
{
	return b->len > 0 && memchr(b->s, c, b->len) != NULL;
}

/* same - a and b hold the same bytes */
static int
same(const struct bytes *a, const struct bytes *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
}

/* The addresses of one parse, NUL-separated. */
static int
collect(void *ctx, struct bytes *addr)
{
	struct bytes *all = ctx;

	CHECK(!holds(addr, '\0') && !holds(addr, '\r') &&
	    !holds(addr, '\n'));
	if (bytes_append(all, addr->s, addr->len) == -1 ||
	    bytes_append_char(all, '\0') == -1)
		return -1;
	return 0;
}

/* check_output - no NUL or CR; every LF starts a "  " continuation */
static void
check_output(const struct bytes *out)
{
	size_t i;

	CHECK(!holds(out, '\0') && !holds(out, '\r'));
	for (i = 0; i < out->len; i++)
		if (out->s[i] == '\n')
			CHECK(i + 2 < out->len && out->s[i + 1] == ' ' &&
			    out->s[i + 2] == ' ');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes a1 = BYTES_INIT(SIZE_MAX), a2 = BYTES_INIT(SIZE_MAX);
	struct bytes a3 = BYTES_INIT(SIZE_MAX);
	struct bytes o1 = BYTES_INIT(SIZE_MAX), o2 = BYTES_INIT(SIZE_MAX);
	struct bytes o3 = BYTES_INIT(SIZE_MAX);
	long n1, n2, n3;

	if (size > FUZZ_INPUT_MAX)
		size = FUZZ_INPUT_MAX;
	errno = 0;
	n1 = addr822_list((const char *)data, size, collect, &a1, &o1, 4);
	if (n1 == -1) {
		CHECK(errno == E2BIG);
		goto out;
	}
	check_output(&o1);
	n2 = addr822_list(o1.s, o1.len, collect, &a2, &o2, 4);
	CHECK(n2 == n1);
	CHECK(same(&a2, &a1));
	check_output(&o2);
	/* and the second output is a fixed point */
	n3 = addr822_list(o2.s, o2.len, collect, &a3, &o3, 4);
	CHECK(n3 == n1);
	CHECK(same(&o3, &o2));
out:
	bytes_free(&a1);
	bytes_free(&a2);
	bytes_free(&a3);
	bytes_free(&o1);
	bytes_free(&o2);
	bytes_free(&o3);
	return 0;
}
