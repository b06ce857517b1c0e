/*
 * dnsfq - print the fully qualified name of a host: the PTR name of its
 * first address (IPv4 preferred).  Exit 100 if the host or the PTR
 * record does not exist, 111 on a temporary DNS failure.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dns.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	struct dns_addr a[DNS_RR_MAX];
	char name[DNS_NAME_MAX];
	int n, r, i, pick = 0;

	err_setprogname("dnsfq");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: dnsfq host");
	n = dns_ip(argv[1], 1, 1, a, DNS_RR_MAX);
	if (n < 0 && (errno == ENOENT || errno == EINVAL))
		fatalx(EXIT_PERM, "hard error: no host by that name");
	if (n < 0)
		fatal(EXIT_TEMP, "soft error: unable to look up host");
	if (n == 0)
		fatalx(EXIT_PERM, "no IP addresses");
	for (i = n - 1; i >= 0; i--)
		if (a[i].family == AF_INET)
			pick = i;
	r = dns_ptr(&a[pick], name, sizeof(name));
	if (r == 0 || (r < 0 && errno == ENOENT))
		fatalx(EXIT_PERM, "hard error: no PTR record");
	if (r < 0)
		fatal(EXIT_TEMP, "soft error: unable to look up address");
	printf("%s\n", name);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
