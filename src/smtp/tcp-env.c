/*
 * tcp-env - describe the TCP connection on descriptor 0 in the
 * environment (tcp-environ(5)) and run a program.
 *
 *	tcp-env [ -rR ] [ -ttimeout ] program [ arg ... ]
 *
 * For servers started by inetd or systemd socket activation, which do
 * not set TCPLOCALIP and friends as tcpserver does.  If PROTO is already
 * TCP the environment is trusted and the program is run at once.
 * Otherwise tcp-env sets PROTO=TCP, TCPLOCALIP, TCPLOCALPORT,
 * TCPLOCALHOST, TCPREMOTEIP, TCPREMOTEPORT, TCPREMOTEHOST and (with -r,
 * the default) TCPREMOTEINFO from an RFC 1413 ident query; a host name or
 * remote user that cannot be found is removed from the environment.
 * IPv4 and IPv6 are both handled; an IPv4-mapped IPv6 address is shown
 * in its IPv4 form.  The program is run with execvp and an explicit argv.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "proc.h"

/* Default and largest wait for the ident answer, in seconds. */
#define IDENT_TIMEOUT_DEFAULT 30
#define IDENT_TIMEOUT_MAX 3600

/* Longest ident answer read, and longest user name kept from it. */
#define IDENT_REPLY_MAX 1000
#define IDENT_USER_MAX 512

#define IDENT_PORT 113

/* A socket address of either family, with its text form. */
struct endpoint {
	struct sockaddr_storage sa;
	socklen_t len;
	char ip[INET6_ADDRSTRLEN];
	char port[FMT_ULONG];
};

static void
usage(void)
{
	fatalx(EXIT_PERM, "usage: tcp-env [ -rR ] [ -ttimeout ] program [ arg ... ]");
}

static void
env_put(const char *name, const char *value)
{
	if (value == NULL) {
		if (unsetenv(name) == -1)
			fatal(EXIT_TEMP, "unable to unset %s", name);
		return;
	}
	if (setenv(name, value, 1) == -1)
		fatal(EXIT_TEMP, "unable to set %s", name);
}

/*
 * endpoint_unmap - turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * into the plain IPv4 address it stands for.
 */
static void
endpoint_unmap(struct endpoint *e)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	if (e->sa.ss_family != AF_INET6)
		return;
	memcpy(&s6, &e->sa, sizeof(s6));
	if (!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
		return;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6.sin6_port;
	memcpy(&s4.sin_addr, s6.sin6_addr.s6_addr + 12, 4);
	memset(&e->sa, 0, sizeof(e->sa));
	memcpy(&e->sa, &s4, sizeof(s4));
	e->len = sizeof(s4);
}

/* endpoint_text - fill in e->ip and e->port; 0, or -1 (not TCP/IP) */
static int
endpoint_text(struct endpoint *e)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	endpoint_unmap(e);
	if (e->sa.ss_family == AF_INET) {
		memcpy(&s4, &e->sa, sizeof(s4));
		inet_ntop(AF_INET, &s4.sin_addr, e->ip, sizeof(e->ip));
		fmt_ulong(e->port, ntohs(s4.sin_port));
		return 0;
	}
	if (e->sa.ss_family == AF_INET6) {
		memcpy(&s6, &e->sa, sizeof(s6));
		inet_ntop(AF_INET6, &s6.sin6_addr, e->ip, sizeof(e->ip));
		fmt_ulong(e->port, ntohs(s6.sin6_port));
		return 0;
	}
	return -1;
}

/* endpoint_host - the PTR name of e into host, or NULL */
static const char *
endpoint_host(const struct endpoint *e, char *host, size_t size)
{
	if (getnameinfo((const struct sockaddr *)&e->sa, e->len, host,
		(socklen_t)size, NULL, 0, NI_NAMEREQD) != 0)
		return NULL;
	return host;
}

/* wait_fd - poll fd for events until the deadline: 1 ready, 0 not */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = events;
	for (;;) {
		r = poll(&p, 1, deadline_ms_left(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		return r == 1;
	}
}

/*
 * ident_parse - the user id of an RFC 1413 answer
 * "ports : USERID : opsys : user": into user (printable bytes only),
 * or NULL for any other answer.
 */
static const char *
ident_parse(char *reply, char *user, size_t size)
{
	char *p, *u;
	size_t n = 0;

	p = strchr(reply, ':');
	if (p == NULL)
		return NULL;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "USERID", 6) != 0)
		return NULL;
	p = strchr(p, ':');
	if (p == NULL)
		return NULL;
	u = strchr(p + 1, ':');
	if (u == NULL)
		return NULL;
	u++;
	while (*u == ' ' || *u == '\t')
		u++;
	for (; *u != '\0' && *u != '\r' && *u != '\n' && n + 1 < size; u++)
		if (*u > ' ' && *u < 127)
			user[n++] = *u;
	user[n] = '\0';
	return n > 0 ? user : NULL;
}

/*
 * ident_query - ask the client's ident server (RFC 1413) who owns the
 * connection, from our own address, waiting at most timeout seconds.
 * Returns the user in user, or NULL.
 */
static const char *
ident_query(const struct endpoint *local, const struct endpoint *remote,
    unsigned long timeout, char *user, size_t size)
{
	struct sockaddr_storage from, to;
	struct timespec deadline;
	char reply[IDENT_REPLY_MAX + 1];
	char query[2 * FMT_ULONG + 8];
	size_t got = 0, qlen;
	const char *result = NULL;
	ssize_t r;
	int fd, err;
	socklen_t errlen = sizeof(err);

	deadline_set(&deadline, timeout);
	memcpy(&from, &local->sa, sizeof(from));
	memcpy(&to, &remote->sa, sizeof(to));
	if (from.ss_family == AF_INET) {
		((struct sockaddr_in *)(void *)&from)->sin_port = 0;
		((struct sockaddr_in *)(void *)&to)->sin_port = htons(IDENT_PORT);
	} else {
		((struct sockaddr_in6 *)(void *)&from)->sin6_port = 0;
		((struct sockaddr_in6 *)(void *)&to)->sin6_port =
		    htons(IDENT_PORT);
	}
	fd = socket(from.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return NULL;
	if (bind(fd, (struct sockaddr *)&from, local->len) == -1)
		goto done;
	if (connect(fd, (struct sockaddr *)&to, remote->len) == -1 &&
	    errno != EINPROGRESS)
		goto done;
	if (!wait_fd(fd, POLLOUT, &deadline))
		goto done;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1 ||
	    err != 0)
		goto done;
	qlen = 0;
	qlen += fmt_ulong(query + qlen, strtoul(remote->port, NULL, 10));
	memcpy(query + qlen, " , ", 3);
	qlen += 3;
	qlen += fmt_ulong(query + qlen, strtoul(local->port, NULL, 10));
	memcpy(query + qlen, "\r\n", 3);
	qlen += 2;
	if (write(fd, query, qlen) != (ssize_t)qlen)
		goto done;
	while (got < IDENT_REPLY_MAX) {
		if (!wait_fd(fd, POLLIN, &deadline))
			goto done;
		r = read(fd, reply + got, IDENT_REPLY_MAX - got);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(reply, '\n', got) != NULL)
			break;
	}
	reply[got] = '\0';
	if (memchr(reply, '\0', got) == NULL)
		result = ident_parse(reply, user, size);
done:
	close(fd);
	return result;
}

int
main(int argc, char **argv)
{
	struct endpoint local, remote;
	char localhost[NI_MAXHOST], remotehost[NI_MAXHOST];
	char user[IDENT_USER_MAX + 1];
	unsigned long long timeout = IDENT_TIMEOUT_DEFAULT;
	const char *proto;
	int ask_ident = 1;
	int opt;

	err_setprogname("tcp-env");
	while ((opt = getopt(argc, argv, "+rRt:")) != -1) {
		switch (opt) {
		case 'r':
			ask_ident = 1;
			break;
		case 'R':
			ask_ident = 0;
			break;
		case 't':
			if (parse_ulong(optarg, IDENT_TIMEOUT_MAX, &timeout) == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	argv += optind;
	if (argv[0] == NULL)
		usage();

	proto = getenv("PROTO");
	if (proto == NULL || strcmp(proto, "TCP") != 0) {
		memset(&local, 0, sizeof(local));
		memset(&remote, 0, sizeof(remote));
		local.len = sizeof(local.sa);
		remote.len = sizeof(remote.sa);
		if (getsockname(0, (struct sockaddr *)&local.sa, &local.len) == -1)
			fatal(EXIT_TEMP, "unable to get the local address of descriptor 0");
		if (getpeername(0, (struct sockaddr *)&remote.sa, &remote.len) == -1)
			fatal(EXIT_TEMP, "unable to get the remote address of descriptor 0");
		if (endpoint_text(&local) == -1 || endpoint_text(&remote) == -1)
			fatalx(EXIT_TEMP, "descriptor 0 is not a TCP/IP connection");
		env_put("PROTO", "TCP");
		env_put("TCPLOCALIP", local.ip);
		env_put("TCPLOCALPORT", local.port);
		env_put("TCPLOCALHOST",
		    endpoint_host(&local, localhost, sizeof(localhost)));
		env_put("TCPREMOTEIP", remote.ip);
		env_put("TCPREMOTEPORT", remote.port);
		env_put("TCPREMOTEHOST",
		    endpoint_host(&remote, remotehost, sizeof(remotehost)));
		env_put("TCPREMOTEINFO",
		    ask_ident ? ident_query(&local, &remote,
				    (unsigned long)timeout, user, sizeof(user))
			      : NULL);
	}
	execvp(argv[0], argv);
	fatal(EXIT_TEMP, "unable to run %s", argv[0]);
}
