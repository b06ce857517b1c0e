/*
 * dns.c - DNS lookups for mail routing over the libc resolver.
 *
 * The resolver state is private to this file and initialised on the
 * first lookup.  Answers are walked by hand: every length is checked
 * against the end of the message, names are skipped and expanded with
 * dn_skipname/dn_expand (which check compression pointers), and each
 * record's data length is checked against what its type needs.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct __res_state dns_res;
static int dns_res_ready;

int
dns_addr_parse(const char *s, struct dns_addr *a)
{
	char buf[DNS_ADDR_TEXT + 8];
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (len >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
			s += 5;
			len -= 5;
			if (len >= sizeof(buf))
				goto bad;
			memcpy(buf, s, len);
			buf[len] = '\0';
			memset(a, 0, sizeof(*a));
			a->family = AF_INET6;
			if (inet_pton(AF_INET6, buf, a->ip) == 1)
				return 0;
			goto bad;
		}
	}
	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	if (inet_pton(AF_INET, buf, a->ip) == 1)
		return 0;
	a->family = AF_INET6;
	if (inet_pton(AF_INET6, buf, a->ip) == 1)
		return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
dns_addr_format(const struct dns_addr *a, char *s)
{
	if (inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, s,
		DNS_ADDR_TEXT) == NULL)
		memcpy(s, "?", 2);
}

int
dns_addr_equal(const struct dns_addr *a, const struct dns_addr *b)
{
	if (a->family != b->family)
		return 0;
	return memcmp(a->ip, b->ip, a->family == AF_INET6 ? 16 : 4) == 0;
}

/* dns_get16 - a 16-bit big-endian number at p */
static unsigned int
dns_get16(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8) | p[1];
}

/*
 * dns_rr_fill - decode one record's data data[0..dlen) of type type in
 * the message som..eom into r: 0, or -1 if malformed.  Names are expanded
 * with dn_expand, which checks every pointer against the message bounds.
 */
static int
dns_rr_fill(const unsigned char *som, const unsigned char *eom,
    unsigned int type, const unsigned char *data, size_t dlen,
    struct dns_rr *r)
{
	int n;

	memset(r, 0, sizeof(*r));
	r->type = type;
	switch (type) {
	case DNS_T_A:
		if (dlen != 4)
			return -1;
		r->addr.family = AF_INET;
		memcpy(r->addr.ip, data, 4);
		return 0;
	case DNS_T_AAAA:
		if (dlen != 16)
			return -1;
		r->addr.family = AF_INET6;
		memcpy(r->addr.ip, data, 16);
		return 0;
	case DNS_T_MX:
		if (dlen < 3)
			return -1;
		r->pref = dns_get16(data);
		data += 2;
		dlen -= 2;
		break;
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if (dlen < 1)
			return -1;
		break;
	default:
		return -1;
	}
	n = dn_expand(som, eom, data, r->name, (int)sizeof(r->name));
	if (n < 0 || (size_t)n > dlen)
		return -1;
	if (r->name[0] == '\0')
		memcpy(r->name, ".", 2);
	return 0;
}

int
dns_parse(const unsigned char *msg, size_t len, unsigned int type,
    struct dns_rr *rr, size_t max)
{
	const unsigned char *eom = msg + len;
	const unsigned char *p;
	unsigned int qd, an, i, t, class;
	size_t dlen, n = 0;
	int k;

	if (len < 12 || len > DNS_PACKET_MAX)
		goto bad;
	qd = dns_get16(msg + 4);
	an = dns_get16(msg + 6);
	p = msg + 12;
	for (i = 0; i < qd; i++) {
		k = dn_skipname(p, eom);
		if (k < 0 || (size_t)(eom - p) < (size_t)k + 4)
			goto bad;
		p += k + 4;
	}
	for (i = 0; i < an && n < max; i++) {
		k = dn_skipname(p, eom);
		if (k < 0 || (size_t)(eom - p) < (size_t)k + 10)
			goto bad;
		p += k;
		t = dns_get16(p);
		class = dns_get16(p + 2);
		dlen = dns_get16(p + 8);
		p += 10;
		if ((size_t)(eom - p) < dlen)
			goto bad;
		if (class == 1 && (t == type || t == DNS_T_CNAME)) {
			if (dns_rr_fill(msg, eom, t, p, dlen, &rr[n]) < 0)
				goto bad;
			n++;
		}
		p += dlen;
	}
	return (int)n;
bad:
	errno = EAGAIN;
	return -1;
}

/* dns_name_ok - 1 if name can be asked for: not empty, not too long */
static int
dns_name_ok(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len < DNS_NAME_MAX;
}

int
dns_lookup(const char *name, unsigned int type, struct dns_rr *rr, size_t max)
{
	unsigned char *buf;
	int len, r;

	if (!dns_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (!dns_res_ready) {
		if (res_ninit(&dns_res) < 0) {
			errno = EAGAIN;
			return -1;
		}
		dns_res_ready = 1;
	}
	buf = malloc(DNS_PACKET_MAX);
	if (buf == NULL)
		return -1;
	len = res_nquery(&dns_res, name, ns_c_in, (int)type, buf,
	    DNS_PACKET_MAX);
	if (len < 0) {
		int h = dns_res.res_h_errno;
		free(buf);
		if (h == HOST_NOT_FOUND) {
			errno = ENOENT;
			return -1;
		}
		if (h == NO_DATA)
			return 0;
		/* TRY_AGAIN, NO_RECOVERY (REFUSED...), NETDB_INTERNAL */
		errno = EAGAIN;
		return -1;
	}
	if (len > DNS_PACKET_MAX)
		len = DNS_PACKET_MAX;
	r = dns_parse(buf, (size_t)len, type, rr, max);
	free(buf);
	return r;
}

/* dns_lookup_type - dns_lookup keeping only records of type */
static int
dns_lookup_type(const char *name, unsigned int type, struct dns_rr *rr,
    size_t max)
{
	int n = dns_lookup(name, type, rr, max);
	int i, k = 0;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (rr[i].type == type) {
			if (k != i)
				rr[k] = rr[i];
			k++;
		}
	return k;
}

int
dns_ip(const char *name, int want4, int want6, struct dns_addr *out,
    size_t max)
{
	struct dns_rr *rr;
	size_t n = 0;
	int soft = 0, gone = 0, asked = 0, r, i, saved;

	if (dns_addr_parse(name, out) == 0 && max > 0)
		return 1;
	rr = calloc(DNS_RR_MAX, sizeof(*rr));
	if (rr == NULL)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		unsigned int type = pass == 0 ? DNS_T_AAAA : DNS_T_A;
		if ((pass == 0 && !want6) || (pass == 1 && !want4))
			continue;
		asked++;
		r = dns_lookup_type(name, type, rr, DNS_RR_MAX);
		if (r < 0) {
			if (errno == ENOENT)
				gone++;
			else
				soft = errno;
			continue;
		}
		for (i = 0; i < r && n < max; i++)
			out[n++] = rr[i].addr;
	}
	saved = soft;
	free(rr);
	if (n > 0)
		return (int)n;
	if (saved) {
		errno = saved;
		return -1;
	}
	if (asked > 0 && gone == asked) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

void
dns_mx_order(struct dns_rr *mx, size_t n, unsigned long random)
{
	size_t i, j, start;

	/* insertion sort: stable, and n is at most DNS_RR_MAX */
	for (i = 1; i < n; i++) {
		struct dns_rr tmp = mx[i];
		for (j = i; j > 0 && mx[j - 1].pref > tmp.pref; j--)
			mx[j] = mx[j - 1];
		mx[j] = tmp;
	}
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && mx[i].pref == mx[start].pref; i++)
			;
		for (j = i - 1; j > start; j--) {
			size_t k;
			struct dns_rr tmp;
			random = random * 69069UL + 1;
			k = start + (size_t)((random >> 8) % (j - start + 1));
			tmp = mx[j];
			mx[j] = mx[k];
			mx[k] = tmp;
		}
	}
}

/* dns_target_set - fill t with pref, addr and the name host (or "") */
static void
dns_target_set(struct dns_target *t, unsigned int pref,
    const struct dns_addr *addr, const char *host)
{
	size_t len = strlen(host);

	t->pref = pref;
	t->addr = *addr;
	if (len >= sizeof(t->host))
		len = 0;
	memcpy(t->host, host, len);
	t->host[len] = '\0';
}

/* dns_targets_add - the addresses of one host, with pref, onto out */
static int
dns_targets_add(const char *host, unsigned int pref, struct dns_target *out,
    size_t *n, size_t max)
{
	struct dns_addr addrs[DNS_RR_MAX];
	int r, i;

	r = dns_ip(host, 1, 1, addrs, DNS_RR_MAX);
	if (r < 0)
		return -1;
	for (i = 0; i < r && *n < max; i++) {
		dns_target_set(&out[*n], pref, &addrs[i], host);
		(*n)++;
	}
	return 0;
}

int
dns_mxip(const char *name, unsigned long random, struct dns_target *out,
    size_t max, int *nullmx)
{
	struct dns_rr *mx;
	struct dns_addr lit;
	size_t n = 0;
	int r, i, k = 0, soft = 0;

	*nullmx = 0;
	if (dns_addr_parse(name, &lit) == 0) {
		if (max == 0)
			return 0;
		dns_target_set(&out[0], 0, &lit, name);
		return 1;
	}
	mx = calloc(DNS_RR_MAX, sizeof(*mx));
	if (mx == NULL)
		return -1;
	r = dns_lookup_type(name, DNS_T_MX, mx, DNS_RR_MAX);
	if (r < 0 && errno != ENOENT) {
		free(mx);
		return -1;
	}
	/* RFC 7505: one MX whose exchange is the root means "no mail" */
	if (r == 1 && (mx[0].name[0] == '\0' || strcmp(mx[0].name, ".") == 0)) {
		free(mx);
		*nullmx = 1;
		return 0;
	}
	if (r <= 0) {
		free(mx);
		return dns_targets_add(name, 0, out, &n, max) < 0 ? -1 : (int)n;
	}
	for (i = 0; i < r; i++)
		if (mx[i].name[0] != '\0' && strcmp(mx[i].name, ".") != 0)
			mx[k++] = mx[i];
	dns_mx_order(mx, (size_t)k, random);
	for (i = 0; i < k && n < max; i++)
		if (dns_targets_add(mx[i].name, mx[i].pref, out, &n, max) < 0
		    && errno != ENOENT)
			soft = errno;
	free(mx);
	if (n == 0 && soft) {
		errno = soft;
		return -1;
	}
	return (int)n;
}

int
dns_cname(const char *name, char *out, size_t outsize)
{
	struct dns_rr rr[4];
	size_t len = strlen(name);
	int hops, r, i;

	if (len >= outsize) {
		errno = ERANGE;
		return -1;
	}
	memcpy(out, name, len + 1);
	for (hops = 0; hops <= DNS_CNAME_MAX; hops++) {
		len = strlen(out);
		if (len > 1 && out[len - 1] == '.')
			out[--len] = '\0';
		if (len == 0 || out[0] == '[' || out[len - 1] == ']' ||
		    strcmp(out, ".") == 0)
			return hops;
		r = dns_lookup(out, DNS_T_CNAME, rr, 4);
		if (r < 0 && errno == ENOENT)
			return hops;
		if (r < 0)
			return -1;
		for (i = 0; i < r; i++)
			if (rr[i].type == DNS_T_CNAME)
				break;
		if (i == r)
			return hops;
		len = strlen(rr[i].name);
		if (len >= outsize) {
			errno = ERANGE;
			return -1;
		}
		memcpy(out, rr[i].name, len + 1);
	}
	errno = ELOOP;
	return -1;
}

int
dns_ptr(const struct dns_addr *addr, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	struct dns_rr rr[8];
	char q[80];
	size_t p = 0;
	int r, i;

	if (addr->family == AF_INET) {
		for (i = 3; i >= 0; i--) {
			unsigned int b = addr->ip[i];
			if (b >= 100)
				q[p++] = (char)('0' + b / 100);
			if (b >= 10)
				q[p++] = (char)('0' + (b / 10) % 10);
			q[p++] = (char)('0' + b % 10);
			q[p++] = '.';
		}
		memcpy(q + p, "in-addr.arpa", 13);
	} else {
		for (i = 15; i >= 0; i--) {
			q[p++] = hex[addr->ip[i] & 15];
			q[p++] = '.';
			q[p++] = hex[addr->ip[i] >> 4];
			q[p++] = '.';
		}
		memcpy(q + p, "ip6.arpa", 9);
	}
	r = dns_lookup(q, DNS_T_PTR, rr, 8);
	if (r < 0)
		return -1;
	for (i = 0; i < r; i++)
		if (rr[i].type == DNS_T_PTR) {
			size_t len = strlen(rr[i].name);
			if (len >= outsize) {
				errno = ERANGE;
				return -1;
			}
			memcpy(out, rr[i].name, len + 1);
			return 1;
		}
	return 0;
}
