/*
 * dnsptr - print the name a PTR record gives for an IPv4 or IPv6
 * address.  Exit 100 if there is none, 111 on a temporary DNS failure.
 */
#include <errno.h>
#include <stdio.h>

#include "dns.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	struct dns_addr a;
	char name[DNS_NAME_MAX];
	int r;

	err_setprogname("dnsptr");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: dnsptr address");
	if (dns_addr_parse(argv[1], &a) < 0)
		fatalx(EXIT_PERM, "hard error: not an IP address");
	r = dns_ptr(&a, name, sizeof(name));
	if (r == 0 || (r < 0 && errno == ENOENT))
		fatalx(EXIT_PERM, "hard error: no PTR record");
	if (r < 0)
		fatal(EXIT_TEMP, "soft error: unable to look up address");
	printf("%s\n", name);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
