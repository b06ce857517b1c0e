/*
 * bytes.c - growable byte strings with checked sizes, see bytes.h.
 *
 * Invariants: when s is NULL, len and cap are 0; otherwise
 * len < cap <= limit, so there is always room for a NUL after the last
 * byte.  Growth is amortised (half again as much, clamped to the limit),
 * and every size computation is checked before it is used.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "fmt.h"

/* The first allocation: small strings should not realloc byte by byte. */
#define BYTES_CAP_MIN 32

void
bytes_init(struct bytes *b, size_t limit)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void
bytes_free(struct bytes *b)
{
	free(b->s);
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
}

/*
 * bytes_cap_grow - make cap at least need (which counts the NUL).
 * The caller has checked that need <= limit.  Objects larger than
 * PTRDIFF_MAX are refused as malloc would refuse them (pointer
 * differences inside them would overflow).
 */
static int
bytes_cap_grow(struct bytes *b, size_t need)
{
	size_t want;
	char *p;

	if (need <= b->cap)
		return 0;
	if (need > (size_t)PTRDIFF_MAX) {
		errno = ENOMEM;
		return -1;
	}
	want = b->cap;
	if (want > SIZE_MAX - want / 2)
		want = SIZE_MAX;
	else
		want += want / 2;
	if (want < BYTES_CAP_MIN)
		want = BYTES_CAP_MIN;
	if (want < need)
		want = need;
	if (want > b->limit)
		want = b->limit;
	if (want > (size_t)PTRDIFF_MAX)
		want = (size_t)PTRDIFF_MAX;
	p = realloc(b->s, want);
	if (p == NULL && want > need) {
		/* The generous size failed; the exact one may not. */
		want = need;
		p = realloc(b->s, want);
	}
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->s = p;
	b->cap = want;
	return 0;
}

/*
 * bytes_room - make room for a string of n bytes plus its NUL:
 * ERANGE when n + 1 wraps, E2BIG past the limit, ENOMEM.
 */
static int
bytes_room(struct bytes *b, size_t n)
{
	if (n == SIZE_MAX) {
		errno = ERANGE;
		return -1;
	}
	if (n + 1 > b->limit) {
		errno = E2BIG;
		return -1;
	}
	return bytes_cap_grow(b, n + 1);
}

int
bytes_reserve(struct bytes *b, size_t n)
{
	if (n > SIZE_MAX - b->len) {
		errno = ERANGE;
		return -1;
	}
	return bytes_room(b, b->len + n);
}

/*
 * bytes_offset_of - if p points into b's own buffer, store its offset
 * and return 1: a realloc would move the bytes we are asked to copy.
 */
static int
bytes_offset_of(const struct bytes *b, const void *p, size_t *off)
{
	uintptr_t start = (uintptr_t)b->s;
	uintptr_t at = (uintptr_t)p;

	if (b->s == NULL || at < start || at - start >= b->cap)
		return 0;
	*off = (size_t)(at - start);
	return 1;
}

int
bytes_append(struct bytes *b, const void *p, size_t n)
{
	size_t off;
	int inside;

	if (n == 0)
		return 0;
	inside = bytes_offset_of(b, p, &off);
	if (bytes_reserve(b, n) == -1)
		return -1;
	if (inside)
		p = b->s + off;
	memcpy(b->s + b->len, p, n);
	b->len += n;
	return 0;
}

int
bytes_append_str(struct bytes *b, const char *s)
{
	return bytes_append(b, s, strlen(s));
}

int
bytes_append_char(struct bytes *b, char c)
{
	return bytes_append(b, &c, 1);
}

int
bytes_copy(struct bytes *b, const void *p, size_t n)
{
	size_t off;
	int inside;

	inside = bytes_offset_of(b, p, &off);
	if (bytes_room(b, n) == -1)
		return -1;
	if (inside)
		p = b->s + off;
	if (n > 0)
		memmove(b->s, p, n);
	b->len = n;
	return 0;
}

int
bytes_copy_str(struct bytes *b, const char *s)
{
	return bytes_copy(b, s, strlen(s));
}

int
bytes_append_ulong(struct bytes *b, unsigned long long u)
{
	char digits[FMT_ULONG];

	return bytes_append(b, digits, fmt_ulong(digits, u));
}

char *
bytes_cstr(struct bytes *b)
{
	if (bytes_reserve(b, 0) == -1)
		return NULL;
	b->s[b->len] = '\0';
	return b->s;
}

void
bytes_truncate(struct bytes *b, size_t n)
{
	if (n < b->len)
		b->len = n;
}

int
bytes_equal_str(const struct bytes *b, const char *s)
{
	size_t n = strlen(s);

	if (n != b->len)
		return 0;
	return n == 0 || memcmp(b->s, s, n) == 0;
}
