/*
 * qmail-inject - preprocess a mail message and hand it to qmail-queue.
 *
 * The header is read whole (within INJECT_HEADER_MAX), every address
 * field is parsed and rewritten by the rules of qmail-header(5) (addr822),
 * fields are removed (Bcc, Resent-Bcc, Return-Path, Content-Length) and
 * added (Message-ID, Date, From, Cc: recipient list not shown: ;) as the
 * man pages say.  The added fields go first, then the header as given,
 * then the body, which is streamed and never held.  The envelope comes
 * from the options, the environment and the header (qmail-inject(8)).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr822.h"
#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "date822.h"
#include "err.h"
#include "exitcodes.h"
#include "iobuf.h"
#include "qqueue.h"
#include "quote.h"

/* Most bytes of one header field, continuation lines included. */
#define INJECT_FIELD_MAX ((size_t)4 * 1024 * 1024)
/* Most bytes of the whole header after rewriting. */
#define INJECT_HEADER_MAX ((size_t)8 * 1024 * 1024)
/* Most bytes of all envelope recipients together (NUL-separated). */
#define INJECT_RECIPIENTS_MAX ((size_t)16 * 1024 * 1024)

/* Which recipients are used (qmail-inject(8) -a -A -h -H). */
enum recip_mode { MODE_A_DEFAULT, MODE_ARGS, MODE_HEADER, MODE_BOTH };

/* Kinds of header fields qmail-inject treats specially. */
enum field_kind {
	F_OTHER,
	F_SENDER_ADDR, /* an address list, rewritten */
	F_RECIP,       /* To, Cc, Apparently-To: recipients if not resent */
	F_BCC,	       /* Bcc: recipients if not resent, then removed */
	F_RESENT_RECIP, /* Resent-To, Resent-Cc */
	F_RESENT_BCC,
	F_RETURN_PATH,
	F_CONTENT_LENGTH,
	F_FROM,
	F_RESENT_FROM,
	F_MESSAGE_ID,
	F_RESENT_MESSAGE_ID,
	F_DATE,
	F_RESENT_DATE,
	F_RESENT_OTHER /* Resent-Sender, Resent-Reply-To */
};

static const struct {
	const char *name;
	enum field_kind kind;
} field_table[] = {
	{ "sender", F_SENDER_ADDR },
	{ "from", F_FROM },
	{ "reply-to", F_SENDER_ADDR },
	{ "return-path", F_RETURN_PATH },
	{ "return-receipt-to", F_SENDER_ADDR },
	{ "errors-to", F_SENDER_ADDR },
	{ "mail-followup-to", F_SENDER_ADDR },
	{ "mail-reply-to", F_SENDER_ADDR },
	{ "notice-requested-upon-delivery-to", F_SENDER_ADDR },
	{ "resent-sender", F_RESENT_OTHER },
	{ "resent-from", F_RESENT_FROM },
	{ "resent-reply-to", F_RESENT_OTHER },
	{ "to", F_RECIP },
	{ "cc", F_RECIP },
	{ "apparently-to", F_RECIP },
	{ "bcc", F_BCC },
	{ "resent-to", F_RESENT_RECIP },
	{ "resent-cc", F_RESENT_RECIP },
	{ "resent-bcc", F_RESENT_BCC },
	{ "content-length", F_CONTENT_LENGTH },
	{ "message-id", F_MESSAGE_ID },
	{ "resent-message-id", F_RESENT_MESSAGE_ID },
	{ "date", F_DATE },
	{ "resent-date", F_RESENT_DATE },
};

/* The one state of the program. */
struct inject {
	struct addr822_hosts hosts;
	struct bytes defaulthost, defaultdomain, plusdomain, idhost;
	const char *flags; /* QMAILINJECT */
	enum recip_mode mode;
	int print;		 /* -n */
	const char *opt_sender;	 /* -f */
	const char *opt_name;	 /* -F */
	struct bytes header;	 /* the rewritten fields, in order */
	struct bytes rcpt_plain; /* To/Cc/Bcc/Apparently-To, NUL-separated */
	struct bytes rcpt_resent; /* Resent-To/Cc/Bcc */
	struct bytes rcpt_args;	  /* the command line */
	struct bytes return_path; /* from Return-Path, if any */
	int have_return_path;
	int resent;
	int seen_to_cc, seen_resent_to_cc;
	int seen_from, seen_resent_from;
	int seen_mid, seen_resent_mid;
	int seen_date, seen_resent_date;
	struct bytes *collect; /* where visit_rewrite puts addresses */
	struct bytes *first;   /* visit_rewrite keeps the first address */
};

static int
has_flag(const struct inject *in, char c)
{
	return in->flags != NULL && strchr(in->flags, c) != NULL;
}

static void
nomem(void)
{
	fatal(EXIT_TEMP, "unable to allocate memory");
}

/* check - a bytes call failed: out of memory is temporary, limits not */
static void
check_limit(int rc, const char *what)
{
	if (rc == 0)
		return;
	if (errno == E2BIG || errno == ERANGE)
		fatalx(EXIT_PERM, "unable to accept message: %s too long",
		    what);
	nomem();
}

/*
 * refuse_line_break - an envelope address (or a part of one, or a host
 * name that goes into one) must not hold CR, LF or NUL: such a byte
 * would end a header line wherever the address is written (Return-Path,
 * Delivered-To, a bounce).  Refuse it, permanently, before anything is
 * queued; what names the source (an option or a variable).
 */
static void
refuse_line_break(const char *what, const char *value, size_t len)
{
	if (value == NULL)
		return;
	if (memchr(value, '\r', len) != NULL ||
	    memchr(value, '\n', len) != NULL ||
	    memchr(value, '\0', len) != NULL)
		fatalx(EXIT_PERM,
		    "unable to accept %s: an address may not hold CR, LF or "
		    "NUL", what);
}

static void
refuse_line_break_str(const char *what, const char *value)
{
	if (value != NULL)
		refuse_line_break(what, value, strlen(value));
}

/*
 * getenv_first - the first of the named variables that is set, its name
 * in *name (if not NULL)
 */
static const char *
getenv_first(const char *const *names, const char **name)
{
	const char *v;

	for (; *names != NULL; names++)
		if ((v = getenv(*names)) != NULL) {
			if (name != NULL)
				*name = *names;
			return v;
		}
	return NULL;
}

/* control_host - one host-name control file, with env override */
static void
control_host(struct bytes *out, const char *file, const char *envname,
    const struct bytes *me, const char *literal)
{
	const char *v = getenv(envname);

	bytes_init(out, CONTROL_LINE_BYTES);
	if (v != NULL) {
		refuse_line_break_str(envname, v);
		check_limit(bytes_copy_str(out, v), envname);
	} else if (control_readline_me(out, file, me, literal) == -1) {
		fatal(EXIT_TEMP, "unable to read %s", file);
	}
	if (bytes_cstr(out) == NULL)
		nomem();
}

static void
controls_read(struct inject *in)
{
	struct bytes me = BYTES_INIT(CONTROL_LINE_BYTES);
	int r;

	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to switch to %s", conf_qmail_home);
	r = control_readline(&me, "control/me");
	if (r == -1)
		fatal(EXIT_TEMP, "unable to read control/me");
	control_host(&in->defaultdomain, "control/defaultdomain",
	    "QMAILDEFAULTDOMAIN", r ? &me : NULL, "defaultdomain");
	control_host(&in->defaulthost, "control/defaulthost",
	    "QMAILDEFAULTHOST", r ? &me : NULL, "defaulthost");
	control_host(&in->plusdomain, "control/plusdomain", "QMAILPLUSDOMAIN",
	    r ? &me : NULL, "plusdomain");
	control_host(&in->idhost, "control/idhost", "QMAILIDHOST",
	    r ? &me : NULL, "idhost");
	bytes_free(&me);
	in->hosts.defaulthost = in->defaulthost.s;
	in->hosts.defaultdomain = in->defaultdomain.s;
	in->hosts.plusdomain = in->plusdomain.s;
}

/* visit_rewrite - addr822 callback: rewrite, and collect if asked */
static int
visit_rewrite(void *ctx, struct bytes *addr)
{
	struct inject *in = ctx;

	if (addr822_rewrite_host(addr, &in->hosts) == -1)
		return -1;
	if (in->first != NULL && in->first->len == 0 &&
	    bytes_copy(in->first, addr->s, addr->len) == -1)
		return -1;
	if (in->collect != NULL && addr->len > 0) {
		if (bytes_append(in->collect, addr->s, addr->len) == -1 ||
		    bytes_append_char(in->collect, '\0') == -1)
			return -1;
	}
	return 0;
}

/* addrlist_fail - an address list could not be handled */
static void
addrlist_fail(const char *what)
{
	if (errno == E2BIG || errno == ERANGE)
		fatalx(EXIT_PERM,
		    "unable to accept message: address or %s too long", what);
	if (errno == EINVAL)
		fatalx(EXIT_PERM, "unable to parse address in %s", what);
	nomem();
}

/*
 * field_kind_of - the kind of the field name[0..len); F_OTHER for
 * anything not in the table.  Sets *resent for any Resent- field.
 */
static enum field_kind
field_kind_of(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(field_table) / sizeof(field_table[0]); i++)
		if (strlen(field_table[i].name) == len &&
		    strncasecmp(field_table[i].name, name, len) == 0)
			return field_table[i].kind;
	return F_OTHER;
}

/*
 * field_name_len - length of the name of a header line, or 0 if the line
 * is not a header field (no colon; an empty name; a name with white
 * space or unprintable bytes).  White space between name and colon is
 * allowed; *colon gets the colon's offset.
 */
static size_t
field_name_len(const char *s, size_t len, size_t *colon)
{
	size_t i;
	size_t n;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':' || c == ' ' || c == '\t')
			break;
		if (c < 33 || c > 126)
			return 0;
	}
	n = i;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n == 0 || i >= len || s[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* header_add - append a whole field (with its newline) to the header */
static void
header_add(struct inject *in, const char *s, size_t n)
{
	check_limit(bytes_append(&in->header, s, n), "header");
}

/*
 * field_rewrite - the field f[0..len) (no final newline) is an address
 * list: rewrite it; keep it in the header unless drop; collect its
 * addresses into collect (may be NULL), the first into first.
 */
static void
field_rewrite(struct inject *in, const char *f, size_t len, size_t namelen,
    size_t colon, int drop, struct bytes *collect, struct bytes *first)
{
	struct bytes out = BYTES_INIT(INJECT_HEADER_MAX);

	in->collect = collect;
	in->first = first;
	check_limit(bytes_append(&out, f, namelen), "header");
	check_limit(bytes_append_str(&out, ": "), "header");
	if (addr822_list(f + colon + 1, len - colon - 1, visit_rewrite, in,
		&out, namelen + 2) == -1)
		addrlist_fail("header field");
	check_limit(bytes_append_char(&out, '\n'), "header");
	if (!drop)
		header_add(in, out.s, out.len);
	bytes_free(&out);
	in->collect = NULL;
	in->first = NULL;
}

/* field_handle - one whole header field f[0..len), no final newline */
static void
field_handle(struct inject *in, const char *f, size_t len, size_t namelen,
    size_t colon)
{
	enum field_kind k = field_kind_of(f, namelen);

	if (namelen > 7 && strncasecmp(f, "resent-", 7) == 0)
		in->resent = 1;
	switch (k) {
	case F_OTHER:
		header_add(in, f, len);
		header_add(in, "\n", 1);
		return;
	case F_CONTENT_LENGTH:
		return;
	case F_RETURN_PATH:
		if (has_flag(in, 's') || in->have_return_path) {
			field_rewrite(in, f, len, namelen, colon, 1, NULL,
			    NULL);
			return;
		}
		in->have_return_path = 1;
		bytes_truncate(&in->return_path, 0);
		field_rewrite(in, f, len, namelen, colon, 1, NULL,
		    &in->return_path);
		return;
	case F_FROM:
		if (has_flag(in, 'f'))
			return;
		in->seen_from = 1;
		break;
	case F_RESENT_FROM:
		in->seen_resent_from = 1;
		break;
	case F_MESSAGE_ID:
		if (has_flag(in, 'i'))
			return;
		in->seen_mid = 1;
		header_add(in, f, len);
		header_add(in, "\n", 1);
		return;
	case F_RESENT_MESSAGE_ID:
		in->seen_resent_mid = 1;
		header_add(in, f, len);
		header_add(in, "\n", 1);
		return;
	case F_DATE:
		in->seen_date = 1;
		header_add(in, f, len);
		header_add(in, "\n", 1);
		return;
	case F_RESENT_DATE:
		in->seen_resent_date = 1;
		header_add(in, f, len);
		header_add(in, "\n", 1);
		return;
	case F_RECIP:
		if (tolower((unsigned char)f[0]) != 'a')
			in->seen_to_cc = 1;
		field_rewrite(in, f, len, namelen, colon, 0, &in->rcpt_plain,
		    NULL);
		return;
	case F_BCC:
		field_rewrite(in, f, len, namelen, colon, 1, &in->rcpt_plain,
		    NULL);
		return;
	case F_RESENT_RECIP:
		in->seen_resent_to_cc = 1;
		field_rewrite(in, f, len, namelen, colon, 0, &in->rcpt_resent,
		    NULL);
		return;
	case F_RESENT_BCC:
		field_rewrite(in, f, len, namelen, colon, 1, &in->rcpt_resent,
		    NULL);
		return;
	case F_SENDER_ADDR:
	case F_RESENT_OTHER:
		break;
	}
	field_rewrite(in, f, len, namelen, colon, 0, NULL, NULL);
}

/*
 * header_read - read and handle the header.  Returns with the first body
 * line (if the header ended at a line that is not a field, not at an
 * empty line) in firstbody, else firstbody empty.
 */
static void
header_read(struct inject *in, struct iobuf *rd, struct bytes *firstbody)
{
	struct bytes line = BYTES_INIT(INJECT_FIELD_MAX + 1);
	struct bytes field = BYTES_INIT(INJECT_FIELD_MAX);
	size_t namelen = 0;
	size_t colon = 0;
	size_t ncolon = 0;
	size_t nlen;
	int r;

	for (;;) {
		bytes_truncate(&line, 0);
		r = iobuf_getline(rd, &line, '\n');
		if (r == -1 && errno == E2BIG)
			fatalx(EXIT_PERM,
			    "unable to accept message: header line longer "
			    "than %zu bytes",
			    INJECT_FIELD_MAX);
		if (r == -1)
			fatal(EXIT_TEMP, "unable to read message");
		if (line.len > 0 && line.s[line.len - 1] == '\n')
			line.len--;
		if (r == 0 && line.len == 0)
			break;
		if (field.len > 0 && line.len > 0 &&
		    (line.s[0] == ' ' || line.s[0] == '\t')) {
			if (bytes_append_char(&field, '\n') == -1 ||
			    bytes_append(&field, line.s, line.len) == -1) {
				if (errno == E2BIG)
					fatalx(EXIT_PERM,
					    "unable to accept message: header "
					    "field longer than %zu bytes",
					    INJECT_FIELD_MAX);
				nomem();
			}
			if (r == 0)
				break;
			continue;
		}
		if (field.len > 0) {
			field_handle(in, field.s, field.len, namelen, colon);
			bytes_truncate(&field, 0);
		}
		if (line.len == 0)
			break; /* the empty line: the body follows */
		nlen = field_name_len(line.s, line.len, &ncolon);
		if (nlen == 0) {
			/* not a field: the body starts here */
			check_limit(bytes_copy(firstbody, line.s, line.len),
			    "line");
			if (r == 1)
				check_limit(bytes_append_char(firstbody, '\n'),
				    "line");
			break;
		}
		namelen = nlen;
		colon = ncolon;
		check_limit(bytes_copy(&field, line.s, line.len), "header");
		if (r == 0)
			break;
	}
	if (field.len > 0)
		field_handle(in, field.s, field.len, namelen, colon);
	bytes_free(&field);
	bytes_free(&line);
}

/* The output: qmail-queue, or stdout with -n. */
struct sink {
	int print;
	struct qqueue q;
	struct iobuf out;
	char space[8192];
};

static void
sink_put(struct sink *s, const void *p, size_t n)
{
	if (!s->print) {
		qqueue_put(&s->q, p, n);
		return;
	}
	if (iobuf_write(&s->out, p, n) == -1)
		fatal(EXIT_TEMP, "unable to write output");
}

static void
sink_puts(struct sink *s, const char *str)
{
	sink_put(s, str, strlen(str));
}

/*
 * append_name - the full name as a quoted string (always, as qmail
 * writes it) or, with comment, as a comment; '"' or '(' ')' and '\\'
 * escaped, control bytes (CR, LF...) written as spaces so the name can
 * never end the header line.
 */
static int
append_name(struct bytes *b, const char *name, int comment)
{
	const char *p;

	if (bytes_append_char(b, comment ? '(' : '"') == -1)
		return -1;
	for (p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 32 || c == 127)
			c = ' ';
		if ((c == '\\' || (!comment && c == '"') ||
			(comment && (c == '(' || c == ')'))) &&
		    bytes_append_char(b, '\\') == -1)
			return -1;
		if (bytes_append_char(b, (char)c) == -1)
			return -1;
	}
	return bytes_append_char(b, comment ? ')' : '"');
}

/*
 * default_from - the From (or Resent-From) field made from the
 * environment: "Name <user@host>" or, with the c flag, "user@host (Name)".
 */
static void
default_from(struct inject *in, struct bytes *out, const char *fieldname,
    const char *user, const char *host, const char *name)
{
	struct bytes field = BYTES_INIT(INJECT_FIELD_MAX);
	int comment = has_flag(in, 'c');
	size_t colon;
	size_t namelen;

	check_limit(bytes_append_str(&field, fieldname), "From");
	check_limit(bytes_append_str(&field, ": "), "From");
	if (name != NULL && *name != '\0' && !comment) {
		check_limit(append_name(&field, name, 0), "name");
		check_limit(bytes_append_str(&field, " <"), "From");
	}
	/* the address parts pass through the parser like any field */
	check_limit(bytes_append_str(&field, "\""), "From");
	for (; *user; user++) {
		if ((*user == '"' || *user == '\\') &&
		    bytes_append_char(&field, '\\') == -1)
			nomem();
		check_limit(bytes_append_char(&field, *user), "user");
	}
	check_limit(bytes_append_str(&field, "\""), "From");
	if (host != NULL) {
		check_limit(bytes_append_char(&field, '@'), "From");
		check_limit(bytes_append_str(&field, host), "host");
	}
	if (name != NULL && *name != '\0' && !comment)
		check_limit(bytes_append_char(&field, '>'), "From");
	if (name != NULL && *name != '\0' && comment) {
		check_limit(bytes_append_char(&field, ' '), "From");
		check_limit(append_name(&field, name, 1), "name");
	}
	namelen = strlen(fieldname);
	colon = namelen;
	in->collect = NULL;
	in->first = NULL;
	check_limit(bytes_append(out, field.s, namelen), "From");
	check_limit(bytes_append_str(out, ": "), "From");
	if (addr822_list(field.s + colon + 1, field.len - colon - 1,
		visit_rewrite, in, out, namelen + 2) == -1)
		addrlist_fail("From");
	check_limit(bytes_append_char(out, '\n'), "From");
	bytes_free(&field);
}

/* args_collect - the command line recipients, rewritten */
static void
args_collect(struct inject *in, char **argv)
{
	for (; *argv != NULL; argv++) {
		refuse_line_break_str("recipient argument", *argv);
		in->collect = &in->rcpt_args;
		in->first = NULL;
		if (addr822_list(*argv, strlen(*argv), visit_rewrite, in,
			NULL, 0) == -1)
			addrlist_fail("recipient");
	}
	in->collect = NULL;
}

/* sender_rewrite - one address argument (-f) into out, rewritten */
static void
sender_parse(struct inject *in, const char *s, struct bytes *out)
{
	bytes_truncate(out, 0);
	in->collect = NULL;
	in->first = out;
	if (addr822_list(s, strlen(s), visit_rewrite, in, NULL, 0) == -1)
		addrlist_fail("sender");
	in->first = NULL;
}

static void
usage(void)
{
	fatalx(EXIT_PERM,
	    "usage: qmail-inject [ -nNaAhH ] [ -fsender ] [ -Fname ] "
	    "[ recip ... ]");
}

int
main(int argc, char **argv)
{
	static struct inject in;
	static struct sink sink;
	static char rdspace[65536];
	static const char *const user_vars[] = { "QMAILUSER", "MAILUSER",
		"USER", "LOGNAME", NULL };
	static const char *const host_vars[] = { "QMAILHOST", "MAILHOST",
		NULL };
	static const char *const name_vars[] = { "QMAILNAME", "MAILNAME",
		"NAME", NULL };
	struct iobuf rd;
	static struct bytes added = BYTES_INIT(INJECT_HEADER_MAX);
	static struct bytes firstbody = BYTES_INIT(INJECT_FIELD_MAX + 2);
	static struct bytes sender = BYTES_INIT(CONTROL_LINE_BYTES);
	static struct bytes tmp = BYTES_INIT(CONTROL_LINE_BYTES);
	/* "Return-Path: <" quoted sender ">\n": quoting at most doubles */
	static struct bytes rpline = BYTES_INIT(3 * CONTROL_LINE_BYTES);
	const char *user, *host, *name, *suser, *shost;
	const char *user_var = "USER", *host_var = "QMAILHOST";
	const struct bytes *rcpts[2];
	char date[DATE822_MAX];
	char stamp[64];
	time_t now;
	struct tm *tm;
	ssize_t got;
	size_t i;
	int opt, code, nrcpt;

	err_setprogname("qmail-inject");
	signal(SIGPIPE, SIG_IGN);
	in.mode = MODE_A_DEFAULT;
	while ((opt = getopt(argc, argv, "aAhHnNf:F:")) != -1) {
		switch (opt) {
		case 'a': in.mode = MODE_ARGS; break;
		case 'A': in.mode = MODE_A_DEFAULT; break;
		case 'h': in.mode = MODE_HEADER; break;
		case 'H': in.mode = MODE_BOTH; break;
		case 'n': in.print = 1; break;
		case 'N': in.print = 0; break;
		case 'f':
			refuse_line_break_str("-f sender", optarg);
			in.opt_sender = optarg;
			break;
		case 'F': in.opt_name = optarg; break;
		default: usage();
		}
	}
	argv += optind;
	in.flags = getenv("QMAILINJECT");
	bytes_init(&in.header, INJECT_HEADER_MAX);
	bytes_init(&in.rcpt_plain, INJECT_RECIPIENTS_MAX);
	bytes_init(&in.rcpt_resent, INJECT_RECIPIENTS_MAX);
	bytes_init(&in.rcpt_args, INJECT_RECIPIENTS_MAX);
	bytes_init(&in.return_path, CONTROL_LINE_BYTES);
	controls_read(&in);

	user = getenv_first(user_vars, &user_var);
	if (user == NULL)
		user = "anonymous";
	refuse_line_break_str(user_var, user);
	host = getenv_first(host_vars, &host_var);
	refuse_line_break_str(host_var, host);
	name = in.opt_name != NULL ? in.opt_name :
	    getenv_first(name_vars, NULL);
	if (host == NULL)
		host = in.defaulthost.s;
	suser = getenv("QMAILSUSER");
	shost = getenv("QMAILSHOST");
	refuse_line_break_str("QMAILSUSER", suser);
	refuse_line_break_str("QMAILSHOST", shost);

	args_collect(&in, argv);
	iobuf_init(&rd, 0, rdspace, sizeof(rdspace), -1);
	header_read(&in, &rd, &firstbody);

	/* the fields qmail-inject adds */
	now = time(NULL);
	tm = gmtime(&now);
	if (tm == NULL)
		fatalx(EXIT_TEMP, "unable to convert the time");
	if (!in.resent ? !in.seen_mid : !in.seen_resent_mid) {
		snprintf(stamp, sizeof(stamp), "%04d%02d%02d%02d%02d%02d.%ld",
		    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
		    tm->tm_hour, tm->tm_min, tm->tm_sec, (long)getpid());
		check_limit(bytes_append_str(&added, in.resent ?
			"Resent-Message-ID: <" : "Message-ID: <"), "header");
		check_limit(bytes_append_str(&added, stamp), "header");
		check_limit(bytes_append_str(&added, ".qmail@"), "header");
		check_limit(bytes_append(&added, in.idhost.s, in.idhost.len),
		    "idhost");
		check_limit(bytes_append_str(&added, ">\n"), "header");
	}
	if (!in.resent ? !in.seen_date : !in.seen_resent_date) {
		if (date822_utc(date, now) == 0)
			fatalx(EXIT_TEMP, "unable to convert the time");
		check_limit(bytes_append_str(&added,
				in.resent ? "Resent-Date: " : "Date: "),
		    "header");
		check_limit(bytes_append_str(&added, date), "header");
		check_limit(bytes_append_char(&added, '\n'), "header");
	}
	if (!in.resent ? !in.seen_from : !in.seen_resent_from)
		default_from(&in, &added, in.resent ? "Resent-From" : "From",
		    user, host, name);
	if (!in.resent && !in.seen_to_cc)
		check_limit(bytes_append_str(&added,
				"Cc: recipient list not shown: ;\n"),
		    "header");
	if (in.resent && !in.seen_resent_to_cc)
		check_limit(bytes_append_str(&added,
				"Resent-Cc: recipient list not shown: ;\n"),
		    "header");

	/* the envelope sender: -f, Return-Path, the environment */
	if (in.opt_sender != NULL) {
		sender_parse(&in, in.opt_sender, &sender);
	} else if (in.have_return_path) {
		check_limit(bytes_copy(&sender, in.return_path.s,
				in.return_path.len), "sender");
	} else {
		check_limit(bytes_copy_str(&sender, suser ? suser : user),
		    "sender");
		if (bytes_cstr(&sender) == NULL)
			nomem();
		check_limit(bytes_copy_str(&tmp, shost ? shost : host),
		    "sender");
		check_limit(addr822_fix_host(&tmp, &in.hosts), "sender");
		check_limit(bytes_append_char(&sender, '@'), "sender");
		check_limit(bytes_append(&sender, tmp.s, tmp.len), "sender");
		if (has_flag(&in, 'm')) {
			/* per-message VERP: user-TIME.PID@host */
			for (i = sender.len; i > 0 && sender.s[i - 1] != '@';
			    i--)
				;
			snprintf(stamp, sizeof(stamp), "-%lld.%ld",
			    (long long)now, (long)getpid());
			check_limit(bytes_copy(&tmp, sender.s + i - 1,
					sender.len - i + 1), "sender");
			bytes_truncate(&sender, i - 1);
			check_limit(bytes_append_str(&sender, stamp),
			    "sender");
			check_limit(bytes_append(&sender, tmp.s, tmp.len),
			    "sender");
		}
	}
	if (has_flag(&in, 'r') && sender.len > 0) {
		for (i = sender.len; i > 0 && sender.s[i - 1] != '@'; i--)
			;
		if (i > 0) {
			check_limit(bytes_copy(&tmp, sender.s + i - 1,
					sender.len - i + 1), "sender");
			bytes_truncate(&sender, i - 1);
			check_limit(bytes_append_char(&sender, '-'), "sender");
			check_limit(bytes_append(&sender, tmp.s, tmp.len),
			    "sender");
			check_limit(bytes_append_str(&sender, "-@[]"),
			    "sender");
		}
	}
	if (bytes_cstr(&sender) == NULL)
		nomem();
	/* every source was checked; a rewrite cannot add a line break */
	refuse_line_break("envelope sender", sender.s, sender.len);

	/* the envelope recipients */
	rcpts[0] = rcpts[1] = NULL;
	switch (in.mode) {
	case MODE_A_DEFAULT:
		rcpts[0] = in.rcpt_args.len > 0 ? &in.rcpt_args :
		    in.resent		       ? &in.rcpt_resent :
						 &in.rcpt_plain;
		break;
	case MODE_ARGS:
		rcpts[0] = &in.rcpt_args;
		break;
	case MODE_HEADER:
		rcpts[0] = in.resent ? &in.rcpt_resent : &in.rcpt_plain;
		break;
	case MODE_BOTH:
		rcpts[0] = in.resent ? &in.rcpt_resent : &in.rcpt_plain;
		rcpts[1] = &in.rcpt_args;
		break;
	}
	nrcpt = (rcpts[0] != NULL && rcpts[0]->len > 0) ||
	    (rcpts[1] != NULL && rcpts[1]->len > 0);
	if (!in.print && !nrcpt)
		fatalx(EXIT_PERM, "no recipients");

	/* out it goes */
	sink.print = in.print;
	if (in.print) {
		/* as qmail: the envelope sender first, quoted */
		iobuf_init(&sink.out, 1, sink.space, sizeof(sink.space), -1);
		check_limit(bytes_append_str(&rpline, "Return-Path: <"),
		    "sender");
		if (sender.len > 0 &&
		    quote_address(&rpline, sender.s, sender.len) == -1)
			addrlist_fail("sender");
		check_limit(bytes_append_str(&rpline, ">\n"), "sender");
		sink_put(&sink, rpline.s, rpline.len);
		bytes_free(&rpline);
	} else if (qqueue_open(&sink.q, NULL) == -1) {
		fatal(EXIT_TEMP, "unable to run qmail-queue");
	}
	sink_put(&sink, added.s, added.len);
	bytes_free(&added);
	sink_put(&sink, in.header.s, in.header.len);
	bytes_free(&in.header);
	sink_puts(&sink, "\n");
	sink_put(&sink, firstbody.s, firstbody.len);
	bytes_free(&firstbody);
	for (;;) {
		got = iobuf_fill(&rd);
		if (got == -1)
			fatal(EXIT_TEMP, "unable to read message");
		if (got == 0)
			break;
		sink_put(&sink, iobuf_peek(&rd), (size_t)got);
		iobuf_skip(&rd, (size_t)got);
	}
	if (in.print) {
		if (iobuf_flush(&sink.out) == -1)
			fatal(EXIT_TEMP, "unable to write output");
		return EXIT_OK;
	}
	qqueue_from(&sink.q, sender.s);
	for (i = 0; i < 2; i++) {
		const char *p, *end;

		if (rcpts[i] == NULL || rcpts[i]->len == 0)
			continue;
		p = rcpts[i]->s;
		end = p + rcpts[i]->len;
		while (p < end) {
			qqueue_to(&sink.q, p);
			p += strlen(p) + 1;
		}
	}
	code = qqueue_close(&sink.q);
	if (code != 0)
		fatalx(qqueue_permanent(code) ? EXIT_PERM : EXIT_TEMP,
		    "%s", qqueue_strerror(code) + 1);
	return EXIT_OK;
}
