/*
 * qmail-tlsd - run a plain-text protocol program over TLS.
 *
 * Usage: qmail-tlsd [-s] program [arg ...]
 *
 * The client is on descriptors 0 (input) and 1 (output).  qmail-tlsd
 * makes the TLS server handshake there with the certificate chain and
 * key of control/servercert.pem, then starts program with a socket pair
 * as its descriptors 0 and 1 and relays bytes both ways, decrypting what
 * the client sends and encrypting what the program says, until the
 * program has finished and all it said is sent.  It exits with the
 * program's exit code.
 *
 * This is the only SMTP program that links OpenSSL (DESIGN.md section 6):
 * qmail-smtpd stays small and is replaced by qmail-tlsd (exec) only when
 * a client says STARTTLS; for SMTPS (port 465) tcpserver runs qmail-tlsd
 * in front of qmail-smtpd from the start.  -s says the session was
 * already greeted (STARTTLS): the program is told so in TLS_STARTTLS.
 *
 * Memory is bounded: two fixed buffers of TLSRELAY_BUF bytes, one per
 * direction; when one is full, that direction waits (tlsrelay.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "err.h"
#include "exitcodes.h"
#include "proc.h"
#include "sig.h"
#include "tlsrelay.h"

#define TLSD_CERT "control/servercert.pem"
#define TLSD_CIPHERS "control/tlsserverciphers"
#define TLSD_TIMEOUT_FILE "control/timeoutsmtpd"

/* control/timeoutsmtpd's default, in seconds: the idle limit. */
#define TLSD_TIMEOUT_DEFAULT 1200
/* The handshake must finish within this many seconds (or the idle
 * limit, if that is shorter). */
#define TLSD_HANDSHAKE_MAX 60

/* Environment entries qmail-tlsd sets, and so first removes. */
static const char *const tlsd_env_names[] = {
	"TLS", "TLS_STARTTLS", "SSL_PROTOCOL", "SSL_CIPHER",
};
#define TLSD_ENV_ADDED 4

extern char **environ;

static struct tlsrelay relay;
static const char *remoteip = "unknown";

static noreturn void
usage(void)
{
	fatalx(EXIT_PERM, "usage: qmail-tlsd [-s] program [arg ...]");
}

/* tls_reason - the OpenSSL reason for the last error, for a log line */
static const char *
tls_reason(int sslerr)
{
	return tlsrelay_reason(sslerr, "connection closed");
}

/* read_timeout - control/timeoutsmtpd in seconds (qmail-smtpd's rule) */
static unsigned long
read_timeout(void)
{
	unsigned long timeout = TLSD_TIMEOUT_DEFAULT;

	if (control_readint(&timeout, TLSD_TIMEOUT_FILE) == -1)
		fatal(EXIT_TEMP, "unable to read %s", TLSD_TIMEOUT_FILE);
	if (timeout == 0 || timeout > 86400UL * 365)
		timeout = TLSD_TIMEOUT_DEFAULT;
	return timeout;
}

/* ctx_make - the server context: certificate, key, protocols, ciphers */
static SSL_CTX *
ctx_make(void)
{
	struct bytes ciphers = BYTES_INIT(CONTROL_LINE_BYTES);
	SSL_CTX *ctx;
	int r, fd;

	ctx = tlsrelay_context_new(TLS_server_method());
	if (ctx == NULL)
		fatalx(EXIT_TEMP, "unable to set up TLS: %s", tls_reason(0));
	/* the shared settings, and the server's own: its cipher order, no
	 * TLS 1.3 tickets either */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_dh_auto(ctx, 1);

	/* OpenSSL's reason for a missing file is "system lib": ask first */
	fd = open(TLSD_CERT, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		fatal(EXIT_TEMP, "unable to read %s/%s", conf_qmail_home,
		    TLSD_CERT);
	close(fd);
	if (SSL_CTX_use_certificate_chain_file(ctx, TLSD_CERT) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, TLSD_CERT, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		fatalx(EXIT_TEMP, "unable to load %s/%s: %s", conf_qmail_home,
		    TLSD_CERT, tls_reason(0));

	r = control_readline(&ciphers, TLSD_CIPHERS);
	if (r == -1)
		fatal(EXIT_TEMP, "unable to read %s", TLSD_CIPHERS);
	if (r == 1 && ciphers.len > 0) {
		if (bytes_cstr(&ciphers) == NULL)
			fatal(EXIT_TEMP, "unable to read %s", TLSD_CIPHERS);
		if (SSL_CTX_set_cipher_list(ctx, ciphers.s) != 1)
			fatalx(EXIT_TEMP, "unable to use %s: %s", TLSD_CIPHERS,
			    tls_reason(0));
	}
	bytes_free(&ciphers);
	return ctx;
}

/* handshake - the TLS server handshake on descriptors 0 and 1 */
static void
handshake(SSL *ssl, unsigned long seconds)
{
	int e;

	if (tlsrelay_handshake(ssl, 0, 1, seconds, &e) == 0)
		return;
	if (e != 0)
		fatalx(EXIT_TEMP, "unable to finish the TLS handshake with "
		    "%s: %s", remoteip, tls_reason(e));
	if (errno == ETIMEDOUT)
		fatalx(EXIT_TEMP, "unable to finish the TLS handshake with "
		    "%s: timed out", remoteip);
	fatal(EXIT_TEMP, "unable to poll");
}

/* env_make - our environment without tlsd_env_names, plus the new ones */
static const char **
env_make(SSL *ssl, int starttls)
{
	static char protocol[64], cipher[128];
	const char **envp;
	size_t n, i, k, len;
	int skip;

	for (n = 0; environ[n] != NULL; n++)
		;
	envp = calloc(n + TLSD_ENV_ADDED + 1, sizeof(*envp));
	if (envp == NULL)
		fatal(EXIT_TEMP, "unable to allocate the environment");
	for (i = k = 0; i < n; i++) {
		skip = 0;
		for (size_t j = 0; j < TLSD_ENV_ADDED; j++) {
			len = strlen(tlsd_env_names[j]);
			if (strncmp(environ[i], tlsd_env_names[j], len) == 0 &&
			    environ[i][len] == '=')
				skip = 1;
		}
		if (!skip)
			envp[k++] = environ[i];
	}
	envp[k++] = "TLS=1";
	if (starttls)
		envp[k++] = "TLS_STARTTLS=1";
	snprintf(protocol, sizeof(protocol), "SSL_PROTOCOL=%s",
	    SSL_get_version(ssl));
	envp[k++] = protocol;
	snprintf(cipher, sizeof(cipher), "SSL_CIPHER=%s",
	    SSL_get_cipher_name(ssl));
	envp[k++] = cipher;
	envp[k] = NULL;
	return envp;
}

int
main(int argc, char **argv)
{
	struct proc_fdmap fds[2];
	struct proc_spec spec;
	struct tlsrelay *r = &relay;
	const char **envp;
	unsigned long timeout, hs;
	int starttls = 0, sp[2], status, code, signo;
	const char *v;
	SSL_CTX *ctx;
	pid_t pid;

	err_setprogname("qmail-tlsd");
	sig_ignore(SIGPIPE);
	argv++;
	argc--;
	if (argc > 0 && strcmp(argv[0], "-s") == 0) {
		starttls = 1;
		argv++;
		argc--;
	} else if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argv++;
		argc--;
	}
	if (argc < 1 || argv[0][0] == '-')
		usage();
	v = getenv("TCPREMOTEIP");
	if (v != NULL && strlen(v) < 64 && strspn(v, "0123456789abcdefABCDEF.:") ==
	    strlen(v))
		remoteip = v;

	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to switch to %s", conf_qmail_home);
	timeout = read_timeout();
	hs = timeout < TLSD_HANDSHAKE_MAX ? timeout : TLSD_HANDSHAKE_MAX;
	ctx = ctx_make();

	r->ssl = SSL_new(ctx);
	if (r->ssl == NULL || SSL_set_rfd(r->ssl, 0) != 1 ||
	    SSL_set_wfd(r->ssl, 1) != 1)
		fatalx(EXIT_TEMP, "unable to set up TLS: %s", tls_reason(0));
	if (fd_nonblock(0) == -1 || fd_nonblock(1) == -1)
		fatal(EXIT_TEMP, "unable to make the connection non-blocking");
	handshake(r->ssl, hs);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal(EXIT_TEMP, "unable to create a socket pair");
	envp = env_make(r->ssl, starttls);
	fds[0].child = 0;
	fds[0].parent = sp[1];
	fds[1].child = 1;
	fds[1].parent = sp[1];
	memset(&spec, 0, sizeof(spec));
	spec.program = argv[0];
	spec.argv = (const char *const *)argv;
	spec.envp = envp;
	spec.fds = fds;
	spec.nfds = 2;
	pid = proc_spawn(&spec);
	if (pid == -1)
		fatal(EXIT_TEMP, "unable to run %s", argv[0]);
	close(sp[1]);
	free(envp);
	if (fd_nonblock(sp[0]) == -1)
		fatal(EXIT_TEMP, "unable to make the socket pair non-blocking");
	r->net_in = 0;
	r->net_out = 1;
	r->plain_in = r->plain_out = sp[0];
	/* the program sees the client's end of data, and its own end
	 * ends the relay */
	r->flags = TLSRELAY_HALF_CLOSE;

	if (tlsrelay_run(r, (int)(timeout * 1000 > (unsigned long)INT_MAX
		? INT_MAX : timeout * 1000)) == -1) {
		if (errno != ETIMEDOUT)
			fatal(EXIT_TEMP, "unable to poll");
		log_warnx("connection with %s idle for too long: closing it",
		    remoteip);
		r->net_dead = 1;
	}
	if (!r->net_dead) {
		ERR_clear_error();
		(void)SSL_shutdown(r->ssl); /* close_notify, if it fits */
	}
	close(sp[0]); /* a program still running sees end of file */
	SSL_free(r->ssl);
	SSL_CTX_free(ctx);

	if (proc_wait(pid, &status) == -1)
		fatal(EXIT_TEMP, "unable to wait for %s", argv[0]);
	if (proc_status_exited(status, &code))
		return code;
	if (proc_status_signaled(status, &signo, NULL))
		log_warnx("%s was killed by signal %d", argv[0], signo);
	return EXIT_TEMP;
}
