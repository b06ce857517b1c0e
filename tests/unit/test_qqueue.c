/*
 * test_qqueue.c - the qmail-queue client: what the child receives on fd 0
 * and fd 1, how exit codes come back, and qmail's wording of failures.
 *
 * The child is a small shell script written by the test (fixed, trusted
 * text) that stores its two inputs and exits with a chosen code.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exitcodes.h"
#include "qqueue.h"

static char dir[] = "/tmp/test_qqueue.XXXXXX";
static char script[256], msgfile[256], envfile[256];

static void
write_script(const char *body)
{
	FILE *f = fopen(script, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, 0700), 0);
}

static size_t
slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(script, sizeof(script), "%s/fakeqq", dir);
	snprintf(msgfile, sizeof(msgfile), "%s/msg", dir);
	snprintf(envfile, sizeof(envfile), "%s/env", dir);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_message_and_envelope_arrive(void **state)
{
	char script_body[1024], buf[256];
	struct qqueue q;
	size_t n;

	(void)state;
	snprintf(script_body, sizeof(script_body),
	    "cat > '%s' && cat <&1 > '%s'", msgfile, envfile);
	write_script(script_body);
	assert_int_equal(qqueue_open(&q, script), 0);
	qqueue_puts(&q, "Subject: x\n\nbody\n");
	qqueue_from(&q, "a@b.c");
	qqueue_to(&q, "d@e.f");
	qqueue_to(&q, "g@h.i");
	assert_int_equal(qqueue_close(&q), 0);
	n = slurp(msgfile, buf, sizeof(buf));
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "Subject: x\n\nbody\n", 17);
	n = slurp(envfile, buf, sizeof(buf));
	assert_int_equal(n, 22);
	assert_memory_equal(buf, "Fa@b.c\0Td@e.f\0Tg@h.i\0\0", 22);
}

static void
test_null_sender_and_large_message(void **state)
{
	char script_body[1024], buf[8];
	static char big[300000];
	struct qqueue q;
	size_t n;

	(void)state;
	snprintf(script_body, sizeof(script_body),
	    "wc -c > '%s' && cat <&1 > '%s'", msgfile, envfile);
	write_script(script_body);
	memset(big, 'x', sizeof(big));
	assert_int_equal(qqueue_open(&q, script), 0);
	qqueue_put(&q, big, sizeof(big));
	qqueue_from(&q, "");
	assert_int_equal(qqueue_close(&q), 0);
	n = slurp(envfile, buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "F\0\0", 3);
	n = slurp(msgfile, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_int_equal(strtol(buf, NULL, 10), 300000);
}

static void
test_exit_code_returned(void **state)
{
	struct qqueue q;

	(void)state;
	write_script("cat >/dev/null; exit 53");
	assert_int_equal(qqueue_open(&q, script), 0);
	qqueue_puts(&q, "x\n");
	qqueue_from(&q, "a");
	qqueue_to(&q, "b");
	assert_int_equal(qqueue_close(&q), 53);
}

static void
test_early_death_is_reported(void **state)
{
	static char big[1 << 20];
	struct qqueue q;

	(void)state;
	write_script("exit 0");
	assert_int_equal(qqueue_open(&q, script), 0);
	qqueue_put(&q, big, sizeof(big));
	qqueue_from(&q, "a");
	qqueue_to(&q, "b");
	/* the child exited 0 without reading: never "queued" */
	assert_int_equal(qqueue_close(&q), 54);
}

static void
test_killed_child(void **state)
{
	struct qqueue q;

	(void)state;
	write_script("kill -9 $$");
	assert_int_equal(qqueue_open(&q, script), 0);
	qqueue_from(&q, "a");
	assert_int_equal(qqueue_close(&q), QQUEUE_CRASHED);
}

static void
test_missing_program(void **state)
{
	struct qqueue q;
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	assert_int_equal(qqueue_open(&q, path), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_qmailqueue_environment(void **state)
{
	char script_body[1024], buf[64];
	struct qqueue q;

	(void)state;
	snprintf(script_body, sizeof(script_body),
	    "cat > '%s'; cat <&1 >/dev/null; exit 0", msgfile);
	write_script(script_body);
	assert_int_equal(setenv("QMAILQUEUE", script, 1), 0);
	assert_int_equal(qqueue_open(&q, NULL), 0);
	unsetenv("QMAILQUEUE");
	qqueue_puts(&q, "via env\n");
	qqueue_from(&q, "a");
	assert_int_equal(qqueue_close(&q), 0);
	assert_int_equal(slurp(msgfile, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "via env\n", 8);
}

static void
test_address_check(void **state)
{
	static char addr[QQUEUE_ADDR_MAX + 2];

	(void)state;
	assert_int_equal(QQUEUE_ADDR_MAX, 1002);
	memset(addr, 'a', sizeof(addr));
	assert_int_equal(qqueue_address_check(addr, 1002), 0);
	errno = 0;
	assert_int_equal(qqueue_address_check(addr, 1003), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(qqueue_address_check("", 0), 0);
	errno = 0;
	assert_int_equal(qqueue_address_check("a@b\nBcc: c", 11), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(qqueue_address_check("a@b\r", 4), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(qqueue_address_check("a\0b", 3), -1);
	assert_int_equal(errno, EINVAL);
}

/*
 * refused_envelope - queue with sender and recipient through a child that
 * records its envelope and exits 0; returns qqueue_close's code and
 * leaves the envelope the child got in envfile.
 */
static int
refused_envelope(const char *sender, const char *recipient)
{
	char script_body[1024];
	struct qqueue q;

	snprintf(script_body, sizeof(script_body),
	    "cat > /dev/null; cat <&1 > '%s'; exit 0", envfile);
	write_script(script_body);
	assert_int_equal(qqueue_open(&q, script), 0);
	qqueue_puts(&q, "x\n");
	qqueue_from(&q, sender);
	qqueue_to(&q, "ok@e.f");
	qqueue_to(&q, recipient);
	return qqueue_close(&q);
}

/* the envelope the child got never ends: qmail-queue queues nothing */
static void
assert_envelope_unended(void)
{
	char buf[4096];
	size_t n = slurp(envfile, buf, sizeof(buf));

	assert_false(n >= 2 && buf[n - 1] == '\0' && buf[n - 2] == '\0');
	assert_null(memchr(buf, '\n', n));
	assert_null(memchr(buf, '\r', n));
}

static void
test_too_long_address_refused(void **state)
{
	static char addr[QQUEUE_ADDR_MAX + 2];

	(void)state;
	memset(addr, 'r', QQUEUE_ADDR_MAX + 1);
	addr[QQUEUE_ADDR_MAX + 1] = '\0';
	/* 1003 bytes: refused, whatever the child says */
	assert_int_equal(refused_envelope("a@b.c", addr), QQ_ADDR_TOO_LONG);
	assert_envelope_unended();
	assert_int_equal(refused_envelope(addr, "d@e.f"), QQ_ADDR_TOO_LONG);
	assert_envelope_unended();
	/* 1002 bytes: fine */
	addr[QQUEUE_ADDR_MAX] = '\0';
	assert_int_equal(refused_envelope(addr, addr), 0);
}

static void
test_line_break_in_address_refused(void **state)
{
	(void)state;
	assert_int_equal(refused_envelope("x@evil\nBcc: victim@a.b", "d@e.f"),
	    QQ_ADDR_BAD);
	assert_envelope_unended();
	assert_int_equal(refused_envelope("a@b.c", "d@e.f\r"), QQ_ADDR_BAD);
	assert_envelope_unended();
	assert_string_equal(qqueue_strerror(QQ_ADDR_BAD),
	    "Denvelope address contains CR or LF (#5.1.3)");
	assert_true(qqueue_permanent(QQ_ADDR_BAD));
}

static void
test_strerror_wording(void **state)
{
	(void)state;
	assert_string_equal(qqueue_strerror(0), "");
	assert_string_equal(qqueue_strerror(11),
	    "Denvelope address too long for qq (#5.1.3)");
	assert_string_equal(qqueue_strerror(53),
	    "Zqq write error or disk full (#4.3.0)");
	assert_string_equal(qqueue_strerror(64),
	    "Zqq trouble creating files in queue (#4.3.0)");
	assert_string_equal(qqueue_strerror(91), "Zqq internal bug (#4.3.0)");
	assert_string_equal(qqueue_strerror(35),
	    "Dqq permanent problem (#5.3.0)");
	assert_string_equal(qqueue_strerror(99),
	    "Zqq temporary problem (#4.3.0)");
	assert_true(qqueue_permanent(11));
	assert_true(qqueue_permanent(31));
	assert_false(qqueue_permanent(53));
	assert_false(qqueue_permanent(91));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_and_envelope_arrive),
		cmocka_unit_test(test_null_sender_and_large_message),
		cmocka_unit_test(test_exit_code_returned),
		cmocka_unit_test(test_early_death_is_reported),
		cmocka_unit_test(test_killed_child),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_qmailqueue_environment),
		cmocka_unit_test(test_address_check),
		cmocka_unit_test(test_too_long_address_refused),
		cmocka_unit_test(test_line_break_in_address_refused),
		cmocka_unit_test(test_strerror_wording),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
