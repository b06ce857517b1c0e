/*
 * pop3cmd.c - reading POP3 command lines, see pop3cmd.h.
 *
 * The line buffer is wiped before every reuse and when released: in
 * qmail-popup it holds the PASS and APOP arguments.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "control.h"
#include "pop3cmd.h"

/* The line with its CR LF and the NUL that bytes_cstr adds. */
#define POP3CMD_BYTES (POP3CMD_LINE_MAX + 3)

void
pop3cmd_init(struct pop3cmd *c)
{
	bytes_init(&c->line, POP3CMD_BYTES);
	c->verb = "";
	c->arg = "";
}

/* pop3cmd_clear - zero what the buffer held and make the line empty */
static void
pop3cmd_clear(struct pop3cmd *c)
{
	if (c->line.s != NULL)
		explicit_bzero(c->line.s, c->line.cap);
	bytes_truncate(&c->line, 0);
	c->verb = "";
	c->arg = "";
}

/*
 * pop3cmd_skip_rest - consume the rest of an overlong line.  1 once its
 * LF has been read, 0 at end of file, -1 on a read error.
 */
static int
pop3cmd_skip_rest(struct iobuf *in, struct pop3cmd *c)
{
	int r;

	for (;;) {
		pop3cmd_clear(c);
		r = iobuf_getline(in, &c->line, '\n');
		if (r == 1 || r == 0)
			return r;
		if (errno != E2BIG)
			return -1;
	}
}

/* pop3cmd_split - cut the NUL-terminated line s into keyword and argument */
static void
pop3cmd_split(struct pop3cmd *c, char *s, size_t len)
{
	char *space = memchr(s, ' ', len);

	c->verb = s;
	if (space == NULL) {
		c->arg = s + len;
		return;
	}
	*space++ = '\0';
	while (*space == ' ')
		space++;
	c->arg = space;
}

int
pop3cmd_read(struct iobuf *in, struct pop3cmd *c)
{
	size_t len;
	char *s;
	int r;

	pop3cmd_clear(c);
	r = iobuf_getline(in, &c->line, '\n');
	if (r == -1 && errno == E2BIG) {
		r = pop3cmd_skip_rest(in, c);
		pop3cmd_clear(c);
		if (r != 1)
			return r;
		errno = E2BIG;
		return -1;
	}
	if (r != 1) {
		pop3cmd_clear(c);
		return r;
	}
	len = c->line.len - 1; /* the LF */
	if (len > 0 && c->line.s[len - 1] == '\r')
		len--;
	if (len > POP3CMD_LINE_MAX) {
		pop3cmd_clear(c);
		errno = E2BIG;
		return -1;
	}
	if (memchr(c->line.s, '\0', len) != NULL) {
		pop3cmd_clear(c);
		errno = EINVAL;
		return -1;
	}
	bytes_truncate(&c->line, len);
	s = bytes_cstr(&c->line); /* the limit keeps room for the NUL */
	if (s == NULL) {
		pop3cmd_clear(c);
		return -1;
	}
	pop3cmd_split(c, s, len);
	return 1;
}

int
pop3cmd_is(const struct pop3cmd *c, const char *verb)
{
	return strcasecmp(c->verb, verb) == 0;
}

void
pop3cmd_wipe(struct pop3cmd *c)
{
	pop3cmd_clear(c);
	bytes_free(&c->line);
}

int
pop3cmd_timeout(unsigned long *seconds)
{
	struct bytes path = BYTES_INIT(4096 + sizeof(POP3CMD_TIMEOUT_FILE) + 1);
	unsigned long t = POP3CMD_TIMEOUT_DEFAULT;
	int r;

	if (bytes_copy_str(&path, conf_qmail_home) == -1 ||
	    bytes_append_char(&path, '/') == -1 ||
	    bytes_append_str(&path, POP3CMD_TIMEOUT_FILE) == -1 ||
	    bytes_cstr(&path) == NULL) {
		bytes_free(&path);
		return -1;
	}
	r = control_readint(&t, path.s);
	bytes_free(&path);
	if (r == -1 && errno != ERANGE)
		return -1;
	if (r == -1)
		t = POP3CMD_TIMEOUT_MAX; /* a number too big to hold */
	if (t == 0)
		t = POP3CMD_TIMEOUT_DEFAULT;
	if (t > POP3CMD_TIMEOUT_MAX)
		t = POP3CMD_TIMEOUT_MAX;
	*seconds = t;
	return 0;
}
