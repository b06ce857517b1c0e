/*
 * base64.h - strict base64 (RFC 4648, section 4) for SMTP AUTH.
 *
 * SMTP AUTH (RFC 4954) carries every response in base64.  The decoder
 * is strict, because what it decodes is hostile: the standard alphabet
 * only, no white space, a length that is a multiple of four, padding
 * only at the end, and the unused bits of the last group zero (so every
 * byte string has exactly one accepted encoding).  The encoder writes
 * the standard form with padding.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

/* base64_decoded_max - the most bytes n characters of base64 decode to */
#define base64_decoded_max(n) ((n) / 4 * 3)

/* base64_encoded_len - the length of the encoding of n bytes (n small) */
#define base64_encoded_len(n) (((n) + 2) / 3 * 4)

/*
 * base64_decode - decode src[0..n) into dst, which has room for cap
 * bytes.  Returns the number of bytes decoded, or -1 with errno EINVAL
 * for anything that is not strict base64, or E2BIG if the result would
 * not fit in cap bytes (nothing useful is left in dst then).
 */
long base64_decode(const char *src, size_t n, char *dst, size_t cap);

/*
 * base64_encode - encode src[0..n) into dst, which has room for cap
 * bytes.  Returns the length written (no NUL is added), or -1 with errno
 * E2BIG if it would not fit.
 */
long base64_encode(const char *src, size_t n, char *dst, size_t cap);

#endif
