/*
 * quote.c - quote address local parts for message headers, see quote.h.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "quote.h"

/* quote_is_atext - c may appear in an RFC 5322 atom */
static int
quote_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* quote_is_dot_atom - s[0..len) may stand bare as a local part */
static int
quote_is_dot_atom(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!quote_is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* quote_is_unsafe - s[0..len) holds a byte no header may carry */
static int
quote_is_unsafe(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

/*
 * quote_local_append - the work of quote_local; may leave out partly
 * appended to on failure (the callers undo it).
 */
static int
quote_local_append(struct bytes *out, const char *local, size_t len)
{
	size_t i;
	size_t run;

	if (quote_is_dot_atom(local, len))
		return bytes_append(out, local, len);
	if (bytes_append_char(out, '"') == -1)
		return -1;
	i = 0;
	while (i < len) {
		/* copy the longest run needing no escape in one go */
		run = 0;
		while (i + run < len && local[i + run] != '"' &&
		       local[i + run] != '\\')
			run++;
		if (bytes_append(out, local + i, run) == -1)
			return -1;
		i += run;
		if (i < len) {
			if (bytes_append_char(out, '\\') == -1 ||
			    bytes_append_char(out, local[i]) == -1)
				return -1;
			i++;
		}
	}
	return bytes_append_char(out, '"');
}

int
quote_local(struct bytes *out, const char *local, size_t len)
{
	size_t old = out->len;
	int saved;

	if (len > 0 && quote_is_unsafe(local, len)) {
		errno = EINVAL;
		return -1;
	}
	if (quote_local_append(out, local, len) == -1) {
		saved = errno;
		bytes_truncate(out, old);
		errno = saved;
		return -1;
	}
	return 0;
}

int
quote_address(struct bytes *out, const char *addr, size_t len)
{
	const char *at;
	size_t local_len;
	size_t old = out->len;
	int saved;

	if (len == 0)
		return quote_local(out, "", 0);
	if (quote_is_unsafe(addr, len)) {
		errno = EINVAL;
		return -1;
	}
	at = memrchr(addr, '@', len);
	local_len = at != NULL ? (size_t)(at - addr) : len;
	if (quote_local_append(out, addr, local_len) == -1 ||
	    bytes_append(out, addr + local_len, len - local_len) == -1) {
		saved = errno;
		bytes_truncate(out, old);
		errno = saved;
		return -1;
	}
	return 0;
}
