/*
 * qmail-lspawn - run qmail-local for each local delivery qmail-send asks
 * for, as the user who owns the address (qmail-lspawn(8)).
 *
 *	qmail-lspawn defaultdelivery
 *
 * The protocol with qmail-send is in spawnproto.h; the loop is spawnsrv.
 * For each delivery a child looks the local part up in users/cdb (exact,
 * then wildcard) or, failing that, asks qmail-getpw (run as qmailp),
 * becomes that user (setgroups to the one gid, setgid, setuid; never
 * root) and execs bin/qmail-local.  Its exit code becomes the report as
 * in qmail.  In an unprivileged build no ids are switched: qmail-local
 * runs as the building user (an assignment to uid 0 is still refused,
 * unless the building user is root, for whom every role is uid 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytes.h"
#include "cmdrun.h"
#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "ids.h"
#include "proc.h"
#include "spawnproto.h"
#include "spawnsrv.h"
#include "users.h"

#define QMAIL_LOCAL "bin/qmail-local"
#define QMAIL_GETPW "bin/qmail-getpw"

/* The program's state: set once in main. */
struct lspawn {
	const char *aliasempty; /* the default delivery */
	uid_t uidp;		/* qmailp, for qmail-getpw */
	gid_t gidn;		/* nofiles */
};

/* become - switch to gid and uid for good (privileged build only) */
static int
become(uid_t uid, gid_t gid)
{
	if (conf_unprivileged)
		return 0;
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		return -1;
	return 0;
}

/*
 * getpw_lookup - run qmail-getpw local (as qmailp:nofiles) and parse its
 * answer into e.  Exits the child with a QLX code on any failure, or
 * with qmail-getpw's own nonzero exit code.
 */
static void
getpw_lookup(const struct lspawn *ls, const char *local,
    struct users_entry *e)
{
	struct bytes out = BYTES_INIT(USERS_VALUE_MAX);
	int pi[2];
	int wstat, code;
	pid_t pid;
	char buf[512];
	ssize_t r;

	if (pipe2(pi, O_CLOEXEC) == -1)
		_exit(QLX_SYS);
	pid = fork();
	if (pid == -1)
		_exit(QLX_SYS);
	if (pid == 0) {
		const char *argv[3] = { QMAIL_GETPW, local, NULL };

		if (become(ls->uidp, ls->gidn) == -1)
			_exit(QLX_USAGE);
		if (fd_move(1, pi[1]) == -1)
			_exit(QLX_SYS);
		execv(argv[0], (char *const *)argv);
		_exit(QLX_EXECPW);
	}
	close(pi[1]);
	for (;;) {
		r = read(pi[0], buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			_exit(QLX_SYS);
		if (r == 0)
			break;
		if (bytes_append(&out, buf, (size_t)r) == -1)
			_exit(errno == ENOMEM ? QLX_NOMEM : QLX_SYS);
	}
	close(pi[0]);
	if (proc_wait(pid, &wstat) == -1)
		_exit(QLX_SYS);
	if (!proc_status_exited(wstat, &code))
		_exit(QLX_SYS);
	if (code != 0)
		_exit(code);
	if (users_entry_parse(e, out.s ? out.s : "", out.len) == -1)
		_exit(errno == ENOMEM ? QLX_NOMEM : QLX_USAGE);
	bytes_free(&out);
}

/* deliver - the child: find the user and exec qmail-local; never returns */
static void
deliver(const struct lspawn *ls, const char *sender, char *recip, size_t at)
{
	struct users_entry e;
	const char *argv[11];
	int r;

	recip[at] = '\0';
	if (recip[0] == '\0')
		_exit(0); /* <>: nothing to deliver (qmail) */
	if (chdir(conf_qmail_home) == -1)
		_exit(QLX_USAGE);
	users_entry_init(&e);
	r = users_lookup(USERS_CDB, recip, &e);
	if (r == -1)
		_exit(errno == ENOMEM ? QLX_NOMEM : QLX_CDB);
	if (r == 0)
		getpw_lookup(ls, recip, &e);
	/*
	 * Never deliver as root.  The one exception is an unprivileged build
	 * made by root (tests on a build machine): every role is root there.
	 */
	if (e.uid == 0 && !(conf_unprivileged && conf_unpriv_uid == 0))
		_exit(QLX_ROOT);
	argv[0] = QMAIL_LOCAL;
	argv[1] = "--";
	argv[2] = e.user;
	argv[3] = e.home;
	argv[4] = recip;
	argv[5] = e.dash;
	argv[6] = e.ext;
	argv[7] = recip + at + 1;
	argv[8] = sender;
	argv[9] = ls->aliasempty;
	argv[10] = NULL;
	if (become(e.uid, e.gid) == -1)
		_exit(QLX_USAGE);
	if (!conf_unprivileged && (getuid() == 0 || geteuid() == 0))
		_exit(QLX_ROOT);
	execv(argv[0], (char *const *)argv);
	_exit(cmdrun_errno_temporary(errno) ? QLX_EXECSOFT : QLX_EXECHARD);
}

static pid_t
lspawn_start(void *ctx, int fdmess, int fdout, const char *sender,
    const char *recip, size_t at)
{
	const struct lspawn *ls = ctx;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	spawnsrv_child_setup();
	if (fd_move(0, fdmess) == -1 || fd_move(1, fdout) == -1 ||
	    fd_copy(2, 1) == -1)
		_exit(QLX_SYS);
	deliver(ls, sender, (char *)recip, at);
	_exit(QLX_BUG);
}

/* fixed - the report for one of the QLX codes, or NULL */
static const char *
fixed(int code)
{
	switch (code) {
	case QLX_CDB:
		return "ZTrouble reading users/cdb in qmail-lspawn.\n";
	case QLX_NOMEM:
		return "ZOut of memory in qmail-lspawn.\n";
	case QLX_SYS:
		return "ZTemporary failure in qmail-lspawn.\n";
	case QLX_NOALIAS:
		return "ZUnable to find alias user!\n";
	case QLX_ROOT:
		return "ZNot allowed to perform deliveries as root.\n";
	case QLX_USAGE:
		return "ZInternal qmail-lspawn bug.\n";
	case QLX_NFS:
		return "ZNFS failure in qmail-local.\n";
	case QLX_EXECHARD:
		return "DUnable to run qmail-local.\n";
	case QLX_EXECSOFT:
		return "ZUnable to run qmail-local.\n";
	case QLX_EXECPW:
		return "ZUnable to run qmail-getpw.\n";
	default:
		return NULL;
	}
}

static void
lspawn_report(void *ctx, struct bytes *out, int wstat, const char *output,
    size_t len)
{
	int code;
	const char *text;
	const char *nul;
	char status;

	(void)ctx;
	if (!proc_status_exited(wstat, &code)) {
		(void)bytes_append_str(out, "Zqmail-local crashed.\n");
		return;
	}
	text = fixed(code);
	if (text != NULL) {
		(void)bytes_append_str(out, text);
		return;
	}
	switch (code) {
	case 0:
		status = SPAWN_OK;
		break;
	case 111:
	case 71:
	case 74:
	case 75:
		status = SPAWN_TEMP;
		break;
	default:
		status = SPAWN_PERM;
		break;
	}
	nul = memchr(output, '\0', len);
	if (nul != NULL)
		len = (size_t)(nul - output);
	if (bytes_append_char(out, status) == -1 ||
	    bytes_append(out, output, len) == -1)
		bytes_truncate(out, 0);
}

int
main(int argc, char **argv)
{
	struct lspawn ls;
	struct spawnsrv_ops ops;
	gid_t gidq;
	uid_t uidq;

	err_setprogname("qmail-lspawn");
	if (argc < 2 || argv[1] == NULL)
		fatalx(EXIT_PERM, "usage: qmail-lspawn defaultdelivery");
	ls.aliasempty = argv[1];
	if (ids_user(CONF_USER_QMAILP, &ls.uidp, &gidq) == -1)
		fatal(EXIT_TEMP, "unable to look up user %s",
		    conf_user_names[CONF_USER_QMAILP]);
	if (ids_group(CONF_GROUP_NOFILES, &ls.gidn) == -1)
		fatal(EXIT_TEMP, "unable to look up group %s",
		    conf_group_names[CONF_GROUP_NOFILES]);
	if (ids_user(CONF_USER_QMAILQ, &uidq, &gidq) == -1)
		fatal(EXIT_TEMP, "unable to look up user %s",
		    conf_user_names[CONF_USER_QMAILQ]);
	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	memset(&ops, 0, sizeof(ops));
	ops.start = lspawn_start;
	ops.report = lspawn_report;
	ops.ctx = &ls;
	ops.truncate = SPAWN_LOCAL_TRUNC;
	ops.mess_owner = uidq;
	if (spawnsrv_run(&ops, spawnsrv_slots()) == -1)
		fatal(EXIT_TEMP, "unable to run the delivery loop");
	return EXIT_OK;
}
