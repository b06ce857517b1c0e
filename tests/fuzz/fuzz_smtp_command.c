/*
 * fuzz_smtp_command.c - libFuzzer target for qmail-smtpd's command
 * reader and address parser (src/lib/smtpin.c).
 *
 * The input is a client's byte stream; its first byte chooses how it is
 * cut into reads.  Invariants checked on every line:
 *   - a line is DONE only if it ended in CR LF with no other CR or LF
 *     in it (bare CR/LF is always refused), and is at most
 *     SMTPIN_LINE_MAX - 2 bytes, NUL-terminated, with no NUL inside;
 *   - the reader never takes more bytes than it was given;
 *   - the address parser's result is at most SMTPIN_ADDR_MAX bytes,
 *     holds no LF or NUL, and its rest pointer lies inside the argument
 *     (or is an empty string).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "smtpin.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

/* line_was_proper - the raw bytes of a line, LF included, are CR LF clean */
static int
line_was_proper(const uint8_t *raw, size_t n)
{
	size_t i;

	if (n < 2 || raw[n - 1] != '\n' || raw[n - 2] != '\r')
		return 0;
	for (i = 0; i + 2 < n; i++)
		if (raw[i] == '\r' || raw[i] == '\n')
			return 0;
	return 1;
}

static void
check_command(char *line, size_t len)
{
	struct bytes addr = BYTES_INIT(SMTPIN_ADDR_MAX + 64);
	const char *verb, *arg, *rest = NULL;
	size_t arglen;
	int r;

	CHECK(strlen(line) == len);
	smtpin_command_split(line, &verb, &arg);
	CHECK(verb == line);
	CHECK((arg > line && arg <= line + len) || *arg == '\0');
	arglen = strlen(arg);
	r = smtpin_addr_parse(arg, &addr, &rest);
	CHECK(r == 0 || r == 1);
	if (r == 1) {
		CHECK(addr.len <= SMTPIN_ADDR_MAX);
		CHECK(strlen(addr.s) == addr.len);
		CHECK(memchr(addr.s, '\n', addr.len) == NULL);
		/* rest lies in the argument, or is "" when there was no
		 * path at all (no '<' and no ':') */
		CHECK((rest >= arg && rest <= arg + arglen) || *rest == '\0');
	}
	{
		unsigned long long n;
		(void)smtpin_param_size(arg, &n);
	}
	bytes_free(&addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpin_line l;
	size_t step, off = 0, start = 0, used, k;
	int r;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	smtpin_line_init(&l);
	while (off < size) {
		k = size - off < step ? size - off : step;
		r = smtpin_line_feed(&l, (const char *)data + off, k, &used);
		CHECK(r != -1);
		CHECK(used <= k);
		off += used;
		if (r == SMTPIN_LINE_MORE) {
			CHECK(used == k);
			continue;
		}
		CHECK(data[off - 1] == '\n');
		if (r == SMTPIN_LINE_DONE) {
			CHECK(line_was_proper(data + start, off - start));
			CHECK(l.line.len == off - start - 2);
			CHECK(l.line.len <= SMTPIN_LINE_MAX - 2);
			CHECK(l.line.s[l.line.len] == '\0');
			CHECK(memchr(l.line.s, '\0', l.line.len) == NULL);
			check_command(l.line.s, l.line.len);
		} else if (r == SMTPIN_LINE_TOOLONG) {
			CHECK(off - start > SMTPIN_LINE_MAX);
			CHECK(data[off - 2] == '\r');
		} else {
			CHECK(r == SMTPIN_LINE_BARE);
			CHECK(!line_was_proper(data + start, off - start));
			break; /* qmail-smtpd drops the connection */
		}
		start = off;
	}
	smtpin_line_free(&l);
	return 0;
}
