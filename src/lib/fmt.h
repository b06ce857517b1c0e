/*
 * fmt.h - formatting and parsing numbers without surprises.
 */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>

/* Room for any unsigned long long in decimal, with a NUL. */
#define FMT_ULONG 21

/*
 * fmt_ulong - write u in decimal to s (which has room for FMT_ULONG
 * bytes) with a NUL; return the number of digits.
 */
size_t fmt_ulong(char *s, unsigned long long u);

/*
 * scan_ulong - parse the decimal digits at the start of s (at least one)
 * into *u.  Returns the number of bytes used, 0 if s does not start with a
 * digit (errno EINVAL) or the value does not fit (errno ERANGE).
 */
size_t scan_ulong(const char *s, unsigned long long *u);

/*
 * parse_ulong - the whole C string s must be a decimal number no greater
 * than max: 0 and *u set, or -1 with EINVAL (not a number) or ERANGE.
 */
int parse_ulong(const char *s, unsigned long long max, unsigned long long *u);

#endif
