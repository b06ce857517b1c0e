/*
 * sig.h - signal dispositions and the signal mask, through sigaction(2).
 *
 * qmail's daemons sleep in poll/read and rely on a signal interrupting
 * that sleep (EINTR) so the main loop can look at a flag the handler set.
 * So sig_catch installs handlers without SA_RESTART: an interrupted system
 * call fails with EINTR instead of being silently restarted.  The usual
 * race-free pattern is: sig_block(s); sig_catch(s, h); then loop { check
 * the flag; sig_pause(s); } so the signal can only arrive while waiting.
 *
 * Each function returns 0, or -1 with errno (EINVAL for a signal number
 * that does not exist or, for sig_catch/sig_ignore, cannot be caught or
 * ignored, such as SIGKILL).
 */
#ifndef SIG_H
#define SIG_H

/* The type of a signal handler. */
typedef void (*sig_handler)(int);

/*
 * sig_catch - run handler when signo arrives.  No SA_RESTART: a system
 * call the signal interrupts fails with EINTR.  signo itself is blocked
 * while the handler runs; other signals are not.  0 or -1.
 */
int sig_catch(int signo, sig_handler handler);

/* sig_ignore - discard signo from now on (inherited across exec): 0 or -1 */
int sig_ignore(int signo);

/* sig_default - give signo its default action back: 0 or -1 */
int sig_default(int signo);

/*
 * sig_block - add signo to the signal mask: it stays pending, not lost,
 * until unblocked.  0 or -1.
 */
int sig_block(int signo);

/*
 * sig_unblock - remove signo from the signal mask; a pending signo is
 * delivered before this returns.  0 or -1.
 */
int sig_unblock(int signo);

/*
 * sig_pause - wait (sigsuspend) until a signal handler has run, with
 * signo unblocked during the wait and the mask restored afterwards.  Used
 * with signo blocked beforehand, a signal that arrived before the call is
 * not missed: it is delivered at once.  Returns 0 once a handler has run,
 * or -1 with errno (EINVAL for a bad signo).  A signal whose action is to
 * terminate the process does not return, of course.
 */
int sig_pause(int signo);

#endif
