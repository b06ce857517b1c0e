/*
 * qmail-tcpok - clear qmail-remote's table of connection timeouts, so
 * that it tries every address again.
 */
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "exitcodes.h"
#include "tcpto.h"

int
main(void)
{
	err_setprogname("qmail-tcpok");
	if (chdir(conf_qmail_home) < 0)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	if (tcpto_clear("queue/lock/tcpto") < 0)
		fatal(EXIT_TEMP, "unable to clear queue/lock/tcpto");
	return EXIT_OK;
}
