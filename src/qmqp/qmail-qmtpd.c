/*
 * qmail-qmtpd - receive mail via QMTP and hand it to qmail-queue.
 *
 * The client is on descriptors 0 and 1 (tcpserver puts it there and
 * describes it in the TCP* environment).  It sends packages, one after
 * another on one connection; each package is
 *
 *	a netstring holding the message, whose first byte says how its
 *	    lines end: LF ("\n") as stored, or CR LF ("\r") to be turned
 *	    into LF;
 *	a netstring holding the envelope sender;
 *	a netstring holding one or more recipient netstrings;
 *
 * and after the whole package we answer one netstring per recipient,
 * in order, each starting with K (accepted), Z (temporary failure) or
 * D (permanent failure).  Answers are sent when we next wait for input,
 * so a client that pipelines packages gets them in batches.
 *
 * The rules of qmail-smtpd apply: control/rcpthosts and
 * morercpthosts.cdb unless RELAYCLIENT is set (then it is appended to
 * every recipient), control/databytes or DATABYTES.  Nothing the client
 * sends is trusted: the message is streamed to qmail-queue, never held;
 * every length is decimal with no leading zeros and must fit what
 * contains it; addresses and the recipient list have limits; the whole
 * connection may take at most an hour.  A malformed package drops the
 * connection (exit 100); what was not answered is not queued.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "fmt.h"
#include "iobuf.h"
#include "netstring.h"
#include "qqueue.h"
#include "rcpthosts.h"
#include "received.h"
#include "sig.h"

/* The longest message netstring: qmail's limit on a length (a longer
 * one ends the connection as a temporary failure, as in qmail). */
#define QMTPD_MESSAGE_MAX ((size_t)2000000000)

/* Addresses (with RELAYCLIENT appended) of 1000 bytes or more are
 * refused, as in qmail. */
#define QMTPD_ADDR_MAX 999

/*
 * The longest recipient list netstring.  Each recipient takes at least
 * three bytes ("0:,"), so at most a third of this many answers are ever
 * remembered.  A longer list ends the connection as a temporary failure.
 */
#define QMTPD_RCPTLIST_MAX ((size_t)16 * 1024 * 1024)

/* The whole connection may take this long (seconds), as in qmail. */
#define QMTPD_DEADLINE 3600

/* How qmail-qmtpd ends: 0 when the client goes away between packages or
 * stops talking, 100 for a malformed package, 111 for a local problem,
 * a length over our limits, or the deadline. */
#define QMTPD_EXIT_DONE 0
#define QMTPD_EXIT_BADPROTO 100
#define QMTPD_EXIT_RESOURCES 111

/* The answers of qmail's qmail-qmtpd. */
#define QMTPD_BADSENDER "Dunacceptable sender (#5.1.7)"
#define QMTPD_TOOBIG \
	"Dsorry, that message size exceeds my databytes limit (#5.3.4)"
#define QMTPD_NOGATEWAY \
	"Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
#define QMTPD_BADRCPT "Dsorry, I can't handle that recipient (#5.1.3)"

/* What happened to each recipient of a package. */
enum qmtpd_rcpt {
	RCPT_QUEUED = 'Q',    /* given to qmail-queue: the package's answer */
	RCPT_NOGATEWAY = 'D', /* not in rcpthosts */
	RCPT_BAD = 'L'        /* too long, or holds a NUL, CR or LF */
};

struct qmtpd {
	struct iobuf in;
	struct iobuf out;
	char inspace[16384];
	char outspace[2048];

	/* configuration */
	struct rcpthosts rcpthosts;
	const char *relayclient; /* NULL: not a relay client */
	size_t relayclientlen;
	unsigned long databytes; /* 0: no limit */
	struct received_peer peer; /* from the TCP* variables */

	/* the package */
	struct qqueue qq;
	struct bytes addr;
	struct bytes rcpts;     /* one enum qmtpd_rcpt per recipient */
	unsigned long long bytes_left; /* databytes + 1 still allowed */
	int too_big;
};

static struct qmtpd qmtpd;

/*
 * qmtpd_exit - end the connection.  Answers to earlier packages that
 * are still buffered go out first: those messages are queued, and a
 * client that never saw its answers would send them again.
 */
static _Noreturn void
qmtpd_exit(int code)
{
	(void)iobuf_flush(&qmtpd.out);
	_exit(code);
}

static void
qmtpd_deadline(int signo)
{
	(void)signo;
	_exit(QMTPD_EXIT_RESOURCES);
}

/* qmtpd_input_failed - the client went away, stalled or sent garbage */
static _Noreturn void
qmtpd_input_failed(void)
{
	if (errno == EINVAL || errno == E2BIG || errno == ERANGE)
		qmtpd_exit(QMTPD_EXIT_BADPROTO);
	qmtpd_exit(QMTPD_EXIT_DONE);
}

/* qmtpd_fill - buffered input, answers flushed first when we must wait;
 * the number of bytes buffered (end of input ends us) */
static size_t
qmtpd_fill(struct qmtpd *s)
{
	ssize_t n;

	if (s->in.pos == s->in.len && iobuf_flush(&s->out) == -1)
		_exit(QMTPD_EXIT_DONE);
	n = iobuf_fill(&s->in);
	if (n <= 0)
		_exit(QMTPD_EXIT_DONE);
	return (size_t)n;
}

/*
 * qmtpd_length - "LEN:" with LEN at most limit; *used gets its size.
 * A length over one of our own limits (outer 1) ends the connection as
 * a temporary failure, as qmail does for lengths it cannot handle; one
 * over what contains it is a malformed package.
 */
static size_t
qmtpd_length(struct qmtpd *s, size_t limit, int outer, size_t *used)
{
	size_t len;

	qmtpd_fill(s);
	if (netstring_read_length(&s->in, limit, &len, used) == -1) {
		if (outer && (errno == E2BIG || errno == ERANGE))
			qmtpd_exit(QMTPD_EXIT_RESOURCES);
		qmtpd_input_failed();
	}
	return len;
}

static void
qmtpd_comma(struct qmtpd *s)
{
	qmtpd_fill(s);
	if (netstring_read_comma(&s->in) == -1)
		qmtpd_input_failed();
}

/* qmtpd_store - n bytes of the message as stored, under databytes */
static void
qmtpd_store(struct qmtpd *s, const char *p, size_t n)
{
	if (s->databytes != 0 && !s->too_big) {
		if (n >= s->bytes_left) {
			s->bytes_left = 0;
			s->too_big = 1;
			qqueue_fail(&s->qq);
		} else {
			s->bytes_left -= n;
		}
	}
	qqueue_put(&s->qq, p, n);
}

/*
 * qmtpd_message - len bytes of message after the line-end byte: as they
 * are with LF ends; with CR LF ends every CR LF becomes LF and any other
 * CR is kept (as qmail does).
 */
static void
qmtpd_message(struct qmtpd *s, size_t len, int crlf)
{
	const char *p;
	size_t n, i, start;
	int cr = 0; /* a CR was the last byte seen and is not stored yet */

	while (len > 0) {
		n = qmtpd_fill(s);
		if (n > len)
			n = len;
		p = iobuf_peek(&s->in);
		if (!crlf) {
			qmtpd_store(s, p, n);
		} else {
			start = 0;
			for (i = 0; i < n; i++) {
				if (cr && p[i] != '\n')
					qmtpd_store(s, "\r", 1);
				cr = 0;
				if (p[i] == '\r') {
					qmtpd_store(s, p + start, i - start);
					start = i + 1;
					cr = 1;
				}
			}
			qmtpd_store(s, p + start, n - start);
		}
		iobuf_skip(&s->in, n);
		len -= n;
	}
	if (cr)
		qmtpd_store(s, "\r", 1);
}

/*
 * qmtpd_address - read len bytes of address into s->addr (with
 * RELAYCLIENT appended when given) as a C string; returns 1, or 0 when
 * it is unacceptable (too long, or holding a NUL, CR or LF), read all the
 * same.
 */
static int
qmtpd_address(struct qmtpd *s, size_t len, int relay)
{
	size_t extra = relay ? s->relayclientlen : 0;

	if (len > QMTPD_ADDR_MAX || len + extra > QMTPD_ADDR_MAX) {
		while (len > 0) {
			size_t n = qmtpd_fill(s);
			if (n > len)
				n = len;
			iobuf_skip(&s->in, n);
			len -= n;
		}
		return 0;
	}
	if (len > 0)
		qmtpd_fill(s);
	if (netstring_read_data(&s->in, len, &s->addr) == -1) {
		if (errno == ENOMEM)
			qmtpd_exit(QMTPD_EXIT_RESOURCES);
		qmtpd_input_failed();
	}
	/* a line break would let the address forge header lines wherever
	 * it is written into one (a bounce's To, a Return-Path) */
	if (memchr(s->addr.s, '\0', s->addr.len) != NULL ||
	    memchr(s->addr.s, '\r', s->addr.len) != NULL ||
	    memchr(s->addr.s, '\n', s->addr.len) != NULL)
		return 0;
	if (extra > 0 && bytes_append_str(&s->addr, s->relayclient) == -1)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	if (bytes_cstr(&s->addr) == NULL)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	return 1;
}

/* qmtpd_received - qmail-qmtpd's Received field */
static void
qmtpd_received(struct qmtpd *s)
{
	struct bytes b = BYTES_INIT(65536);

	if (received_append(&b, "QMTP", s->peer.local, s->peer.remoteip, s->peer.remotehost,
		s->peer.remoteinfo, NULL, time(NULL)) == -1)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	qqueue_put(&s->qq, b.s, b.len);
	bytes_free(&b);
}

/*
 * qmtpd_recipients - the recipient list netstring: every recipient is
 * checked and either given to qmail-queue or refused; s->rcpts records
 * which.  Returns the number given to qmail-queue.
 */
static size_t
qmtpd_recipients(struct qmtpd *s, int sender_ok)
{
	size_t biglen, len, used;
	size_t queued = 0;
	enum qmtpd_rcpt what;
	int r;

	bytes_truncate(&s->rcpts, 0);
	biglen = qmtpd_length(s, QMTPD_RCPTLIST_MAX, 1, NULL);
	if (biglen == 0)
		qmtpd_exit(QMTPD_EXIT_BADPROTO); /* one or more recipients */
	while (biglen > 0) {
		len = qmtpd_length(s, biglen, 0, &used);
		/* the recipient's data and comma must fit in the list */
		if (used > biglen || biglen - used <= len)
			qmtpd_exit(QMTPD_EXIT_BADPROTO);
		biglen -= used + len + 1;
		if (!qmtpd_address(s, len, s->relayclient != NULL)) {
			what = RCPT_BAD;
		} else if (s->relayclient == NULL &&
		    (r = rcpthosts_allowed(&s->rcpthosts, s->addr.s,
			 s->addr.len)) != 1) {
			if (r == -1)
				qmtpd_exit(QMTPD_EXIT_RESOURCES);
			what = RCPT_NOGATEWAY;
		} else {
			what = RCPT_QUEUED;
			if (sender_ok)
				qqueue_to(&s->qq, s->addr.s);
			queued++;
		}
		qmtpd_comma(s);
		if (bytes_append_char(&s->rcpts, (char)what) == -1)
			qmtpd_exit(QMTPD_EXIT_RESOURCES);
	}
	qmtpd_comma(s);
	return queued;
}

/* qmtpd_say - one answer netstring (sent when we next wait for input) */
static void
qmtpd_say(struct qmtpd *s, const char *text)
{
	char head[NETSTRING_HEADER_MAX];

	netstring_header(head, strlen(text));
	if (iobuf_puts(&s->out, head) == -1 || iobuf_puts(&s->out, text) == -1 ||
	    iobuf_puts(&s->out, ",") == -1)
		_exit(QMTPD_EXIT_DONE);
}

/* qmtpd_package - one package, answered */
static void
qmtpd_package(struct qmtpd *s)
{
	struct bytes ok = BYTES_INIT(128);
	const char *result;
	size_t len, i, queued;
	int crlf, sender_ok, code;
	pid_t qp;
	char c;

	/* end of input between packages: the client is done */
	if (s->in.pos == s->in.len) {
		if (iobuf_flush(&s->out) == -1)
			_exit(QMTPD_EXIT_DONE);
		if (iobuf_fill(&s->in) <= 0)
			_exit(QMTPD_EXIT_DONE);
	}
	len = qmtpd_length(s, QMTPD_MESSAGE_MAX, 1, NULL);
	if (len == 0)
		qmtpd_exit(QMTPD_EXIT_BADPROTO); /* no line-end byte */
	qmtpd_fill(s);
	if (iobuf_getc(&s->in, &c) != 1)
		_exit(QMTPD_EXIT_DONE);
	if (c == '\n')
		crlf = 0;
	else if (c == '\r')
		crlf = 1;
	else
		qmtpd_exit(QMTPD_EXIT_BADPROTO);
	len--;

	if (qqueue_open(&s->qq, NULL) == -1)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	qp = s->qq.pid;
	s->too_big = 0;
	s->bytes_left = (unsigned long long)s->databytes + 1;
	qmtpd_received(s);
	qmtpd_message(s, len, crlf);
	qmtpd_comma(s);

	/* the sender */
	len = qmtpd_length(s, QMTPD_MESSAGE_MAX, 1, NULL);
	sender_ok = qmtpd_address(s, len, 0);
	qmtpd_comma(s);
	if (sender_ok)
		qqueue_from(&s->qq, s->addr.s);
	else
		qqueue_fail(&s->qq);

	queued = qmtpd_recipients(s, sender_ok);
	if (queued == 0)
		qqueue_fail(&s->qq);
	code = qqueue_close(&s->qq);
	if (!sender_ok)
		result = QMTPD_BADSENDER;
	else if (s->too_big)
		result = QMTPD_TOOBIG;
	else if (code != 0)
		result = qqueue_strerror(code);
	else {
		if (bytes_append_str(&ok, "Kok ") == -1 ||
		    bytes_append_ulong(&ok, (unsigned long long)time(NULL)) ==
			-1 ||
		    bytes_append_str(&ok, " qp ") == -1 ||
		    bytes_append_ulong(&ok, (unsigned long long)qp) == -1 ||
		    bytes_cstr(&ok) == NULL)
			qmtpd_exit(QMTPD_EXIT_RESOURCES);
		result = ok.s;
	}
	for (i = 0; i < s->rcpts.len; i++) {
		switch (s->rcpts.s[i]) {
		case RCPT_QUEUED:
			qmtpd_say(s, result);
			break;
		case RCPT_NOGATEWAY:
			qmtpd_say(s, QMTPD_NOGATEWAY);
			break;
		default:
			qmtpd_say(s, QMTPD_BADRCPT);
			break;
		}
	}
	bytes_free(&ok);
}

static void
qmtpd_config(struct qmtpd *s)
{
	if (chdir(conf_qmail_home) == -1)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	if (rcpthosts_load(&s->rcpthosts) == -1)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	s->relayclient = getenv("RELAYCLIENT");
	s->relayclientlen = s->relayclient != NULL ? strlen(s->relayclient) : 0;
	if (control_readdatabytes(&s->databytes) == -1)
		qmtpd_exit(QMTPD_EXIT_RESOURCES);
	received_peer_getenv(&s->peer);
}

int
main(void)
{
	struct qmtpd *s = &qmtpd;

	sig_ignore(SIGPIPE);
	sig_catch(SIGALRM, qmtpd_deadline);
	alarm(QMTPD_DEADLINE);
	iobuf_init(&s->in, 0, s->inspace, sizeof(s->inspace), -1);
	iobuf_init(&s->out, 1, s->outspace, sizeof(s->outspace), -1);
	bytes_init(&s->addr, QMTPD_ADDR_MAX + 2);
	bytes_init(&s->rcpts, QMTPD_RCPTLIST_MAX / 3 + 2);
	qmtpd_config(s);
	for (;;)
		qmtpd_package(s);
}
