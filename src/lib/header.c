/*
 * header.c - read a message's header one field at a time, see header.h.
 */
#include <errno.h>
#include <strings.h>
#include <string.h>

#include "header.h"

/* header_keep - append c to field unless it is full (then note truncation) */
static int
header_keep(struct bytes *field, char c, int *truncated)
{
	if (*truncated)
		return 0;
	if (bytes_append_char(field, c) == 0)
		return 0;
	if (errno != E2BIG)
		return -1;
	*truncated = 1;
	return 0;
}

/* header_getc - iobuf_getc within the budget (0 when it is used up) */
static int
header_getc(struct iobuf *in, char *c, size_t *budget)
{
	int r;

	if (budget != NULL && *budget == 0)
		return 0;
	r = iobuf_getc(in, c);
	if (r == 1 && budget != NULL)
		(*budget)--;
	return r;
}

int
header_field_read(struct iobuf *in, struct bytes *field, int *truncated,
    size_t *budget)
{
	ssize_t filled;
	char c;
	int r;

	bytes_truncate(field, 0);
	*truncated = 0;

	r = header_getc(in, &c, budget);
	if (r <= 0)
		return r;
	if (c == '\n')
		return 0;
	for (;;) {
		if (c == '\n') {
			/* A continuation line keeps the field going. */
			if (budget != NULL && *budget == 0)
				return 1;
			filled = iobuf_fill(in);
			if (filled == -1)
				return -1;
			if (filled == 0)
				return 1;
			c = *iobuf_peek(in);
			if (c != ' ' && c != '\t')
				return 1;
			if (header_keep(field, '\n', truncated) == -1)
				return -1;
		} else if (header_keep(field, c, truncated) == -1) {
			return -1;
		}
		r = header_getc(in, &c, budget);
		if (r == -1)
			return -1;
		if (r == 0) {
			if (budget != NULL && *budget == 0)
				*truncated = 1;
			return 1;
		}
	}
}

size_t
header_field_value(const char *field, size_t len, const char *name)
{
	size_t n = strlen(name);
	size_t i;

	if (n == 0 || len < n || strncasecmp(field, name, n) != 0)
		return 0;
	for (i = n; i < len; i++) {
		if (field[i] == ':')
			return i + 1;
		if (field[i] != ' ' && field[i] != '\t')
			return 0;
	}
	return 0;
}
