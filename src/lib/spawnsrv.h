/*
 * spawnsrv.h - the delivery loop shared by qmail-lspawn and qmail-rspawn
 * (qmail's spawn.c): read delivery commands on fd 0, start one child per
 * delivery with the message on its fd 0 and a pipe on its fd 1, collect
 * each child's output, and write one report per delivery on fd 1 when
 * the child has exited and its output ended.  The framing is in
 * spawnproto.h.
 *
 * Many deliveries run at once; the loop sleeps in poll(2) on fd 0, the
 * children's pipes and a self-pipe written by the SIGCHLD handler (no
 * busy waiting).  The caller has already done chdir to the qmail home:
 * messages are opened as queue/mess/MESSID.
 */
#ifndef SPAWNSRV_H
#define SPAWNSRV_H

#include <stddef.h>
#include <sys/types.h>

#include "bytes.h"

struct spawnsrv_ops {
	/*
	 * start - fork the child for one delivery (sender, recip, with
	 * recip[at] the last '@').  In the child, call spawnsrv_child_setup
	 * first; then fdmess goes to fd 0 and fdout to fds 1 and 2.  Returns
	 * the child's pid, or -1 if it could not fork.
	 */
	pid_t (*start)(void *ctx, int fdmess, int fdout, const char *sender,
	    const char *recip, size_t at);
	/*
	 * report - append to out the STATUS and TEXT of the report for a
	 * child that ended with raw wait status wstat after printing
	 * output[0..len).
	 */
	void (*report)(void *ctx, struct bytes *out, int wstat,
	    const char *output, size_t len);
	void *ctx;
	size_t truncate; /* nonzero: truncate output as qmail's lspawn */
	uid_t mess_owner; /* a message file must belong to this uid */
};

/*
 * spawnsrv_slots - the number of slots to announce: min(SPAWN_SLOTS_MAX,
 * the open-file limit (raised to its hard limit) minus SPAWN_FD_RESERVE),
 * at least 1.
 */
unsigned int spawnsrv_slots(void);

/*
 * spawnsrv_run - announce slots on fd 1 and serve commands until fd 0
 * ends and every delivery is reported.  Returns 0 then, or -1 with errno
 * if the loop itself cannot go on (no memory for the slot table, a
 * failing poll or signal setup).  A failure to write to fd 1 is not
 * fatal (qmail-send has gone; deliveries still finish).
 */
int spawnsrv_run(const struct spawnsrv_ops *ops, unsigned int slots);

/*
 * spawnsrv_child_setup - in a freshly forked child: give SIGCHLD and
 * SIGPIPE their default actions back and empty the signal mask.
 */
void spawnsrv_child_setup(void);

#endif
