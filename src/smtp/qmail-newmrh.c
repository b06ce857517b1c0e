/*
 * qmail-newmrh - compile control/morercpthosts into
 * control/morercpthosts.cdb for qmail-smtpd.
 *
 * Usage: qmail-newmrh
 *
 * Each entry of morercpthosts (read as every list control file is: see
 * control.h) becomes a key, folded to lower case, with an empty value.
 * qmail-smtpd looks up a recipient's domain and each ".suffix" of it, as
 * for rcpthosts.  The new database is written to control/morercpthosts.tmp,
 * made durable and renamed over the old one, so qmail-smtpd sees either
 * the whole old database or the whole new one; on any problem the old
 * database is left alone.  Two simultaneous runs are not guarded against.
 *
 * Exit codes: 0 done, 111 any failure (nothing replaced).
 */
#include <errno.h>
#include <unistd.h>

#include "bytes.h"
#include "cdbfile.h"
#include "conf.h"
#include "control.h"
#include "err.h"
#include "exitcodes.h"

#define MRH_SOURCE "control/morercpthosts"
#define MRH_CDB "control/morercpthosts.cdb"
#define MRH_TMP "control/morercpthosts.tmp"

int
main(int argc, char **argv)
{
	struct bytes list = BYTES_INIT(CONTROL_LIST_BYTES);
	struct bytes key = BYTES_INIT(CONTROL_LINE_BYTES);
	struct cdbfile_writer w;
	struct control_iter it;
	const char *line;
	size_t len, i;
	int r;

	(void)argc;
	(void)argv;
	err_setprogname("qmail-newmrh");
	if (chdir(conf_qmail_home) == -1)
		fatal(EXIT_TEMP, "unable to chdir to %s", conf_qmail_home);
	r = control_readlines(&list, MRH_SOURCE);
	if (r == 0) {
		errno = ENOENT;
		fatal(EXIT_TEMP, "unable to read %s", MRH_SOURCE);
	}
	if (r == -1)
		fatal(EXIT_TEMP, "unable to read %s", MRH_SOURCE);
	if (cdbfile_writer_start(&w, MRH_CDB, MRH_TMP, 0644) == -1)
		fatal(EXIT_TEMP, "unable to create %s", MRH_TMP);
	control_iter_start(&it, &list);
	while (control_iter_next(&it, &line, &len)) {
		if (bytes_copy(&key, line, len) == -1) {
			cdbfile_writer_abort(&w);
			fatal(EXIT_TEMP, "unable to copy an entry");
		}
		for (i = 0; i < key.len; i++)
			if (key.s[i] >= 'A' && key.s[i] <= 'Z')
				key.s[i] = (char)(key.s[i] + 32);
		if (cdbfile_writer_add(&w, key.s, key.len, "", 0) == -1) {
			cdbfile_writer_abort(&w);
			fatal(EXIT_TEMP, "unable to write %s", MRH_TMP);
		}
	}
	if (cdbfile_writer_finish(&w) == -1)
		fatal(EXIT_TEMP, "unable to move %s to %s", MRH_TMP, MRH_CDB);
	bytes_free(&key);
	bytes_free(&list);
	return EXIT_OK;
}
