/*
 * fuzz_base64.c - libFuzzer target for the strict base64 decoder that
 * qmail-smtpd uses for SMTP AUTH (src/lib/base64.c).
 *
 * Invariants checked on every input:
 *   - the decoder never writes past the room it is given (ASan) and
 *     never returns more than it allows;
 *   - strictness: whatever decodes encodes back to exactly the input
 *     (every byte string has one accepted encoding);
 *   - a capacity one byte short of the result fails with E2BIG.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t cap = base64_decoded_max(size);
	char *out, *back;
	long n, m;

	out = malloc(cap + 1);
	back = malloc(size + 4);
	CHECK(out != NULL && back != NULL);
	n = base64_decode(in, size, out, cap);
	if (n >= 0) {
		CHECK((size_t)n <= cap);
		m = base64_encode(out, (size_t)n, back, size + 4);
		CHECK(m >= 0 && (size_t)m == size);
		CHECK(memcmp(back, in, size) == 0);
		if (n > 0) {
			errno = 0;
			CHECK(base64_decode(in, size, out, (size_t)n - 1) == -1);
			CHECK(errno == E2BIG);
		}
	} else {
		CHECK(errno == EINVAL || errno == E2BIG);
	}
	free(out);
	free(back);
	return 0;
}
