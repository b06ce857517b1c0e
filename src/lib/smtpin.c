/*
 * smtpin.c - the parsing core of an SMTP server (see smtpin.h).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "smtpin.h"

void
smtpin_line_init(struct smtpin_line *l)
{
	bytes_init(&l->line, SMTPIN_LINE_MAX + 1);
	l->toolong = 0;
	l->done = 0;
	l->last = 0;
	l->before = 0;
}

void
smtpin_line_free(struct smtpin_line *l)
{
	bytes_free(&l->line);
}

/* line_restart - forget the line just finished */
static void
line_restart(struct smtpin_line *l)
{
	bytes_truncate(&l->line, 0);
	l->toolong = 0;
	l->done = 0;
	l->last = 0;
	l->before = 0;
}

/* line_finish - the LF has been taken: judge the line */
static int
line_finish(struct smtpin_line *l)
{
	size_t i;

	if (l->before != '\r')
		return SMTPIN_LINE_BARE;
	if (l->toolong)
		return SMTPIN_LINE_TOOLONG;
	l->line.len -= 2;
	if (memchr(l->line.s, '\r', l->line.len) != NULL)
		return SMTPIN_LINE_BARE;
	/* qmail turns a NUL inside a command into LF; no address may hold
	 * one (smtpin_addr_parse refuses it), so it never reaches a record */
	for (i = 0; i < l->line.len; i++)
		if (l->line.s[i] == '\0')
			l->line.s[i] = '\n';
	if (bytes_cstr(&l->line) == NULL)
		return -1;
	return SMTPIN_LINE_DONE;
}

int
smtpin_line_feed(struct smtpin_line *l, const char *p, size_t n,
    size_t *used)
{
	const char *lf;
	size_t take;

	*used = 0;
	if (l->done)
		line_restart(l);
	if (n == 0)
		return SMTPIN_LINE_MORE;
	lf = memchr(p, '\n', n);
	take = lf != NULL ? (size_t)(lf - p) + 1 : n;
	if (!l->toolong && take > SMTPIN_LINE_MAX - l->line.len)
		l->toolong = 1;
	if (!l->toolong && bytes_append(&l->line, p, take) == -1)
		return -1;
	l->before = take >= 2 ? p[take - 2] : l->last;
	l->last = p[take - 1];
	*used = take;
	if (lf == NULL)
		return SMTPIN_LINE_MORE;
	l->done = 1;
	return line_finish(l);
}

void
smtpin_command_split(char *line, const char **verb, const char **arg)
{
	char *sp = strchr(line, ' ');
	const char *a = "";

	if (sp != NULL) {
		*sp = '\0';
		a = sp + 1;
		while (*a == ' ')
			a++;
	}
	*verb = line;
	*arg = a;
}

int
smtpin_addr_parse(const char *arg, struct bytes *addr, const char **rest)
{
	char term = '>';
	const char *lt = strchr(arg, '<');
	int quoted = 0;

	if (lt != NULL) {
		arg = lt + 1;
	} else {
		term = ' ';
		arg = strchr(arg, ':') != NULL ? strchr(arg, ':') + 1 : "";
		while (*arg == ' ')
			arg++;
	}
	if (*arg == '@') {
		while (*arg != '\0' && *arg++ != ':')
			;
	}
	bytes_truncate(addr, 0);
	for (; *arg != '\0'; arg++) {
		char c = *arg;
		if (c == '\\' && arg[1] != '\0') {
			c = *++arg;
		} else if (c == '"') {
			quoted = !quoted;
			continue;
		} else if (c == term && !quoted) {
			arg++;
			break;
		}
		if (c == '\n')
			return 0;
		if (addr->len >= SMTPIN_ADDR_MAX)
			return 0;
		if (bytes_append_char(addr, c) == -1)
			return -1;
	}
	*rest = arg;
	if (bytes_cstr(addr) == NULL)
		return -1;
	return 1;
}

int
smtpin_param_size(const char *params, unsigned long long *n)
{
	const char *p = params;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (strncasecmp(p, "SIZE=", 5) == 0) {
			if (scan_ulong(p + 5, n) == 0) {
				if (errno != ERANGE)
					return 0;
				*n = (unsigned long long)-1;
			}
			return 1;
		}
		while (*p != '\0' && *p != ' ')
			p++;
	}
	return 0;
}

void
smtpin_data_init(struct smtpin_data *d, smtpin_data_put *put, void *ctx)
{
	d->state = SMTPIN_DATA_BOL;
	d->put = put;
	d->ctx = ctx;
	d->in_header = 1;
	d->hdr_pos = 0;
	d->hops = 0;
}

/* hdr_track - count Received and Delivered-To lines in the header, as
 * qmail does (a line starting with either word, in any case) */
static void
hdr_track(struct smtpin_data *d, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && d->in_header) {
		char c = p[i];
		if (c == '\n') {
			if (d->hdr_pos == 0)
				d->in_header = 0;
			d->hdr_pos = 0;
			i++;
			continue;
		}
		if (d->hdr_pos >= sizeof(d->hdr_prefix)) {
			const char *lf = memchr(p + i, '\n', n - i);
			if (lf == NULL)
				return;
			i = (size_t)(lf - p);
			continue;
		}
		d->hdr_prefix[d->hdr_pos++] =
		    (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		if ((d->hdr_pos == 8 &&
			memcmp(d->hdr_prefix, "received", 8) == 0) ||
		    (d->hdr_pos == 12 &&
			memcmp(d->hdr_prefix, "delivered-to", 12) == 0))
			d->hops++;
		i++;
	}
}

static void
data_emit(struct smtpin_data *d, const char *p, size_t n)
{
	if (d->in_header)
		hdr_track(d, p, n);
	d->put(d->ctx, p, n);
}

/* data_plain_run - how many bytes at p are neither CR nor LF */
static size_t
data_plain_run(const char *p, size_t n)
{
	const char *cr = memchr(p, '\r', n);
	size_t upto = cr != NULL ? (size_t)(cr - p) : n;
	const char *lf = memchr(p, '\n', upto);

	return lf != NULL ? (size_t)(lf - p) : upto;
}

size_t
smtpin_data_step(struct smtpin_data *d, const char *p, size_t n)
{
	size_t i = 0, run;

	while (i < n && d->state != SMTPIN_DATA_END &&
	    d->state != SMTPIN_DATA_BARE) {
		char c = p[i];
		switch (d->state) {
		case SMTPIN_DATA_BOL:
			if (c == '.') {
				d->state = SMTPIN_DATA_DOT;
				i++;
				break;
			}
			d->state = SMTPIN_DATA_MID;
			break;
		case SMTPIN_DATA_DOT:
			if (c == '\r') {
				d->state = SMTPIN_DATA_DOTCR;
				i++;
				break;
			}
			d->state = SMTPIN_DATA_MID;
			break;
		case SMTPIN_DATA_DOTCR:
			if (c != '\n') {
				d->state = SMTPIN_DATA_BARE;
				break;
			}
			d->state = SMTPIN_DATA_END;
			i++;
			break;
		case SMTPIN_DATA_CR:
			if (c != '\n') {
				d->state = SMTPIN_DATA_BARE;
				break;
			}
			data_emit(d, "\n", 1);
			d->state = SMTPIN_DATA_BOL;
			i++;
			break;
		case SMTPIN_DATA_MID:
			if (c == '\r') {
				d->state = SMTPIN_DATA_CR;
				i++;
				break;
			}
			if (c == '\n') {
				d->state = SMTPIN_DATA_BARE;
				break;
			}
			run = data_plain_run(p + i, n - i);
			data_emit(d, p + i, run);
			i += run;
			break;
		case SMTPIN_DATA_END:
		case SMTPIN_DATA_BARE:
			break;
		}
	}
	return i;
}
