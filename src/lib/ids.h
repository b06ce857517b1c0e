/*
 * ids.h - the numeric ids of the qmail users and groups.
 *
 * The names are compiled in (conf.h); they are looked up in the system's
 * user database when needed, so the programs can be built before the users
 * exist.  In an unprivileged build every role is the building user.
 */
#ifndef IDS_H
#define IDS_H

#include <sys/types.h>

#include "conf.h"

/*
 * ids_user - uid and primary gid of a qmail user.  Returns 0, or -1 with
 * errno ENOENT if there is no such user (or another errno if the user
 * database could not be read).
 */
int ids_user(enum conf_user role, uid_t *uid, gid_t *gid);

/* ids_group - gid of a qmail group: 0, or -1 as ids_user */
int ids_group(enum conf_group group, gid_t *gid);

/*
 * struct ids_all - the numeric ids of every qmail user and group, indexed
 * by enum conf_user and enum conf_group.
 */
struct ids_all {
	uid_t uid[CONF_NUSERS];
	gid_t gid[CONF_NGROUPS];
};

/*
 * ids_resolve_all - look up every user and group.  Returns 0, or -1 with
 * errno (ENOENT: no such user or group) and the name that failed in
 * *missing, with *missing_is_group set when it is a group.
 */
int ids_resolve_all(struct ids_all *ids, const char **missing,
    int *missing_is_group);

#endif
