/*
 * sig.c - signal dispositions and the signal mask, see sig.h.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>

#include "sig.h"

static int
sig_action_set(int signo, sig_handler handler)
{
	struct sigaction sa;

	sa.sa_handler = handler;
	sa.sa_flags = 0; /* no SA_RESTART: see sig.h */
	sigemptyset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL);
}

int
sig_catch(int signo, sig_handler handler)
{
	if (handler == NULL || handler == SIG_IGN || handler == SIG_DFL) {
		errno = EINVAL;
		return -1;
	}
	return sig_action_set(signo, handler);
}

int
sig_ignore(int signo)
{
	return sig_action_set(signo, SIG_IGN);
}

int
sig_default(int signo)
{
	return sig_action_set(signo, SIG_DFL);
}

static int
sig_mask_change(int how, int signo)
{
	sigset_t set;

	sigemptyset(&set);
	if (sigaddset(&set, signo) == -1)
		return -1;
	return sigprocmask(how, &set, NULL);
}

int
sig_block(int signo)
{
	return sig_mask_change(SIG_BLOCK, signo);
}

int
sig_unblock(int signo)
{
	return sig_mask_change(SIG_UNBLOCK, signo);
}

int
sig_pause(int signo)
{
	sigset_t wait;

	if (sigprocmask(SIG_SETMASK, NULL, &wait) == -1)
		return -1;
	if (sigdelset(&wait, signo) == -1)
		return -1;
	/* sigsuspend only ever returns -1; EINTR is its success. */
	if (sigsuspend(&wait) == -1 && errno != EINTR)
		return -1;
	return 0;
}
