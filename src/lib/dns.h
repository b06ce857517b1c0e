/*
 * dns.h - DNS lookups for mail routing over the libc resolver.
 *
 * MX, A, AAAA, CNAME and PTR lookups through res_nquery(3), with the
 * answers parsed here (dn_expand for names).  With glibc 2.34 or later
 * all of it is in libc; programs that look names up list -lresolv in
 * their libs.mk anyway for older systems (--as-needed drops it).
 * Names are looked up exactly as given: no search list, no default domain
 * (as qmail's res_query), so "example" never becomes "example.home.lan".
 *
 * Every lookup answers in the same three-way form:
 *
 *	n >= 0  the name exists; n records of the wanted type were found
 *	        (0: "no such record", a permanent answer);
 *	-1      errno ENOENT: the name does not exist (NXDOMAIN), permanent;
 *	-1      errno EAGAIN: temporary (SERVFAIL, timeout, no server answered,
 *	        REFUSED, a malformed or truncated answer); ENOMEM; ELOOP (a
 *	        CNAME chain longer than DNS_CNAME_MAX); EINVAL (a name that
 *	        is not a valid domain name).
 *
 * Limits: a whole answer is at most DNS_PACKET_MAX bytes; a name at most
 * DNS_NAME_MAX bytes in text form; at most DNS_RR_MAX records of one
 * lookup are kept (the rest are ignored), and dns_mxip keeps at most
 * DNS_TARGET_MAX addresses.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>

#define DNS_PACKET_MAX 65535
#define DNS_NAME_MAX 1025 /* text form with escapes, counting the NUL */
#define DNS_RR_MAX 64
#define DNS_CNAME_MAX 10
#define DNS_TARGET_MAX 256
/* Room for an IPv6 address in text with a NUL (INET6_ADDRSTRLEN). */
#define DNS_ADDR_TEXT 46

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_AAAA 28

/* An IPv4 (family AF_INET, ip[0..4)) or IPv6 (AF_INET6, ip[0..16)) address. */
struct dns_addr {
	int family;
	unsigned char ip[16];
};

/* One record of an answer, as dns_parse gives it. */
struct dns_rr {
	unsigned int type;
	unsigned int pref;	  /* MX only */
	struct dns_addr addr;	  /* A and AAAA only */
	char name[DNS_NAME_MAX];  /* MX exchange, CNAME or PTR target */
};

/*
 * One address to try, with the preference and the name of the host it
 * belongs to: the MX host, or the name looked up itself when it has no
 * MX record or is an address ("" when that name is DNS_NAME_MAX bytes or
 * longer).  qmail-remote needs the host name for TLS.
 */
struct dns_target {
	unsigned int pref;
	struct dns_addr addr;
	char host[DNS_NAME_MAX];
};

/*
 * dns_parse - the answer-section records of type type (class IN) in the
 * DNS message msg[0..len), up to max of them, into rr.  CNAME records are
 * returned as well when type is not DNS_T_CNAME (so a caller can see an
 * alias).  Returns the count, or -1 with EAGAIN for a malformed message
 * (bad header, name compression loop, record running past the end, an
 * A/AAAA record of the wrong length).
 */
int dns_parse(const unsigned char *msg, size_t len, unsigned int type,
    struct dns_rr *rr, size_t max);

/*
 * dns_lookup - query name for type and parse the answer into rr[0..max)
 * as dns_parse (CNAME records included).  Returns as described above.
 */
int dns_lookup(const char *name, unsigned int type, struct dns_rr *rr,
    size_t max);

/*
 * dns_ip - the addresses of name: AAAA records (if want6) then A records
 * (if want4), up to max, into out.  A temporary failure of one of the two
 * lookups is ignored when the other found addresses.  Returns the count
 * (0: the name exists but has no address), or -1 (ENOENT, EAGAIN, ...).
 */
int dns_ip(const char *name, int want4, int want6, struct dns_addr *out,
    size_t max);

/*
 * dns_mxip - the addresses to deliver mail for name to, in order: the MX
 * records sorted by preference, MXes of equal preference shuffled with
 * the seed random, each MX host's addresses (dns_ip) in turn; with no MX
 * record, the addresses of name itself with preference 0.  A domain
 * literal "[1.2.3.4]" or "[IPv6:...]" gives that address.  Each target
 * names its host (struct dns_target).  *nullmx is
 * set to 1 for a "null MX" (RFC 7505: the domain accepts no mail), and
 * 0 is returned.  MX hosts whose lookup failed temporarily are skipped;
 * if that leaves nothing, -1 EAGAIN.  Returns the count (0: no mail
 * exchanger and no address), or -1 (ENOENT for NXDOMAIN, EAGAIN, ...).
 */
int dns_mxip(const char *name, unsigned long random, struct dns_target *out,
    size_t max, int *nullmx);

/*
 * dns_cname - follow CNAME records from name: the canonical name is
 * written to out (outsize bytes, at least DNS_NAME_MAX).  Returns the
 * number of aliases followed (0: name is canonical, or does not exist),
 * or -1 with EAGAIN, ELOOP (more than DNS_CNAME_MAX), ENOMEM.
 */
int dns_cname(const char *name, char *out, size_t outsize);

/*
 * dns_ptr - the first PTR name of addr into out (outsize bytes, at least
 * DNS_NAME_MAX).  Returns 1, 0 (no PTR record), or -1 (ENOENT, EAGAIN).
 */
int dns_ptr(const struct dns_addr *addr, char *out, size_t outsize);

/*
 * dns_addr_parse - parse a bare address ("1.2.3.4", "::1") or a domain
 * literal ("[1.2.3.4]", "[IPv6:::1]", "[::1]") into *a.  Returns 0, or -1
 * with EINVAL.
 */
int dns_addr_parse(const char *s, struct dns_addr *a);

/* dns_addr_format - a in text (dotted quad or RFC 5952) into s[DNS_ADDR_TEXT] */
void dns_addr_format(const struct dns_addr *a, char *s);

/* dns_addr_equal - 1 if a and b are the same address, else 0 */
int dns_addr_equal(const struct dns_addr *a, const struct dns_addr *b);

/*
 * dns_mx_order - sort mx[0..n) by preference (stable), then shuffle each
 * run of equal preference with the seed random.  Exposed for tests.
 */
void dns_mx_order(struct dns_rr *mx, size_t n, unsigned long random);

#endif
