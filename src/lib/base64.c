/*
 * base64.c - strict base64, see base64.h.
 */
#include <errno.h>
#include <limits.h>

#include "base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_value - the 6-bit value of c, or -1 if c is not in the alphabet */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
base64_decode(const char *src, size_t n, char *dst, size_t cap)
{
	size_t i, out = 0, pad = 0;
	unsigned long group;
	int k, v;

	if (n % 4 != 0 || n / 4 * 3 > LONG_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0 && src[n - 1] == '=')
		pad = (n > 1 && src[n - 2] == '=') ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		group = 0;
		for (k = 0; k < 4; k++) {
			if (i + 4 == n && k >= 4 - (int)pad) {
				v = 0; /* a padding position */
			} else {
				v = b64_value(src[i + (size_t)k]);
				if (v == -1) {
					errno = EINVAL;
					return -1;
				}
			}
			group = group << 6 | (unsigned long)v;
		}
		/* the bits the padding leaves unused must be zero */
		if (i + 4 == n && ((pad == 1 && (group & 0xff) != 0) ||
				      (pad == 2 && (group & 0xffff) != 0))) {
			errno = EINVAL;
			return -1;
		}
		for (k = 0; k < 3 - (i + 4 == n ? (int)pad : 0); k++) {
			if (out >= cap) {
				errno = E2BIG;
				return -1;
			}
			dst[out++] = (char)((group >> (16 - 8 * k)) & 0xff);
		}
	}
	return (long)out;
}

long
base64_encode(const char *src, size_t n, char *dst, size_t cap)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i, out = 0, need;
	unsigned long group;

	if (n > (size_t)LONG_MAX / 4 * 3 - 3) {
		errno = E2BIG;
		return -1;
	}
	need = (n + 2) / 3 * 4;
	if (need > cap) {
		errno = E2BIG;
		return -1;
	}
	for (i = 0; i < n; i += 3) {
		group = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			group |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			group |= s[i + 2];
		dst[out++] = b64_alphabet[(group >> 18) & 63];
		dst[out++] = b64_alphabet[(group >> 12) & 63];
		dst[out++] = i + 1 < n ? b64_alphabet[(group >> 6) & 63] : '=';
		dst[out++] = i + 2 < n ? b64_alphabet[group & 63] : '=';
	}
	return (long)out;
}
