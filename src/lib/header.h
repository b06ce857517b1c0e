/*
 * header.h - read a message's header one field at a time.
 *
 * A header field is a line "Name: value" and the continuation lines after
 * it (lines starting with a space or a tab).  The header ends at the first
 * empty line or at the end of the input.  header_field_read hands out each
 * field whole, continuation line breaks kept, without its final newline.
 *
 * Memory is bounded: a field longer than the limit of the caller's struct
 * bytes is cut there (the rest is read and thrown away, and the caller is
 * told), so a header line of gigabytes costs nothing but time.
 */
#ifndef HEADER_H
#define HEADER_H

#include <stddef.h>

#include "bytes.h"
#include "iobuf.h"

/*
 * header_field_read - read the next field from in into field (replacing
 * its contents; the bytes beyond field's limit are dropped and *truncated
 * is set to 1, else 0).  Returns 1 for a field, 0 at the end of the header
 * (the empty line is consumed; the body follows in in), -1 with errno on a
 * read error or ENOMEM/ERANGE.  A line that is not a field (no colon) is
 * handed out like one; header_field_value then does not match it.
 *
 * budget, when not NULL, is how many more bytes may be read from in; it
 * is counted down, and once it is used up the header is treated as ended
 * there (the field being read is handed out cut, and the next call
 * returns 0).  It bounds the time a hostile header can cost.
 */
int header_field_read(struct iobuf *in, struct bytes *field, int *truncated,
    size_t *budget);

/*
 * header_field_value - if field[0..len) is a field named name (compared
 * without regard to case; white space before the colon allowed), return
 * the offset of its value (just after the colon); else return 0.
 */
size_t header_field_value(const char *field, size_t len, const char *name);

#endif
