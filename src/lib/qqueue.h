/*
 * qqueue.h - hand a message to qmail-queue (or to $QMAILQUEUE).
 *
 * Every program that queues mail (qmail-inject, sendmail, forward,
 * qmail-local's forwarding, qmail-smtpd, qmail-qmqpd ...) does it through
 * this module, so the protocol of qmail-queue(8) and the wording of its
 * failures live in one place:
 *
 *	qqueue_open(&q, NULL);
 *	qqueue_put(&q, header, len); ... (the message)
 *	qqueue_from(&q, sender);
 *	qqueue_to(&q, recipient); ...
 *	code = qqueue_close(&q);
 *	if (code != 0) report qqueue_strerror(code) ...
 *
 * Write errors on the way (qmail-queue died early) are remembered and not
 * reported until qqueue_close, which always reaps the child.  Callers
 * should ignore SIGPIPE, so that such a write fails with EPIPE instead of
 * killing them.
 */
#ifndef QQUEUE_H
#define QQUEUE_H

#include <stddef.h>
#include <sys/types.h>

#include "iobuf.h"

/* qqueue_close's code when qmail-queue could not be run at all. */
#define QQUEUE_EXEC_FAILED 120
/* qqueue_close's code when the child died of a signal or a write failed
 * in a way qmail-queue's own code does not explain. */
#define QQUEUE_CRASHED 81

/*
 * The longest envelope address qmail-queue takes: 1002 bytes, not counting
 * the F or T before it and the NUL after it, as in qmail.  A longer one is
 * exit 11 (QQ_ADDR_TOO_LONG).
 */
#define QQUEUE_ADDR_MAX 1002

/*
 * qmail-queue's exit code for an envelope address holding CR or LF, which
 * would become a line break wherever the address is written into a header
 * (Return-Path, a bounce's To).  Permanent, like every code from 11 to 40;
 * not one of qmail's codes (qmail queues such an address).
 */
#ifndef QQ_ADDR_BAD
#define QQ_ADDR_BAD 12
#endif

struct qqueue {
	pid_t pid;
	int msgfd;	/* our end of the child's fd 0 */
	int envfd;	/* our end of the child's fd 1 */
	int failed;	/* a write failed: the message is incomplete */
	struct iobuf out;
	char space[16384];
	size_t msgbytes; /* bytes of message written so far (saturating) */
	int refused;	/* 0, or the code an unacceptable address earned */
};

/*
 * qqueue_open - start the queueing program: $QMAILQUEUE if set and not
 * empty, otherwise QMAILHOME/bin/qmail-queue.  program overrides both
 * when not NULL.  The child gets the message pipe on fd 0 and the
 * envelope pipe on fd 1; its stderr is the caller's.  0, or -1 with errno
 * (the child could not be started).
 */
int qqueue_open(struct qqueue *q, const char *program);

/* qqueue_put - more of the message (buffered); failures are remembered */
void qqueue_put(struct qqueue *q, const void *p, size_t n);

/*
 * qqueue_put_fd - more of the message: everything that can be read from fd
 * until end of file.  0, or -1 with errno if reading fd failed (failures
 * of the queue itself are remembered as by qqueue_put).
 */
int qqueue_put_fd(struct qqueue *q, int fd);

/* qqueue_puts - qqueue_put of a C string */
void qqueue_puts(struct qqueue *q, const char *s);

/*
 * qqueue_address_check - whether addr[0..len) may be an envelope address:
 * 0, or -1 with errno E2BIG (longer than QQUEUE_ADDR_MAX) or EINVAL (it
 * holds CR, LF or NUL).  Callers may check early to refuse one address
 * with a clear reply; qqueue_from and qqueue_to check anyway.
 */
int qqueue_address_check(const char *addr, size_t len);

/*
 * qqueue_from - end the message and give the envelope sender (a C string;
 * "" is the null sender).  A sender that fails qqueue_address_check is
 * not written: the message is given up as by qqueue_fail, and
 * qqueue_close returns QQ_ADDR_TOO_LONG or QQ_ADDR_BAD.
 */
void qqueue_from(struct qqueue *q, const char *sender);

/* qqueue_to - one envelope recipient, checked as by qqueue_from */
void qqueue_to(struct qqueue *q, const char *recipient);

/*
 * qqueue_fail - give up on this message (the client's envelope turned
 * out to be unacceptable): later puts are dropped and qqueue_close does
 * not end the envelope, so qmail-queue queues nothing.
 */
void qqueue_fail(struct qqueue *q);

/*
 * qqueue_close - end the envelope, wait for the child and return its exit
 * code: 0 when the message is queued.  An address refused by qqueue_from
 * or qqueue_to gives its code (11 or 12) whatever the child did, and the
 * envelope is not ended, so nothing is queued.  A remembered write
 * failure with a child that still exited 0 gives 54 (qmail-queue cannot
 * have read what we meant); a child killed by a signal gives
 * QQUEUE_CRASHED; a child that could not be reaped gives QQUEUE_CRASHED
 * too.  Safe to call once.
 */
int qqueue_close(struct qqueue *q);

/*
 * qqueue_strerror - qmail's report for a qmail-queue exit code, starting
 * with 'D' (permanent) or 'Z' (temporary), as qmail-smtpd and
 * qmail-local print it, e.g. "Zqq write error or disk full (#4.3.0)".
 * "" for 0.
 */
const char *qqueue_strerror(int code);

/* qqueue_permanent - 1 if the exit code means a permanent failure */
int qqueue_permanent(int code);

#endif
