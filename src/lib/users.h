/*
 * users.h - the qmail-users address assignments: users/cdb lookups.
 *
 * qmail-newu(8) turns users/assign into users/cdb; qmail-lspawn(8) asks
 * users/cdb which user handles a local address before it falls back to
 * qmail-getpw(8).  This module is that lookup, with qmail's encoding so
 * that a users/cdb written by qmail's own qmail-newu reads the same:
 *
 *	key "!" local NUL        a simple assignment (=local:...), exact
 *	key "!" loc              a wildcard assignment (+loc:...)
 *	key ""                   present in every users/cdb; its value lists
 *	                         the distinct last bytes of the non-empty
 *	                         wildcard prefixes (a wildcard key whose last
 *	                         byte is not listed is never looked at)
 *
 * Keys are lower-cased (ASCII A-Z only).  Every value is
 * "user NUL uid NUL gid NUL home NUL dash NUL ext" (the assign fields with
 * the colons turned into NULs, no NUL after ext).  A lookup of local tries
 * the exact key first, then the wildcard keys from the longest prefix of
 * local down to the empty prefix; a wildcard match appends the rest of
 * local, in its original case, to ext (qmail-users(5): +loc with pre
 * means =locext with preext).
 *
 * The same "user NUL uid NUL gid NUL home NUL dash NUL ext NUL" record is
 * what qmail-getpw prints, so users_entry_parse reads both.
 */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>
#include <sys/types.h>

#include "bytes.h"
#include "exitcodes.h"
#include "cdbfile.h"

/* Path of the database relative to the qmail home, and qmail-newu's files. */
#define USERS_CDB "users/cdb"
#define USERS_CDB_TMP "users/cdb.tmp"
#define USERS_ASSIGN "users/assign"

/* Longest local part users_lookup accepts (E2BIG past it). */
#define USERS_LOCAL_MAX ((size_t)64 * 1024)

/* Longest value read from users/cdb (the "" key or an assignment). */
#define USERS_VALUE_MAX ((size_t)64 * 1024)

/* Largest uid or gid an assignment may name (uid_t is 32 bits on Linux;
 * (uid_t)-1 means "no change" to setuid and is never a real user). */
#define USERS_ID_MAX 4294967294UL


/* One assignment, as found by users_lookup or parsed by users_entry_parse. */
struct users_entry {
	struct bytes rec; /* the record: six NUL-terminated fields */
	const char *user; /* the fields, pointing into rec */
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *dash;
	const char *ext;
};

/*
 * users_entry_init - an empty entry (no memory until the first use).  Every
 * entry passed to the functions below must have been initialised.
 */
void users_entry_init(struct users_entry *e);

/* users_entry_free - release the record; e is empty afterwards */
void users_entry_free(struct users_entry *e);

/*
 * users_entry_parse - take the record rec[0..len) ("user NUL uid NUL gid
 * NUL home NUL dash NUL ext NUL", as qmail-getpw prints it; the final NUL
 * may be missing) into e.  uid and gid must be decimal numbers up to
 * USERS_ID_MAX; bytes after the sixth field are refused.  Returns 0, or
 * -1 with EPROTO for a malformed record (e then empty), or as bytes_copy.
 */
int users_entry_parse(struct users_entry *e, const char *rec, size_t len);

/*
 * users_cdb_lookup - look local up in the open users/cdb c, as
 * qmail-lspawn does (see the top of this file).  Returns 1 with e
 * filled in; 0 if no assignment covers local (the caller falls back to
 * qmail-getpw; e empty); -1 with errno: EPROTO if the database has no ""
 * key, a record is malformed or the file is corrupt, E2BIG if local is
 * longer than USERS_LOCAL_MAX or a value longer than USERS_VALUE_MAX,
 * ENOMEM.
 */
int users_cdb_lookup(struct cdbfile *c, const char *local,
    struct users_entry *e);

/*
 * users_lookup - open the database at path (USERS_CDB relative to the
 * qmail home, normally) and users_cdb_lookup local in it.  A missing
 * database covers nothing: 0.  Any other failure to open it is -1.
 */
int users_lookup(const char *path, const char *local, struct users_entry *e);

/*
 * users_key_exact - the users/cdb key of a simple assignment for
 * local[0..len): "!" local NUL, lower-cased, replacing key's contents.
 * users_key_wild - the same for a wildcard prefix: "!" loc, lower-cased.
 * Both return 0 or -1 as bytes_copy.  qmail-newu writes these keys.
 */
int users_key_exact(struct bytes *key, const char *local, size_t len);
int users_key_wild(struct bytes *key, const char *loc, size_t len);

#endif
