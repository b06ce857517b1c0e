/*
 * qmail-start - start the queue daemons with their pipes and users
 * (qmail-start(8)).
 *
 *	qmail-start [defaultdelivery [logger arg ...]]
 *
 * Starts qmail-lspawn defaultdelivery (root, group qmail), qmail-rspawn
 * (qmailr), two qmail-cleans (qmailq: one for qmail-send, one for
 * qmail-todo), qmail-todo (qmails), and finally becomes qmail-send
 * (qmails), wired as spawnproto.h describes.  The default delivery is
 * ./Mailbox when none is given.  With a logger, the logger runs as
 * qmaill (group nofiles) reading on its fd 0 everything the daemons log;
 * without one, they log to qmail-start's fd 1.  In an unprivileged build
 * no ids are switched.  qmail-start exits 111 if it cannot set up;
 * otherwise it does not exit: it turns into qmail-send.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "ids.h"
#include "proc.h"
#include "spawnproto.h"

#define NFDS 9 /* descriptors 0..8 are wired; the rest closed */
#define HIGH_FD 64

/* A pipe: [0] read end, [1] write end. */
enum pipe_name {
	P_TOLSPAWN,
	P_FROMLSPAWN,
	P_TORSPAWN,
	P_FROMRSPAWN,
	P_TOCLEAN,
	P_FROMCLEAN,
	P_TOCLEAN2,
	P_FROMCLEAN2,
	P_TOTODO,
	P_FROMTODO,
	P_COUNT
};

struct start {
	int pipes[P_COUNT][2];
	int logfd;
	struct ids_all ids;
};

static noreturn void
die(void)
{
	_exit(EXIT_TEMP);
}

/* prot_gid - set the one group (no-op in an unprivileged build) */
static int
prot_gid(gid_t gid)
{
	if (conf_unprivileged)
		return 0;
	if (setgroups(1, &gid) == -1)
		return -1;
	return setgid(gid);
}

static int
prot_uid(uid_t uid)
{
	if (conf_unprivileged)
		return 0;
	return setuid(uid);
}

/*
 * wire - in a child: give descriptor i what map[i] is open on (-1: close
 * it), for i in 0..NFDS-1.  Sources are first moved out of the way so a
 * source may also be a target.
 */
static void
wire(const int *map)
{
	int high[NFDS];
	int i;

	for (i = 0; i < NFDS; i++) {
		high[i] = -1;
		if (map[i] != -1) {
			high[i] = fcntl(map[i], F_DUPFD_CLOEXEC, HIGH_FD);
			if (high[i] == -1)
				die();
		}
	}
	for (i = 0; i < NFDS; i++) {
		if (high[i] == -1)
			(void)close(i);
		else if (fd_copy(i, high[i]) == -1)
			die();
	}
}

/* child - fork a child with the descriptors in map, ids, and exec argv */
static void
child(struct start *st, const int *map, int uid_role, const char *program,
    const char *const *argv)
{
	pid_t pid = fork();

	(void)st;
	if (pid == -1)
		fatal(EXIT_TEMP, "unable to fork");
	if (pid != 0)
		return;
	if (uid_role != -1 && prot_uid(st->ids.uid[uid_role]) == -1)
		die();
	wire(map);
	execv(program, (char *const *)argv);
	die();
}

static char *
bin(const char *name)
{
	static struct bytes b[8];
	static int n;
	struct bytes *p = &b[n++ % 8];

	bytes_init(p, 4096);
	if (bytes_copy_str(p, conf_qmail_home) == -1 ||
	    bytes_append_str(p, "/bin/") == -1 ||
	    bytes_append_str(p, name) == -1 || bytes_cstr(p) == NULL)
		fatal(EXIT_TEMP, "unable to build a path");
	return p->s;
}

static void
start_logger(struct start *st, char **argv)
{
	int pi[2];
	pid_t pid;

	if (pipe2(pi, O_CLOEXEC) == -1)
		fatal(EXIT_TEMP, "unable to create pipe");
	pid = fork();
	if (pid == -1)
		fatal(EXIT_TEMP, "unable to fork");
	if (pid == 0) {
		if (prot_gid(st->ids.gid[CONF_GROUP_NOFILES]) == -1)
			die();
		if (prot_uid(st->ids.uid[CONF_USER_QMAILL]) == -1)
			die();
		if (fd_move(0, pi[0]) == -1)
			die();
		execvp(argv[0], argv);
		die();
	}
	close(pi[0]);
	st->logfd = pi[1];
}

int
main(int argc, char **argv)
{
	struct start st;
	const char *missing;
	int isgroup;
	const char *defaultdelivery = "./Mailbox";
	int i;

	(void)argc;
	err_setprogname("qmail-start");
	umask(077);
	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	if (ids_resolve_all(&st.ids, &missing, &isgroup) == -1)
		fatal(EXIT_TEMP, "unable to look up %s %s",
		    isgroup ? "group" : "user", missing);
	if (prot_gid(st.ids.gid[CONF_GROUP_QMAIL]) == -1)
		fatal(EXIT_TEMP, "unable to set group");
	if (argv[1] != NULL) {
		defaultdelivery = argv[1];
		argv++;
	}
	if (argv[1] != NULL)
		start_logger(&st, argv + 1);
	else {
		st.logfd = fcntl(1, F_DUPFD_CLOEXEC, 3);
		if (st.logfd == -1)
			fatal(EXIT_TEMP, "unable to duplicate descriptor 1");
	}
	for (i = 0; i < P_COUNT; i++)
		if (pipe2(st.pipes[i], O_CLOEXEC) == -1)
			fatal(EXIT_TEMP, "unable to create pipe");
#define R(p) st.pipes[p][0]
#define W(p) st.pipes[p][1]
	{
		int map[NFDS] = { R(P_TOLSPAWN), W(P_FROMLSPAWN), st.logfd,
			-1, -1, -1, -1, -1, -1 };
		const char *args[] = { "qmail-lspawn", defaultdelivery, NULL };

		child(&st, map, -1, bin("qmail-lspawn"), args);
	}
	{
		int map[NFDS] = { R(P_TORSPAWN), W(P_FROMRSPAWN), st.logfd,
			-1, -1, -1, -1, -1, -1 };
		const char *args[] = { "qmail-rspawn", NULL };

		child(&st, map, CONF_USER_QMAILR, bin("qmail-rspawn"), args);
	}
	{
		int map[NFDS] = { R(P_TOCLEAN), W(P_FROMCLEAN), st.logfd,
			-1, -1, -1, -1, -1, -1 };
		const char *args[] = { "qmail-clean", NULL };

		child(&st, map, CONF_USER_QMAILQ, bin("qmail-clean"), args);
	}
	{
		int map[NFDS] = { R(P_TOCLEAN2), W(P_FROMCLEAN2), st.logfd,
			-1, -1, -1, -1, -1, -1 };
		const char *args[] = { "qmail-clean", NULL };

		child(&st, map, CONF_USER_QMAILQ, bin("qmail-clean"), args);
	}
	{
		int map[NFDS];
		const char *args[] = { "qmail-todo", NULL };

		for (i = 0; i < NFDS; i++)
			map[i] = -1;
		map[TODO_FD_LOG] = st.logfd;
		map[TODO_FD_TOCLEAN] = W(P_TOCLEAN2);
		map[TODO_FD_FROMCLEAN] = R(P_FROMCLEAN2);
		map[TODO_FD_FROMSEND] = R(P_TOTODO);
		map[TODO_FD_TOSEND] = W(P_FROMTODO);
		child(&st, map, CONF_USER_QMAILS, bin("qmail-todo"), args);
	}
	{
		int map[NFDS];
		const char *args[] = { "qmail-send", NULL };

		map[SEND_FD_LOG] = st.logfd;
		map[SEND_FD_TOLSPAWN] = W(P_TOLSPAWN);
		map[SEND_FD_FROMLSPAWN] = R(P_FROMLSPAWN);
		map[SEND_FD_TORSPAWN] = W(P_TORSPAWN);
		map[SEND_FD_FROMRSPAWN] = R(P_FROMRSPAWN);
		map[SEND_FD_TOCLEAN] = W(P_TOCLEAN);
		map[SEND_FD_FROMCLEAN] = R(P_FROMCLEAN);
		map[SEND_FD_TOTODO] = W(P_TOTODO);
		map[SEND_FD_FROMTODO] = R(P_FROMTODO);
		if (prot_uid(st.ids.uid[CONF_USER_QMAILS]) == -1)
			die();
		wire(map);
		execv(bin("qmail-send"), (char *const *)args);
		die();
	}
}
