/*
 * netconn.c - outgoing TCP connections with a timeout, see netconn.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netconn.h"

int
netconn_socket(int family)
{
	const int one = 1;
	int fd;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
netconn_connect(int fd, int family, const unsigned char *ip,
    unsigned int port, int timeout_ms)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t sslen, errlen;
	int r, err;

	if (port > 65535) {
		errno = EINVAL;
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		memcpy(&s6->sin6_addr, ip, 16);
		sslen = sizeof(*s6);
	} else if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		memcpy(&s4->sin_addr, ip, 4);
		sslen = sizeof(*s4);
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sslen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	/* a signal restarts the wait; callers use short timeouts */
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	err = 0;
	errlen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}
