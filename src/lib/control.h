/*
 * control.h - reading qmail control files the way qmail does.
 *
 * Paths are used as given, relative to the caller's working directory
 * (programs chdir to the qmail home first, so they pass "control/me").
 * Every reader returns the same three-way answer:
 *
 *	 1  the file was read (its contents are in out);
 *	 0  the file does not exist (open(2) said ENOENT, nothing else);
 *	-1  anything else, errno set (EACCES, EISDIR, EIO, E2BIG, ENOMEM...):
 *	    the caller must treat it as a temporary failure, never as
 *	    "absent", or a broken disk would silently change the config.
 *
 * Lines end at '\n'.  Trailing spaces, tabs, CRs and LFs are stripped
 * from every line (qmail strips spaces, tabs and LFs; stripping a CR as
 * well makes files edited with CRLF line ends behave).  Leading
 * whitespace is kept, as in qmail.  A last line without a newline counts.
 *
 * Limits (defined behaviour, not truncation): one raw line, before
 * stripping and without its '\n', may hold at most CONTROL_LINE_MAX
 * bytes, and a list file at most CONTROL_FILE_MAX bytes in all; past
 * either the reader fails with E2BIG.  The struct bytes the caller
 * passes keeps its own limit too: initialise it with CONTROL_LINE_BYTES
 * (single lines) or CONTROL_LIST_BYTES (lists) so that every file within
 * the limits above fits.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

#include "bytes.h"

/* Most bytes in one control file line (without its '\n'). */
#define CONTROL_LINE_MAX ((size_t)64 * 1024)

/* Most bytes in a whole list file (locals, rcpthosts, smtproutes...). */
#define CONTROL_FILE_MAX ((size_t)64 * 1024 * 1024)

/* struct bytes limits that hold any line / any list within the above. */
#define CONTROL_LINE_BYTES (CONTROL_LINE_MAX + 1)
#define CONTROL_LIST_BYTES (CONTROL_FILE_MAX + 2)

/*
 * control_readline - the first line of the file at path, with trailing
 * whitespace stripped, replaces the contents of out (not NUL-terminated;
 * use bytes_cstr; the line may itself contain NUL bytes).  The rest of
 * the file is not read.  An empty file gives an empty line and 1.
 * Returns 1, 0 if the file does not exist (out emptied), -1 on error
 * (out emptied; E2BIG if the line is longer than CONTROL_LINE_MAX).
 */
int control_readline(struct bytes *out, const char *path);

/*
 * control_readline_def - control_readline, but a missing file gives the
 * C string def and 1.  With def NULL a missing file gives an empty out
 * and 0, exactly as control_readline.  An existing but empty file is
 * not missing: it gives an empty line and 1 (as in qmail).
 */
int control_readline_def(struct bytes *out, const char *path, const char *def);

/*
 * control_readline_me - qmail's fallback chain for hostname-like files
 * (bouncehost, helohost, defaulthost, ...): the file's first line if it
 * exists; otherwise the contents of me if me is not NULL (the caller
 * passes what control_readline gave for "control/me", or NULL when that
 * returned 0); otherwise def if not NULL (1); otherwise out emptied, 0.
 * Errors reading path are -1 and never fall back.
 */
int control_readline_me(struct bytes *out, const char *path,
    const struct bytes *me, const char *def);

/*
 * control_readint - the first line as an unsigned decimal number.
 * Leading spaces and tabs are skipped (qmail would treat " 30" as
 * absent; we take the number the administrator clearly meant).  The
 * value is the run of digits that follows; whatever comes after the
 * digits is ignored, as in qmail ("1000000 # one MB" reads 1000000).
 * Returns 1 with *out set; 0 with *out untouched if the file does not
 * exist or the line does not start with a digit (empty, "abc", "-5":
 * treated as absent, as qmail does, so the caller's default applies);
 * -1 on a read error, or ERANGE if the number does not fit in an
 * unsigned long (it never wraps), *out untouched.
 */
int control_readint(unsigned long *out, const char *path);

/*
 * control_readdatabytes - the message size limit of a server that takes
 * mail from the network (qmail-smtpd, qmail-qmtpd), by qmail-smtpd's
 * rule: control/databytes as control_readint reads it (0, no limit,
 * when absent), replaced by the environment variable DATABYTES when it
 * is set.  A DATABYTES that does not start with a digit counts as 0, one
 * too large counts as the largest; the result is at most ULONG_MAX - 1,
 * so one more byte than the limit can always be counted.  Returns 0
 * with *out set, or -1 as control_readint (*out then 0).
 */
int control_readdatabytes(unsigned long *out);

/*
 * control_readlines - a list file (locals, rcpthosts, smtproutes,
 * virtualdomains, badmailfrom, ...) replaces the contents of out: every
 * line, trailing whitespace stripped, followed by a NUL byte; empty
 * lines and lines starting with '#' are skipped ("  #x" is kept, as in
 * qmail).  A line containing a NUL byte is cut at that byte, so every
 * entry is a proper C string and no line can smuggle in extra entries.
 * Returns 1, 0 if the file does not exist (out emptied), -1 on error
 * (out emptied; E2BIG for a line over CONTROL_LINE_MAX or a file over
 * CONTROL_FILE_MAX).  Iterate over the result with control_iter.
 */
int control_readlines(struct bytes *out, const char *path);

/*
 * control_readlines_me - control_readlines, but a missing file gives a
 * one-entry list holding me and 1 when me is not NULL, as qmail does for
 * locals.  me is treated as one line of the file would be (cut at a
 * NUL, trailing whitespace stripped), so an empty me gives an empty list
 * and 1 (qmail would add an empty entry).  With me NULL it is exactly
 * control_readlines.
 */
int control_readlines_me(
    struct bytes *out, const char *path, const struct bytes *me);

/* An iterator over the NUL-terminated entries of a control_readlines list. */
struct control_iter {
	const char *next;
	const char *end;
};

/*
 * control_iter_start - iterate over list (which must not change while
 * the iterator is in use).
 */
void control_iter_start(struct control_iter *it, const struct bytes *list);

/*
 * control_iter_next - the next entry: *line points at it (a C string
 * inside the list) and *len is its length.  Returns 1, or 0 when there
 * are no more entries.  A list whose last entry lacks its NUL (not one
 * control_readlines made) still yields that entry, with *len correct but
 * *line not NUL-terminated.
 */
int control_iter_next(struct control_iter *it, const char **line, size_t *len);

#endif
