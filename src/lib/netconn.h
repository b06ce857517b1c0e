/*
 * netconn.h - outgoing TCP connections with a connect timeout.
 *
 * The socket is made non-blocking and close-on-exec, with TCP_NODELAY
 * (clients here buffer their output and flush when an answer is due, so
 * Nagle's algorithm would only add a delayed-ACK wait).  Use it through
 * a struct iobuf with a timeout: iobuf waits out EAGAIN with poll.
 */
#ifndef NETCONN_H
#define NETCONN_H

/*
 * netconn_socket - a new TCP socket of family AF_INET or AF_INET6: the
 * descriptor, or -1 with errno (EAFNOSUPPORT, EMFILE, ...).
 */
int netconn_socket(int family);

/*
 * netconn_connect - connect fd (from netconn_socket) to the address ip
 * (4 bytes for AF_INET, 16 for AF_INET6) and port, waiting at most
 * timeout_ms milliseconds.  0, or -1 with errno: ETIMEDOUT when the
 * time ran out, ECONNREFUSED, ENETUNREACH ... as connect(2) gives them.
 * After a failure only close(fd) is useful.
 */
int netconn_connect(int fd, int family, const unsigned char *ip,
    unsigned int port, int timeout_ms);

#endif
