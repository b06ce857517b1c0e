/*
 * spawnproto.h - the byte protocols between qmail-send, qmail-todo and
 * their helpers (qmail-lspawn, qmail-rspawn, qmail-clean), and the
 * descriptor numbers qmail-start wires them to.
 *
 * Both ends of each protocol use this header, so it is the one place the
 * framing is written down.  Everything is qmail 1.03's framing except one
 * deliberate difference, marked DIFFERENCE below: the delivery number
 * (and the slot count announced at start-up) is two bytes, not one, so a
 * channel can run up to 65,535 deliveries at once instead of ~255.
 *
 * ======================================================================
 * 1. qmail-send <-> qmail-lspawn / qmail-rspawn ("the spawn protocol")
 * ======================================================================
 *
 * Start-up, helper -> qmail-send (helper's fd 1), once, before anything
 * else:
 *
 *	SLOTS_HI SLOTS_LO
 *
 *	the number of delivery slots the helper can run at once, 1..65535,
 *	big-endian (spawn_u16_put/spawn_u16_get).  qmail-send uses
 *	min(concurrencylocal or concurrencyremote, SLOTS) for the channel.
 *	DIFFERENCE: qmail sent one byte (its compiled-in auto_spawn, <= 255).
 *	Our helpers announce min(SPAWN_SLOTS_MAX, open-file limit minus
 *	SPAWN_FD_RESERVE), since each running delivery holds one descriptor
 *	in the helper.
 *
 * Command, qmail-send -> helper (helper's fd 0), one per delivery:
 *
 *	DEL_HI DEL_LO  MESSID NUL  SENDER NUL  RECIPIENT NUL
 *
 *	DEL    the delivery number (slot), 0 .. SLOTS-1, big-endian.  qmail-send
 *	       must not reuse a slot until the helper has answered for it.
 *	       DIFFERENCE: qmail used one byte.
 *	MESSID the message file relative to queue/mess: "S/N" with S = N mod
 *	       split (e.g. "17/123456").  Only digits and '/' (not first),
 *	       1..SPAWN_MESSID_MAX bytes (qmail's checks).
 *	SENDER the envelope sender ("" for <>; "#@[]" for a double bounce).
 *	RECIPIENT the envelope recipient.  For lspawn it is "local@host"
 *	       exactly as qmail-send computes it: for a virtual domain the
 *	       local part already carries the prefix ("prefix-user@host").
 *	       It must contain '@' (else the report is "D...must include
 *	       host name").  Addresses are at most SPAWN_ADDR_MAX bytes.
 *
 *	A malformed command never kills the helper: it answers the slot
 *	with a Z or D report (qmail's texts, see below).
 *
 * Report, helper -> qmail-send (helper's fd 1), one per command, in the
 * order deliveries end (not the order they started):
 *
 *	DEL_HI DEL_LO  STATUS  TEXT  NUL
 *
 *	STATUS 'K' delivered (success), 'Z' temporary failure (deferral:
 *	       try again later), 'D' permanent failure (bounce).  Any other
 *	       byte: qmail-send logs "delivery N: report mangled, will defer".
 *	TEXT   free text without NUL bytes, normally one or more lines each
 *	       ending in '\n' (qmail-local's or qmail-remote's messages).
 *	       qmail-send logs it (qmail-log(5): "delivery N: success: TEXT"
 *	       with each '\n' turned into '/') and quotes it in bounces.
 *	       At most SPAWN_REPORT_MAX bytes; lspawn truncates at
 *	       SPAWN_LOCAL_TRUNC like qmail (ending the text in
 *	       "\nError report too long, sorry.\n").
 *
 *	Texts the helpers themselves produce (qmail's wording):
 *	  Z "qmail-spawn out of memory. (#4.3.0)\n"
 *	  Z "Internal error: delnum too big. (#4.3.5)\n"
 *	  Z "Internal error: delnum in use. (#4.3.5)\n"
 *	  D "Internal error: messid has nonnumerics. (#5.3.5)\n"
 *	  D "Internal error: messid too long. (#5.3.5)\n"
 *	  D "Internal error: messid too short. (#5.3.5)\n"
 *	  D "Sorry, address must include host name. (#5.1.3)\n"
 *	  Z "qmail-spawn unable to open message. (#4.3.0)\n"
 *	  Z "qmail-spawn unable to fstat message. (#4.3.0)\n"
 *	  Z "Sorry, message has wrong type. (#4.3.5)\n"
 *	  Z "Sorry, message has wrong owner. (#4.3.5)\n"
 *	  Z "qmail-spawn unable to create pipe. (#4.3.0)\n"
 *	  Z "qmail-spawn unable to fork. (#4.3.0)\n"
 *	  D "Sorry, address too long. (#5.1.3)\n"   (ours: over SPAWN_ADDR_MAX)
 *	lspawn, from qmail-local's / its own exit code (qmail's table):
 *	  0 -> K + output; 111, 71, 74, 75 -> Z + output; 100 and any other
 *	  -> D + output; crash -> "Zqmail-local crashed.\n"; QLX_* codes ->
 *	  their fixed texts (see qmail-lspawn(8)).
 *	rspawn, from qmail-remote's records: see qmail-rspawn(8).
 *
 * End: when qmail-send closes the helper's fd 0, the helper finishes the
 * deliveries in progress, reports them, and exits 0.
 *
 * ======================================================================
 * 2. qmail-send / qmail-todo <-> qmail-clean
 * ======================================================================
 *
 * Command (clean's fd 0): "foop/N" NUL or "todo/N" NUL, N the message
 * number in decimal (the inode number, no split prefix: qmail-clean adds
 * "S/" itself).  Commands are 7..SPAWN_CLEAN_CMD_MAX bytes with the NUL.
 *
 *	"foop/N"  remove intd/S/N (if any) and mess/S/N: the message is
 *	          finished.  The caller must already have removed, durably,
 *	          every name that points at the message: todo/S/N (via
 *	          "todo/N"), and, itself, local/S/N, remote/S/N, bounce/N,
 *	          then info/S/N, fsyncing those directories.  (Those are owned
 *	          by qmails, mode 0700, so qmail-clean, running as qmailq,
 *	          cannot remove them: that is qmail's division of labour.)
 *	          qmail-clean unlinks intd/S/N, fsyncs intd/S, unlinks
 *	          mess/S/N, fsyncs mess/S, then answers.
 *	"todo/N"  remove intd/S/N and todo/S/N: the message has been
 *	          preprocessed (info/local/remote written and fsynced by
 *	          the caller).  qmail-clean unlinks intd/S/N, then todo/S/N,
 *	          fsyncs both directories, then answers.
 *
 * Reply (clean's fd 1): one byte per command:
 *	'+'  done (a file that was already gone counts as removed)
 *	'!'  an unlink or fsync failed (try again later)
 *	'x'  the command was malformed
 * If qmail-clean cannot write its reply it exits 100 (qmail).  It exits 0
 * at end of input.  Every 30 commands it also removes files in queue/pid
 * older than 36 hours (SPAWN_CLEAN_PID_AGE), left by crashed qmail-queues.
 *
 * ======================================================================
 * 3. Descriptors set up by qmail-start
 * ======================================================================
 *
 * qmail-send's log goes to its fd 0 (as qmail): either qmail-start's own
 * fd 1 or, with a logger, the write end of a pipe to the logger (run as
 * qmaill, reading that pipe on its fd 0).  Each helper gets the same log
 * descriptor on its fd 2 (DIFFERENCE: qmail closed fd 2 in the helpers,
 * so their diagnostics were lost; ours land in the log).
 */
#ifndef SPAWNPROTO_H
#define SPAWNPROTO_H

#include <stddef.h>

#include "bytes.h"

/* qmail-send's descriptors. */
#define SEND_FD_LOG 0	     /* log lines out */
#define SEND_FD_TOLSPAWN 1   /* commands to qmail-lspawn */
#define SEND_FD_FROMLSPAWN 2 /* reports from qmail-lspawn */
#define SEND_FD_TORSPAWN 3   /* commands to qmail-rspawn */
#define SEND_FD_FROMRSPAWN 4 /* reports from qmail-rspawn */
#define SEND_FD_TOCLEAN 5    /* commands to (qmail-send's) qmail-clean */
#define SEND_FD_FROMCLEAN 6  /* replies from that qmail-clean */
#define SEND_FD_TOTODO 7     /* qmail-send -> qmail-todo (h13's protocol) */
#define SEND_FD_FROMTODO 8   /* qmail-todo -> qmail-send */

/* qmail-todo's descriptors (ext-todo design). */
#define TODO_FD_LOG 0	    /* log lines out: the same log as qmail-send */
#define TODO_FD_TOCLEAN 1   /* commands to qmail-todo's own qmail-clean */
#define TODO_FD_FROMCLEAN 2 /* replies from it */
#define TODO_FD_FROMSEND 7  /* reads what qmail-send writes on its fd 7 */
#define TODO_FD_TOSEND 8    /* writes what qmail-send reads on its fd 8 */

/* The helpers' descriptors (lspawn, rspawn, both qmail-cleans). */
#define HELPER_FD_IN 0	/* commands */
#define HELPER_FD_OUT 1 /* reports / replies */
#define HELPER_FD_LOG 2 /* diagnostics: the log descriptor */

/* Limits. */
#define SPAWN_DELNUM_LEN 2		 /* bytes of a delivery number */
#define SPAWN_SLOTS_MAX 65535U		 /* most slots a helper announces */
#define SPAWN_FD_RESERVE 32		 /* descriptors a helper keeps free */
#define SPAWN_MESSID_MAX 100		 /* bytes of MESSID (qmail's) */
#define SPAWN_ADDR_MAX ((size_t)1 << 20) /* bytes of SENDER or RECIPIENT */
#define SPAWN_REPORT_MAX ((size_t)64 * 1024) /* TEXT of a report */
#define SPAWN_LOCAL_TRUNC 3000		     /* lspawn's truncation (qmail) */
#define SPAWN_REPORT_TOOLONG "\nError report too long, sorry.\n"
#define SPAWN_CLEAN_CMD_MAX 100		     /* with the NUL (qmail's) */
#define SPAWN_CLEAN_PID_AGE 129600	     /* seconds: 36 hours */
#define SPAWN_CLEAN_PID_EVERY 30	     /* commands between pid sweeps */

/* Report status letters. */
#define SPAWN_OK 'K'
#define SPAWN_TEMP 'Z'
#define SPAWN_PERM 'D'

/* qmail-clean replies. */
#define CLEAN_DONE '+'
#define CLEAN_FAILED '!'
#define CLEAN_BAD 'x'

/* spawn_u16_put - write n (0..65535) big-endian into p[0..2) */
void spawn_u16_put(unsigned char *p, unsigned int n);

/* spawn_u16_get - read a big-endian 16-bit number from p[0..2) */
unsigned int spawn_u16_get(const unsigned char *p);

/*
 * spawn_cmd_append - append one delivery command to out.  Returns 0, or
 * -1 with errno: EINVAL for delnum over 65535, a messid that is not
 * 1..SPAWN_MESSID_MAX digits and '/', or an address longer than
 * SPAWN_ADDR_MAX; or as bytes_append.
 */
int spawn_cmd_append(struct bytes *out, unsigned int delnum,
    const char *messid, const char *sender, const char *recip);

/*
 * struct spawn_cmd_reader - incremental parser of delivery commands, for
 * the helpers.  Feed it whatever read() returned; each time it completes
 * a command it stops and says so.
 */
struct spawn_cmd_reader {
	int stage;	      /* 0,1: delnum bytes; 2 messid; 3 sender; 4 recip */
	unsigned int delnum;
	int toolong;	      /* a field passed its limit: the rest is junk */
	struct bytes messid;  /* NUL-terminated when complete */
	struct bytes sender;
	struct bytes recip;
};

/* spawn_cmd_reader_init - an empty reader (no memory yet) */
void spawn_cmd_reader_init(struct spawn_cmd_reader *r);

/* spawn_cmd_reader_free - release the reader's memory */
void spawn_cmd_reader_free(struct spawn_cmd_reader *r);

/*
 * spawn_cmd_feed - consume bytes from buf[0..len) up to the end of one
 * command.  Sets *used to the bytes consumed.  Returns 1 when a command
 * is complete (r->delnum, r->messid.s, r->sender.s, r->recip.s, each a C
 * string) -- unless r->toolong is set: a field was cut at its limit or
 * memory ran out, the fields must not be used, and the helper answers
 * the slot with an error report (qmail's flagabort).  Returns 0 if more
 * bytes are needed (all of buf consumed), or -1 with ENOMEM if memory
 * ran out in a command not yet complete (all of buf consumed; the
 * command will complete later with toolong set).  After a 1 the next
 * call starts a new command.
 */
int spawn_cmd_feed(struct spawn_cmd_reader *r, const char *buf, size_t len,
    size_t *used);

/*
 * spawn_report_append - append one report to out: delnum, status, the
 * bytes of text[0..len) up to its first NUL, and a NUL.  0 or -1 (EINVAL
 * for a delnum over 65535, or as bytes_append).
 */
int spawn_report_append(struct bytes *out, unsigned int delnum, char status,
    const char *text, size_t len);

/*
 * struct spawn_report_reader - incremental parser of reports, for
 * qmail-send.  report holds STATUS TEXT (without the NUL) when complete.
 */
struct spawn_report_reader {
	int stage; /* 0,1: delnum bytes; 2: status and text */
	unsigned int delnum;
	int toolong; /* TEXT passed SPAWN_REPORT_MAX and was cut there */
	struct bytes report;
};

/* spawn_report_reader_init - an empty reader */
void spawn_report_reader_init(struct spawn_report_reader *r);

/* spawn_report_reader_free - release its memory */
void spawn_report_reader_free(struct spawn_report_reader *r);

/*
 * spawn_report_feed - as spawn_cmd_feed, for reports: 1 when a report is
 * complete (r->delnum, r->report.s[0] the status if report.len > 0, the
 * text after it; report.s is NUL-terminated unless r->toolong is set and
 * report.s is NULL, which happens only when memory ran out; a TEXT cut
 * at SPAWN_REPORT_MAX also sets toolong but keeps what fit), 0 when more
 * is needed, -1 with ENOMEM as spawn_cmd_feed.
 */
int spawn_report_feed(struct spawn_report_reader *r, const char *buf,
    size_t len, size_t *used);

/* Kinds of qmail-clean command. */
enum clean_kind {
	CLEAN_FOOP, /* "foop/N": intd and mess */
	CLEAN_TODO  /* "todo/N": intd and todo */
};

/*
 * clean_cmd_append - append the command for kind and message id to out,
 * with its NUL.  0 or -1 as bytes_append.
 */
int clean_cmd_append(struct bytes *out, enum clean_kind kind,
    unsigned long long id);

/*
 * clean_cmd_parse - parse one command cmd[0..len) including its final NUL.
 * Returns 0 with *kind and *id, or -1 with EINVAL if it is not exactly
 * "foop/" or "todo/", then 1 or more decimal digits (a value that fits in
 * an unsigned long long), then the NUL, within 7..SPAWN_CLEAN_CMD_MAX
 * bytes.
 */
int clean_cmd_parse(const char *cmd, size_t len, enum clean_kind *kind,
    unsigned long long *id);

#endif
