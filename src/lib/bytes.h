/*
 * bytes.h - growable byte strings with checked sizes and a hard limit.
 *
 * A struct bytes owns a heap buffer s[0..len) (not NUL-terminated unless
 * bytes_cstr() is asked for).  Every growth is overflow-checked and never
 * goes past the limit the caller set: exceeding it fails with E2BIG, a
 * size computation that would wrap fails with ERANGE, and an allocation
 * failure with ENOMEM.  On failure the string is left as it was.  This is
 * the defence against the 64-bit qmail overflows: feeding gigabytes yields
 * a clean error, never a wrap.
 */
#ifndef BYTES_H
#define BYTES_H

#include <stddef.h>

struct bytes {
	char *s;
	size_t len;
	size_t cap;
	size_t limit; /* most bytes s may ever hold, counting a NUL */
};

/* BYTES_INIT(limit) - an empty string; no memory until the first growth */
#define BYTES_INIT(lim) { NULL, 0, 0, (lim) }

/* bytes_init - make b empty with the given limit (no allocation) */
void bytes_init(struct bytes *b, size_t limit);

/* bytes_free - release the buffer; b is empty (same limit) afterwards */
void bytes_free(struct bytes *b);

/* bytes_reserve - make room for n more bytes; 0 or -1 (E2BIG/ERANGE/ENOMEM) */
int bytes_reserve(struct bytes *b, size_t n);

/* bytes_append - append n bytes from p; 0 or -1 */
int bytes_append(struct bytes *b, const void *p, size_t n);

/* bytes_append_str - append a C string (without its NUL); 0 or -1 */
int bytes_append_str(struct bytes *b, const char *s);

/* bytes_append_char - append one byte; 0 or -1 */
int bytes_append_char(struct bytes *b, char c);

/* bytes_copy - replace the contents with n bytes from p; 0 or -1 */
int bytes_copy(struct bytes *b, const void *p, size_t n);

/* bytes_copy_str - replace the contents with a C string; 0 or -1 */
int bytes_copy_str(struct bytes *b, const char *s);

/* bytes_append_ulong - append u in decimal; 0 or -1 */
int bytes_append_ulong(struct bytes *b, unsigned long long u);

/*
 * bytes_cstr - make sure s[len] is a NUL byte (not counted in len) and
 * return s; NULL with errno on failure.
 */
char *bytes_cstr(struct bytes *b);

/* bytes_truncate - shorten to n bytes (n <= len) */
void bytes_truncate(struct bytes *b, size_t n);

/* bytes_equal_str - 1 if b holds exactly the C string s, else 0 */
int bytes_equal_str(const struct bytes *b, const char *s);

#endif
