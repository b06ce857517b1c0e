/*
 * ids.c - look up the qmail users and groups, see ids.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>

#include "conf.h"
#include "ids.h"

int
ids_user(enum conf_user role, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	if (role < 0 || role >= CONF_NUSERS) {
		errno = EINVAL;
		return -1;
	}
	if (conf_unprivileged) {
		*uid = (uid_t)conf_unpriv_uid;
		*gid = (gid_t)conf_unpriv_gid;
		return 0;
	}
	errno = 0;
	pw = getpwnam(conf_user_names[role]);
	if (pw == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
ids_group(enum conf_group group, gid_t *gid)
{
	struct group *gr;

	if (group < 0 || group >= CONF_NGROUPS) {
		errno = EINVAL;
		return -1;
	}
	if (conf_unprivileged) {
		*gid = (gid_t)conf_unpriv_gid;
		return 0;
	}
	errno = 0;
	gr = getgrnam(conf_group_names[group]);
	if (gr == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

int
ids_resolve_all(struct ids_all *ids, const char **missing,
    int *missing_is_group)
{
	gid_t unused;
	int i;

	for (i = 0; i < CONF_NUSERS; i++)
		if (ids_user((enum conf_user)i, &ids->uid[i], &unused) == -1) {
			*missing = conf_user_names[i];
			*missing_is_group = 0;
			return -1;
		}
	for (i = 0; i < CONF_NGROUPS; i++)
		if (ids_group((enum conf_group)i, &ids->gid[i]) == -1) {
			*missing = conf_group_names[i];
			*missing_is_group = 1;
			return -1;
		}
	return 0;
}
