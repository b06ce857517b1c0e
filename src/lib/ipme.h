/*
 * ipme.h - the addresses of this machine.
 *
 * qmail-remote must never deliver to itself through an MX: an MX host
 * whose address is one of ours marks the preference at and above which
 * qmail-remote stops (qmail's ipme).  ipme_load collects every address of
 * every local interface (getifaddrs(3), IPv4 and IPv6), plus the
 * unspecified addresses 0.0.0.0 and :: (a connection to them reaches this
 * machine) and 127.0.0.1 and ::1 even when lo is down.  At most IPME_MAX
 * addresses are kept.
 */
#ifndef IPME_H
#define IPME_H

#include <stddef.h>

#include "dns.h"

#define IPME_MAX 4096

struct ipme {
	struct dns_addr *addr;
	size_t n;
};

/* IPME_INIT - an empty list */
#define IPME_INIT { NULL, 0 }

/*
 * ipme_load - fill me with this machine's addresses (replacing what it
 * held).  Returns the count, or -1 with errno (from getifaddrs, ENOMEM).
 */
int ipme_load(struct ipme *me);

/* ipme_contains - 1 if a is one of me's addresses, else 0 */
int ipme_contains(const struct ipme *me, const struct dns_addr *a);

/* ipme_free - release me; it is empty afterwards */
void ipme_free(struct ipme *me);

#endif
