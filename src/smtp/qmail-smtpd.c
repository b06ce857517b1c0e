/*
 * qmail-smtpd - receive mail via SMTP and hand it to qmail-queue.
 *
 * The client is on descriptors 0 (input) and 1 (output); tcpserver,
 * inetd (through tcp-env) or systemd put it there and describe it in the
 * TCP* environment variables.  qmail-smtpd runs unprivileged (qmaild),
 * trusts nothing the client sends, and keeps its memory bounded whatever
 * the input: command lines have a fixed limit, the recipient list has a
 * fixed limit, and the message body is streamed to qmail-queue.
 *
 * The session is a small state machine (struct smtpd.state) driven by a
 * table of commands, one function each.  Replies keep qmail's wording,
 * which people and scripts match on, with RFC 3463 codes as "(#x.y.z)".
 *
 * Line discipline (the defence against SMTP smuggling): every command
 * line and every line of DATA must end in CR LF.  A bare LF or a bare CR
 * anywhere is answered with qmail's 451 bare-LF reply and the connection
 * is dropped; the end of DATA is recognised only as CR LF "." CR LF.
 *
 * TLS lives in qmail-tlsd, which links OpenSSL so that this program does
 * not: STARTTLS replaces this process by qmail-tlsd, which starts a new
 * qmail-smtpd behind the encrypted connection with TLS=1 in its
 * environment (and TLS_STARTTLS=1: no second greeting).  SMTP AUTH
 * (PLAIN, LOGIN) checks passwords through the checkpassword interface,
 * with the program named in our arguments, as qmail-smtpd-auth did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "date822.h"
#include "deadline.h"
#include "domainmap.h"
#include "fmt.h"
#include "iobuf.h"
#include "ipme.h"
#include "logsafe.h"
#include "proc.h"
#include "qqueue.h"
#include "rcptdb.h"
#include "rcpthosts.h"
#include "received.h"
#include "sig.h"
#include "smtpin.h"

/* The command line and address limits are smtpin.h's. */
#define SMTP_LINE_MAX SMTPIN_LINE_MAX
#define SMTP_ADDR_MAX SMTPIN_ADDR_MAX

/* 100 or more Received/Delivered-To fields: the message is looping. */
#define SMTP_HOPS_MAX 100

/* control/maxrcpt: its default, and the ceiling for 0 or larger values. */
#define SMTP_MAXRCPT_DEFAULT 1000
#define SMTP_MAXRCPT_CEILING 100000

/* control/timeoutsmtpd default, in seconds. */
#define SMTP_TIMEOUT_DEFAULT 1200

/* Buffer sizes: the input buffer is what DATA is streamed through. */
#define SMTP_INBUF 16384
#define SMTP_OUTBUF 2048

/* TLS: the certificate qmail-tlsd uses; STARTTLS is offered only when
 * it is readable. */
#define SMTP_SERVERCERT "control/servercert.pem"

/* AUTH: the longest decoded response, and the longest the checkpassword
 * program may take (at most; timeoutsmtpd if that is shorter). */
#define SMTP_AUTH_MAX 1024

/* The longest "with" part of the Received line: the protocol, the TLS
 * protocol and cipher names, the authenticated user (at most
 * SMTP_AUTH_MAX). */
#define SMTP_RECEIVED_PROTO_MAX (SMTP_AUTH_MAX + 512)
#define SMTP_AUTH_TIMEOUT 60

/* How qmail-smtpd ends when it drops the connection (qmail uses 1). */
#define SMTPD_EXIT_DROPPED 1
#define SMTPD_EXIT_QUIT 0

/* The replies people and scripts match on, exactly as qmail words them. */
#define REPLY_BARELF "451 See http://pobox.com/~djb/docs/smtplf.html.\r\n"
#define REPLY_TIMEOUT "451 timeout (#4.4.2)\r\n"
#define REPLY_NOMEM "421 out of memory (#4.3.0)\r\n"
#define REPLY_CONTROL "421 unable to read controls (#4.3.0)\r\n"
#define REPLY_IPME "421 unable to figure out my IP addresses (#4.3.0)\r\n"
#define REPLY_OK "250 ok\r\n"
#define REPLY_FLUSHED "250 flushed\r\n"
#define REPLY_GOAHEAD "354 go ahead\r\n"
#define REPLY_VRFY "252 send some mail, i'll try my best\r\n"
#define REPLY_HELP "214 qmail home page: http://pobox.com/~djb/qmail.html\r\n"
#define REPLY_UNIMPL "502 unimplemented (#5.5.1)\r\n"
#define REPLY_SYNTAX "555 syntax error (#5.5.4)\r\n"
#define REPLY_TOOLONG "500 line too long (#5.5.2)\r\n"
#define REPLY_WANTMAIL "503 MAIL first (#5.5.1)\r\n"
#define REPLY_WANTRCPT "503 RCPT first (#5.5.1)\r\n"
#define REPLY_BMF "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)\r\n"
#define REPLY_NOGATEWAY "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n"
#define REPLY_SIZE "552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n"
#define REPLY_HOPS "554 too many hops, this message is looping (#5.4.6)\r\n"
#define REPLY_QQT "451 qqt failure (#4.3.0)\r\n"
#define REPLY_TOOMANYRCPT "452 too many recipients (#4.5.3)\r\n"
/* Recipient validation (control/rcptcheck, users/rcpt.cdb). */
#define REPLY_NOMAILBOX "550 sorry, no mailbox here by that name (#5.1.1)\r\n"
#define REPLY_RCPTDB_STALE "451 sorry, the recipient database is out of date (#4.3.0)\r\n"
#define REPLY_RCPTDB_BAD "451 sorry, unable to read the recipient database (#4.3.0)\r\n"
/* STARTTLS (RFC 3207) */
#define REPLY_TLS_GO "220 ready to start TLS (#2.0.0)\r\n"
#define REPLY_TLS_ACTIVE "503 TLS already active (#5.5.1)\r\n"
#define REPLY_TLS_ARG "501 STARTTLS takes no argument (#5.5.4)\r\n"
#define REPLY_TLS_PIPELINED "503 STARTTLS must be the last command sent before the reply (#5.5.1)\r\n"
#define REPLY_TLS_UNAVAIL "454 TLS not available due to temporary reason (#4.3.0)\r\n"
/* SMTP AUTH (RFC 4954), with qmail-smtpd-auth's wording */
#define REPLY_AUTH_OK "235 ok, go ahead (#2.7.0)\r\n"
#define REPLY_AUTH_FAILED "535 authentication failed (#5.7.8)\r\n"
#define REPLY_AUTH_TEMP "454 temporary authentication failure (#4.7.0)\r\n"
#define REPLY_AUTH_AGAIN "503 you're already authenticated (#5.5.1)\r\n"
#define REPLY_AUTH_INMAIL "503 no auth during mail transaction (#5.5.1)\r\n"
#define REPLY_AUTH_TYPE "504 auth type unimplemented (#5.5.4)\r\n"
#define REPLY_AUTH_SYNTAX "501 auth type missing (#5.5.4)\r\n"
#define REPLY_AUTH_INPUT "501 malformed auth input (#5.5.2)\r\n"
#define REPLY_AUTH_CANCEL "501 auth exchange cancelled (#5.0.0)\r\n"
#define REPLY_AUTH_NEEDTLS "538 encryption required for requested authentication mechanism (#5.7.11)\r\n"
#define REPLY_AUTH_REQUIRED "530 authentication required (#5.7.0)\r\n"
#define REPLY_USAGE "421 qmail-smtpd is misconfigured (#4.3.0)\r\n"

/* Where the recipient database stands in this session. */
enum rcptdb_state {
	RCPTDB_UNOPENED, /* not needed yet */
	RCPTDB_READY,    /* open, header checked, fresh */
	RCPTDB_STALE,    /* a source changed since qmail-newrcpt ran */
	RCPTDB_BAD       /* missing, unreadable or corrupt */
};

/* Where the session is: what a client may send next. */
enum smtp_state {
	SMTP_IDLE, /* no transaction: MAIL starts one */
	SMTP_MAIL, /* MAIL given: RCPT next */
	SMTP_RCPT  /* at least one RCPT: more RCPT, or DATA */
};

struct smtpd {
	struct iobuf in;
	struct iobuf out;
	char inspace[SMTP_INBUF];
	char outspace[SMTP_OUTBUF];

	/* configuration, read once at start */
	struct bytes greeting;
	struct bytes liphost;
	int liphost_ok;
	unsigned long databytes; /* 0: no limit */
	unsigned long maxrcpt;
	struct rcpthosts rcpthosts; /* and morercpthosts.cdb */
	struct domainmap badmailfrom;
	int badmailfrom_ok;
	const char *relayclient; /* NULL: not a relay client */
	struct received_peer peer; /* from the TCP* variables */
	struct ipme ipme; /* local addresses, read at first need */
	int ipme_read;
	int rcptcheck;          /* control/rcptcheck: validate recipients */
	struct domainmap locals; /* read only with rcptcheck */
	struct domainmap vdoms;  /* control/virtualdomains, likewise */
	struct rcptdb rdb;       /* opened at the first recipient checked */
	enum rcptdb_state rdb_state;

	/* the session */
	enum smtp_state state;
	struct smtpin_line reader; /* the current command line */
	struct bytes addr;  /* the address being parsed */
	struct bytes helo;  /* what HELO/EHLO said */
	int helo_differs;   /* show it in Received: it is not remotehost */
	struct bytes mailfrom;
	struct bytes rcptto; /* T records: address NUL, ... */
	unsigned long nrcpt;
	int barf; /* the sender is in badmailfrom */

	/* TLS and AUTH */
	char **argv;            /* our arguments, for STARTTLS */
	int tls;                /* TLS=1: behind qmail-tlsd */
	int starttls_ok;        /* STARTTLS can be offered */
	char *const *auth_argv; /* checkpassword program and its arguments */
	int auth_plaintext;     /* SMTPAUTH_PLAINTEXT: AUTH without TLS */
	int auth_required;      /* SMTPAUTH_REQUIRED: no MAIL before AUTH */
	unsigned long timeout;  /* timeoutsmtpd, in seconds */
	int authed;
	struct bytes authuser;

	/* the message being received */
	struct qqueue qq;
	struct smtpin_data data;
	unsigned long long bytes_left; /* databytes + 1 still allowed */
	int too_big;
};

static struct smtpd smtpd;

/* --- output and dying ------------------------------------------------- */

static void smtp_flush(struct smtpd *s);

static void
smtp_out(struct smtpd *s, const char *text)
{
	if (iobuf_puts(&s->out, text) == -1)
		_exit(SMTPD_EXIT_DROPPED);
}

static void
smtp_out_bytes(struct smtpd *s, const struct bytes *b)
{
	if (iobuf_write(&s->out, b->s, b->len) == -1)
		_exit(SMTPD_EXIT_DROPPED);
}

static void
smtp_flush(struct smtpd *s)
{
	if (iobuf_flush(&s->out) == -1)
		_exit(SMTPD_EXIT_DROPPED);
}

/* smtp_die - say reply (if any), flush and drop the connection */
static _Noreturn void
smtp_die(struct smtpd *s, const char *reply)
{
	if (reply != NULL) {
		smtp_out(s, reply);
		smtp_flush(s);
	}
	_exit(SMTPD_EXIT_DROPPED);
}

static _Noreturn void
smtp_die_nomem(struct smtpd *s)
{
	smtp_die(s, REPLY_NOMEM);
}

/* smtp_die_bytes - a struct bytes failed: out of memory or a limit */
static _Noreturn void
smtp_die_bytes(struct smtpd *s)
{
	smtp_die_nomem(s);
}

/* --- input -------------------------------------------------------------- */

/*
 * smtp_fill - make sure input is buffered; flush replies first when we
 * are about to wait (so pipelined commands get their replies in one
 * batch, RFC 2920).  Returns the number of buffered bytes; end of input
 * or a read error drops the connection, a timeout with qmail's reply.
 */
static size_t
smtp_fill(struct smtpd *s)
{
	ssize_t n;

	if (s->in.pos == s->in.len)
		smtp_flush(s);
	n = iobuf_fill(&s->in);
	if (n == -1 && errno == ETIMEDOUT)
		smtp_die(s, REPLY_TIMEOUT);
	if (n <= 0)
		smtp_die(s, NULL);
	return (size_t)n;
}

/*
 * smtp_line_read - the next command line into s->reader.line, without
 * its CR LF and with a NUL after it.  Returns 1, or 0 when the line was
 * too long (its rest has been read and thrown away).  A line that does
 * not end in CR LF, or holds a bare CR, drops the connection.
 */
static int
smtp_line_read(struct smtpd *s)
{
	size_t n, used;
	int r;

	do {
		n = smtp_fill(s);
		r = smtpin_line_feed(&s->reader, iobuf_peek(&s->in), n, &used);
		iobuf_skip(&s->in, used);
	} while (r == SMTPIN_LINE_MORE);
	if (r == -1)
		smtp_die_bytes(s);
	if (r == SMTPIN_LINE_BARE)
		smtp_die(s, REPLY_BARELF);
	return r == SMTPIN_LINE_DONE;
}

/* --- addresses ---------------------------------------------------------- */

/* ipme_has - 1 if the address (family af, raw bytes a) is one of ours */
static int
ipme_has(struct smtpd *s, int af, const void *a)
{
	struct dns_addr addr;

	if (!s->ipme_read) {
		if (ipme_load(&s->ipme) == -1)
			smtp_die(s, REPLY_IPME);
		s->ipme_read = 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.family = af;
	memcpy(addr.ip, a, af == AF_INET ? 4 : 16);
	return ipme_contains(&s->ipme, &addr);
}

/* literal_is_me - 1 if lit ("[1.2.3.4]" or "[IPv6:...]") is ours */
static int
literal_is_me(struct smtpd *s, const char *lit, size_t len)
{
	char text[INET6_ADDRSTRLEN + 8];
	unsigned char raw[16];

	if (len < 3 || lit[0] != '[' || lit[len - 1] != ']' ||
	    len - 2 >= sizeof(text))
		return 0;
	memcpy(text, lit + 1, len - 2);
	text[len - 2] = '\0';
	if (inet_pton(AF_INET, text, raw) == 1)
		return ipme_has(s, AF_INET, raw);
	if (strncasecmp(text, "IPv6:", 5) == 0 &&
	    inet_pton(AF_INET6, text + 5, raw) == 1)
		return ipme_has(s, AF_INET6, raw);
	return 0;
}

/*
 * addr_parse - the address of a MAIL or RCPT argument into s->addr
 * (smtpin_addr_parse); then a domain literal naming one of our addresses
 * becomes localiphost.  *rest points after the path.  Returns 1, or 0
 * for a syntax error.
 */
static int
addr_parse(struct smtpd *s, const char *arg, const char **rest)
{
	size_t at;
	int r;

	r = smtpin_addr_parse(arg, &s->addr, rest);
	if (r == -1)
		smtp_die_bytes(s);
	if (r == 0)
		return 0;
	if (s->liphost_ok) {
		for (at = s->addr.len; at > 0 && s->addr.s[at - 1] != '@'; at--)
			;
		if (at > 0 && literal_is_me(s, s->addr.s + at, s->addr.len - at)) {
			bytes_truncate(&s->addr, at);
			if (bytes_append(&s->addr, s->liphost.s, s->liphost.len) == -1)
				smtp_die_bytes(s);
			if (s->addr.len > SMTP_ADDR_MAX)
				return 0;
			if (bytes_cstr(&s->addr) == NULL)
				smtp_die_bytes(s);
		}
	}
	return 1;
}

/* addr_domain - where the domain of a starts (after its last '@'), or
 * NULL if a has no '@' */
static const char *
addr_domain(const struct bytes *a)
{
	size_t i;

	for (i = a->len; i > 0; i--)
		if (a->s[i - 1] == '@')
			return a->s + i;
	return NULL;
}

/* sender_is_bad - 1 if the address or its @domain is in badmailfrom */
static int
sender_is_bad(struct smtpd *s)
{
	const char *dom;

	if (!s->badmailfrom_ok)
		return 0;
	if (domainmap_find_exact(&s->badmailfrom, s->addr.s, s->addr.len, NULL))
		return 1;
	dom = addr_domain(&s->addr);
	if (dom == NULL)
		return 0;
	dom--; /* include the '@' */
	return domainmap_find_exact(&s->badmailfrom, dom,
	    s->addr.len - (size_t)(dom - s->addr.s), NULL);
}

/* rcpt_allowed - qmail's rcpthosts rule (rcpthosts.h) for the recipient */
static int
rcpt_allowed(struct smtpd *s)
{
	int r = rcpthosts_allowed(&s->rcpthosts, s->addr.s, s->addr.len);

	if (r == -1)
		smtp_die(s, REPLY_CONTROL);
	return r;
}

/* rcptdb_ready - open the recipient database at first need; the state */
static enum rcptdb_state
rcptdb_ready(struct smtpd *s)
{
	int r;

	if (s->rdb_state != RCPTDB_UNOPENED)
		return s->rdb_state;
	r = rcptdb_open(&s->rdb, RCPTDB_PATH);
	if (r == 1)
		s->rdb_state = RCPTDB_READY;
	else if (r == -1 && errno == ESTALE)
		s->rdb_state = RCPTDB_STALE;
	else
		s->rdb_state = RCPTDB_BAD; /* missing (0) or unusable */
	return s->rdb_state;
}

/*
 * rcpt_deliverable - recipient validation: for an address in a domain of
 * control/locals or control/virtualdomains (with a prefix), ask
 * users/rcpt.cdb whether the local qmail-lspawn would get ("local", or
 * "prefix-local") is deliverable.  Other addresses are not checked.
 * Returns 1 to go on, 0 when a refusal (550, or 451 if the database is
 * missing, stale or unreadable: never accept or refuse everything by
 * mistake) has been sent.
 */
static int
rcpt_deliverable(struct smtpd *s)
{
	struct bytes local = BYTES_INIT(RCPTDB_LOCAL_MAX + 1);
	const char *dom, *prefix = NULL;
	size_t at, domlen;
	int r;

	if (!s->rcptcheck)
		return 1;
	dom = addr_domain(&s->addr);
	if (dom == NULL || *dom == '\0')
		return 1;
	at = (size_t)(dom - s->addr.s) - 1;
	domlen = s->addr.len - at - 1;
	if (!domainmap_find_exact(&s->locals, dom, domlen, NULL)) {
		r = domainmap_find_virtual(&s->vdoms, s->addr.s, s->addr.len,
		    at, &prefix);
		if (r != 1 || prefix == NULL || *prefix == '\0')
			return 1; /* not ours, or a virtualdomains exception */
	}
	switch (rcptdb_ready(s)) {
	case RCPTDB_READY:
		break;
	case RCPTDB_STALE:
		smtp_out(s, REPLY_RCPTDB_STALE);
		return 0;
	default:
		smtp_out(s, REPLY_RCPTDB_BAD);
		return 0;
	}
	if (prefix != NULL && (bytes_append_str(&local, prefix) == -1 ||
				  bytes_append_char(&local, '-') == -1))
		smtp_die_bytes(s);
	if (bytes_append(&local, s->addr.s, at) == -1)
		smtp_die_bytes(s);
	r = rcptdb_lookup(&s->rdb, local.s, local.len);
	bytes_free(&local);
	if (r == 1)
		return 1;
	smtp_out(s, r == 0 ? REPLY_NOMAILBOX : REPLY_RCPTDB_BAD);
	return 0;
}

/*
 * size_param_too_big - 1 if the MAIL parameters hold SIZE=n with n over
 * databytes (RFC 1870: refuse at MAIL time).
 */
static int
size_param_too_big(const struct smtpd *s, const char *params)
{
	unsigned long long n;

	if (s->databytes == 0)
		return 0;
	return smtpin_param_size(params, &n) && n > s->databytes;
}

/* --- the Received line -------------------------------------------------- */

/*
 * received_protocol - what follows "with" in the Received line: "SMTP"
 * as qmail says, or over TLS or after AUTH RFC 3848's ESMTPS, ESMTPA or
 * ESMTPSA and a comment naming the TLS protocol and cipher and the
 * authenticated user ("ESMTPSA (TLSv1.3 CIPHER, auth USER)").  Text from
 * outside shows unsafe bytes as '?'.  0, or -1 with errno.
 */
static int
received_protocol(const struct smtpd *s, struct bytes *b)
{
	const char *proto = getenv("SSL_PROTOCOL");
	const char *cipher = getenv("SSL_CIPHER");
	int r;

	if (!s->tls && !s->authed)
		return bytes_append_str(b, "SMTP");
	if (s->tls)
		r = bytes_append_str(b, s->authed ? "ESMTPSA (" : "ESMTPS (");
	else
		r = bytes_append_str(b, "ESMTPA (");
	if (r == 0 && s->tls) {
		r = received_append_safe(b, proto != NULL ? proto : "TLS", "_");
		if (r == 0 && cipher != NULL && *cipher != '\0')
			r = bytes_append_str(b, " ") == -1 ||
				received_append_safe(b, cipher, "_") == -1
			    ? -1
			    : 0;
	}
	if (r == 0 && s->authed)
		r = bytes_append_str(b, s->tls ? ", auth " : "auth ") == -1 ||
			received_append_safe(b, s->authuser.s, "") == -1
		    ? -1
		    : 0;
	if (r == 0)
		r = bytes_append_str(b, ")");
	return r;
}

/*
 * received_put - qmail-smtpd's Received line (received.h), with
 * "(HELO helo)" only when helo differs from the remote host name.
 */
static void
received_put(struct smtpd *s)
{
	struct bytes proto = BYTES_INIT(SMTP_RECEIVED_PROTO_MAX);
	struct bytes b;
	size_t limit;

	if (received_protocol(s, &proto) == -1 ||
	    bytes_cstr(&proto) == NULL)
		smtp_die_bytes(s);
	/* every part is bounded by its own length: no part is cut short */
	limit = 128 + DATE822_MAX + strlen(s->peer.remotehost) + s->helo.len +
	    strlen(s->peer.remoteip) + strlen(s->peer.local) +
	    (s->peer.remoteinfo != NULL ? strlen(s->peer.remoteinfo) : 0) + proto.len;
	bytes_init(&b, limit);
	if (received_append(&b, proto.s, s->peer.local, s->peer.remoteip,
		s->peer.remotehost, s->peer.remoteinfo,
		s->helo_differs ? s->helo.s : NULL, time(NULL)) == -1)
		smtp_die_bytes(s);
	qqueue_put(&s->qq, b.s, b.len);
	bytes_free(&b);
	bytes_free(&proto);
}

/* --- the DATA reader ---------------------------------------------------- */

/* data_put - n bytes of the message as stored (LF line ends) */
static void
data_put(void *ctx, const char *p, size_t n)
{
	struct smtpd *s = ctx;

	if (s->databytes != 0) {
		if (n >= s->bytes_left) {
			s->bytes_left = 0;
			s->too_big = 1;
		} else {
			s->bytes_left -= n;
		}
	}
	if (!s->too_big)
		qqueue_put(&s->qq, p, n);
}

/*
 * data_read - read the message up to CR LF "." CR LF through the DATA
 * reader (smtpin.h): dot-stuffing undone, CR LF turned into LF, a bare
 * CR or LF drops the connection.
 */
static void
data_read(struct smtpd *s)
{
	size_t n, used;

	smtpin_data_init(&s->data, data_put, s);
	while (s->data.state != SMTPIN_DATA_END) {
		n = smtp_fill(s);
		used = smtpin_data_step(&s->data, iobuf_peek(&s->in), n);
		iobuf_skip(&s->in, used);
		if (s->data.state == SMTPIN_DATA_BARE)
			smtp_die(s, REPLY_BARELF);
	}
}

/* --- the commands ------------------------------------------------------- */

static void
session_reset(struct smtpd *s)
{
	s->state = SMTP_IDLE;
	bytes_truncate(&s->rcptto, 0);
	s->nrcpt = 0;
}

static void
smtp_greet(struct smtpd *s, const char *code)
{
	smtp_out(s, code);
	smtp_out_bytes(s, &s->greeting);
}

static void
helo_remember(struct smtpd *s, const char *arg)
{
	if (bytes_copy_str(&s->helo, arg) == -1 || bytes_cstr(&s->helo) == NULL)
		smtp_die_bytes(s);
	s->helo_differs = strcasecmp(arg, s->peer.remotehost) != 0;
	session_reset(s);
}

/* auth_offered - AUTH is configured, and allowed on this connection */
static int
auth_offered(const struct smtpd *s)
{
	return s->auth_argv != NULL && (s->tls || s->auth_plaintext);
}

static void
cmd_helo(struct smtpd *s, const char *arg)
{
	helo_remember(s, arg);
	smtp_greet(s, "250 ");
	smtp_out(s, "\r\n");
}

static void
cmd_ehlo(struct smtpd *s, const char *arg)
{
	char num[FMT_ULONG];

	helo_remember(s, arg);
	smtp_greet(s, "250-");
	smtp_out(s, "\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE");
	if (s->databytes != 0) {
		fmt_ulong(num, s->databytes);
		smtp_out(s, " ");
		smtp_out(s, num);
	}
	smtp_out(s, "\r\n");
	if (s->starttls_ok)
		smtp_out(s, "250-STARTTLS\r\n");
	if (auth_offered(s))
		smtp_out(s, "250-AUTH LOGIN PLAIN\r\n");
	smtp_out(s, "250 ENHANCEDSTATUSCODES\r\n");
}

static void
cmd_rset(struct smtpd *s, const char *arg)
{
	session_reset(s);
	smtp_out(s, REPLY_FLUSHED);
}

static void
cmd_noop(struct smtpd *s, const char *arg)
{
	smtp_out(s, REPLY_OK);
}

static void
cmd_vrfy(struct smtpd *s, const char *arg)
{
	smtp_out(s, REPLY_VRFY);
}

static void
cmd_help(struct smtpd *s, const char *arg)
{
	smtp_out(s, REPLY_HELP);
}

static void
cmd_quit(struct smtpd *s, const char *arg)
{
	smtp_greet(s, "221 ");
	smtp_out(s, "\r\n");
	smtp_flush(s);
	_exit(SMTPD_EXIT_QUIT);
}

static void
cmd_unknown(struct smtpd *s, const char *arg)
{
	smtp_out(s, REPLY_UNIMPL);
}

/* MAIL starts a new transaction at any time, as in qmail */
static void
cmd_mail(struct smtpd *s, const char *arg)
{
	const char *rest;

	if (s->auth_required && !s->authed) {
		smtp_out(s, REPLY_AUTH_REQUIRED);
		return;
	}
	if (!addr_parse(s, arg, &rest)) {
		smtp_out(s, REPLY_SYNTAX);
		return;
	}
	if (size_param_too_big(s, rest)) {
		smtp_out(s, REPLY_SIZE);
		return;
	}
	session_reset(s);
	s->barf = sender_is_bad(s);
	if (bytes_copy(&s->mailfrom, s->addr.s, s->addr.len + 1) == -1)
		smtp_die_bytes(s);
	s->state = SMTP_MAIL;
	smtp_out(s, REPLY_OK);
}

static void
cmd_rcpt(struct smtpd *s, const char *arg)
{
	const char *rest;

	if (s->state == SMTP_IDLE) {
		smtp_out(s, REPLY_WANTMAIL);
		return;
	}
	if (!addr_parse(s, arg, &rest)) {
		smtp_out(s, REPLY_SYNTAX);
		return;
	}
	if (s->barf) {
		smtp_out(s, REPLY_BMF);
		return;
	}
	if (s->nrcpt >= s->maxrcpt) {
		smtp_out(s, REPLY_TOOMANYRCPT);
		return;
	}
	if (s->relayclient != NULL) {
		if (bytes_append_str(&s->addr, s->relayclient) == -1)
			smtp_die_bytes(s);
	} else if (!rcpt_allowed(s)) {
		smtp_out(s, REPLY_NOGATEWAY);
		return;
	}
	if (!rcpt_deliverable(s))
		return;
	if (bytes_append(&s->rcptto, s->addr.s, s->addr.len) == -1 ||
	    bytes_append_char(&s->rcptto, '\0') == -1)
		smtp_die_bytes(s);
	s->nrcpt++;
	s->state = SMTP_RCPT;
	smtp_out(s, REPLY_OK);
}

static void
data_accepted(struct smtpd *s, pid_t qp)
{
	char num[FMT_ULONG];

	smtp_out(s, "250 ok ");
	fmt_ulong(num, (unsigned long long)time(NULL));
	smtp_out(s, num);
	smtp_out(s, " qp ");
	fmt_ulong(num, (unsigned long long)qp);
	smtp_out(s, num);
	smtp_out(s, "\r\n");
}

static void
cmd_data(struct smtpd *s, const char *arg)
{
	const char *qqx, *r, *end;
	pid_t qp;
	int code;

	if (s->state == SMTP_IDLE) {
		smtp_out(s, REPLY_WANTMAIL);
		return;
	}
	if (s->state == SMTP_MAIL) {
		smtp_out(s, REPLY_WANTRCPT);
		return;
	}
	s->state = SMTP_IDLE;
	if (qqueue_open(&s->qq, NULL) == -1) {
		session_reset(s);
		smtp_out(s, REPLY_QQT);
		return;
	}
	qp = s->qq.pid;
	smtp_out(s, REPLY_GOAHEAD);
	received_put(s);
	s->bytes_left = (unsigned long long)s->databytes + 1;
	s->too_big = 0;
	data_read(s);

	if (s->too_big || s->data.hops >= SMTP_HOPS_MAX) {
		/* no envelope: qmail-queue sees none and queues nothing */
		qqueue_close(&s->qq);
		session_reset(s);
		smtp_out(s, s->too_big ? REPLY_SIZE : REPLY_HOPS);
		return;
	}
	qqueue_from(&s->qq, s->mailfrom.s);
	end = s->rcptto.s + s->rcptto.len;
	for (r = s->rcptto.s; r < end; r += strlen(r) + 1)
		qqueue_to(&s->qq, r);
	code = qqueue_close(&s->qq);
	session_reset(s);
	if (code == 0) {
		data_accepted(s, qp);
		return;
	}
	qqx = qqueue_strerror(code);
	smtp_out(s, *qqx == 'D' ? "554 " : "451 ");
	smtp_out(s, qqx + 1);
	smtp_out(s, "\r\n");
}

/* --- STARTTLS ---------------------------------------------------------- */

/* smtp_log - one line on descriptor 2 (tcpserver's log): "qmail-smtpd: "
 * and the parts, which the caller has made log-safe */
static void
smtp_log(const char *a, const char *b, const char *c, const char *d)
{
	struct bytes line = BYTES_INIT(4096);

	if (bytes_append_str(&line, "qmail-smtpd: ") == 0 &&
	    bytes_append_str(&line, a) == 0 && bytes_append_str(&line, b) == 0 &&
	    bytes_append_str(&line, c) == 0 && bytes_append_str(&line, d) == 0 &&
	    bytes_append_char(&line, '\n') == 0)
		(void)!write(2, line.s, line.len);
	bytes_free(&line);
}

/*
 * cmd_starttls - RFC 3207.  Nothing the client sent before TLS may be
 * taken as sent in TLS (CVE-2011-0411): a command pipelined after
 * STARTTLS is refused with the STARTTLS.  Then qmail-tlsd takes over the
 * connection and runs a fresh qmail-smtpd with our arguments behind it;
 * everything of this session is forgotten, as the RFC wants.
 */
static void
cmd_starttls(struct smtpd *s, const char *arg)
{
	char tlsd[4096], self[4096];
	const char *argv[64];
	size_t i, n;

	if (s->tls) {
		smtp_out(s, REPLY_TLS_ACTIVE);
		return;
	}
	if (!s->starttls_ok) {
		smtp_out(s, REPLY_UNIMPL);
		return;
	}
	if (*arg != '\0') {
		smtp_out(s, REPLY_TLS_ARG);
		return;
	}
	if (s->in.pos < s->in.len) {
		smtp_out(s, REPLY_TLS_PIPELINED);
		return;
	}
	n = (size_t)snprintf(tlsd, sizeof(tlsd), "%s/bin/qmail-tlsd",
	    conf_qmail_home);
	i = (size_t)snprintf(self, sizeof(self), "%s/bin/qmail-smtpd",
	    conf_qmail_home);
	if (n >= sizeof(tlsd) || i >= sizeof(self) ||
	    access(tlsd, X_OK) == -1 ||
	    access(SMTP_SERVERCERT, R_OK) == -1) {
		smtp_out(s, REPLY_TLS_UNAVAIL);
		return;
	}
	n = 0;
	argv[n++] = "qmail-tlsd";
	argv[n++] = "-s";
	argv[n++] = self;
	for (i = 1; s->argv[i] != NULL; i++) {
		if (n + 1 >= sizeof(argv) / sizeof(argv[0])) {
			smtp_out(s, REPLY_TLS_UNAVAIL);
			return;
		}
		argv[n++] = s->argv[i];
	}
	argv[n] = NULL;
	smtp_out(s, REPLY_TLS_GO);
	smtp_flush(s);
	execv(tlsd, (char *const *)argv);
	smtp_log("unable to run ", tlsd, ": ", strerror(errno));
	_exit(SMTPD_EXIT_DROPPED);
}

/* --- AUTH --------------------------------------------------------------- */

/* auth_wipe - forget a secret */
static void
auth_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/*
 * auth_decode - base64 text into out (at most SMTP_AUTH_MAX bytes);
 * the length, or -1 with the 501 reply sent.
 */
static long
auth_decode(struct smtpd *s, const char *text, char *out)
{
	long n;

	if (strcmp(text, "=") == 0) /* RFC 4954: an empty initial response */
		return 0;
	n = base64_decode(text, strlen(text), out, SMTP_AUTH_MAX);
	if (n == -1)
		smtp_out(s, REPLY_AUTH_INPUT);
	return n;
}

/*
 * auth_response - send "334 challenge" and read the client's answer into
 * out; the decoded length, or -1 with a reply sent ('*' cancels).
 */
static long
auth_response(struct smtpd *s, const char *challenge, char *out)
{
	long n;

	smtp_out(s, "334 ");
	smtp_out(s, challenge);
	smtp_out(s, "\r\n");
	if (!smtp_line_read(s)) {
		smtp_out(s, REPLY_TOOLONG);
		return -1;
	}
	if (strcmp(s->reader.line.s, "*") == 0) {
		smtp_out(s, REPLY_AUTH_CANCEL);
		return -1;
	}
	n = auth_decode(s, s->reader.line.s, out);
	auth_wipe(s->reader.line.s, strlen(s->reader.line.s));
	return n;
}

/* auth_wait - wait for pid at most seconds; its raw status, or -1 */
static int
auth_wait(pid_t pid, unsigned long seconds, int *status)
{
	struct timespec pause = { 0, 1000000 }; /* 1 ms, doubling */
	struct timespec deadline;
	pid_t r;

	deadline_set(&deadline, seconds);
	for (;;) {
		r = proc_wait_nohang(pid, status);
		if (r == pid)
			return 0;
		if (r == -1)
			return -1;
		if (deadline_ms_left(&deadline) == 0) {
			kill(pid, SIGKILL);
			(void)proc_wait(pid, status);
			return -1;
		}
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 64000000)
			pause.tv_nsec *= 2;
	}
}

/* Results of auth_check. */
enum auth_result { AUTH_GOOD, AUTH_BAD, AUTH_TEMP };

/*
 * auth_check - run the checkpassword program (no shell) with
 * "user\0password\0timestamp\0" on its descriptor 3 and /dev/null as its
 * descriptors 0 and 1: exit 0 is good, 1 a wrong password, anything
 * else (2 misuse, 111, a crash, no exit in time) temporary.
 */
static enum auth_result
auth_check(struct smtpd *s, const char *user, size_t ulen, const char *pass,
    size_t plen)
{
	char data[2 * SMTP_AUTH_MAX + 3];
	char num[FMT_ULONG];
	struct proc_fdmap fds[3];
	struct proc_spec spec;
	unsigned long limit;
	int pi[2], devnull, status, code;
	size_t len;
	pid_t pid;

	if (pipe2(pi, O_CLOEXEC) == -1)
		return AUTH_TEMP;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull == -1) {
		close(pi[0]);
		close(pi[1]);
		return AUTH_TEMP;
	}
	fds[0].child = 0;
	fds[0].parent = devnull;
	fds[1].child = 1;
	fds[1].parent = devnull;
	fds[2].child = 3;
	fds[2].parent = pi[0];
	memset(&spec, 0, sizeof(spec));
	spec.program = s->auth_argv[0];
	spec.argv = (const char *const *)s->auth_argv;
	spec.fds = fds;
	spec.nfds = 3;
	pid = proc_spawn(&spec);
	code = errno;
	close(pi[0]);
	close(devnull);
	if (pid == -1) {
		close(pi[1]);
		smtp_log("unable to run ", s->auth_argv[0], ": ",
		    strerror(code));
		return AUTH_TEMP;
	}
	/* at most 2 KiB: it fits in the pipe whatever the program does */
	memcpy(data, user, ulen);
	data[ulen] = '\0';
	memcpy(data + ulen + 1, pass, plen);
	data[ulen + 1 + plen] = '\0';
	data[ulen + plen + 2] = '\0'; /* no timestamp: PLAIN and LOGIN */
	len = ulen + plen + 3;
	(void)!write(pi[1], data, len);
	auth_wipe(data, sizeof(data));
	close(pi[1]);

	limit = s->timeout < SMTP_AUTH_TIMEOUT ? s->timeout : SMTP_AUTH_TIMEOUT;
	if (auth_wait(pid, limit, &status) == -1) {
		smtp_log("checkpassword program ", s->auth_argv[0],
		    " did not finish in time", "");
		return AUTH_TEMP;
	}
	if (!proc_status_exited(status, &code)) {
		smtp_log("checkpassword program ", s->auth_argv[0],
		    " crashed", "");
		return AUTH_TEMP;
	}
	if (code == 0)
		return AUTH_GOOD;
	if (code == 1)
		return AUTH_BAD;
	fmt_ulong(num, (unsigned long long)code);
	smtp_log("checkpassword program ", s->auth_argv[0], " exited ", num);
	return AUTH_TEMP;
}

/* auth_finish - check user and password and say how it went */
static void
auth_finish(struct smtpd *s, const char *user, size_t ulen, const char *pass,
    size_t plen)
{
	struct bytes who = BYTES_INIT(2 * SMTP_AUTH_MAX + 256);
	enum auth_result r;

	if (ulen == 0 || plen == 0 || memchr(user, '\0', ulen) != NULL ||
	    memchr(pass, '\0', plen) != NULL) {
		smtp_out(s, REPLY_AUTH_INPUT);
		return;
	}
	r = auth_check(s, user, ulen, pass, plen);
	if (logsafe_append(&who, user, ulen) == -1 ||
	    bytes_append_str(&who, " from ") == -1 ||
	    logsafe_append(&who, s->peer.remoteip, strlen(s->peer.remoteip)) == -1 ||
	    bytes_cstr(&who) == NULL)
		smtp_die_bytes(s);
	switch (r) {
	case AUTH_GOOD:
		if (bytes_copy(&s->authuser, user, ulen) == -1 ||
		    bytes_cstr(&s->authuser) == NULL)
			smtp_die_bytes(s);
		s->authed = 1;
		if (s->relayclient == NULL)
			s->relayclient = "";
		smtp_log("auth: accepted ", who.s, "", "");
		smtp_out(s, REPLY_AUTH_OK);
		break;
	case AUTH_BAD:
		smtp_log("auth: refused ", who.s, "", "");
		smtp_out(s, REPLY_AUTH_FAILED);
		break;
	default:
		smtp_log("auth: temporary failure for ", who.s, "", "");
		smtp_out(s, REPLY_AUTH_TEMP);
		break;
	}
	bytes_free(&who);
}

/* auth_plain - RFC 4616: authzid NUL authcid NUL passwd */
static void
auth_plain(struct smtpd *s, const char *initial)
{
	char buf[SMTP_AUTH_MAX];
	const char *user, *pass, *end;
	long n;

	if (*initial != '\0')
		n = auth_decode(s, initial, buf);
	else
		n = auth_response(s, "", buf);
	if (n == -1)
		return;
	end = buf + n;
	user = memchr(buf, '\0', (size_t)n);
	pass = user != NULL ? memchr(user + 1, '\0', (size_t)(end - user - 1))
			    : NULL;
	if (pass == NULL) {
		smtp_out(s, REPLY_AUTH_INPUT);
	} else if (user != buf && ((size_t)(user - buf) !=
					  (size_t)(pass - user - 1) ||
				      memcmp(buf, user + 1,
					  (size_t)(user - buf)) != 0)) {
		/* acting for another user (an authzid) is not supported */
		smtp_out(s, REPLY_AUTH_FAILED);
	} else {
		user++;
		pass++;
		auth_finish(s, user, (size_t)(pass - 1 - user), pass,
		    (size_t)(end - pass));
	}
	auth_wipe(buf, sizeof(buf));
}

/* auth_login - "334 Username:", "334 Password:" in base64 */
static void
auth_login(struct smtpd *s, const char *initial)
{
	char user[SMTP_AUTH_MAX], pass[SMTP_AUTH_MAX];
	long ulen, plen;

	if (*initial != '\0')
		ulen = auth_decode(s, initial, user);
	else
		ulen = auth_response(s, "VXNlcm5hbWU6", user);
	if (ulen == -1)
		return;
	plen = auth_response(s, "UGFzc3dvcmQ6", pass);
	if (plen != -1)
		auth_finish(s, user, (size_t)ulen, pass, (size_t)plen);
	auth_wipe(pass, sizeof(pass));
}

static void
cmd_auth(struct smtpd *s, const char *arg)
{
	char mech[16];
	size_t n;

	if (s->auth_argv == NULL) {
		smtp_out(s, REPLY_UNIMPL);
		return;
	}
	if (!auth_offered(s)) {
		smtp_out(s, REPLY_AUTH_NEEDTLS);
		return;
	}
	if (s->authed) {
		smtp_out(s, REPLY_AUTH_AGAIN);
		return;
	}
	if (s->state != SMTP_IDLE) {
		smtp_out(s, REPLY_AUTH_INMAIL);
		return;
	}
	n = strcspn(arg, " ");
	if (n == 0) {
		smtp_out(s, REPLY_AUTH_SYNTAX);
		return;
	}
	if (n >= sizeof(mech)) {
		smtp_out(s, REPLY_AUTH_TYPE);
		return;
	}
	memcpy(mech, arg, n);
	mech[n] = '\0';
	arg += n;
	while (*arg == ' ')
		arg++;
	if (strcasecmp(mech, "plain") == 0)
		auth_plain(s, arg);
	else if (strcasecmp(mech, "login") == 0)
		auth_login(s, arg);
	else
		smtp_out(s, REPLY_AUTH_TYPE);
	/* the command line may have held the password (initial response) */
	auth_wipe(s->reader.line.s, s->reader.line.len);
}

/* The command table: verbs are matched ignoring case. */
struct smtp_command {
	const char *verb;
	void (*run)(struct smtpd *s, const char *arg);
};

static const struct smtp_command smtp_commands[] = {
	{ "helo", cmd_helo },
	{ "ehlo", cmd_ehlo },
	{ "mail", cmd_mail },
	{ "rcpt", cmd_rcpt },
	{ "data", cmd_data },
	{ "rset", cmd_rset },
	{ "noop", cmd_noop },
	{ "vrfy", cmd_vrfy },
	{ "help", cmd_help },
	{ "quit", cmd_quit },
	{ "starttls", cmd_starttls },
	{ "auth", cmd_auth },
};

/* smtp_dispatch - split the command line into verb and argument and run it */
static void
smtp_dispatch(struct smtpd *s)
{
	const char *verb, *arg;
	size_t i;

	smtpin_command_split(s->reader.line.s, &verb, &arg);
	for (i = 0; i < sizeof(smtp_commands) / sizeof(smtp_commands[0]); i++)
		if (strcasecmp(verb, smtp_commands[i].verb) == 0) {
			smtp_commands[i].run(s, arg);
			return;
		}
	cmd_unknown(s, arg);
}

/* --- start-up ----------------------------------------------------------- */

/* config_list - read a list file into a map; returns 1, 0 if absent */
static int
config_list(struct smtpd *s, struct domainmap *m, const char *path)
{
	struct bytes list = BYTES_INIT(CONTROL_LIST_BYTES);
	int r;

	r = control_readlines(&list, path);
	if (r == -1)
		smtp_die(s, REPLY_CONTROL);
	if (r == 1 && domainmap_load_lines(m, &list, 0) == -1)
		smtp_die_nomem(s);
	bytes_free(&list);
	return r;
}

static void
config_read(struct smtpd *s)
{
	struct bytes me = BYTES_INIT(CONTROL_LINE_BYTES);
	unsigned long timeout = SMTP_TIMEOUT_DEFAULT;
	unsigned long u_rcptcheck = 0;
	int r, have_me;

	if (chdir(conf_qmail_home) == -1)
		smtp_die(s, REPLY_CONTROL);
	have_me = control_readline(&me, "control/me");
	if (have_me == -1)
		smtp_die(s, REPLY_CONTROL);
	bytes_init(&s->greeting, CONTROL_LINE_BYTES);
	r = control_readline_me(&s->greeting, "control/smtpgreeting",
	    have_me ? &me : NULL, NULL);
	if (r != 1)
		smtp_die(s, REPLY_CONTROL);
	bytes_init(&s->liphost, CONTROL_LINE_BYTES);
	r = control_readline_me(&s->liphost, "control/localiphost",
	    have_me ? &me : NULL, NULL);
	if (r == -1)
		smtp_die(s, REPLY_CONTROL);
	s->liphost_ok = r;

	/* recipient validation: locals (default: me) and virtualdomains
	 * say which addresses are ours to check */
	s->rcptcheck = 0;
	if (control_readint(&u_rcptcheck, "control/rcptcheck") == -1)
		smtp_die(s, REPLY_CONTROL);
	if (u_rcptcheck != 0) {
		struct bytes list = BYTES_INIT(CONTROL_LIST_BYTES);
		s->rcptcheck = 1;
		if (control_readlines_me(&list, "control/locals",
			have_me ? &me : NULL) == -1)
			smtp_die(s, REPLY_CONTROL);
		if (domainmap_load_lines(&s->locals, &list, 0) == -1)
			smtp_die_nomem(s);
		bytes_free(&list);
		if (control_readlines(&list, "control/virtualdomains") == -1)
			smtp_die(s, REPLY_CONTROL);
		if (domainmap_load_lines(&s->vdoms, &list, 1) == -1)
			smtp_die_nomem(s);
		bytes_free(&list);
	}
	bytes_free(&me);

	if (control_readint(&timeout, "control/timeoutsmtpd") == -1)
		smtp_die(s, REPLY_CONTROL);
	if (timeout == 0 || timeout > 86400UL * 365)
		timeout = SMTP_TIMEOUT_DEFAULT;
	if (control_readdatabytes(&s->databytes) == -1)
		smtp_die(s, REPLY_CONTROL);
	s->maxrcpt = SMTP_MAXRCPT_DEFAULT;
	if (control_readint(&s->maxrcpt, "control/maxrcpt") == -1)
		smtp_die(s, REPLY_CONTROL);
	if (s->maxrcpt == 0 || s->maxrcpt > SMTP_MAXRCPT_CEILING)
		s->maxrcpt = SMTP_MAXRCPT_CEILING;

	if (rcpthosts_load(&s->rcpthosts) == -1) {
		if (errno == ENOMEM)
			smtp_die_nomem(s);
		smtp_die(s, REPLY_CONTROL);
	}
	s->badmailfrom_ok =
	    config_list(s, &s->badmailfrom, "control/badmailfrom");

	s->relayclient = getenv("RELAYCLIENT");
	received_peer_getenv(&s->peer);

	s->timeout = timeout;
	iobuf_init(&s->in, 0, s->inspace, sizeof(s->inspace),
	    (int)(timeout * 1000 > (unsigned long)INT_MAX ? INT_MAX
						       : timeout * 1000));
	s->out.timeout_ms = s->in.timeout_ms;
}

/*
 * session_limits - the most an address (with localiphost or RELAYCLIENT
 * added) and the recipient list may hold; sizes checked for overflow.
 */
static void
session_limits(struct smtpd *s)
{
	size_t extra = s->relayclient != NULL ? strlen(s->relayclient) : 0;
	size_t one, all;

	if (s->liphost.len > extra)
		extra = s->liphost.len;
	if (__builtin_add_overflow(extra, (size_t)SMTP_LINE_MAX + 2, &one) ||
	    __builtin_mul_overflow(one, (size_t)s->maxrcpt, &all))
		smtp_die_nomem(s);
	bytes_init(&s->addr, one);
	bytes_init(&s->rcptto, all);
}

int
main(int argc, char **argv)
{
	struct smtpd *s = &smtpd;
	const char *v;

	sig_ignore(SIGPIPE);
	iobuf_init(&s->out, 1, s->outspace, sizeof(s->outspace), -1);
	smtpin_line_init(&s->reader);
	bytes_init(&s->helo, SMTP_LINE_MAX + 1);
	bytes_init(&s->mailfrom, SMTP_ADDR_MAX + 2);
	domainmap_init(&s->badmailfrom);
	domainmap_init(&s->locals);
	domainmap_init(&s->vdoms);
	s->rdb_state = RCPTDB_UNOPENED;
	config_read(s);
	/* qmail-smtpd-auth's arguments: hostname checkpassword program... */
	s->argv = argv;
	if (argc > 1) {
		if (argc < 4) {
			smtp_log("fatal: usage: qmail-smtpd [hostname "
				 "checkpassword program [arg ...]]", "", "", "");
			smtp_die(s, REPLY_USAGE);
		}
		s->auth_argv = argv + 2;
	}
	v = getenv("TLS");
	s->tls = v != NULL && strcmp(v, "1") == 0;
	s->starttls_ok = !s->tls && access(SMTP_SERVERCERT, R_OK) == 0;
	s->auth_plaintext = getenv("SMTPAUTH_PLAINTEXT") != NULL;
	s->auth_required = getenv("SMTPAUTH_REQUIRED") != NULL;
	bytes_init(&s->authuser, SMTP_AUTH_MAX + 1);
	session_limits(s);
	if (bytes_copy_str(&s->helo, s->peer.remotehost) == -1 ||
	    bytes_cstr(&s->helo) == NULL)
		smtp_die_bytes(s);
	s->helo_differs = 0;
	session_reset(s);

	/* after STARTTLS the client has been greeted: it says EHLO next */
	if (!s->tls || getenv("TLS_STARTTLS") == NULL) {
		smtp_greet(s, "220 ");
		smtp_out(s, " ESMTP\r\n");
	}
	for (;;) {
		if (!smtp_line_read(s)) {
			smtp_out(s, REPLY_TOOLONG);
			continue;
		}
		smtp_dispatch(s);
	}
}
