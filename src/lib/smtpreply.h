/*
 * smtpreply.h - reading an SMTP server's replies, as an SMTP client.
 *
 * A reply is one or more lines "NNN-text" ending with a line "NNN text"
 * (or just "NNN"), all with the same code (RFC 5321 section 4.2).  The
 * caller reads lines (each at most SMTPREPLY_LINE_MAX bytes, its LF
 * included) and hands them to smtpreply_line one at a time; the parser
 * checks them, keeps at most SMTPREPLY_TEXT_MAX bytes of text and notes
 * the ESMTP extensions an EHLO reply offers.  Memory is bounded whatever
 * the server sends: a reply of more than SMTPREPLY_LINES_MAX lines is an
 * error, not a growing buffer.
 */
#ifndef SMTPREPLY_H
#define SMTPREPLY_H

#include <stddef.h>

#include "bytes.h"

/* Most bytes in one reply line, LF included (RFC 5321 says 512). */
#define SMTPREPLY_LINE_MAX 2048
/* Most lines in one reply: a reply that never ends is cut off here. */
#define SMTPREPLY_LINES_MAX 1000
/* Bytes of reply text kept, plus one (qmail's HUGESMTPTEXT). */
#define SMTPREPLY_TEXT_MAX 5000

/* What smtpreply_line found. */
enum smtpreply_result {
	SMTPREPLY_MORE,      /* the reply goes on: feed the next line */
	SMTPREPLY_DONE,      /* the reply is complete: code and text are set */
	SMTPREPLY_MALFORMED, /* not a reply line, or the code changed */
	SMTPREPLY_TOOMANY    /* more than SMTPREPLY_LINES_MAX lines */
};

/* Extensions an EHLO reply may offer (bits of struct smtpreply.offers). */
#define SMTPREPLY_OFFER_PIPELINING 1
#define SMTPREPLY_OFFER_8BITMIME 2
#define SMTPREPLY_OFFER_SIZE 4

/* One reply being read. */
struct smtpreply {
	int code;            /* -1 until the first line; then 200..599 */
	size_t lines;        /* lines taken so far */
	int ehlo;            /* note the extensions offered */
	unsigned int offers; /* SMTPREPLY_OFFER_* bits seen */
	struct bytes text;   /* the lines without CRs, LFs kept, at most
			      * SMTPREPLY_TEXT_MAX - 1 bytes */
};

/* smtpreply_init - an empty parser (no memory until the first text) */
void smtpreply_init(struct smtpreply *r);

/* smtpreply_free - release the text */
void smtpreply_free(struct smtpreply *r);

/*
 * smtpreply_start - begin a new reply (the text is emptied); with ehlo
 * set, "250-KEYWORD" lines after the first are checked for PIPELINING,
 * 8BITMIME and SIZE.  offers is not reset (it collects across replies).
 */
void smtpreply_start(struct smtpreply *r, int ehlo);

/*
 * smtpreply_code - the code of one reply line s[0..len) (without CR LF):
 * three digits, the first 2 to 5, followed by nothing, ' ' or '-'; *more
 * is 1 after '-', else 0.  Returns the code or -1 if it is not one.
 */
int smtpreply_code(const char *s, size_t len, int *more);

/*
 * smtpreply_line - take one line s[0..len) as read from the server (its
 * LF included if there was one; a CR before it is ignored).  Returns an
 * enum smtpreply_result, or -1 with errno if the text cannot grow.
 */
int smtpreply_line(struct smtpreply *r, const char *s, size_t len);

#endif
