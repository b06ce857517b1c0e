/*
 * test_dns.c - parsing canned DNS answers, MX ordering, address text,
 * dns_mxip for a domain literal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

/* A canned answer: header, the question "ex.com" IN type, then records. */
struct pkt {
	unsigned char b[1024];
	size_t len;
};

static void
put(struct pkt *p, const void *s, size_t n)
{
	assert_true(p->len + n <= sizeof(p->b));
	memcpy(p->b + p->len, s, n);
	p->len += n;
}

static void
put16(struct pkt *p, unsigned int v)
{
	unsigned char x[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	put(p, x, 2);
}

static void
pkt_start(struct pkt *p, unsigned int type, unsigned int ancount)
{
	static const unsigned char hdr[] = { 0x12, 0x34, 0x81, 0x80, 0, 1 };
	static const unsigned char qname[] = "\2ex\3com";
	p->len = 0;
	put(p, hdr, sizeof(hdr));
	put16(p, ancount);
	put16(p, 0);
	put16(p, 0);
	put(p, qname, sizeof(qname)); /* with the root's 0 byte */
	put16(p, type);
	put16(p, 1);
}

/* a record owned by the question name (pointer to offset 12) */
static void
pkt_rr(struct pkt *p, unsigned int type, const void *data, size_t dlen)
{
	static const unsigned char owner[] = { 0xc0, 12 };
	static const unsigned char ttl[] = { 0, 0, 1, 0 };
	put(p, owner, 2);
	put16(p, type);
	put16(p, 1);
	put(p, ttl, 4);
	put16(p, dlen);
	put(p, data, dlen);
}

static void
test_parse_mx(void **state)
{
	struct pkt p;
	struct dns_rr rr[4];
	static const unsigned char mx1[] = "\0\x14\4mail\xc0\x0c";
	static const unsigned char mx2[] = "\0\x0a\3mx2\2ex\3com";

	(void)state;
	pkt_start(&p, DNS_T_MX, 2);
	pkt_rr(&p, DNS_T_MX, mx1, sizeof(mx1) - 1);
	pkt_rr(&p, DNS_T_MX, mx2, sizeof(mx2));
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_MX, rr, 4), 2);
	assert_int_equal(rr[0].pref, 20);
	assert_string_equal(rr[0].name, "mail.ex.com");
	assert_int_equal(rr[1].pref, 10);
	assert_string_equal(rr[1].name, "mx2.ex.com");
}

static void
test_parse_a_aaaa_cname(void **state)
{
	struct pkt p;
	struct dns_rr rr[4];
	static const unsigned char cname[] = "\5other\xc0\x0f";
	static const unsigned char a[] = { 192, 0, 2, 1 };
	unsigned char a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	char text[DNS_ADDR_TEXT];

	(void)state;
	a6[15] = 1;
	pkt_start(&p, DNS_T_A, 3);
	pkt_rr(&p, DNS_T_CNAME, cname, sizeof(cname) - 1);
	pkt_rr(&p, DNS_T_A, a, 4);
	pkt_rr(&p, DNS_T_AAAA, a6, 16); /* not asked for: skipped */
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_A, rr, 4), 2);
	assert_int_equal(rr[0].type, DNS_T_CNAME);
	assert_string_equal(rr[0].name, "other.com");
	assert_int_equal(rr[1].type, DNS_T_A);
	dns_addr_format(&rr[1].addr, text);
	assert_string_equal(text, "192.0.2.1");
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_AAAA, rr, 4), 2);
	dns_addr_format(&rr[1].addr, text);
	assert_string_equal(text, "2001:db8::1");
}

static void
test_parse_limit(void **state)
{
	struct pkt p;
	struct dns_rr rr[2];
	static const unsigned char a[] = { 10, 0, 0, 1 };
	int i;

	(void)state;
	pkt_start(&p, DNS_T_A, 5);
	for (i = 0; i < 5; i++)
		pkt_rr(&p, DNS_T_A, a, 4);
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_A, rr, 2), 2);
}

static void
test_parse_malformed(void **state)
{
	struct pkt p;
	struct dns_rr rr[4];
	static const unsigned char a5[] = { 10, 0, 0, 1, 9 };
	static const unsigned char loop[] = "\0\x0a\xc0\x00";
	static const unsigned char a[] = { 10, 0, 0, 1 };
	size_t i;

	(void)state;
	/* an A record of 5 bytes */
	pkt_start(&p, DNS_T_A, 1);
	pkt_rr(&p, DNS_T_A, a5, sizeof(a5));
	errno = 0;
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_A, rr, 4), -1);
	assert_int_equal(errno, EAGAIN);
	/* an MX whose name is a compression pointer to itself */
	pkt_start(&p, DNS_T_MX, 1);
	pkt_rr(&p, DNS_T_MX, loop, sizeof(loop) - 1);
	p.b[p.len - 1] = (unsigned char)(p.len - 2);
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_MX, rr, 4), -1);
	/* more answers announced than present */
	pkt_start(&p, DNS_T_A, 3);
	pkt_rr(&p, DNS_T_A, a, 4);
	assert_int_equal(dns_parse(p.b, p.len, DNS_T_A, rr, 4), -1);
	/* every truncation of a good answer is refused or short, never read
	 * past the end (ASan watches) */
	pkt_start(&p, DNS_T_A, 1);
	pkt_rr(&p, DNS_T_A, a, 4);
	for (i = 0; i < p.len; i++)
		assert_true(dns_parse(p.b, i, DNS_T_A, rr, 4) <= 0);
	assert_int_equal(dns_parse(p.b, 5, DNS_T_A, rr, 4), -1);
}

static void
test_mx_order(void **state)
{
	struct dns_rr mx[6];
	unsigned int prefs[] = { 30, 10, 20, 10, 30, 10 };
	int seen_first[6] = { 0 };
	unsigned long seed;
	size_t i;

	(void)state;
	for (seed = 1; seed < 200; seed++) {
		for (i = 0; i < 6; i++) {
			memset(&mx[i], 0, sizeof(mx[i]));
			mx[i].pref = prefs[i];
			mx[i].name[0] = (char)('a' + i);
		}
		dns_mx_order(mx, 6, seed * 7919);
		for (i = 1; i < 6; i++)
			assert_true(mx[i - 1].pref <= mx[i].pref);
		seen_first[mx[0].name[0] - 'a'] = 1;
	}
	/* each of the three preference-10 MXes came first sometimes */
	assert_true(seen_first[1] && seen_first[3] && seen_first[5]);
	assert_false(seen_first[0] || seen_first[2] || seen_first[4]);
}

static void
test_addr_parse(void **state)
{
	struct dns_addr a;
	char text[DNS_ADDR_TEXT];

	(void)state;
	assert_int_equal(dns_addr_parse("[127.0.0.1]", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(dns_addr_parse("1.2.3.4", &a), 0);
	dns_addr_format(&a, text);
	assert_string_equal(text, "1.2.3.4");
	assert_int_equal(dns_addr_parse("[IPv6:::1]", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	dns_addr_format(&a, text);
	assert_string_equal(text, "::1");
	assert_int_equal(dns_addr_parse("[ipv6:2001:DB8::5]", &a), 0);
	dns_addr_format(&a, text);
	assert_string_equal(text, "2001:db8::5");
	assert_int_equal(dns_addr_parse("[::1]", &a), 0);
	assert_int_equal(dns_addr_parse("example.com", &a), -1);
	assert_int_equal(dns_addr_parse("[1.2.3]", &a), -1);
	assert_int_equal(dns_addr_parse("[1.2.3.4", &a), -1);
	assert_int_equal(dns_addr_parse("[IPv6:1.2.3.4]", &a), -1);
	assert_int_equal(dns_addr_parse(
	    "[IPv6:1111:2222:3333:4444:5555:6666:7777:8888:9999:0000]", &a), -1);
}

static void
test_addr_equal(void **state)
{
	struct dns_addr a, b;

	(void)state;
	assert_int_equal(dns_addr_parse("10.0.0.1", &a), 0);
	assert_int_equal(dns_addr_parse("[10.0.0.1]", &b), 0);
	assert_true(dns_addr_equal(&a, &b));
	assert_int_equal(dns_addr_parse("::ffff:10.0.0.1", &b), 0);
	assert_false(dns_addr_equal(&a, &b));
}

/* A domain literal needs no lookup: one target named as given. */
static void
test_mxip_literal(void **state)
{
	struct dns_target t[2];
	char text[DNS_ADDR_TEXT];
	int nullmx = 1;

	(void)state;
	memset(t, 'x', sizeof(t));
	assert_int_equal(dns_mxip("[192.0.2.7]", 1, t, 2, &nullmx), 1);
	assert_int_equal(nullmx, 0);
	assert_int_equal(t[0].pref, 0);
	dns_addr_format(&t[0].addr, text);
	assert_string_equal(text, "192.0.2.7");
	assert_string_equal(t[0].host, "[192.0.2.7]");
	assert_int_equal(dns_mxip("[IPv6:2001:db8::1]", 1, t, 2, &nullmx), 1);
	assert_int_equal(t[0].addr.family, AF_INET6);
	assert_string_equal(t[0].host, "[IPv6:2001:db8::1]");
	assert_int_equal(dns_mxip("[192.0.2.7]", 1, t, 0, &nullmx), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_mx),
	    cmocka_unit_test(test_parse_a_aaaa_cname),
	    cmocka_unit_test(test_parse_limit),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_mx_order),
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_addr_equal),
	    cmocka_unit_test(test_mxip_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
