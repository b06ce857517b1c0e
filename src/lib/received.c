/*
 * received.c - qmail's Received header field, see received.h.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "date822.h"
#include "received.h"

/* received_safe_char - the bytes of client-given text shown as they are */
static int
received_safe_char(char c, const char *also)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' &&
	    (strchr(".@%+/=:-", c) != NULL || strchr(also, c) != NULL);
}

int
received_append_safe(struct bytes *b, const char *text, const char *also)
{
	for (; *text != '\0'; text++)
		if (bytes_append_char(b, received_safe_char(*text, also)
			    ? *text
			    : '?') == -1)
			return -1;
	return 0;
}

static int
received_safe(struct bytes *b, const char *text)
{
	return received_append_safe(b, text, "");
}

int
received_append(struct bytes *out, const char *protocol, const char *local,
    const char *remoteip, const char *remotehost, const char *remoteinfo,
    const char *helo, time_t now)
{
	char date[DATE822_MAX];
	size_t old = out->len;
	size_t n;

	n = date822_utc(date, now);
	if (bytes_append_str(out, "Received: from ") == -1 ||
	    received_safe(out, remotehost) == -1)
		goto fail;
	if (helo != NULL && (bytes_append_str(out, " (HELO ") == -1 ||
				received_safe(out, helo) == -1 ||
				bytes_append_char(out, ')') == -1))
		goto fail;
	if (bytes_append_str(out, " (") == -1)
		goto fail;
	if (remoteinfo != NULL && (received_safe(out, remoteinfo) == -1 ||
				      bytes_append_char(out, '@') == -1))
		goto fail;
	if (received_safe(out, remoteip) == -1 ||
	    bytes_append_str(out, ")\n  by ") == -1 ||
	    received_safe(out, local) == -1 ||
	    bytes_append_str(out, " with ") == -1 ||
	    bytes_append_str(out, protocol) == -1 ||
	    bytes_append_str(out, "; ") == -1 ||
	    bytes_append(out, date, n) == -1 ||
	    bytes_append_char(out, '\n') == -1)
		goto fail;
	return 0;
fail:
	bytes_truncate(out, old);
	return -1;
}

/* env_or - the environment variable name, or def when it is not set */
static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL ? v : def;
}

void
received_peer_getenv(struct received_peer *p)
{
	p->remoteip = env_or("TCPREMOTEIP", "unknown");
	p->remotehost = env_or("TCPREMOTEHOST", "unknown");
	p->remoteinfo = getenv("TCPREMOTEINFO");
	p->local = getenv("TCPLOCALHOST");
	if (p->local == NULL)
		p->local = env_or("TCPLOCALIP", "unknown");
}
