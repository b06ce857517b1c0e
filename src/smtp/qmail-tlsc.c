/*
 * qmail-tlsc - the TLS client side of one SMTP connection, for
 * qmail-remote.
 *
 * Usage: qmail-tlsc [-t seconds] [-c cafile] host
 *
 * The server is on descriptors 6 (read) and 7 (write), as tcpclient
 * leaves it (qmail-remote gives the same socket on both); the plain text
 * side is on descriptors 0 (what goes to the server) and 1 (what the
 * server says), the same socket pair end on both when qmail-remote runs
 * it.  qmail-tlsc makes the TLS client handshake, TLS 1.2 at least, with
 * host as the server name (SNI, unless host is an IP address).  With -c
 * the server's certificate must chain to a certificate in cafile and
 * name host (an IP address is checked against the certificate's IP
 * addresses); without -c nothing is verified (opportunistic TLS).
 *
 * The first thing written on descriptor 1 is one status line:
 *
 *	+PROTOCOL CIPHER\n	the handshake succeeded (e.g. "+TLSv1.3
 *				TLS_AES_256_GCM_SHA384")
 *	-REASON\n		it failed; qmail-tlsc exits 111 (100 for
 *				a usage error)
 *
 * REASON is printable ASCII, at most TLSC_REASON_MAX bytes.  After a "+"
 * line everything else on descriptor 1 is what the server sends,
 * decrypted, and what comes in on descriptor 0 is sent encrypted, until
 * descriptor 0 ends (close_notify is sent, exit 0), the server closes
 * (what it said is passed on, exit 0; exit 111 if the connection broke),
 * descriptor 1 stops taking data, or nothing moves for -t seconds
 * (default 1200; exit 111).
 *
 * This is the only program on the sending side that links OpenSSL
 * (DESIGN.md section 6): qmail-remote runs it only after a server has
 * said 220 to STARTTLS.  Memory is bounded: one buffer of TLSC_BUF
 * bytes per direction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "proc.h"
#include "sig.h"

#define FD_PLAIN_IN 0
#define FD_PLAIN_OUT 1
#define FD_NET_IN 6
#define FD_NET_OUT 7

/* One relay buffer per direction. */
#define TLSC_BUF 16384
/* Longest reason on a "-" status line. */
#define TLSC_REASON_MAX 200
/* Longest host name taken (a DNS name has at most 253 characters). */
#define TLSC_HOST_MAX 253
/* Default and largest -t. */
#define TLSC_TIMEOUT_DEFAULT 1200UL
#define TLSC_TIMEOUT_MAX 86400UL

struct relay {
	SSL *ssl;
	char up[TLSC_BUF];	/* from descriptor 0, for the server */
	size_t uplen;
	char down[TLSC_BUF];	/* from the server, for descriptor 1 */
	size_t downlen;
	int plain_eof;		/* descriptor 0 has ended */
	int plain_dead;		/* descriptor 1 takes nothing more */
	int net_eof;		/* the server will send nothing more */
	int net_dead;		/* the connection broke */
};

static struct relay relay;

/* --- the status line ------------------------------------------------ */

/* put_all - write s[0..n) to descriptor 1, waiting at most ms in all */
static void
put_all(const char *s, size_t n, int ms)
{
	struct pollfd p;
	ssize_t w;

	while (n > 0) {
		w = write(FD_PLAIN_OUT, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			p.fd = FD_PLAIN_OUT;
			p.events = POLLOUT;
			if (poll(&p, 1, ms) > 0)
				continue;
		}
		return;
	}
}

/*
 * failx - say "-reason" on descriptor 1 (printable ASCII only, cut at
 * TLSC_REASON_MAX), log it on descriptor 2, and exit with code.
 */
static noreturn void
failx(int code, const char *what, const char *detail)
{
	char line[TLSC_REASON_MAX + 3];
	size_t n = 0;
	const char *parts[3] = { what, detail != NULL ? ": " : "", detail };

	line[n++] = '-';
	for (int k = 0; k < 3; k++) {
		const char *s = parts[k];
		for (; s != NULL && *s != '\0' && n < TLSC_REASON_MAX + 1; s++)
			line[n++] = (*s >= 32 && *s < 127) ? *s : '?';
	}
	line[n++] = '\n';
	put_all(line, n, 5000);
	line[n - 1] = '\0';
	fatalx(code, "%s", line + 1);
}

static noreturn void
usage(void)
{
	failx(EXIT_PERM, "usage: qmail-tlsc [-t seconds] [-c cafile] host",
	    NULL);
}

/* tls_reason - why the last TLS call failed, in words */
static const char *
tls_reason(int sslerr)
{
	unsigned long e = ERR_peek_last_error();
	const char *r;

	if (e != 0) {
		r = ERR_reason_error_string(e);
		return r != NULL ? r : "unknown TLS error";
	}
	if (sslerr == SSL_ERROR_SYSCALL && errno != 0)
		return strerror(errno);
	return "connection closed by the server";
}

/* --- setting up ----------------------------------------------------- */

/* host_check - 1 if host may be used: letters, digits, . - _ : */
static int
host_check(const char *host)
{
	size_t len = strlen(host);

	if (len == 0 || len > TLSC_HOST_MAX)
		return 0;
	return strspn(host, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") == len;
}

/* host_is_ip - 1 if host is an IPv4 or IPv6 address in text */
static int
host_is_ip(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* ctx_make - the client context: protocols, and the CA file if any */
static SSL_CTX *
ctx_make(const char *cafile)
{
	SSL_CTX *ctx;
	int fd;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		failx(EXIT_TEMP, "unable to set up TLS", tls_reason(0));
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		failx(EXIT_TEMP, "unable to set up TLS", tls_reason(0));
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cafile == NULL) {
		/* nothing is verified, so a key size OpenSSL would call
		 * weak still beats plain text */
		SSL_CTX_set_security_level(ctx, 1);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	/* OpenSSL's reason for a missing file is "system lib": ask first */
	fd = open(cafile, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		failx(EXIT_TEMP, "unable to read the CA file", strerror(errno));
	close(fd);
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		failx(EXIT_TEMP, "unable to load the CA file", tls_reason(0));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* ssl_make - the connection: descriptors, SNI, the name to verify */
static SSL *
ssl_make(SSL_CTX *ctx, const char *host, int verify)
{
	X509_VERIFY_PARAM *param;
	SSL *ssl;
	int ip = host_is_ip(host);

	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_rfd(ssl, FD_NET_IN) != 1 ||
	    SSL_set_wfd(ssl, FD_NET_OUT) != 1)
		failx(EXIT_TEMP, "unable to set up TLS", tls_reason(0));
	/* RFC 6066: the server name is a host name, never an address */
	if (!ip && SSL_set_tlsext_host_name(ssl, host) != 1)
		failx(EXIT_TEMP, "unable to set the server name", tls_reason(0));
	if (!verify)
		return ssl;
	param = SSL_get0_param(ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1
	       : X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		failx(EXIT_TEMP, "unable to set the name to verify",
		    tls_reason(0));
	return ssl;
}

/* millis_until - milliseconds from now until deadline (at least 0) */
static int
millis_until(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* handshake - the client handshake within seconds, or failx */
static void
handshake(SSL *ssl, unsigned long seconds)
{
	struct timespec deadline;
	struct pollfd p;
	long vr;
	int r, e, ms;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			p.fd = FD_NET_IN;
			p.events = POLLIN;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			p.fd = FD_NET_OUT;
			p.events = POLLOUT;
		} else {
			vr = SSL_get_verify_result(ssl);
			if (vr != X509_V_OK)
				failx(EXIT_TEMP, "certificate verification "
				    "failed", X509_verify_cert_error_string(vr));
			failx(EXIT_TEMP, "TLS handshake failed", tls_reason(e));
		}
		ms = millis_until(&deadline);
		if (ms == 0)
			failx(EXIT_TEMP, "TLS handshake failed", "timed out");
		r = poll(&p, 1, ms);
		if (r == -1 && errno != EINTR)
			failx(EXIT_TEMP, "unable to poll", strerror(errno));
	}
}

/* --- the relay ------------------------------------------------------ */

/* want - note that the TLS connection waits for read or write */
static void
want(int sslerr, short *net)
{
	if (sslerr == SSL_ERROR_WANT_READ)
		*net |= POLLIN;
	else if (sslerr == SSL_ERROR_WANT_WRITE)
		*net |= POLLOUT;
}

/* plain_to_server - one read from descriptor 0, one SSL_write */
static int
plain_to_server(struct relay *r, short *net, short *in)
{
	int moved = 0, n, e;
	ssize_t got;

	if (!r->plain_eof && r->uplen < sizeof(r->up)) {
		got = read(FD_PLAIN_IN, r->up + r->uplen,
		    sizeof(r->up) - r->uplen);
		if (got > 0) {
			r->uplen += (size_t)got;
			moved = 1;
		} else if (got == -1 && (errno == EAGAIN || errno == EINTR)) {
			*in |= POLLIN;
		} else {
			r->plain_eof = 1;
			moved = 1;
		}
	}
	if (r->uplen > 0 && !r->net_dead) {
		ERR_clear_error();
		n = SSL_write(r->ssl, r->up, (int)r->uplen);
		if (n > 0) {
			memmove(r->up, r->up + n, r->uplen - (size_t)n);
			r->uplen -= (size_t)n;
			moved = 1;
		} else {
			e = SSL_get_error(r->ssl, n);
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE) {
				want(e, net);
			} else {
				r->net_dead = r->net_eof = 1;
				r->uplen = 0;
				moved = 1;
			}
		}
	}
	return moved;
}

/* server_to_plain - one SSL_read, one write to descriptor 1 */
static int
server_to_plain(struct relay *r, short *net, short *out)
{
	int moved = 0, n, e;
	ssize_t w;

	if (!r->net_eof && r->downlen < sizeof(r->down)) {
		ERR_clear_error();
		n = SSL_read(r->ssl, r->down + r->downlen,
		    (int)(sizeof(r->down) - r->downlen));
		if (n > 0) {
			r->downlen += (size_t)n;
			moved = 1;
		} else {
			e = SSL_get_error(r->ssl, n);
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE) {
				want(e, net);
			} else if (e == SSL_ERROR_ZERO_RETURN) {
				r->net_eof = 1;
				moved = 1;
			} else {
				r->net_eof = r->net_dead = 1;
				moved = 1;
			}
		}
	}
	if (r->downlen > 0 && !r->plain_dead) {
		w = write(FD_PLAIN_OUT, r->down, r->downlen);
		if (w > 0) {
			memmove(r->down, r->down + w, r->downlen - (size_t)w);
			r->downlen -= (size_t)w;
			moved = 1;
		} else if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			*out |= POLLOUT;
		} else {
			r->plain_dead = 1;
			r->downlen = 0;
			moved = 1;
		}
	}
	return moved;
}

/*
 * relay_run - move bytes both ways until descriptor 0 has ended and all
 * of it is sent, the server has closed and all it said is passed on,
 * descriptor 1 fails, or nothing moves for idle_ms.  Returns 0 when it
 * ended normally, -1 when the connection broke or stalled.
 */
static int
relay_run(struct relay *r, int idle_ms)
{
	struct pollfd p[4];
	short net, in, out;
	int moved, n;

	for (;;) {
		net = in = out = 0;
		moved = plain_to_server(r, &net, &in);
		moved |= server_to_plain(r, &net, &out);
		if (r->plain_eof && r->uplen == 0)
			return r->net_dead ? -1 : 0;
		if (r->net_eof && r->downlen == 0)
			return r->net_dead ? -1 : 0;
		if (r->plain_dead)
			return 0;
		if (moved)
			continue;
		p[0].fd = (net & POLLIN) ? FD_NET_IN : -1;
		p[0].events = POLLIN;
		p[1].fd = (net & POLLOUT) ? FD_NET_OUT : -1;
		p[1].events = POLLOUT;
		p[2].fd = in ? FD_PLAIN_IN : -1;
		p[2].events = POLLIN;
		p[3].fd = out ? FD_PLAIN_OUT : -1;
		p[3].events = POLLOUT;
		n = poll(p, 4, idle_ms);
		if (n == -1 && errno != EINTR)
			fatal(EXIT_TEMP, "unable to poll");
		if (n == 0) {
			log_warnx("connection idle for too long: closing it");
			return -1;
		}
	}
}

/* nonblock - make the four descriptors non-blocking, or failx */
static void
nonblock(void)
{
	static const int fds[] = { FD_PLAIN_IN, FD_PLAIN_OUT, FD_NET_IN,
		FD_NET_OUT };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fcntl(fds[i], F_GETFD) == -1 || fd_nonblock(fds[i]) == -1)
			failx(EXIT_TEMP, "unable to use descriptors 0, 1, 6 "
			    "and 7", strerror(errno));
}

int
main(int argc, char **argv)
{
	struct relay *r = &relay;
	unsigned long long t;
	unsigned long timeout = TLSC_TIMEOUT_DEFAULT;
	const char *cafile = NULL, *host;
	SSL_CTX *ctx;
	int n, rc;

	err_setprogname("qmail-tlsc");
	sig_ignore(SIGPIPE);
	for (argv++, argc--; argc > 0 && argv[0][0] == '-'; argv++, argc--) {
		if (strcmp(argv[0], "--") == 0) {
			argv++;
			argc--;
			break;
		}
		if (argc < 2)
			usage();
		if (strcmp(argv[0], "-t") == 0) {
			if (parse_ulong(argv[1], TLSC_TIMEOUT_MAX, &t) < 0 ||
			    t == 0)
				usage();
			timeout = (unsigned long)t;
		} else if (strcmp(argv[0], "-c") == 0) {
			if (argv[1][0] == '\0')
				usage();
			cafile = argv[1];
		} else
			usage();
		argv++;
		argc--;
	}
	if (argc != 1)
		usage();
	host = argv[0];
	if (!host_check(host))
		failx(EXIT_PERM, "the host name is not usable", NULL);
	nonblock();

	ctx = ctx_make(cafile);
	r->ssl = ssl_make(ctx, host, cafile != NULL);
	handshake(r->ssl, timeout);

	/* the status line goes first, through the relay buffer */
	n = snprintf(r->down, sizeof(r->down), "+%s %s\n",
	    SSL_get_version(r->ssl), SSL_get_cipher_name(r->ssl));
	if (n < 0 || (size_t)n >= 256)
		failx(EXIT_TEMP, "unable to describe the TLS connection", NULL);
	r->downlen = (size_t)n;

	rc = relay_run(r, (int)(timeout * 1000));
	if (!r->net_dead && !r->net_eof) {
		ERR_clear_error();
		(void)SSL_shutdown(r->ssl); /* close_notify, if it fits */
	}
	SSL_free(r->ssl);
	SSL_CTX_free(ctx);
	return rc == 0 ? EXIT_OK : EXIT_TEMP;
}
