/*
 * conf.h - build-time settings, compiled in like qmail's conf-* files.
 *
 * The values come from the make command line (QMAIL_HOME, SPLIT, UNPRIV,
 * USER_*, GROUP_*) through a generated conf.c.  No program reads them from
 * the environment: a setuid program must not take its paths from its
 * caller.
 */
#ifndef CONF_H
#define CONF_H

/* The roles qmail runs as.  ROOT is the owner of the installed tree. */
enum conf_user {
	CONF_USER_ALIAS,
	CONF_USER_QMAILD,
	CONF_USER_QMAILL,
	CONF_USER_ROOT,
	CONF_USER_QMAILP,
	CONF_USER_QMAILQ,
	CONF_USER_QMAILR,
	CONF_USER_QMAILS,
	CONF_NUSERS
};

enum conf_group {
	CONF_GROUP_QMAIL,
	CONF_GROUP_NOFILES,
	CONF_NGROUPS
};

extern const char conf_qmail_home[];
extern const unsigned int conf_split;

/*
 * In an unprivileged build every role is the building user: the numeric
 * ids below are used and no user database lookup is made.
 */
extern const int conf_unprivileged;
extern const unsigned int conf_unpriv_uid;
extern const unsigned int conf_unpriv_gid;

extern const char *const conf_user_names[CONF_NUSERS];
extern const char *const conf_group_names[CONF_NGROUPS];

#endif
