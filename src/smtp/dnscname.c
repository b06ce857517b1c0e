/*
 * dnscname - print the canonical name of a host: its CNAME chain
 * followed to the end (at most DNS_CNAME_MAX aliases).  A name that is
 * not an alias, or does not exist, is printed as it is.  Exit 100 for an
 * alias loop, 111 on a temporary DNS failure.
 */
#include <errno.h>
#include <stdio.h>

#include "dns.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	char name[DNS_NAME_MAX];
	int r;

	err_setprogname("dnscname");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: dnscname host");
	r = dns_cname(argv[1], name, sizeof(name));
	if (r < 0 && (errno == ELOOP || errno == ERANGE))
		fatalx(EXIT_PERM, "hard error: alias loop or name too long");
	if (r < 0)
		fatal(EXIT_TEMP, "soft error: unable to look up host");
	printf("%s\n", name);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
