/*
 * qmail-tcpto - print qmail-remote's table of connection timeouts,
 * queue/lock/tcpto, one line for each address with a recent timeout:
 *
 *	1.2.3.4 timed out 300 seconds ago; # recent timeouts: 2
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "tcpto.h"

int
main(void)
{
	struct tcpto_entry e[TCPTO_RECORDS];
	time_t now;
	int n, i;

	err_setprogname("qmail-tcpto");
	if (chdir(conf_qmail_home) < 0)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	n = tcpto_read("queue/lock/tcpto", e);
	if (n < 0)
		fatal(EXIT_TEMP, "unable to read queue/lock/tcpto");
	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (e[i].count < 1)
			continue;
		printf("%u.%u.%u.%u timed out %lu seconds ago;"
		       " # recent timeouts: %u\n",
		    e[i].ip[0], e[i].ip[1], e[i].ip[2], e[i].ip[3],
		    (unsigned long)(unsigned int)((unsigned int)now -
			(unsigned int)e[i].when),
		    e[i].count);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
