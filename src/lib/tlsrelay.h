/*
 * tlsrelay.h - the TLS plumbing qmail-tlsc and qmail-tlsd share.
 *
 * Both programs stand between a TLS connection (an OpenSSL SSL on one
 * or two descriptors, the "net" side) and a plain-text party (the
 * "plain" side: descriptors to read from and to write to, which may be
 * one socket): they make the handshake, then move bytes both ways,
 * decrypting what the peer sends and encrypting what the plain side
 * says.  This module does that with non-blocking descriptors and poll,
 * in bounded memory (one buffer of TLSRELAY_BUF bytes per direction;
 * when one is full that direction waits).
 *
 * It links OpenSSL: only qmail-tlsc and qmail-tlsd use it, and since
 * libq.a is a static archive no other program pulls it in (DESIGN.md
 * section 6).  Like the rest of the library it never prints and never
 * exits; the programs turn its answers into their own messages.
 */
#ifndef TLSRELAY_H
#define TLSRELAY_H

#include <stddef.h>

#include <openssl/ssl.h>

/* One relay buffer per direction. */
#define TLSRELAY_BUF 16384

/*
 * Flag for struct tlsrelay: the plain side is a program that should see
 * the end of the peer's data (qmail-tlsd).  When the peer has finished
 * and everything it sent is passed on, plain_out gets end of file
 * (shutdown SHUT_WR) and the relay goes on until plain_in ends and all
 * of it is sent; a plain_out that takes nothing more only stops reading
 * from the peer; a broken connection ends the relay at once.
 *
 * Without it (qmail-tlsc) the relay ends when either side has finished
 * and all it said is passed on, or when plain_out takes nothing more; a
 * broken connection still lets what was received reach plain_out.
 */
#define TLSRELAY_HALF_CLOSE 1

/*
 * One relayed connection.  The caller sets ssl, the four descriptors
 * (all non-blocking) and flags, and zeroes the rest; it may put bytes
 * for plain_out in to_plain before tlsrelay_run (qmail-tlsc's status
 * line).  The state fields say afterwards how it ended.
 */
struct tlsrelay {
	SSL *ssl;
	int net_in;		/* the TLS connection's descriptors, for poll */
	int net_out;
	int plain_in;		/* what is read here goes to the peer */
	int plain_out;		/* what the peer sends is written here */
	int flags;		/* 0 or TLSRELAY_HALF_CLOSE */
	char to_net[TLSRELAY_BUF];	/* from plain_in, for the peer */
	size_t to_net_len;
	char to_plain[TLSRELAY_BUF];	/* from the peer, for plain_out */
	size_t to_plain_len;
	int plain_eof;		/* plain_in has ended */
	int plain_dead;		/* plain_out takes nothing more */
	int plain_closed;	/* plain_out has been given end of file */
	int net_eof;		/* nothing more will be read from the peer */
	int net_dead;		/* the TLS connection broke */
};

/*
 * tlsrelay_reason - why the last OpenSSL call failed, in words: the
 * reason of the newest queued OpenSSL error, else for sslerr
 * SSL_ERROR_SYSCALL strerror(errno) (when errno is not 0), else closed
 * (the text for a peer that just went away).  sslerr is what
 * SSL_get_error said, or 0.  The text is static.
 */
const char *tlsrelay_reason(int sslerr, const char *closed);

/*
 * tlsrelay_context_new - a new SSL_CTX for method with the settings both
 * sides share: TLS 1.2 at least; no renegotiation, compression, session
 * tickets or session cache; partial writes; an end of file without
 * close_notify read as an end.  NULL on failure (tlsrelay_reason says
 * why).
 */
SSL_CTX *tlsrelay_context_new(const SSL_METHOD *method);

/*
 * tlsrelay_handshake - make the TLS handshake of ssl (SSL_connect for a
 * client, SSL_accept for a server), whose descriptors net_in and
 * net_out are non-blocking, within seconds.  0 on success.  On failure
 * -1 and *sslerr: SSL_get_error's code when TLS failed (errno as the
 * failed call left it, for tlsrelay_reason; SSL_get_verify_result tells
 * a failed verification), else 0 with errno ETIMEDOUT when the time ran
 * out or poll's errno.
 */
int tlsrelay_handshake(SSL *ssl, int net_in, int net_out,
    unsigned long seconds, int *sslerr);

/*
 * tlsrelay_run - relay r until it ends as its flags say (see
 * TLSRELAY_HALF_CLOSE): 0, and then r->net_dead says whether the TLS
 * connection broke.  -1 with errno ETIMEDOUT when nothing moved for
 * idle_ms milliseconds, or with poll's errno; the state fields say how
 * far it got.
 */
int tlsrelay_run(struct tlsrelay *r, int idle_ms);

#endif
