/*
 * smtpreply.c - reading an SMTP server's replies (see smtpreply.h).
 */
#include <string.h>
#include <strings.h>

#include "smtpreply.h"

void
smtpreply_init(struct smtpreply *r)
{
	r->code = -1;
	r->lines = 0;
	r->ehlo = 0;
	r->offers = 0;
	bytes_init(&r->text, SMTPREPLY_TEXT_MAX);
}

void
smtpreply_free(struct smtpreply *r)
{
	bytes_free(&r->text);
}

void
smtpreply_start(struct smtpreply *r, int ehlo)
{
	r->code = -1;
	r->lines = 0;
	r->ehlo = ehlo;
	bytes_truncate(&r->text, 0);
}

int
smtpreply_code(const char *s, size_t len, int *more)
{
	if (len < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' ||
	    s[1] > '9' || s[2] < '0' || s[2] > '9')
		return -1;
	if (len == 3)
		*more = 0;
	else if (s[3] == ' ')
		*more = 0;
	else if (s[3] == '-')
		*more = 1;
	else
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* ehlo_keyword - note an extension named on an EHLO reply line */
static void
ehlo_keyword(struct smtpreply *r, const char *kw, size_t kwlen)
{
	if (kwlen == 10 && strncasecmp(kw, "PIPELINING", 10) == 0)
		r->offers |= SMTPREPLY_OFFER_PIPELINING;
	if (kwlen == 8 && strncasecmp(kw, "8BITMIME", 8) == 0)
		r->offers |= SMTPREPLY_OFFER_8BITMIME;
	if (kwlen >= 4 && strncasecmp(kw, "SIZE", 4) == 0 &&
	    (kwlen == 4 || kw[4] == ' '))
		r->offers |= SMTPREPLY_OFFER_SIZE;
}

int
smtpreply_line(struct smtpreply *r, const char *s, size_t len)
{
	size_t body = len, i;
	int c, more = 0;

	if (++r->lines > SMTPREPLY_LINES_MAX)
		return SMTPREPLY_TOOMANY;
	if (body > 0 && s[body - 1] == '\n')
		body--;
	if (body > 0 && s[body - 1] == '\r')
		body--;
	c = smtpreply_code(s, body, &more);
	if (c < 0 || (r->code >= 0 && c != r->code))
		return SMTPREPLY_MALFORMED;
	r->code = c;
	if (r->ehlo && r->lines > 1 && body > 4)
		ehlo_keyword(r, s + 4, body - 4);
	for (i = 0; i < len; i++) {
		if (s[i] == '\r')
			continue;
		if (r->text.len + 1 >= SMTPREPLY_TEXT_MAX)
			break;
		if (bytes_append_char(&r->text, s[i]) == -1)
			return -1;
	}
	return more ? SMTPREPLY_MORE : SMTPREPLY_DONE;
}
