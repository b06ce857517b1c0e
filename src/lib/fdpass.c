/*
 * fdpass.c - passing descriptors over UNIX sockets, see fdpass.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

/*
 * Room for this many descriptors in one received message.  A peer may
 * send more than the one we accept; those that fit are closed again, the
 * rest the kernel drops itself (and flags MSG_CTRUNC).
 */
#define FDPASS_RECV_FDS_ROOM 8

int
fdpass_send(int sock, int fd, const void *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	const char *p = buf;
	ssize_t r;

	if (len == 0 || fd < 0 || buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(&control, 0, sizeof(control));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	/* The descriptor went with the first byte; send what is left. */
	while ((size_t)r < len) {
		p += r;
		len -= (size_t)r;
		do
			r = send(sock, p, len, MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* Close every descriptor carried by the control data of msg. */
static void
fdpass_control_close(struct msghdr *msg)
{
	struct cmsghdr *cmsg;
	size_t i, n, offset;
	int fd;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	     cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		/* Never read past the control data the kernel filled in. */
		offset = (size_t)((char *)cmsg - (char *)msg->msg_control);
		if (cmsg->cmsg_len > msg->msg_controllen - offset)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			(void)close(fd);
		}
	}
}

/*
 * The one descriptor the control data of msg carries: 0 with *fd set, or
 * -1 with errno ENOMSG (none) or EPROTO (anything else).
 */
static int
fdpass_control_parse(struct msghdr *msg, int *fd)
{
	struct cmsghdr *cmsg;

	if (msg->msg_flags & MSG_CTRUNC) {
		errno = EPROTO;
		return -1;
	}
	cmsg = CMSG_FIRSTHDR(msg);
	if (cmsg == NULL) {
		errno = ENOMSG;
		return -1;
	}
	if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    CMSG_NXTHDR(msg, cmsg) != NULL) {
		errno = EPROTO;
		return -1;
	}
	memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	if (*fd < 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

ssize_t
fdpass_recv(int sock, int *fd, void *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * FDPASS_RECV_FDS_ROOM)];
	} control;
	struct msghdr msg;
	struct iovec iov;
	int saved_errno;
	ssize_t r;

	*fd = -1;
	if (len == 0 || buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (r == -1)
		return -1;
	if (r == 0 && msg.msg_controllen == 0)
		return 0;
	if (fdpass_control_parse(&msg, fd) == -1) {
		saved_errno = errno;
		fdpass_control_close(&msg);
		*fd = -1;
		errno = saved_errno;
		return -1;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		(void)close(*fd);
		*fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	if (r == 0) {
		/* A descriptor with no data byte: not our protocol. */
		(void)close(*fd);
		*fd = -1;
		errno = EPROTO;
		return -1;
	}
	return r;
}
