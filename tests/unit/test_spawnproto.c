/*
 * test_spawnproto.c - unit tests for src/lib/spawnproto.c: the framing of
 * delivery commands, reports and qmail-clean commands.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spawnproto.h"

static void
test_u16_roundtrip(void **state)
{
	unsigned char p[2];

	(void)state;
	spawn_u16_put(p, 0);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[1], 0);
	spawn_u16_put(p, 1000);
	assert_int_equal(p[0], 3);
	assert_int_equal(p[1], 232);
	assert_int_equal(spawn_u16_get(p), 1000);
	spawn_u16_put(p, 65535);
	assert_int_equal(spawn_u16_get(p), 65535);
}

static void
test_cmd_bytes_exact(void **state)
{
	struct bytes out = BYTES_INIT(1024);
	static const char want[] = "\x01\x02"
				   "3/45\0a@b\0c@d";

	(void)state;
	assert_int_equal(spawn_cmd_append(&out, 258, "3/45", "a@b", "c@d"), 0);
	assert_int_equal(out.len, sizeof(want));
	assert_memory_equal(out.s, want, sizeof(want));
	bytes_free(&out);
}

static void
test_cmd_append_refuses(void **state)
{
	struct bytes out = BYTES_INIT(1024);

	(void)state;
	assert_int_equal(spawn_cmd_append(&out, 65536, "1", "", "a@b"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spawn_cmd_append(&out, 1, "/1", "", "a@b"), -1);
	assert_int_equal(spawn_cmd_append(&out, 1, "1x", "", "a@b"), -1);
	assert_int_equal(spawn_cmd_append(&out, 1, "", "", "a@b"), -1);
	assert_int_equal(out.len, 0);
	bytes_free(&out);
}

/* feed a stream one byte at a time, collecting commands */
static void
test_cmd_feed_bytewise(void **state)
{
	struct bytes out = BYTES_INIT(4096);
	struct spawn_cmd_reader r;
	size_t i, used;
	int got = 0;

	(void)state;
	assert_int_equal(spawn_cmd_append(&out, 999, "7/1234", "", "x@y"), 0);
	assert_int_equal(spawn_cmd_append(&out, 0, "0/5", "s@t", "u@v"), 0);
	spawn_cmd_reader_init(&r);
	for (i = 0; i < out.len; i++) {
		int rc = spawn_cmd_feed(&r, out.s + i, 1, &used);

		assert_int_equal(used, 1);
		if (rc == 1) {
			got++;
			assert_false(r.toolong);
			if (got == 1) {
				assert_int_equal(r.delnum, 999);
				assert_string_equal(r.messid.s, "7/1234");
				assert_string_equal(r.sender.s, "");
				assert_string_equal(r.recip.s, "x@y");
			} else {
				assert_int_equal(r.delnum, 0);
				assert_string_equal(r.messid.s, "0/5");
				assert_string_equal(r.sender.s, "s@t");
				assert_string_equal(r.recip.s, "u@v");
			}
		} else
			assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 2);
	spawn_cmd_reader_free(&r);
	bytes_free(&out);
}

/* two commands in one buffer: the feed stops after the first */
static void
test_cmd_feed_stops_per_command(void **state)
{
	struct bytes out = BYTES_INIT(4096);
	struct spawn_cmd_reader r;
	size_t used;

	(void)state;
	assert_int_equal(spawn_cmd_append(&out, 1, "1/1", "a@b", "c@d"), 0);
	assert_int_equal(spawn_cmd_append(&out, 2, "2/2", "e@f", "g@h"), 0);
	spawn_cmd_reader_init(&r);
	assert_int_equal(spawn_cmd_feed(&r, out.s, out.len, &used), 1);
	assert_int_equal(used, 2 + 4 + 4 + 4);
	assert_string_equal(r.recip.s, "c@d");
	assert_int_equal(
	    spawn_cmd_feed(&r, out.s + used, out.len - used, &used), 1);
	assert_int_equal(r.delnum, 2);
	assert_string_equal(r.recip.s, "g@h");
	spawn_cmd_reader_free(&r);
	bytes_free(&out);
}

/* an address past the limit is cut and flagged, and the stream resyncs */
static void
test_cmd_feed_toolong(void **state)
{
	size_t big = SPAWN_ADDR_MAX + 10;
	size_t total = 2 + 2 + big + 1 + 4;
	char *buf = malloc(total);
	struct spawn_cmd_reader r;
	struct bytes out = BYTES_INIT(4096);
	size_t used;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, "\0\x05" "1\0", 4);
	memset(buf + 4, 'a', big);
	buf[4 + big] = '\0';
	memcpy(buf + 5 + big, "b@c", 4);
	spawn_cmd_reader_init(&r);
	assert_int_equal(spawn_cmd_feed(&r, buf, total, &used), 1);
	assert_int_equal(used, total);
	assert_true(r.toolong);
	assert_int_equal(r.delnum, 5);
	/* the next command is read normally */
	assert_int_equal(spawn_cmd_append(&out, 6, "1/1", "", "z@z"), 0);
	assert_int_equal(spawn_cmd_feed(&r, out.s, out.len, &used), 1);
	assert_false(r.toolong);
	assert_string_equal(r.recip.s, "z@z");
	spawn_cmd_reader_free(&r);
	bytes_free(&out);
	free(buf);
}

static void
test_report_roundtrip(void **state)
{
	struct bytes out = BYTES_INIT(4096);
	struct spawn_report_reader r;
	size_t used;
	static const char want[] = "\x04\x01KDelivered.\n";

	(void)state;
	/* the text stops at an embedded NUL */
	assert_int_equal(
	    spawn_report_append(&out, 1025, 'K', "Delivered.\n\0junk", 16), 0);
	assert_int_equal(out.len, sizeof(want));
	assert_memory_equal(out.s, want, sizeof(want));
	spawn_report_reader_init(&r);
	assert_int_equal(spawn_report_feed(&r, out.s, out.len, &used), 1);
	assert_int_equal(used, out.len);
	assert_int_equal(r.delnum, 1025);
	assert_string_equal(r.report.s, "KDelivered.\n");
	spawn_report_reader_free(&r);
	bytes_free(&out);
}

static void
test_report_feed_split(void **state)
{
	struct bytes out = BYTES_INIT(4096);
	struct spawn_report_reader r;
	size_t used;

	(void)state;
	assert_int_equal(spawn_report_append(&out, 7, 'Z', "a\nb\n", 4), 0);
	spawn_report_reader_init(&r);
	assert_int_equal(spawn_report_feed(&r, out.s, 3, &used), 0);
	assert_int_equal(used, 3);
	assert_int_equal(spawn_report_feed(&r, out.s + 3, out.len - 3, &used),
	    1);
	assert_int_equal(r.delnum, 7);
	assert_string_equal(r.report.s, "Za\nb\n");
	spawn_report_reader_free(&r);
	bytes_free(&out);
}

static void
test_clean_cmds(void **state)
{
	struct bytes out = BYTES_INIT(4096);
	enum clean_kind k;
	unsigned long long id;

	(void)state;
	assert_int_equal(clean_cmd_append(&out, CLEAN_FOOP, 123456), 0);
	assert_int_equal(out.len, 12);
	assert_memory_equal(out.s, "foop/123456", 12);
	assert_int_equal(clean_cmd_parse(out.s, out.len, &k, &id), 0);
	assert_int_equal(k, CLEAN_FOOP);
	assert_int_equal(id, 123456);
	assert_int_equal(clean_cmd_parse("todo/7", 7, &k, &id), 0);
	assert_int_equal(k, CLEAN_TODO);
	assert_int_equal(id, 7);
	bytes_free(&out);
}

static void
test_clean_bad_cmds(void **state)
{
	enum clean_kind k;
	unsigned long long id;

	(void)state;
	assert_int_equal(clean_cmd_parse("todo/", 6, &k, &id), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(clean_cmd_parse("info/1", 7, &k, &id), -1);
	assert_int_equal(clean_cmd_parse("todo/1x", 8, &k, &id), -1);
	assert_int_equal(clean_cmd_parse("todo/1", 6, &k, &id), -1);
	assert_int_equal(clean_cmd_parse("foop/../1", 10, &k, &id), -1);
	assert_int_equal(
	    clean_cmd_parse("todo/99999999999999999999999", 29, &k, &id), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u16_roundtrip),
		cmocka_unit_test(test_cmd_bytes_exact),
		cmocka_unit_test(test_cmd_append_refuses),
		cmocka_unit_test(test_cmd_feed_bytewise),
		cmocka_unit_test(test_cmd_feed_stops_per_command),
		cmocka_unit_test(test_cmd_feed_toolong),
		cmocka_unit_test(test_report_roundtrip),
		cmocka_unit_test(test_report_feed_split),
		cmocka_unit_test(test_clean_cmds),
		cmocka_unit_test(test_clean_bad_cmds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
