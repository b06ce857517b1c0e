/*
 * err.h - the one diagnostic convention of every program.
 *
 * Messages go to stderr as one line:
 *
 *	program: fatal: unable to VERB OBJECT: reason
 *	program: warning: ...
 *
 * fatal() and log_warn() append strerror(errno); fatalx() and log_warnx()
 * do not.  fatal() and fatalx() exit with the code the caller names: the
 * caller knows whether a failure is temporary (EXIT_TEMP) or permanent
 * (EXIT_PERM) or one of its own documented codes.  These are the only
 * library functions that exit.
 */
#ifndef ERR_H
#define ERR_H

#include <stdnoreturn.h>

/* err_setprogname - set the name that starts every message */
void err_setprogname(const char *name);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void fatalx(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
