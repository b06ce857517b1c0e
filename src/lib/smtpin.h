/*
 * smtpin.h - the parsing core of an SMTP server: command lines, envelope
 * addresses and the DATA stream.
 *
 * qmail-smtpd feeds the bytes it reads from the client through these
 * state machines; they do no I/O of their own, so they can be tested
 * and fuzzed on their own.  Every function works on bounded memory:
 * a command line is at most SMTPIN_LINE_MAX bytes, an address at most
 * SMTPIN_ADDR_MAX, and the DATA reader holds no data at all (it passes
 * each run of message bytes to a callback as it goes).
 *
 * Line discipline (the defence against SMTP smuggling): a command line
 * and every line of DATA must end in CR LF.  A bare LF or a bare CR is
 * an error the caller answers by dropping the connection; the end of
 * DATA is recognised only as CR LF "." CR LF.
 */
#ifndef SMTPIN_H
#define SMTPIN_H

#include <stddef.h>

#include "bytes.h"

/* Longest command line accepted, CR LF included (RFC 5321 says 512; the
 * extensions offered need less than this, so 2048 is generous slack). */
#define SMTPIN_LINE_MAX 2048

/* Longest envelope address accepted, in bytes (qmail's limit). */
#define SMTPIN_ADDR_MAX 899

/* What smtpin_line_feed found. */
enum smtpin_line_result {
	SMTPIN_LINE_MORE,    /* no line end yet: feed more bytes */
	SMTPIN_LINE_DONE,    /* a line is complete in the line buffer */
	SMTPIN_LINE_TOOLONG, /* a CR LF ended a line over SMTPIN_LINE_MAX */
	SMTPIN_LINE_BARE     /* a bare LF or CR: drop the connection */
};

/* A command line being read. */
struct smtpin_line {
	struct bytes line; /* the line so far; at DONE without CR LF, NUL
			    * after it, NUL bytes inside turned into LF */
	int toolong;       /* more than SMTPIN_LINE_MAX bytes seen */
	int done;          /* a result was returned: the next feed restarts */
	char last, before; /* the last two bytes seen (0 if none) */
};

/* smtpin_line_init - an empty reader (no memory until the first line) */
void smtpin_line_init(struct smtpin_line *l);

/* smtpin_line_free - release the line buffer */
void smtpin_line_free(struct smtpin_line *l);

/*
 * smtpin_line_feed - take bytes p[0..n) of input; *used is set to how
 * many were taken (all of them for MORE, up to and including the LF
 * otherwise, so what follows stays with the caller).  Returns DONE with
 * the line (without CR LF, NUL-terminated, NUL bytes inside turned into
 * LF as qmail does) in l->line.s[0..l->line.len); TOOLONG when the line
 * passed SMTPIN_LINE_MAX (its bytes were thrown away); BARE when the
 * line ended in a bare LF or held a bare CR; MORE when no LF came yet.
 * After any result but MORE the next call starts a new line.  Returns -1
 * with errno only if memory ran out.
 */
int smtpin_line_feed(struct smtpin_line *l, const char *p, size_t n,
    size_t *used);

/*
 * smtpin_command_split - split a command line in place: the verb is
 * line up to the first space (the space is overwritten with NUL), the
 * argument what follows after any further spaces ("" if none).
 */
void smtpin_command_split(char *line, const char **verb, const char **arg);

/*
 * smtpin_addr_parse - take the address out of a MAIL or RCPT argument
 * into addr (replacing it, NUL-terminated) as qmail does: the path is
 * what follows '<' up to '>' (or, for clients that omit the brackets,
 * what follows ':' up to a space); a source route "@a,@b:" is dropped;
 * quotes are removed and a backslash takes the next byte literally.
 * *rest points after the path in arg (where ESMTP parameters start).
 * Returns 1, 0 for a syntax error (an address longer than SMTPIN_ADDR_MAX
 * bytes, or one holding an LF, which is what a NUL in the line became),
 * -1 with errno if addr cannot grow.
 */
int smtpin_addr_parse(const char *arg, struct bytes *addr, const char **rest);

/*
 * smtpin_param_size - find SIZE=n among the ESMTP parameters of MAIL.
 * Returns 1 with *n set, 0 if there is no SIZE parameter or its value is
 * not a number; a value too large to hold gives 1 with *n the largest
 * unsigned long long.
 */
int smtpin_param_size(const char *params, unsigned long long *n);

/* Where the DATA reader is inside the current line. */
enum smtpin_data_state {
	SMTPIN_DATA_BOL,   /* at the start of a line */
	SMTPIN_DATA_MID,   /* inside a line */
	SMTPIN_DATA_CR,    /* after a CR inside a line: only LF may follow */
	SMTPIN_DATA_DOT,   /* after a "." at the start of a line */
	SMTPIN_DATA_DOTCR, /* after "." CR at the start of a line */
	SMTPIN_DATA_END,   /* CR LF "." CR LF seen: the data is complete */
	SMTPIN_DATA_BARE   /* a bare CR or LF: drop the connection */
};

/* smtpin_data_put - receives n bytes of the message as stored (LF ends) */
typedef void smtpin_data_put(void *ctx, const char *p, size_t n);

/* The DATA reader, with the Received/Delivered-To hop count of qmail. */
struct smtpin_data {
	enum smtpin_data_state state;
	smtpin_data_put *put;
	void *ctx;
	int in_header;       /* still inside the header */
	size_t hdr_pos;      /* bytes of the current header line seen */
	char hdr_prefix[12]; /* its first bytes, lower-cased */
	unsigned long hops;  /* Received and Delivered-To lines seen */
};

/* smtpin_data_init - start reading a message; put gets its bytes */
void smtpin_data_init(struct smtpin_data *d, smtpin_data_put *put, void *ctx);

/*
 * smtpin_data_step - run the reader over p[0..n): undo dot-stuffing, turn
 * CR LF into LF, pass the message bytes to put.  Returns how many bytes
 * were used: all of them, or fewer when the state became END (the bytes
 * after the final CR LF stay with the caller, for pipelined commands) or
 * BARE.  Once END or BARE, nothing more is used.
 */
size_t smtpin_data_step(struct smtpin_data *d, const char *p, size_t n);

#endif
