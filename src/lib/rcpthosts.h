/*
 * rcpthosts.h - qmail's rcpthosts rule: which recipient domains a server
 * accepts mail for from clients that are not relay clients.
 *
 * control/rcpthosts lists domains, one a line; ".example.com" stands for
 * every host under example.com.  control/morercpthosts.cdb (made by
 * qmail-newmrh) holds more of the same, as lower-cased keys.  The rule,
 * as in qmail-smtpd(8) and qmail-qmtpd(8):
 *
 *  - without control/rcpthosts every recipient is allowed;
 *  - an address without '@' is allowed;
 *  - otherwise the domain after the last '@', or a suffix of it that
 *    starts at a '.', must be in rcpthosts (ignoring case), or the
 *    domain or such a suffix (lower-cased) in morercpthosts.cdb.
 *
 * Paths are relative to the working directory (programs chdir to the
 * qmail home first).
 */
#ifndef RCPTHOSTS_H
#define RCPTHOSTS_H

#include <stddef.h>

#include "cdbfile.h"
#include "domainmap.h"

/* The longest domain looked up; a longer one is never allowed. */
#define RCPTHOSTS_DOMAIN_MAX 1024

struct rcpthosts {
	struct domainmap map;
	int map_ok;          /* control/rcpthosts exists */
	struct cdbfile mrh;  /* control/morercpthosts.cdb */
	int mrh_ok;          /* and it exists */
};

/*
 * rcpthosts_load - read control/rcpthosts and open
 * control/morercpthosts.cdb (only when rcpthosts exists, as qmail does).
 * 0, or -1 with errno (a file exists but cannot be read, or out of
 * memory): the caller must fail temporarily, never allow everything.
 */
int rcpthosts_load(struct rcpthosts *r);

/*
 * rcpthosts_allowed - the rule above for the address addr[0..len).
 * Returns 1 if allowed, 0 if not, -1 with errno when morercpthosts.cdb
 * cannot be read (EPROTO for a corrupt file).
 */
int rcpthosts_allowed(struct rcpthosts *r, const char *addr, size_t len);

/* rcpthosts_free - release what rcpthosts_load took */
void rcpthosts_free(struct rcpthosts *r);

#endif
