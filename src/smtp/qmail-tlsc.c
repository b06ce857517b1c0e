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
 * said 220 to STARTTLS.  Memory is bounded: one buffer of TLSRELAY_BUF
 * bytes per direction (the relay is tlsrelay.h's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "proc.h"
#include "sig.h"
#include "tlsrelay.h"

#define FD_PLAIN_IN 0
#define FD_PLAIN_OUT 1
#define FD_NET_IN 6
#define FD_NET_OUT 7

/* Longest reason on a "-" status line. */
#define TLSC_REASON_MAX 200
/* Longest host name taken (a DNS name has at most 253 characters). */
#define TLSC_HOST_MAX 253
/* Default and largest -t. */
#define TLSC_TIMEOUT_DEFAULT 1200UL
#define TLSC_TIMEOUT_MAX 86400UL

static struct tlsrelay relay;

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
	return tlsrelay_reason(sslerr, "connection closed by the server");
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

	ctx = tlsrelay_context_new(TLS_client_method());
	if (ctx == NULL)
		failx(EXIT_TEMP, "unable to set up TLS", tls_reason(0));
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

/* handshake - the client handshake within seconds, or failx */
static void
handshake(SSL *ssl, unsigned long seconds)
{
	long vr;
	int e;

	if (tlsrelay_handshake(ssl, FD_NET_IN, FD_NET_OUT, seconds, &e) == 0)
		return;
	if (e == 0 && errno == ETIMEDOUT)
		failx(EXIT_TEMP, "TLS handshake failed", "timed out");
	if (e == 0)
		failx(EXIT_TEMP, "unable to poll", strerror(errno));
	vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK)
		failx(EXIT_TEMP, "certificate verification failed",
		    X509_verify_cert_error_string(vr));
	failx(EXIT_TEMP, "TLS handshake failed", tls_reason(e));
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
	struct tlsrelay *r = &relay;
	unsigned long long t;
	unsigned long timeout = TLSC_TIMEOUT_DEFAULT;
	const char *cafile = NULL, *host;
	SSL_CTX *ctx;
	int n, ok;

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
	r->net_in = FD_NET_IN;
	r->net_out = FD_NET_OUT;
	r->plain_in = FD_PLAIN_IN;
	r->plain_out = FD_PLAIN_OUT;
	r->flags = 0; /* either side ending ends the relay */
	handshake(r->ssl, timeout);

	/* the status line goes first, through the relay buffer */
	n = snprintf(r->to_plain, sizeof(r->to_plain), "+%s %s\n",
	    SSL_get_version(r->ssl), SSL_get_cipher_name(r->ssl));
	if (n < 0 || (size_t)n >= 256)
		failx(EXIT_TEMP, "unable to describe the TLS connection", NULL);
	r->to_plain_len = (size_t)n;

	if (tlsrelay_run(r, (int)(timeout * 1000)) == -1) {
		if (errno != ETIMEDOUT)
			fatal(EXIT_TEMP, "unable to poll");
		log_warnx("connection idle for too long: closing it");
		ok = 0;
	} else
		ok = !r->net_dead;
	if (!r->net_dead && !r->net_eof) {
		ERR_clear_error();
		(void)SSL_shutdown(r->ssl); /* close_notify, if it fits */
	}
	SSL_free(r->ssl);
	SSL_CTX_free(ctx);
	return ok ? EXIT_OK : EXIT_TEMP;
}
