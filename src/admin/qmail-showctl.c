/*
 * qmail-showctl - explain the current configuration.
 *
 * Prints the build-time settings (qmail home, split, the ids of the qmail
 * users and groups), then every control file qmail knows, in qmail's
 * order and words: its value and what it means, "(Default.)" and the
 * default when the file does not exist, "Oops! Trouble reading this
 * file." when it exists but cannot be read.  Last, every other file in
 * control/ is named as one it has no idea about, which catches typing
 * mistakes such as control/rcpthost.
 *
 * The files are read with the library's control readers, so what is shown
 * is what the other programs will use.  Bytes outside printable ASCII are
 * shown as '?', as qmail does.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "control.h"
#include "err.h"
#include "exitcodes.h"
#include "fmt.h"
#include "ids.h"
#include "iobuf.h"

/* How a control file is read. */
enum showctl_kind {
	SHOWCTL_INT,    /* a number: control_readint */
	SHOWCTL_STR,    /* one line: control_readline */
	SHOWCTL_LST,    /* a list: control_readlines */
	SHOWCTL_SPECIAL, /* handled by its own code (morercpthosts...) */
	SHOWCTL_PRESENT  /* what matters is that it exists (a key, a directory) */
};

/*
 * One control file and how to explain it.  For SHOWCTL_STR with
 * default_is_me, the default shown is the contents of me when me exists,
 * else def (qmail's placeholder).  pre and post surround the value (each
 * entry, for a list); def is the whole explanation of a missing list.
 */
struct showctl_file {
	const char *name;
	enum showctl_kind kind;
	int default_is_me;
	const char *def;
	const char *pre;
	const char *post;
};

/* Every control file qmail-showctl knows, in the order it shows them. */
static const struct showctl_file showctl_files[] = {
    {"badmailfrom", SHOWCTL_LST, 0, "Any MAIL FROM is allowed.", "",
        " not accepted in MAIL FROM."},
    {"bouncefrom", SHOWCTL_STR, 0, "MAILER-DAEMON", "Bounce user name is ",
        NULL},
    {"bouncehost", SHOWCTL_STR, 1, "bouncehost", "Bounce host name is ", NULL},
    {"concurrencylocal", SHOWCTL_INT, 0, "10", "Local concurrency is ", ""},
    {"concurrencyremote", SHOWCTL_INT, 0, "20", "Remote concurrency is ", ""},
    {"databytes", SHOWCTL_INT, 0, "0", "SMTP DATA limit is ", " bytes"},
    {"defaultdomain", SHOWCTL_STR, 1, "defaultdomain",
        "Default domain name is ", NULL},
    {"defaulthost", SHOWCTL_STR, 1, "defaulthost", "Default host name is ",
        NULL},
    {"doublebouncehost", SHOWCTL_STR, 1, "doublebouncehost",
        "2B recipient host: ", NULL},
    {"doublebounceto", SHOWCTL_STR, 0, "postmaster",
        "2B recipient user: ", NULL},
    {"envnoathost", SHOWCTL_STR, 1, "envnoathost", "Presumed domain name is ",
        NULL},
    {"helohost", SHOWCTL_STR, 1, "helohost", "SMTP client HELO host name is ",
        NULL},
    {"idhost", SHOWCTL_STR, 1, "idhost", "Message-ID host name is ", NULL},
    {"localiphost", SHOWCTL_STR, 1, "localiphost", "Local IP address becomes ",
        NULL},
    {"locals", SHOWCTL_LST, 0, "Messages for me are delivered locally.",
        "Messages for ", " are delivered locally."},
    {"me", SHOWCTL_STR, 0, "undefined! Uh-oh", "My name is ", NULL},
    {"percenthack", SHOWCTL_LST, 0, "The percent hack is not allowed.",
        "The percent hack is allowed for user%host@", "."},
    {"plusdomain", SHOWCTL_STR, 1, "plusdomain", "Plus domain name is ", NULL},
    {"qmqpservers", SHOWCTL_LST, 0, "No QMQP servers.", "QMQP server: ", "."},
    {"queuelifetime", SHOWCTL_INT, 0, "604800",
        "Message lifetime in the queue is ", " seconds"},
    {"rcpthosts", SHOWCTL_SPECIAL, 0, NULL, NULL, NULL},
    {"morercpthosts", SHOWCTL_SPECIAL, 0, NULL, NULL, NULL},
    {"morercpthosts.cdb", SHOWCTL_SPECIAL, 0, NULL, NULL, NULL},
    {"smtpgreeting", SHOWCTL_STR, 1, "smtpgreeting", "SMTP greeting: 220 ",
        NULL},
    {"smtproutes", SHOWCTL_LST, 0, "No artificial SMTP routes.",
        "SMTP route: ", ""},
    {"timeoutconnect", SHOWCTL_INT, 0, "60",
        "SMTP client connection timeout is ", " seconds"},
    {"timeoutremote", SHOWCTL_INT, 0, "1200", "SMTP client data timeout is ",
        " seconds"},
    {"timeoutsmtpd", SHOWCTL_INT, 0, "1200", "SMTP server data timeout is ",
        " seconds"},
    {"virtualdomains", SHOWCTL_LST, 0, "No virtual domains.",
        "Virtual domain: ", ""},
};

#define SHOWCTL_NFILES (sizeof(showctl_files) / sizeof(showctl_files[0]))

/*
 * This project's own control files, which qmail did not have: explained
 * only when present, after qmail's list, so that the output for a qmail
 * configuration stays qmail's.
 */
static const struct showctl_file showctl_extra[] = {
    {"concurrencyincoming", SHOWCTL_INT, 0, "20",
        "SMTP connections at once (tcpserver -c) are at most ", ""},
    {"defaultdelivery", SHOWCTL_STR, 0, "./Maildir/",
        "Default delivery instructions (for qmail-start) are ", NULL},
    {"maxrcpt", SHOWCTL_INT, 0, "1000",
        "SMTP recipients per message are at most ", ""},
    {"rcptcheck", SHOWCTL_INT, 0, "0",
        "Recipient checks at RCPT time (1 on, 0 off): ", ""},
    {"servercert.pem", SHOWCTL_PRESENT, 0, NULL,
        "qmail-smtpd offers STARTTLS, and qmail-tlsd serves SMTPS, with this "
        "certificate and key", NULL},
    {"tlsserverciphers", SHOWCTL_STR, 0, "", "TLS 1.2 server ciphers are ",
        NULL},
    {"tlsclient", SHOWCTL_INT, 0, "0",
        "qmail-remote uses STARTTLS when offered (1 yes, 0 no): ", ""},
    {"tlshosts", SHOWCTL_PRESENT, 0, NULL,
        "qmail-remote requires TLS, verified with HOST.pem, for each host "
        "with a file here", NULL},
};

#define SHOWCTL_NEXTRA (sizeof(showctl_extra) / sizeof(showctl_extra[0]))

/* The program's state: output, the contents of me, a scratch buffer. */
struct showctl {
	struct iobuf out;
	char out_space[8192];
	struct bytes me;
	int me_found; /* control_readline's answer for me: 1 or 0 */
	struct bytes line;
};

static struct showctl sc;

static void
showctl_put(const char *s, size_t n)
{
	if (iobuf_write(&sc.out, s, n) == -1)
		fatal(EXIT_TEMP, "unable to write output");
}

static void
showctl_puts(const char *s)
{
	showctl_put(s, strlen(s));
}

static void
showctl_put_ulong(unsigned long long u)
{
	char num[FMT_ULONG];

	showctl_put(num, fmt_ulong(num, u));
}

/* showctl_put_safe - n bytes, those outside printable ASCII as '?' */
static void
showctl_put_safe(const char *s, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if ((unsigned char)c < 32 || (unsigned char)c > 126)
			c = '?';
		showctl_put(&c, 1);
	}
}

/* showctl_oops_die - qmail's "Oops!" line on stdout, then exit 111 */
static _Noreturn void
showctl_oops_die(const char *oops, const char *verb, const char *object)
{
	int e = errno;

	showctl_puts(oops);
	if (iobuf_flush(&sc.out) == -1)
		fatal(EXIT_TEMP, "unable to write output");
	errno = e;
	fatal(EXIT_TEMP, "unable to %s %s", verb, object);
}

/*
 * showctl_trouble - the file exists but cannot be read: qmail's line on
 * stdout, the reason on stderr.
 */
static void
showctl_trouble(const char *name)
{
	log_warn("unable to read control/%s", name);
	showctl_puts("Oops! Trouble reading this file.\n");
}

/* showctl_start - the blank line and "name: " that start every entry */
static void
showctl_start(const char *name)
{
	showctl_puts("\n");
	showctl_puts(name);
	showctl_puts(": ");
}

static void
showctl_int(const struct showctl_file *f)
{
	unsigned long value;

	showctl_start(f->name);
	switch (control_readint(&value, f->name)) {
	case 0:
		showctl_puts("(Default.) ");
		showctl_puts(f->pre);
		showctl_puts(f->def);
		showctl_puts(f->post);
		showctl_puts(".\n");
		break;
	case 1:
		showctl_puts(f->pre);
		showctl_put_ulong(value);
		showctl_puts(f->post);
		showctl_puts(".\n");
		break;
	default:
		showctl_trouble(f->name);
		break;
	}
}

static void
showctl_str(const struct showctl_file *f)
{
	showctl_start(f->name);
	switch (control_readline(&sc.line, f->name)) {
	case 0:
		showctl_puts("(Default.) ");
		showctl_puts(f->pre);
		if (f->default_is_me && sc.me_found)
			showctl_put_safe(sc.me.s, sc.me.len);
		else
			showctl_puts(f->def);
		showctl_puts(".\n");
		break;
	case 1:
		showctl_puts(f->pre);
		showctl_put_safe(sc.line.s, sc.line.len);
		showctl_puts(".\n");
		break;
	default:
		showctl_trouble(f->name);
		break;
	}
}

/*
 * showctl_list - a list file: a line per entry, pre ENTRY post.  def is
 * the explanation when the file is missing.  Returns what
 * control_readlines returned (1, 0 or -1).
 */
static int
showctl_list(
    const char *name, const char *def, const char *pre, const char *post)
{
	struct control_iter it;
	const char *entry;
	size_t len;
	int r;

	showctl_start(name);
	r = control_readlines(&sc.line, name);
	switch (r) {
	case 0:
		showctl_puts("(Default.) ");
		showctl_puts(def);
		showctl_puts("\n");
		break;
	case 1:
		showctl_puts("\n");
		control_iter_start(&it, &sc.line);
		while (control_iter_next(&it, &entry, &len)) {
			showctl_puts(pre);
			showctl_put_safe(entry, len);
			showctl_puts(post);
			showctl_puts("\n");
		}
		break;
	default:
		showctl_trouble(name);
		break;
	}
	/* A list can be large: give its memory back before the next one. */
	bytes_free(&sc.line);
	return r;
}

/*
 * showctl_rcpthosts - rcpthosts, morercpthosts and morercpthosts.cdb,
 * whose meanings depend on each other: morercpthosts only matters with
 * rcpthosts, and only through its cdb, which qmail-newmrh must have
 * rebuilt since the text file last changed.
 */
static void
showctl_rcpthosts(void)
{
	struct stat mrh;
	struct stat mrhcdb;
	int have_mrh;
	int have_cdb;

	if (showctl_list("rcpthosts",
	        "SMTP clients may send messages to any recipient.",
	        "SMTP clients may send messages to recipients at ", ".") != 0)
		showctl_list("morercpthosts", "No effect.",
		    "SMTP clients may send messages to recipients at ", ".");
	else
		showctl_list("morercpthosts",
		    "No rcpthosts; morercpthosts is irrelevant.",
		    "No rcpthosts; doesn't matter that morercpthosts has ",
		    ".");

	showctl_start("morercpthosts.cdb");
	have_mrh = stat("morercpthosts", &mrh) == 0;
	have_cdb = stat("morercpthosts.cdb", &mrhcdb) == 0;
	if (!have_mrh && !have_cdb)
		showctl_puts("(Default.) No effect.\n");
	else if (!have_mrh)
		showctl_puts("Oops! morercpthosts.cdb exists but "
		             "morercpthosts doesn't.\n");
	else if (!have_cdb)
		showctl_puts("Oops! morercpthosts exists but "
		             "morercpthosts.cdb doesn't.\n");
	else if (mrh.st_mtime > mrhcdb.st_mtime)
		showctl_puts("Oops! morercpthosts.cdb is older than "
		             "morercpthosts.\n");
	else
		showctl_puts("Modified recently enough; hopefully up to "
		             "date.\n");
}

/*
 * showctl_ids - the "user ids:" and "group ids:" lines in qmail's order
 * (alias qmaild qmaill root qmailp qmailq qmailr qmails; nofiles qmail),
 * then the names they stand for.  A user or group that does not exist is
 * shown as "?" and named in an Oops line.
 */
static void
showctl_ids(void)
{
	static const enum conf_group groups[CONF_NGROUPS] = {
	    CONF_GROUP_NOFILES, CONF_GROUP_QMAIL};
	const char *missing[CONF_NUSERS + CONF_NGROUPS];
	size_t nmissing = 0;
	size_t i;
	uid_t uid;
	gid_t gid;

	showctl_puts("user ids: ");
	for (i = 0; i < CONF_NUSERS; i++) {
		if (i > 0)
			showctl_puts(", ");
		if (ids_user((enum conf_user)i, &uid, &gid) == 0)
			showctl_put_ulong(uid);
		else {
			showctl_puts("?");
			missing[nmissing++] = conf_user_names[i];
		}
	}
	showctl_puts(".\ngroup ids: ");
	for (i = 0; i < CONF_NGROUPS; i++) {
		if (i > 0)
			showctl_puts(", ");
		if (ids_group(groups[i], &gid) == 0)
			showctl_put_ulong(gid);
		else {
			showctl_puts("?");
			missing[nmissing++] = conf_group_names[groups[i]];
		}
	}
	showctl_puts(".\nuser names: ");
	for (i = 0; i < CONF_NUSERS; i++) {
		if (i > 0)
			showctl_puts(", ");
		showctl_puts(conf_user_names[i]);
	}
	showctl_puts(".\ngroup names: ");
	for (i = 0; i < CONF_NGROUPS; i++) {
		if (i > 0)
			showctl_puts(", ");
		showctl_puts(conf_group_names[groups[i]]);
	}
	showctl_puts(".\n");
	for (i = 0; i < nmissing; i++) {
		showctl_puts("Oops! There is no user or group named ");
		showctl_puts(missing[i]);
		showctl_puts(".\n");
	}
}

/* showctl_settings - the build-time settings, as qmail's first lines */
static void
showctl_settings(void)
{
	showctl_puts("qmail home directory: ");
	showctl_puts(conf_qmail_home);
	showctl_puts(".\nuser-ext delimiter: -.\n");
	showctl_puts("subdirectory split: ");
	showctl_put_ulong(conf_split);
	showctl_puts(".\n");
	showctl_ids();
	if (conf_unprivileged)
		showctl_puts("unprivileged build: every user and group is the "
		             "builder's.\n");
}

/* showctl_known - 1 if name is one of the control files listed above */
static int
showctl_known(const char *name)
{
	size_t i;

	for (i = 0; i < SHOWCTL_NFILES; i++)
		if (strcmp(name, showctl_files[i].name) == 0)
			return 1;
	for (i = 0; i < SHOWCTL_NEXTRA; i++)
		if (strcmp(name, showctl_extra[i].name) == 0)
			return 1;
	return 0;
}

/*
 * showctl_unknown - every other file in control/, one entry at a time (in
 * directory order, as qmail), so a huge directory costs no memory.
 */
static void
showctl_unknown(void)
{
	struct dirent *d;
	DIR *dir;

	dir = opendir(".");
	if (dir == NULL)
		showctl_oops_die("Oops! Unable to open current directory.\n",
		    "open", "control");
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (d == NULL)
			break;
		if (strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0 || showctl_known(d->d_name))
			continue;
		showctl_puts("\n");
		showctl_put_safe(d->d_name, strlen(d->d_name));
		showctl_puts(": I have no idea what this file does.\n");
	}
	if (errno != 0)
		showctl_oops_die("Oops! Unable to read current directory.\n",
		    "read", "control");
	closedir(dir);
}

/* showctl_file - one entry, explained the way its kind says */
static void
showctl_file(const struct showctl_file *f)
{
	switch (f->kind) {
	case SHOWCTL_INT:
		showctl_int(f);
		break;
	case SHOWCTL_STR:
		showctl_str(f);
		break;
	case SHOWCTL_LST:
		showctl_list(f->name, f->def, f->pre, f->post);
		break;
	case SHOWCTL_SPECIAL:
		if (strcmp(f->name, "rcpthosts") == 0)
			showctl_rcpthosts();
		break;
	case SHOWCTL_PRESENT:
		showctl_start(f->name);
		showctl_puts(f->pre);
		showctl_puts(".\n");
		break;
	}
}

int
main(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	err_setprogname("qmail-showctl");
	iobuf_init(&sc.out, 1, sc.out_space, sizeof(sc.out_space), -1);
	bytes_init(&sc.me, CONTROL_LINE_BYTES);
	bytes_init(&sc.line, CONTROL_LIST_BYTES);

	showctl_settings();

	if (chdir(conf_qmail_home) == -1) {
		showctl_puts("Oops! Unable to chdir to ");
		showctl_puts(conf_qmail_home);
		showctl_oops_die(".\n", "chdir to", conf_qmail_home);
	}
	if (chdir("control") == -1)
		showctl_oops_die("Oops! Unable to chdir to control.\n",
		    "chdir to", "control");

	sc.me_found = control_readline(&sc.me, "me");
	if (sc.me_found == -1)
		showctl_oops_die("Oops! Trouble reading control/me.\n", "read",
		    "control/me");

	for (i = 0; i < SHOWCTL_NFILES; i++)
		showctl_file(&showctl_files[i]);
	for (i = 0; i < SHOWCTL_NEXTRA; i++)
		if (access(showctl_extra[i].name, F_OK) == 0)
			showctl_file(&showctl_extra[i]);
	showctl_unknown();

	if (iobuf_flush(&sc.out) == -1)
		fatal(EXIT_TEMP, "unable to write output");
	bytes_free(&sc.me);
	bytes_free(&sc.line);
	return EXIT_OK;
}
