/*
 * fdpass.h - handing an open descriptor to another process over a UNIX
 * domain socket (SCM_RIGHTS).
 *
 * Each message carries exactly one descriptor and at least one byte of
 * ordinary data (a descriptor sent with no data is not delivered on a
 * stream socket).  The receiver trusts nothing: a message whose control
 * data is not exactly one SCM_RIGHTS descriptor is refused, and any
 * descriptor that came with a refused message is closed, so a hostile
 * peer cannot fill our descriptor table.
 */
#ifndef FDPASS_H
#define FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * fdpass_send - send the len (>= 1) bytes at buf with descriptor fd
 * attached, on the connected UNIX socket sock.  fd stays open in the
 * caller.  EINTR is retried; SIGPIPE is never raised (EPIPE instead).
 * Returns 0 once all len bytes are sent, or -1 with errno (EINVAL for
 * len 0 or a negative fd).  On a stream socket a failure after part of
 * the data went out leaves the stream out of step: drop the connection.
 */
int fdpass_send(int sock, int fd, const void *buf, size_t len);

/*
 * fdpass_recv - receive one message of up to len (>= 1) bytes into buf
 * and the descriptor that came with it into *fd, which is close-on-exec.
 * Returns the number of data bytes (>= 1), 0 at end of stream (*fd is
 * -1), or -1 with errno and *fd -1:
 *   ENOMSG   data arrived without a descriptor (the data is consumed);
 *   EPROTO   the control data was anything but one SCM_RIGHTS descriptor
 *            (several descriptors, another level or type, a bad length,
 *            or MSG_CTRUNC); every descriptor received is closed;
 *   EMSGSIZE a datagram was longer than len (its descriptor is closed);
 *   EINTR    a signal arrived before anything was received (not retried,
 *            so a daemon's main loop sees its signals);
 *   or the errno of recvmsg(2).
 */
ssize_t fdpass_recv(int sock, int *fd, void *buf, size_t len);

#endif
