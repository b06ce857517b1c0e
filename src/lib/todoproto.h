/*
 * todoproto.h - the protocol between qmail-send and qmail-todo (the
 * ext-todo design: qmail-todo preprocesses new messages in a process of
 * its own, so a flood of new mail never starves deliveries).
 *
 * Descriptors: spawnproto.h (SEND_FD_TOTODO/SEND_FD_FROMTODO,
 * TODO_FD_FROMSEND/TODO_FD_TOSEND).
 *
 * qmail-send -> qmail-todo: single bytes.
 *	'S'  start: qmail-send has read info/ and is ready for new messages
 *	     (qmail-todo touches nothing before it, so no message is
 *	     scheduled twice);
 *	'H'  reread the control files (qmail-send got SIGHUP);
 *	'A'  scan todo/ now (qmail-send got SIGALRM);
 *	'X'  exit: finish the message at hand and exit 0.
 *
 * qmail-todo -> qmail-send: records, each ending in a NUL byte.
 *	"L" TEXT   a log line (TEXT ends in '\n', already made safe);
 *	           qmail-send writes it to its log unchanged, so there is
 *	           one log;
 *	"D" C N    message N (decimal) is preprocessed: info/local/remote
 *	           are durable and todo/N is gone.  C says which recipient
 *	           files it has: 'L' local, 'R' remote, 'B' both, 'X' none.
 * When qmail-todo exits, qmail-send sees end of file.
 */
#ifndef TODOPROTO_H
#define TODOPROTO_H

#define TODO_CMD_START 'S'
#define TODO_CMD_REREAD 'H'
#define TODO_CMD_SCAN 'A'
#define TODO_CMD_EXIT 'X'

#define TODO_REC_LOG 'L'
#define TODO_REC_DONE 'D'

#define TODO_CHAN_LOCAL 'L'
#define TODO_CHAN_REMOTE 'R'
#define TODO_CHAN_BOTH 'B'
#define TODO_CHAN_NONE 'X'

/* Most bytes of one record either way (a log line with a long sender). */
#define TODO_RECORD_MAX ((size_t)1 << 21)

#endif
