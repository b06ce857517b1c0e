/*
 * rcptdb.h - the database of valid local recipients (users/rcpt.cdb).
 *
 * qmail-smtpd runs as qmaild and cannot look into users' homes, so it
 * cannot tell by itself whether a local address would be delivered.
 * qmail-newrcpt (run by root, like qmail-newu) works that out in
 * advance, from users/cdb, the passwd database, ~alias and the users'
 * dot-qmail files, and writes it as a cdb; qmail-smtpd asks it at RCPT
 * time.  Everything is in terms of "local", the string qmail-lspawn is
 * given: the local part for a domain in control/locals, "prefix-local"
 * for a virtual domain.
 *
 * Keys are normalised (rcptdb_norm: A-Z lower-cased, '.' and '/' turned
 * into ':', as qmail-local does for dot-qmail file names):
 *
 *	"=" local      local is deliverable
 *	"+" prefix     every local starting with prefix is deliverable
 *	""             the header: "qmail-newrcpt 1" NUL, the distinct last
 *	               bytes of the non-empty prefixes NUL, "1" if the empty
 *	               prefix is present (everything deliverable) else "0"
 *	               NUL, then for each source qmail-smtpd can watch
 *	               (RCPTDB_SOURCES) its path NUL and stamp NUL
 *
 * A stamp is "SEC.NSEC" of the file's modification time, or "-" if the
 * file did not exist.  A database whose stamps no longer match is stale.
 * The database errs only towards accepting: normalising can merge two
 * names, and an address is accepted if any rule could deliver it, even
 * one that a higher-priority rule overrides.
 */
#ifndef RCPTDB_H
#define RCPTDB_H

#include <stddef.h>

#include "bytes.h"
#include "cdbfile.h"

#define RCPTDB_PATH "users/rcpt.cdb"
#define RCPTDB_TMP "users/rcpt.tmp"
#define RCPTDB_MAGIC "qmail-newrcpt 1"

/* Longest local rcptdb_lookup accepts (E2BIG past it). */
#define RCPTDB_LOCAL_MAX ((size_t)64 * 1024)
/* Longest header value read. */
#define RCPTDB_HEADER_MAX ((size_t)64 * 1024)

/* The sources whose stamps the header records, NULL-terminated. */
extern const char *const rcptdb_sources[];

/* rcptdb_norm - append local[0..len) normalised to out; 0 or -1 */
int rcptdb_norm(struct bytes *out, const char *local, size_t len);

/* rcptdb_stamp_append - append path's stamp ("SEC.NSEC" or "-") to out;
 * 0, or -1 with errno if path cannot be examined or out cannot grow */
int rcptdb_stamp_append(struct bytes *out, const char *path);

/* An open database with its header checked. */
struct rcptdb {
	struct cdbfile cdb;
	struct bytes header;
	const char *ends; /* the last bytes of the prefixes */
	int all;          /* the empty prefix is present */
};

/*
 * rcptdb_open - open path and check it is usable: the header present
 * and of this version, and every stamp matching its source now.
 * Returns 1 (db open; close it with rcptdb_close), 0 if the database
 * does not exist, -1 with errno: ESTALE if a source changed since it was
 * built, EPROTO if it is corrupt or of another version, or as
 * cdbfile_open/stat.
 */
int rcptdb_open(struct rcptdb *db, const char *path);

/*
 * rcptdb_lookup - 1 if local[0..len) is deliverable, 0 if not; -1 with
 * errno (EPROTO corrupt, E2BIG local too long, ENOMEM).  Costs one cdb
 * lookup, plus one per prefix of local ending in one of the header's
 * prefix end bytes.
 */
int rcptdb_lookup(struct rcptdb *db, const char *local, size_t len);

/* rcptdb_close - release db */
void rcptdb_close(struct rcptdb *db);

#endif
