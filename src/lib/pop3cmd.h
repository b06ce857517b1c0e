/*
 * pop3cmd.h - reading POP3 command lines (RFC 1939) from a client.
 *
 * qmail-popup and qmail-pop3d read the same kind of line: a keyword,
 * optionally followed by a space and an argument, ended by LF (a CR
 * before the LF is dropped, so CRLF and bare LF both end a line).  The
 * keyword is matched without regard to case; the argument starts after
 * the spaces that follow the keyword and keeps everything else (a
 * password may hold spaces).
 *
 * Every line is bounded: one longer than POP3CMD_LINE_MAX bytes (without
 * its line end) is read to its end and thrown away, and the reader
 * reports E2BIG, so a client can never make a server hold more than that.
 * A line with a NUL byte in it is refused too (EINVAL): the argument is
 * passed on as a C string, and a NUL would cut it where the client did
 * not mean to.  The library never prints or exits.
 */
#ifndef POP3CMD_H
#define POP3CMD_H

#include <stddef.h>

#include "bytes.h"
#include "iobuf.h"

/* Most bytes of one command line, without its CR LF. */
#define POP3CMD_LINE_MAX 1024

struct pop3cmd {
	struct bytes line; /* the line, split in place (owned) */
	const char *verb;  /* the keyword, a C string inside line */
	const char *arg;   /* the argument ("" if none), inside line */
};

/* The idle timeout of the POP3 programs, in seconds (qmail's 20 minutes). */
#define POP3CMD_TIMEOUT_DEFAULT 1200
/* The longest idle timeout control/timeoutpop3d may set (one day). */
#define POP3CMD_TIMEOUT_MAX 86400
/* The control file, under the qmail home. */
#define POP3CMD_TIMEOUT_FILE "control/timeoutpop3d"

/*
 * pop3cmd_timeout - the idle timeout in seconds: the number in
 * QMAIL_HOME/control/timeoutpop3d (an absolute path, so it works from any
 * working directory), POP3CMD_TIMEOUT_DEFAULT if the file does not exist
 * or holds 0 or no number, at most POP3CMD_TIMEOUT_MAX.  0 with *seconds
 * set, or -1 with errno if the file exists but cannot be read.
 */
int pop3cmd_timeout(unsigned long *seconds);

/* pop3cmd_init - an empty command, ready for pop3cmd_read */
void pop3cmd_init(struct pop3cmd *c);

/*
 * pop3cmd_read - read the next command line from in.  Returns 1 with
 * c->verb and c->arg set; 0 at end of file (a last line without its LF
 * is not a command); -1 with errno: E2BIG for a line over
 * POP3CMD_LINE_MAX (the whole line has been consumed), EINVAL for a
 * line holding a NUL byte (consumed too), or the error of the read
 * (ETIMEDOUT when the client stalled past in's timeout).  After E2BIG
 * and EINVAL the next command can be read.
 */
int pop3cmd_read(struct iobuf *in, struct pop3cmd *c);

/* pop3cmd_is - 1 if the keyword is verb, ignoring ASCII case; else 0 */
int pop3cmd_is(const struct pop3cmd *c, const char *verb);

/*
 * pop3cmd_wipe - overwrite the line's buffer with zero bytes (it may
 * have held a password) and release it; c is empty afterwards.
 */
void pop3cmd_wipe(struct pop3cmd *c);

#endif
