/*
 * hier.c - the installed tree under the qmail home, see hier.h.
 *
 * The layout is qmail's (hier.c of qmail 1.03), with one deliberate
 * difference: queue/intd and queue/todo are split like queue/mess, so
 * that the todo processing never faces one huge directory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "hier.h"

#define ROOT CONF_USER_ROOT
#define QMAIL CONF_GROUP_QMAIL

/* Shorthands for the table rows. */
/* clang-format off */
#define DIR(p, o, m) { HIER_DIR, (p), (o), QMAIL, (m), 0, NULL, NULL, 0 }
#define SPLIT(p, o, m) { HIER_SPLIT, (p), (o), QMAIL, (m), 0, NULL, NULL, 0 }
#define PROG(n, o, m)                                                        \
	{ HIER_PROG, "bin/" n, (o), QMAIL, (m), 0, NULL, NULL, 0 }
#define PROG_GROUP(n, o, g, m)                                               \
	{ HIER_PROG, "bin/" n, (o), (g), (m), 0, NULL, NULL, 0 }
#define NEEDED(n, o, m)                                                      \
	{ HIER_PROG, "bin/" n, (o), QMAIL, (m), 0, NULL, NULL, HIER_REQUIRED }
#define COPY(p, src, suf, m, fl)                                             \
	{ HIER_COPY, (p), ROOT, QMAIL, (m), 0, (src), (suf), (fl) }

static const struct hier_entry hier_table[] = {
	DIR("", ROOT, 0755),
	DIR("control", ROOT, 0755),
	DIR("users", ROOT, 0755),
	DIR("bin", ROOT, 0755),
	DIR("boot", ROOT, 0755),
	DIR("doc", ROOT, 0755),
	DIR("man", ROOT, 0755),
	DIR("man/man1", ROOT, 0755),
	DIR("man/man5", ROOT, 0755),
	DIR("man/man7", ROOT, 0755),
	DIR("man/man8", ROOT, 0755),
	DIR("man/cat1", ROOT, 0755),
	DIR("man/cat5", ROOT, 0755),
	DIR("man/cat7", ROOT, 0755),
	DIR("man/cat8", ROOT, 0755),

	DIR("alias", CONF_USER_ALIAS, 02755),

	DIR("queue", CONF_USER_QMAILQ, 0750),
	DIR("queue/pid", CONF_USER_QMAILQ, 0700),
	SPLIT("queue/intd", CONF_USER_QMAILQ, 0700),
	SPLIT("queue/todo", CONF_USER_QMAILQ, 0750),
	DIR("queue/bounce", CONF_USER_QMAILS, 0700),
	SPLIT("queue/mess", CONF_USER_QMAILQ, 0750),
	SPLIT("queue/info", CONF_USER_QMAILS, 0700),
	SPLIT("queue/local", CONF_USER_QMAILS, 0700),
	SPLIT("queue/remote", CONF_USER_QMAILS, 0700),
	DIR("queue/lock", CONF_USER_QMAILQ, 0750),
	{ HIER_ZERO, "queue/lock/tcpto", CONF_USER_QMAILR, QMAIL, 0644, 1024,
	    NULL, NULL, 0 },
	{ HIER_EMPTY, "queue/lock/sendmutex", CONF_USER_QMAILS, QMAIL, 0600, 0,
	    NULL, NULL, 0 },
	{ HIER_FIFO, "queue/lock/trigger", CONF_USER_QMAILS, QMAIL, 0622, 0,
	    NULL, NULL, 0 },

	COPY("boot", "scripts/boot", NULL, 0755, HIER_EXPAND),
	COPY("doc", "doc", NULL, 0644, 0),
	COPY("man/man1", "man", ".1", 0644, 0),
	COPY("man/man5", "man", ".5", 0644, 0),
	COPY("man/man7", "man", ".7", 0644, 0),
	COPY("man/man8", "man", ".8", 0644, 0),

	NEEDED("qmail-queue", CONF_USER_QMAILQ, 04711),
	PROG("qmail-lspawn", ROOT, 0700),
	PROG("qmail-start", ROOT, 0700),
	PROG("qmail-getpw", ROOT, 0711),
	PROG("qmail-local", ROOT, 0711),
	PROG("qmail-remote", ROOT, 0711),
	PROG("qmail-rspawn", ROOT, 0711),
	PROG("qmail-clean", ROOT, 0711),
	PROG("qmail-send", ROOT, 0711),
	PROG("qmail-todo", ROOT, 0711),
	PROG("splogger", ROOT, 0711),
	PROG("qmail-newu", ROOT, 0700),
	PROG("qmail-newmrh", ROOT, 0700),
	PROG("qmail-newrcpt", ROOT, 0700),
	PROG("qmail-pw2u", ROOT, 0711),
	PROG("qmail-inject", ROOT, 0755),
	PROG("predate", ROOT, 0755),
	PROG("datemail", ROOT, 0755),
	PROG("mailsubj", ROOT, 0755),
	PROG("qmail-showctl", ROOT, 0755),
	PROG("qmail-qread", ROOT, 0755),
	PROG("qmail-qstat", ROOT, 0755),
	PROG("qmail-tcpto", ROOT, 0755),
	PROG("qmail-tcpok", ROOT, 0755),
	PROG("qmail-upq", ROOT, 0755),
	PROG("qmailctl", ROOT, 0755),
	PROG("qmail-log-summary", ROOT, 0755),
	PROG("qmail-pop3d", ROOT, 0755),
	PROG("qmail-popup", ROOT, 0711),
	/* setuid root to read /etc/shadow for qmail-smtpd's AUTH (as qmaild,
	 * whose group is nofiles); nobody else may run it */
	PROG_GROUP("qmail-checkpassword", ROOT, CONF_GROUP_NOFILES, 04750),
	PROG("qmail-qmqpc", ROOT, 0755),
	PROG("qmail-qmqpd", ROOT, 0755),
	PROG("qmail-qmtpd", ROOT, 0755),
	PROG("qmail-smtpd", ROOT, 0755),
	PROG("qmail-tlsd", ROOT, 0755),
	PROG("qmail-tlsc", ROOT, 0755),
	PROG("sendmail", ROOT, 0755),
	PROG("tcp-env", ROOT, 0755),
	PROG("qreceipt", ROOT, 0755),
	PROG("qsmhook", ROOT, 0755),
	PROG("qbiff", ROOT, 0755),
	PROG("forward", ROOT, 0755),
	PROG("preline", ROOT, 0755),
	PROG("condredirect", ROOT, 0755),
	PROG("bouncesaying", ROOT, 0755),
	PROG("except", ROOT, 0755),
	PROG("maildirmake", ROOT, 0755),
	PROG("maildir2mbox", ROOT, 0755),
	PROG("maildirwatch", ROOT, 0755),
	PROG("qail", ROOT, 0755),
	PROG("elq", ROOT, 0755),
	PROG("pinq", ROOT, 0755),
	NEEDED("instcheck", ROOT, 0700),
	{ HIER_NOINSTALL, "bin/install", ROOT, QMAIL, 0, 0, NULL, NULL, 0 },
	{ HIER_OTHERPROGS, "bin", ROOT, QMAIL, 0755, 0, NULL, NULL, 0 },
};
/* clang-format on */

#define HIER_ENTRIES (sizeof(hier_table) / sizeof(hier_table[0]))

mode_t
hier_mode(const struct hier_entry *e)
{
	if (conf_unprivileged)
		return e->mode & ~(mode_t)(S_ISUID | S_ISGID);
	return e->mode;
}

void
hier_iter_start(struct hier_iter *it)
{
	it->index = 0;
	it->sub = 0;
	it->in_split = 0;
}

/* Copy s into item->path: 0, or -1 with ENAMETOOLONG. */
static int
hier_item_set_path(struct hier_item *item, const char *s)
{
	size_t len = strlen(s);

	if (len >= sizeof(item->path)) {
		item->path[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(item->path, s, len + 1);
	return 0;
}

int
hier_iter_next(struct hier_iter *it, struct hier_item *item)
{
	const struct hier_entry *e;
	int n;

	if (it->index >= HIER_ENTRIES)
		return 0;
	e = &hier_table[it->index];
	item->entry = e;
	item->mode = hier_mode(e);
	item->type = e->type == HIER_SPLIT ? HIER_DIR : e->type;

	if (e->type != HIER_SPLIT || !it->in_split) {
		if (e->type == HIER_SPLIT && conf_split > 0)
			it->in_split = 1;
		else
			it->index++;
		return hier_item_set_path(item, e->path) == -1 ? -1 : 1;
	}

	n = snprintf(
	    item->path, sizeof(item->path), "%s/%lu", e->path, it->sub);
	if (++it->sub >= conf_split) {
		it->sub = 0;
		it->in_split = 0;
		it->index++;
	}
	if (n < 0 || (size_t)n >= sizeof(item->path)) {
		item->path[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 1;
}

const struct hier_entry *
hier_program_find(const char *name)
{
	size_t i;
	const char *p;

	for (i = 0; i < HIER_ENTRIES; i++) {
		if (hier_table[i].type != HIER_PROG &&
		    hier_table[i].type != HIER_NOINSTALL)
			continue;
		p = hier_table[i].path;
		if (strncmp(p, "bin/", 4) == 0 && strcmp(p + 4, name) == 0)
			return &hier_table[i];
	}
	return NULL;
}

const struct hier_entry *
hier_other_programs(void)
{
	size_t i;

	for (i = 0; i < HIER_ENTRIES; i++)
		if (hier_table[i].type == HIER_OTHERPROGS)
			return &hier_table[i];
	/* Unreachable while the table has its HIER_OTHERPROGS row. */
	return &hier_table[HIER_ENTRIES - 1];
}

int
hier_path(char *buf, size_t size, const char *rel, const char *name)
{
	int n;

	if (size == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(buf, size, "%s%s%s%s%s", conf_qmail_home,
	    rel[0] != '\0' ? "/" : "", rel, name != NULL ? "/" : "",
	    name != NULL ? name : "");
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
