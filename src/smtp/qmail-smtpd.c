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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "cdbfile.h"
#include "conf.h"
#include "control.h"
#include "date822.h"
#include "domainmap.h"
#include "fmt.h"
#include "iobuf.h"
#include "ipme.h"
#include "qqueue.h"
#include "rcptdb.h"
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

/* Longest value read from morercpthosts.cdb (qmail stores none). */
#define SMTP_MRH_VALUE_MAX 1024

/* Buffer sizes: the input buffer is what DATA is streamed through. */
#define SMTP_INBUF 16384
#define SMTP_OUTBUF 2048

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
	struct domainmap rcpthosts;
	int rcpthosts_ok; /* 0: control/rcpthosts absent, all allowed */
	struct cdbfile mrh;
	int mrh_ok;
	struct domainmap badmailfrom;
	int badmailfrom_ok;
	const char *relayclient; /* NULL: not a relay client */
	const char *remoteip;
	const char *remotehost;
	const char *remoteinfo; /* NULL if unknown */
	const char *localhost;
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

/* mrh_has - 1 if the lower-cased key is in morercpthosts.cdb */
static int
mrh_has(struct smtpd *s, const char *key, size_t len)
{
	struct bytes value = BYTES_INIT(SMTP_MRH_VALUE_MAX + 1);
	int r;

	r = cdbfile_find(&s->mrh, key, len, &value, SMTP_MRH_VALUE_MAX);
	bytes_free(&value);
	if (r == -1)
		smtp_die(s, REPLY_CONTROL);
	return r;
}

/*
 * rcpt_allowed - qmail's rcpthosts rule: without control/rcpthosts every
 * recipient is allowed; an address without '@' is always allowed;
 * otherwise the domain after the last '@', or a ".suffix" of it, must be
 * in rcpthosts or morercpthosts.cdb.
 */
static int
rcpt_allowed(struct smtpd *s)
{
	const char *dom;
	char lower[SMTP_ADDR_MAX + 1];
	size_t len, i;

	if (!s->rcpthosts_ok)
		return 1;
	dom = addr_domain(&s->addr);
	if (dom == NULL)
		return 1;
	len = s->addr.len - (size_t)(dom - s->addr.s);
	if (domainmap_find_host(&s->rcpthosts, dom, len, NULL))
		return 1;
	if (!s->mrh_ok)
		return 0;
	for (i = 0; i < len; i++) {
		char c = dom[i];
		lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	for (i = 0; i < len; i++)
		if ((i == 0 || lower[i] == '.') && mrh_has(s, lower + i, len - i))
			return 1;
	return 0;
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

/* safe_char - qmail shows only these bytes of client-given text */
static int
safe_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return strchr(".@%+/=:-", c) != NULL && c != '\0';
}

static void
received_safe(struct bytes *b, const char *text)
{
	for (; *text != '\0'; text++)
		if (bytes_append_char(b, safe_char(*text) ? *text : '?') == -1)
			return;
}

/*
 * received_put - qmail-smtpd's Received line:
 *   Received: from REMOTEHOST (HELO helo) (INFO@REMOTEIP)
 *     by LOCALHOST with SMTP; DATE
 * "(HELO helo)" only when helo differs from REMOTEHOST, "INFO@" only
 * with TCPREMOTEINFO.  Client-given text shows unsafe bytes as '?'.
 */
static void
received_put(struct smtpd *s)
{
	struct bytes b;
	char date[DATE822_MAX];
	size_t n, limit;

	/* every part is bounded by its own length: no part is cut short */
	limit = 128 + DATE822_MAX + strlen(s->remotehost) + s->helo.len +
	    strlen(s->remoteip) + strlen(s->localhost) +
	    (s->remoteinfo != NULL ? strlen(s->remoteinfo) : 0);
	bytes_init(&b, limit);
	bytes_append_str(&b, "Received: from ");
	received_safe(&b, s->remotehost);
	if (s->helo_differs) {
		bytes_append_str(&b, " (HELO ");
		received_safe(&b, s->helo.s);
		bytes_append_str(&b, ")");
	}
	bytes_append_str(&b, " (");
	if (s->remoteinfo != NULL) {
		received_safe(&b, s->remoteinfo);
		bytes_append_str(&b, "@");
	}
	received_safe(&b, s->remoteip);
	bytes_append_str(&b, ")\n  by ");
	received_safe(&b, s->localhost);
	bytes_append_str(&b, " with SMTP; ");
	n = date822_utc(date, time(NULL));
	bytes_append(&b, date, n);
	if (bytes_append_str(&b, "\n") == -1)
		smtp_die_bytes(s);
	qqueue_put(&s->qq, b.s, b.len);
	bytes_free(&b);
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
	s->helo_differs = strcasecmp(arg, s->remotehost) != 0;
	session_reset(s);
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
	smtp_out(s, "\r\n250 ENHANCEDSTATUSCODES\r\n");
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

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v != NULL ? v : def;
}

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
	unsigned long long u;
	const char *v;
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
	if (control_readint(&s->databytes, "control/databytes") == -1)
		smtp_die(s, REPLY_CONTROL);
	v = getenv("DATABYTES");
	if (v != NULL) {
		if (scan_ulong(v, &u) == 0)
			u = errno == ERANGE ? (unsigned long long)-1 : 0;
		s->databytes = u > (unsigned long)-1 - 1 ? (unsigned long)-1 - 1
							  : (unsigned long)u;
	}
	s->maxrcpt = SMTP_MAXRCPT_DEFAULT;
	if (control_readint(&s->maxrcpt, "control/maxrcpt") == -1)
		smtp_die(s, REPLY_CONTROL);
	if (s->maxrcpt == 0 || s->maxrcpt > SMTP_MAXRCPT_CEILING)
		s->maxrcpt = SMTP_MAXRCPT_CEILING;

	s->rcpthosts_ok = config_list(s, &s->rcpthosts, "control/rcpthosts");
	if (s->rcpthosts_ok) {
		r = cdbfile_open(&s->mrh, "control/morercpthosts.cdb");
		if (r == -1)
			smtp_die(s, REPLY_CONTROL);
		s->mrh_ok = r;
	}
	s->badmailfrom_ok =
	    config_list(s, &s->badmailfrom, "control/badmailfrom");

	s->relayclient = getenv("RELAYCLIENT");
	s->remoteip = env_or("TCPREMOTEIP", "unknown");
	s->remotehost = env_or("TCPREMOTEHOST", "unknown");
	s->remoteinfo = getenv("TCPREMOTEINFO");
	s->localhost = getenv("TCPLOCALHOST");
	if (s->localhost == NULL)
		s->localhost = env_or("TCPLOCALIP", "unknown");

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

	(void)argc;
	(void)argv;
	sig_ignore(SIGPIPE);
	iobuf_init(&s->out, 1, s->outspace, sizeof(s->outspace), -1);
	smtpin_line_init(&s->reader);
	bytes_init(&s->helo, SMTP_LINE_MAX + 1);
	bytes_init(&s->mailfrom, SMTP_ADDR_MAX + 2);
	domainmap_init(&s->rcpthosts);
	domainmap_init(&s->badmailfrom);
	domainmap_init(&s->locals);
	domainmap_init(&s->vdoms);
	s->rdb_state = RCPTDB_UNOPENED;
	config_read(s);
	session_limits(s);
	if (bytes_copy_str(&s->helo, s->remotehost) == -1 ||
	    bytes_cstr(&s->helo) == NULL)
		smtp_die_bytes(s);
	s->helo_differs = 0;
	session_reset(s);

	smtp_greet(s, "220 ");
	smtp_out(s, " ESMTP\r\n");
	for (;;) {
		if (!smtp_line_read(s)) {
			smtp_out(s, REPLY_TOOLONG);
			continue;
		}
		smtp_dispatch(s);
	}
}
