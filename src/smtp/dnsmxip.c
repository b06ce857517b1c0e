/*
 * dnsmxip - print the addresses qmail-remote would try for a domain, in
 * order, one "address preference" a line: the MX records sorted by
 * preference (shuffled within one), or the domain's own addresses with
 * preference 0 when it has no MX.  Exit 100 if the domain does not exist
 * or has a null MX, 111 on a temporary DNS failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "err.h"
#include "exitcodes.h"

int
main(int argc, char **argv)
{
	struct dns_target *t;
	char text[DNS_ADDR_TEXT];
	int n, i, nullmx = 0;

	err_setprogname("dnsmxip");
	if (argc < 2)
		fatalx(EXIT_PERM, "usage: dnsmxip domain");
	t = calloc(DNS_TARGET_MAX, sizeof(*t));
	if (t == NULL)
		fatal(EXIT_TEMP, "unable to allocate memory");
	n = dns_mxip(argv[1], (unsigned long)time(NULL) + (unsigned long)getpid(),
	    t, DNS_TARGET_MAX, &nullmx);
	if (n < 0 && (errno == ENOENT || errno == EINVAL))
		fatalx(EXIT_PERM, "hard error: no host by that name");
	if (n < 0)
		fatal(EXIT_TEMP, "soft error: unable to look up host");
	if (nullmx)
		fatalx(EXIT_PERM, "hard error: the domain has a null MX");
	for (i = 0; i < n; i++) {
		dns_addr_format(&t[i].addr, text);
		printf("%s %u\n", text, t[i].pref);
	}
	free(t);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
