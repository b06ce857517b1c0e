/*
 * ipmeprint - print the addresses qmail-remote treats as this machine,
 * one a line (see ipme.h).
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "err.h"
#include "exitcodes.h"
#include "ipme.h"

int
main(void)
{
	struct ipme me = IPME_INIT;
	char text[INET6_ADDRSTRLEN];
	size_t i;

	err_setprogname("ipmeprint");
	if (ipme_load(&me) < 0)
		fatal(EXIT_TEMP, "unable to list the interface addresses");
	for (i = 0; i < me.n; i++) {
		if (inet_ntop(me.addr[i].family, me.addr[i].ip, text,
			sizeof(text)) == NULL)
			continue;
		printf("%s\n", text);
	}
	ipme_free(&me);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EXIT_TEMP, "unable to write output");
	return EXIT_OK;
}
