/*
 * received.h - the Received header field qmail's network servers add.
 *
 * qmail-smtpd, qmail-qmqpd and qmail-qmtpd each start the message they
 * queue with one field in qmail's form:
 *
 *	Received: from REMOTEHOST (HELO HELO) (INFO@REMOTEIP)
 *	  by LOCAL with PROTOCOL; DATE
 *
 * "(HELO HELO) " only when helo is not NULL, "INFO@" only when
 * remoteinfo is not NULL; DATE is date822_utc's.  The text comes from
 * the client or its environment, so every byte of remotehost, helo,
 * remoteinfo, remoteip and local that is not a letter, a digit or one of
 * ".@%+/=:-" is shown as '?'; protocol is the caller's own and is copied
 * as it is.
 */
#ifndef RECEIVED_H
#define RECEIVED_H

#include <time.h>

#include "bytes.h"

/*
 * received_append_safe - append text to b, each byte that is not a
 * letter, a digit, one of ".@%+/=:-" or one of the bytes in also shown
 * as '?'.  0, or -1 with errno from the struct bytes (b may then hold
 * part of the text).
 */
int received_append_safe(struct bytes *b, const char *text,
    const char *also);

/*
 * received_append - append the field (ending in "\n") for time now to
 * out.  0, or -1 with errno from the struct bytes (E2BIG past out's
 * limit, ERANGE, ENOMEM); out is unchanged on failure.
 */
int received_append(struct bytes *out, const char *protocol,
    const char *local, const char *remoteip, const char *remotehost,
    const char *remoteinfo, const char *helo, time_t now);

/* The two ends of a connection as tcpserver describes them. */
struct received_peer {
	const char *remoteip;	/* TCPREMOTEIP, else "unknown" */
	const char *remotehost;	/* TCPREMOTEHOST, else "unknown" */
	const char *remoteinfo;	/* TCPREMOTEINFO, else NULL */
	const char *local;	/* TCPLOCALHOST, else TCPLOCALIP, else "unknown" */
};

/*
 * received_peer_getenv - fill *p from the environment tcpserver (or
 * tcp-env) leaves, as the comments of struct received_peer say, for
 * received_append.  The strings are the environment's (not copied).
 */
void received_peer_getenv(struct received_peer *p);

#endif
