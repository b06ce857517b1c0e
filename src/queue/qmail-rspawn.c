/*
 * qmail-rspawn - run qmail-remote for each remote delivery qmail-send
 * asks for (qmail-rspawn(8)).
 *
 * For each delivery it runs QMAILHOME/bin/qmail-remote host sender
 * recipient, host being the recipient's domain, with the message on
 * fd 0, and turns qmail-remote's result records (qmail-remote(8): one
 * r/h/s record per recipient, then a K/Z/D record, each ending in NUL)
 * into the single report qmail-send expects, exactly as qmail does.
 * Runs as qmailr.  At start-up it clears queue/lock/tcpto, as qmail's
 * qmail-rspawn does.
 */
#include <errno.h>
#include <string.h>
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
#include "tcpto.h"

#define QMAIL_REMOTE "bin/qmail-remote"
#define TCPTO_FILE "queue/lock/tcpto"

static pid_t
rspawn_start(void *ctx, int fdmess, int fdout, const char *sender,
    const char *recip, size_t at)
{
	pid_t pid;
	const char *argv[5];

	(void)ctx;
	argv[0] = QMAIL_REMOTE;
	argv[1] = recip + at + 1;
	argv[2] = sender;
	argv[3] = recip;
	argv[4] = NULL;
	pid = fork();
	if (pid != 0)
		return pid;
	spawnsrv_child_setup();
	if (fd_move(0, fdmess) == -1 || fd_move(1, fdout) == -1 ||
	    fd_copy(2, 1) == -1)
		_exit(EXIT_TEMP);
	execv(argv[0], (char *const *)argv);
	_exit(cmdrun_errno_temporary(errno) ? EXIT_TEMP : EXIT_PERM);
}

/* text_at - the C string at s[k], bounded by len (NUL or end) */
static size_t
text_len(const char *s, size_t k, size_t len)
{
	const char *nul = memchr(s + k, '\0', len - k);

	return nul ? (size_t)(nul - (s + k)) : len - k;
}

static void
rspawn_report(void *ctx, struct bytes *out, int wstat, const char *s,
    size_t len)
{
	int code;
	int result = -1; /* 1 K, 0 Z, -1 D or none */
	int orr;
	size_t j = 0, k;

	(void)ctx;
	if (!proc_status_exited(wstat, &code)) {
		(void)bytes_append_str(out, "Zqmail-remote crashed.\n");
		return;
	}
	if (code == EXIT_TEMP) {
		(void)bytes_append_str(out, "ZUnable to run qmail-remote.\n");
		return;
	}
	if (code != 0) {
		(void)bytes_append_str(out, "DUnable to run qmail-remote.\n");
		return;
	}
	if (len == 0) {
		(void)bytes_append_str(out,
		    "Zqmail-remote produced no output.\n");
		return;
	}
	/* the first complete K, Z or D record decides the overall result */
	for (k = 0; k < len; k++) {
		if (s[k] != '\0')
			continue;
		if (s[j] == 'K') {
			result = 1;
			break;
		}
		if (s[j] == 'Z') {
			result = 0;
			break;
		}
		if (s[j] == 'D')
			break;
		j = k + 1;
	}
	/* the recipient record: s accepted soon, h refused, r as result */
	orr = result;
	if (s[0] == 's')
		orr = 0;
	else if (s[0] == 'h')
		orr = -1;
	(void)bytes_append_char(out,
	    orr == 1 ? SPAWN_OK : orr == 0 ? SPAWN_TEMP : SPAWN_PERM);
	/* the recipient's text, then the overall text if it explains more */
	for (k = 1; k < len;) {
		if (s[k++] != '\0')
			continue;
		(void)bytes_append(out, s + 1, text_len(s, 1, len));
		if (result <= orr && k < len &&
		    (s[k] == 'Z' || s[k] == 'D' || s[k] == 'K'))
			(void)bytes_append(out, s + k + 1,
			    k + 1 < len ? text_len(s, k + 1, len) : 0);
		break;
	}
}

int
main(int argc, char **argv)
{
	struct spawnsrv_ops ops;
	uid_t uidq;
	gid_t gidq;

	(void)argc;
	(void)argv;
	err_setprogname("qmail-rspawn");
	if (ids_user(CONF_USER_QMAILQ, &uidq, &gidq) == -1)
		fatal(EXIT_TEMP, "unable to look up user %s",
		    conf_user_names[CONF_USER_QMAILQ]);
	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	(void)tcpto_clear(TCPTO_FILE);
	memset(&ops, 0, sizeof(ops));
	ops.start = rspawn_start;
	ops.report = rspawn_report;
	ops.truncate = 0;
	ops.mess_owner = uidq;
	if (spawnsrv_run(&ops, spawnsrv_slots()) == -1)
		fatal(EXIT_TEMP, "unable to run the delivery loop");
	return EXIT_OK;
}
