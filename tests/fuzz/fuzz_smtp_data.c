/*
 * fuzz_smtp_data.c - libFuzzer target for qmail-smtpd's DATA reader
 * (src/lib/smtpin.c).
 *
 * The input is what a client sends after 354; its first byte chooses
 * how it is cut into reads.  The reader's result is compared with a
 * simple line-by-line model of RFC 5321 DATA:
 *   - the lines must end in CR LF; a bare CR or LF anywhere before the
 *     end is always refused (state BARE), never taken as an end;
 *   - the data ends only at a line "." (CR LF "." CR LF); the bytes after
 *     it are left unused, for pipelined commands;
 *   - dot-stuffing is undone (one leading dot removed) and CR LF becomes
 *     LF; the output equals the model's byte for byte;
 *   - the reader never emits bytes past what it was given, and never
 *     uses more than it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpin.h"

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

struct out {
	char *buf;
	size_t len, cap;
	const char *in_lo, *in_hi; /* the input the reader was given */
};

static void
out_put(void *ctx, const char *p, size_t n)
{
	struct out *o = ctx;

	/* every byte emitted lies inside the input, or is the LF the
	 * reader writes for a CR LF */
	CHECK(n > 0);
	CHECK((p >= o->in_lo && p + n <= o->in_hi) ||
	    (n == 1 && p[0] == '\n'));
	CHECK(o->len + n <= o->cap);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* model - the expected result; *outlen bytes of output in out, *used */
static enum smtpin_data_state
model(const char *in, size_t n, char *out, size_t *outlen, size_t *used)
{
	size_t pos = 0, o = 0, i, start;

	for (;;) {
		start = pos;
		/* find the line end: the first CR or LF */
		for (i = pos; i < n && in[i] != '\r' && in[i] != '\n'; i++)
			;
		if (i == n) {
			/* incomplete line: all used, nothing decided; the
			 * reader may have emitted the line's bytes so far
			 * (less a leading dot) */
			if (i > start && in[start] == '.')
				start++;
			memcpy(out + o, in + start, i - start);
			o += i - start;
			*outlen = o;
			*used = n;
			return SMTPIN_DATA_MID; /* "not finished" */
		}
		if (in[i] == '\n')
			return SMTPIN_DATA_BARE;
		if (i + 1 == n) {
			if (start < i && in[start] == '.')
				start++;
			memcpy(out + o, in + start, i - start);
			o += i - start;
			*outlen = o;
			*used = n;
			return SMTPIN_DATA_MID;
		}
		if (in[i + 1] != '\n')
			return SMTPIN_DATA_BARE;
		if (i - pos == 1 && in[pos] == '.') {
			*outlen = o;
			*used = i + 2;
			return SMTPIN_DATA_END;
		}
		if (i > start && in[start] == '.')
			start++;
		memcpy(out + o, in + start, i - start);
		o += i - start;
		out[o++] = '\n';
		pos = i + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpin_data d;
	struct out o;
	char *want;
	size_t step, off = 0, k, used, wantlen = 0, wantused = 0;
	enum smtpin_data_state st;
	const char *in;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 97 + 1;
	in = (const char *)data + 1;
	size--;

	o.cap = size + 1;
	o.buf = malloc(o.cap);
	want = malloc(o.cap);
	CHECK(o.buf != NULL && want != NULL);
	o.len = 0;
	o.in_lo = in;
	o.in_hi = in + size;

	smtpin_data_init(&d, out_put, &o);
	while (off < size && d.state != SMTPIN_DATA_END &&
	    d.state != SMTPIN_DATA_BARE) {
		k = size - off < step ? size - off : step;
		used = smtpin_data_step(&d, in + off, k);
		CHECK(used <= k);
		if (d.state != SMTPIN_DATA_END && d.state != SMTPIN_DATA_BARE)
			CHECK(used == k);
		off += used;
	}
	CHECK(o.len <= size);

	st = model(in, size, want, &wantlen, &wantused);
	if (st == SMTPIN_DATA_END) {
		CHECK(d.state == SMTPIN_DATA_END);
		CHECK(off == wantused);
		CHECK(o.len == wantlen);
		CHECK(memcmp(o.buf, want, wantlen) == 0);
		/* the end is CR LF "." CR LF (or "." CR LF at the start) */
		CHECK(off >= 3 && memcmp(in + off - 3, ".\r\n", 3) == 0);
		CHECK(off == 3 || (in[off - 5] == '\r' && in[off - 4] == '\n'));
	} else if (st == SMTPIN_DATA_BARE) {
		CHECK(d.state == SMTPIN_DATA_BARE);
		/* what was emitted before the refusal is a prefix of the
		 * model's output for the clean lines */
	} else {
		CHECK(d.state != SMTPIN_DATA_END &&
		    d.state != SMTPIN_DATA_BARE);
		CHECK(off == size);
		CHECK(o.len == wantlen);
		CHECK(memcmp(o.buf, want, wantlen) == 0);
	}
	free(o.buf);
	free(want);
	return 0;
}
