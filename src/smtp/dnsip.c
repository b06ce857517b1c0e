/*
 * dnsip - print the IP addresses of a host, one a line: IPv4 first
 * (as qmail's dnsip), then IPv6.  Exit 100 if the host does not exist,
 * 111 on a temporary DNS failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "dns.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	struct dns_addr *a;
	char text[DNS_ADDR_TEXT];
	int n, i, pass;

	err_setprogname("dnsip");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: dnsip host");
	a = calloc(DNS_TARGET_MAX, sizeof(*a));
	if (a == NULL)
		fatal(EXIT_TEMP, "unable to allocate memory");
	n = dns_ip(argv[1], 1, 1, a, DNS_TARGET_MAX);
	if (n < 0 && (errno == ENOENT || errno == EINVAL))
		fatalx(EXIT_PERM, "hard error: no host by that name");
	if (n < 0)
		fatal(EXIT_TEMP, "soft error: unable to look up host");
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			if ((a[i].family == AF_INET) == (pass == 0)) {
				dns_addr_format(&a[i], text);
				printf("%s\n", text);
			}
	free(a);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
