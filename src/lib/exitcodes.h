/*
 * exitcodes.h - every exit code that is part of a program's interface.
 *
 * The exit code is the interface between qmail's programs: name each one
 * here, once, and use the names.
 */
#ifndef EXITCODES_H
#define EXITCODES_H

/* The general convention (qmail, daemontools, checkpassword). */
#define EXIT_OK 0
#define EXIT_PERM 100 /* permanent failure: do not retry */
#define EXIT_TEMP 111 /* temporary failure: try again later */

/*
 * qmail-queue(8).  11..40 are permanent, everything else temporary.
 */
#define QQ_OK 0
#define QQ_ADDR_TOO_LONG 11
#define QQ_PERM_REFUSED 31 /* not used by qmail-queue itself */
#define QQ_NOMEM 51
#define QQ_TIMEOUT 52
#define QQ_WRITE 53
#define QQ_READ 54
#define QQ_CONFIG 55	   /* not used by qmail-queue itself */
#define QQ_NETWORK 56	   /* not used by qmail-queue itself */
#define QQ_HOME 61
#define QQ_QUEUE_DIR 62
#define QQ_PID_DIR 63
#define QQ_MESS_DIR 64
#define QQ_INTD_DIR 65
#define QQ_TODO_DIR 66
#define QQ_TEMP_REFUSED 71 /* not used by qmail-queue itself */
#define QQ_CONN_TIMEOUT 72 /* not used by qmail-queue itself */
#define QQ_CONN_REJECTED 73 /* not used by qmail-queue itself */
#define QQ_COMM_FAILED 74  /* not used by qmail-queue itself */
#define QQ_CUSTOM_ERROR 82 /* text on fd 6; not used by qmail-queue */
#define QQ_BUG 81
#define QQ_ENVELOPE 91

/* qmail_queue_permanent - nonzero if a qmail-queue exit code is permanent */
#define QQ_IS_PERMANENT(code) ((code) >= 11 && (code) <= 40)


/*
 * Exit codes of qmail-getpw (qmail's qlx.h numbers): qmail-lspawn passes
 * a nonzero one on as its own, and reports it with qmail's wording.
 */
#define QLX_USAGE 112
#define QLX_BUG 101
#define QLX_ROOT 113
#define QLX_NFS 115
#define QLX_NOALIAS 116
#define QLX_CDB 117
#define QLX_SYS 118
#define QLX_NOMEM 119
#define QLX_EXECSOFT 120
#define QLX_EXECPW 121
#define QLX_EXECHARD 126

#endif
