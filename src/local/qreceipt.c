/*
 * qreceipt - respond to delivery notice requests (qreceipt(1)).
 *
 * "|qreceipt youraddress" in a dot-qmail file: when the message's header
 * has a Notice-Requested-Upon-Delivery-To field listing youraddress,
 * qreceipt queues a short success notice to the envelope sender $SENDER,
 * from the null envelope sender (so a notice can never start a loop).
 * Messages from the null sender (bounces) or from "#@[]" (qmail's
 * double-bounce sender) get no notice.
 *
 * The field is parsed as an RFC 822 address list (addr822.h); an address
 * matches youraddress when the local parts are equal and the domains
 * equal apart from case.
 *
 * Exit codes are qmail-command(8)'s: 0 (a notice was queued, or none was
 * asked for), 100 for a usage or environment error or a permanent queue
 * failure, 111 for a temporary failure.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr822.h"
#include "bytes.h"
#include "date822.h"
#include "err.h"
#include "exitcodes.h"
#include "header.h"
#include "iobuf.h"
#include "qqueue.h"
#include "quote.h"
#include "sig.h"

#define QR_FIELD "Notice-Requested-Upon-Delivery-To"

/* Most bytes of one header field looked at (the rest is ignored). */
#define QR_FIELD_MAX (256 * 1024)

/* Most bytes of the header read before giving up on finding the field. */
#define QR_HEADER_MAX (16 * 1024 * 1024)

/* Most bytes of the original Message-ID quoted in the notice. */
#define QR_MSGID_MAX 400

struct qr_match {
	const char *target;
	int found;
};

/* qr_same_address - local parts equal, domains equal apart from case */
static int
qr_same_address(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	const char *at_a = memrchr(a, '@', alen);
	const char *at_b = strrchr(b, '@');
	size_t la, lb;

	if ((at_a == NULL) != (at_b == NULL))
		return 0;
	if (at_a == NULL)
		return alen == blen && memcmp(a, b, alen) == 0;
	la = (size_t)(at_a - a);
	lb = (size_t)(at_b - b);
	if (la != lb || memcmp(a, b, la) != 0)
		return 0;
	if (alen - la != blen - lb)
		return 0;
	return strncasecmp(at_a, at_b, alen - la) == 0;
}

static int
qr_visit(void *ctx, struct bytes *addr)
{
	struct qr_match *m = ctx;

	if (qr_same_address(addr->s ? addr->s : "", addr->len, m->target))
		m->found = 1;
	return 0;
}

/* qr_copy_msgid - the Message-ID's value, on one line of safe bytes */
static void
qr_copy_msgid(struct bytes *msgid, const char *v, size_t len)
{
	size_t i;

	bytes_truncate(msgid, 0);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == ' ' || c == '\t' || c == '\n')
			continue;
		if (c < 32 || c == 127)
			c = '?';
		if (bytes_append_char(msgid, (char)c) == -1)
			break; /* cut at the limit */
	}
}

/*
 * qr_read_header - look through the header on stdin: 1 if target is
 * listed in a Notice-Requested-Upon-Delivery-To field, else 0.
 */
static int
qr_read_header(const char *target, struct bytes *msgid)
{
	static char space[16384];
	struct bytes field = BYTES_INIT(QR_FIELD_MAX);
	struct qr_match m = { target, 0 };
	struct iobuf in;
	size_t v, budget = QR_HEADER_MAX;
	int r, cut;

	iobuf_init(&in, 0, space, sizeof(space), -1);
	while ((r = header_field_read(&in, &field, &cut, &budget)) == 1) {
		if ((v = header_field_value(field.s, field.len, QR_FIELD))) {
			if (addr822_list(field.s + v, field.len - v, qr_visit,
				&m, NULL, 0) == -1 &&
			    errno != E2BIG)
				fatal(EXIT_TEMP, "unable to parse header");
		} else if ((v = header_field_value(field.s, field.len,
				"Message-ID")) != 0 &&
		    msgid->len == 0) {
			qr_copy_msgid(msgid, field.s + v, field.len - v);
		}
	}
	if (r == -1)
		fatal(EXIT_TEMP, "unable to read message");
	bytes_free(&field);
	return m.found;
}

/* qr_has_line_break - 1 if s holds CR or LF */
static int
qr_has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int
main(int argc, char **argv)
{
	struct bytes to = BYTES_INIT(4096), from = BYTES_INIT(4096);
	struct bytes msgid = BYTES_INIT(QR_MSGID_MAX);
	const char *target, *sender, *report;
	char date[DATE822_MAX];
	struct qqueue q;
	long pid;
	int code;

	err_setprogname("qreceipt");
	if (argc != 2 || argv[1][0] == '\0')
		fatalx(EXIT_PERM, "usage: qreceipt deliveryaddress");
	target = argv[1];
	if (qr_has_line_break(target))
		fatalx(EXIT_PERM, "address contains a line break");
	if (quote_address(&from, target, strlen(target)) == -1)
		fatal(EXIT_TEMP, "unable to quote address");
	sender = getenv("SENDER");
	if (sender == NULL)
		fatalx(EXIT_PERM, "SENDER not set");

	if (!qr_read_header(target, &msgid))
		goto done;
	if (*sender == '\0' || strcmp(sender, "#@[]") == 0)
		goto done; /* never answer a bounce */
	if (quote_address(&to, sender, strlen(sender)) == -1) {
		if (errno == EINVAL) {
			log_warnx("sender contains a line break: no notice");
			goto done;
		}
		fatal(EXIT_TEMP, "unable to quote sender");
	}
	if (date822_local(date, time(NULL)) == 0)
		date[0] = '\0';

	if (sig_ignore(SIGPIPE) == -1)
		fatal(EXIT_TEMP, "unable to ignore SIGPIPE");
	if (qqueue_open(&q, NULL) == -1)
		fatal(EXIT_TEMP, "unable to run qmail-queue");
	pid = (long)q.pid;
	qqueue_puts(&q, "From: DELIVERY NOTICE SYSTEM <");
	qqueue_put(&q, from.s, from.len);
	qqueue_puts(&q, ">\nTo: <");
	qqueue_put(&q, to.s, to.len);
	qqueue_puts(&q, ">\nSubject: success notice\n");
	if (date[0] != '\0') {
		qqueue_puts(&q, "Date: ");
		qqueue_puts(&q, date);
		qqueue_puts(&q, "\n");
	}
	qqueue_puts(&q, "\nHi! This is the qreceipt program. Your message was "
			"delivered to the\nfollowing address: ");
	qqueue_puts(&q, target);
	qqueue_puts(&q, ". Thanks for asking.\n");
	if (msgid.len > 0) {
		qqueue_puts(&q, "Your Message-ID was ");
		qqueue_put(&q, msgid.s, msgid.len);
		qqueue_puts(&q, ".\n");
	}
	qqueue_from(&q, "");
	qqueue_to(&q, sender);
	code = qqueue_close(&q);
	if (code != 0) {
		report = qqueue_strerror(code);
		fatalx(report[0] == 'D' ? EXIT_PERM : EXIT_TEMP, "%s",
		    report + 1);
	}
	fprintf(stderr, "qreceipt: qp %ld\n", pid);
done:
	bytes_free(&to);
	bytes_free(&from);
	bytes_free(&msgid);
	return EXIT_OK;
}
