/*
 * hostname - print this machine's host name (gethostname(2)), as
 * qmail's config script expects.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "exitcodes.h"

int
main(void)
{
	char name[256 + 1];

	err_setprogname("hostname");
	memset(name, 0, sizeof(name));
	if (gethostname(name, sizeof(name) - 1) < 0)
		fatal(EXIT_TEMP, "unable to get host name");
	printf("%s\n", name);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
