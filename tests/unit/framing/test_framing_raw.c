/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_raw.c -- sl_ds_raw through the framing kit: every byte delivered once, in
 * order, in place, whatever the segmentation; FIN ends the stream cleanly wherever it
 * falls (raw has no message to cut short).
 */

#include "unit.h"

#include <sluice/framing.h>

#include "framing_kit.h"

static const struct sl_framing raw_fr = { .ds = &sl_ds_raw };
/* No deserializer at all: the driver runs the raw one. */
static const struct sl_framing null_fr = { .ds = NULL };

/* The concatenation of the messages is the stream, and the stream is consumed whole. */
static void
raw_expect_stream(const struct slk_transcript *tr, const void *in, size_t len,
		  enum slk_end end)
{
	unsigned int i;
	uint64_t at = 0;

	assert_int_equal(tr->data_len, len);
	if (len > 0)
		assert_memory_equal(tr->data, in, len);
	for (i = 0; i < tr->nmsgs; i++) {
		/* Raw messages follow each other without gaps and are never empty. */
		assert_int_equal(tr->msgs[i].stream_off, at);
		assert_true(tr->msgs[i].len > 0);
		assert_int_equal(tr->msgs[i].nfields, 0);
		at += tr->msgs[i].len;
	}
	assert_int_equal(tr->nerrs, 0);
	assert_int_equal(tr->consumed, len);
	assert_int_equal(tr->end, end);
}

static void
test_raw_empty_fin(void **state)
{
	struct slk_case c = { .name = "raw empty + FIN", .fr = &raw_fr, .fin = true,
			      .flags = SLK_F_CONCAT };
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 0);
	raw_expect_stream(&tr, NULL, 0, SLK_END_EOF);
	slk_transcript_free(&tr);
}

static void
test_raw_short(void **state)
{
	static const char in[] = "hello, world\r\n\0binary\xff\x00 too";
	struct slk_case c = { .name = "raw short + FIN", .fr = &raw_fr, .in = in,
			      .len = sizeof(in) - 1, .fin = true, .flags = SLK_F_CONCAT };
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	/* Unsplit, the stream is one slice: one message. */
	assert_int_equal(tr.nmsgs, 1);
	raw_expect_stream(&tr, in, sizeof(in) - 1, SLK_END_EOF);
	assert_true(tr.runs > 100);
	slk_transcript_free(&tr);
}

static void
test_raw_no_fin(void **state)
{
	struct slk_case c = { .name = "raw, no FIN", .fr = &null_fr, SLK_IN("abcdefgh"),
			      .flags = SLK_F_CONCAT };
	struct slk_transcript tr;

	(void)state;
	slk_run(&c, &tr);
	raw_expect_stream(&tr, "abcdefgh", 8, SLK_END_IDLE);
	slk_transcript_free(&tr);
}

/* Longer than one mbuf: the unsplit stream is already several slices. */
static void
test_raw_long(void **state)
{
	static uint8_t in[9000];
	struct slk_case c = { .name = "raw 9000 bytes", .fr = &raw_fr, .in = in,
			      .len = sizeof(in), .fin = true, .flags = SLK_F_CONCAT,
			      .random_runs = 50 };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 131 + (i >> 8));
	slk_run(&c, &tr);
	assert_true(tr.nmsgs >= 2);
	raw_expect_stream(&tr, in, sizeof(in), SLK_END_EOF);
	slk_transcript_free(&tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_empty_fin),
		cmocka_unit_test(test_raw_short),
		cmocka_unit_test(test_raw_no_fin),
		cmocka_unit_test(test_raw_long),
	};

	th_eal_init("test_framing_raw");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
