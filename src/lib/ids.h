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

#endif
