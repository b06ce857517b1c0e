/*
 * fuzz_smtp_reply.c - libFuzzer target for qmail-remote's reply parser
 * (src/lib/smtpreply.c).
 *
 * The input is a server's byte stream, cut into lines at LF the way
 * qmail-remote reads it (a line over SMTPREPLY_LINE_MAX ends the
 * attempt).  Invariants:
 *   - the kept text is always below SMTPREPLY_TEXT_MAX bytes and holds
 *     no CR;
 *   - a finished reply has a code of 200..599 equal to every line's
 *     first three digits, and at most SMTPREPLY_LINES_MAX lines;
 *   - MORE is only ever returned for a line whose fourth byte is '-';
 *   - the offers are only the three known bits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpreply r;
	const char *p = (const char *)data, *lf;
	size_t off = 0, n;
	int res, ehlo = 1, first_code = -1;

	smtpreply_init(&r);
	smtpreply_start(&r, ehlo);
	while (off < size) {
		lf = memchr(p + off, '\n', size - off);
		n = lf != NULL ? (size_t)(lf - (p + off)) + 1 : size - off;
		if (n > SMTPREPLY_LINE_MAX)
			break; /* qmail-remote: "sent an overlong reply line" */
		res = smtpreply_line(&r, p + off, n);
		CHECK(res != -1);
		CHECK(r.text.len < SMTPREPLY_TEXT_MAX);
		CHECK(r.text.len == 0 ||
		    memchr(r.text.s, '\r', r.text.len) == NULL);
		CHECK(r.lines <= SMTPREPLY_LINES_MAX + 1);
		CHECK((r.offers & ~7u) == 0);
		if (res == SMTPREPLY_MALFORMED || res == SMTPREPLY_TOOMANY)
			break;
		CHECK(r.code >= 200 && r.code <= 599);
		CHECK(p[off] - '0' == r.code / 100);
		if (first_code < 0)
			first_code = r.code;
		CHECK(r.code == first_code);
		if (res == SMTPREPLY_MORE) {
			CHECK(n > 3 && p[off + 3] == '-');
		} else {
			CHECK(res == SMTPREPLY_DONE);
			CHECK(r.lines <= SMTPREPLY_LINES_MAX);
			/* the next reply, alternating EHLO keyword noting */
			ehlo = !ehlo;
			first_code = -1;
			smtpreply_start(&r, ehlo);
		}
		off += n;
	}
	smtpreply_free(&r);
	return 0;
}
