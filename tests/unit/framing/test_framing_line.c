/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_line.c -- the line deserializer (sl_line_init) through the framing kit:
 * every vector runs whole, a byte per mbuf, cut at every offset and pair of offsets
 * (so "\r" | "\n" splits are always among them), at random, as copies and slice lists,
 * with SL_RX_AGAIN pauses.
 */

#include <errno.h>

#include "unit.h"

#include <sluice/framing.h>

#include "framing_kit.h"

/* A line framing: its configuration, deserializer and framing in one place. */
struct line_fx {
	struct sl_line_cfg cfg;
	struct sl_deserializer ds;
	struct sl_serializer ser;
	struct sl_framing fr;
};

static void
line_fx_init(struct line_fx *x, uint32_t max_len, bool crlf, bool last_line,
	     enum sl_framing_policy pol)
{
	memset(x, 0, sizeof(*x));
	x->cfg.max_len = max_len;
	x->cfg.crlf = crlf;
	x->cfg.last_line_at_eof = last_line;
	assert_int_equal(sl_line_init(&x->ds, &x->ser, &x->cfg), 0);
	x->fr.ds = &x->ds;
	x->fr.ser = &x->ser;
	x->fr.on_error = pol;
}

static void
test_line_init(void **state)
{
	struct sl_line_cfg cfg = { .max_len = 0 };
	struct sl_deserializer ds;

	(void)state;
	assert_int_equal(sl_line_init(&ds, NULL, &cfg), -EINVAL);
	assert_int_equal(sl_line_init(&ds, NULL, NULL), -EINVAL);
	cfg.max_len = 10;
	assert_int_equal(sl_line_init(&ds, NULL, &cfg), 0);
	/* Every consumed byte counts: content, CR, LF. */
	assert_int_equal(ds.max_msg, 12);
}

static void
test_line_lf(void **state)
{
	static struct line_fx x;
	const struct slk_emsg want[] = {
		{ SLK_STR("a"), 0 }, { SLK_STR("bc"), 0 }, { SLK_STR("de"), 0 },
		{ SLK_STR(""), 0 }, { SLK_STR(""), 0 }, { SLK_STR("f\r"), 0 },
	};
	/* LF, CRLF (the CR is not part of the line), empty lines, a CR inside a line. */
	struct slk_case c = { .name = "lf", .fr = &x.fr, SLK_IN("a\nbc\r\nde\n\n\r\nf\r\r\n"),
			      .fin = true };
	struct slk_transcript tr;

	(void)state;
	line_fx_init(&x, 16, false, false, SL_FRAMING_CLOSE);
	slk_run(&c, &tr);
	slk_expect(&tr, want, RTE_DIM(want), 0, 0, SLK_END_EOF);
	assert_int_equal(tr.msgs[1].stream_off, 2);
	slk_transcript_free(&tr);
}

static void
test_line_crlf_strict(void **state)
{
	static struct line_fx x;
	const struct slk_emsg want[] = {
		{ SLK_STR("a"), 0 }, { SLK_STR(""), 0 }, { SLK_STR("c"), 0 },
	};
	struct slk_case c = { .name = "crlf", .fr = &x.fr, SLK_IN("a\r\n\r\nb\nc\r\n"),
			      .fin = true };
	struct slk_transcript tr;

	(void)state;
	/* A bare LF is EPROTO at the LF. */
	line_fx_init(&x, 16, true, false, SL_FRAMING_CLOSE);
	slk_check(&c, want, 2, EPROTO, 6, SLK_END_CLOSE);
	/* Resync: the bad line is dropped, the next one delivered. */
	line_fx_init(&x, 16, true, false, SL_FRAMING_RESYNC);
	slk_run(&c, &tr);
	slk_expect(&tr, want, 3, EPROTO, 6, SLK_END_EOF);
	slk_transcript_free(&tr);
	/* LF as the very first byte. */
	c.in = "\nx\r\n";
	c.len = 4;
	line_fx_init(&x, 16, true, false, SL_FRAMING_ABORT);
	slk_check(&c, NULL, 0, EPROTO, 0, SLK_END_ABORT);
}

static void
test_line_limits(void **state)
{
	static struct line_fx x;
	const struct slk_emsg want[] = {
		{ SLK_STR("abcd"), 0 }, { SLK_STR("efgh"), 0 }, { SLK_STR("xy"), 0 },
	};
	struct slk_case c = { .name = "exact limit", .fr = &x.fr,
			      SLK_IN("abcd\nefgh\r\nijklm\nxy\n"), .fin = true };
	struct slk_transcript tr;

	(void)state;
	line_fx_init(&x, 4, false, false, SL_FRAMING_CLOSE);
	/* Exactly max_len, with LF and with CRLF; then max_len + 1: EMSGSIZE at its byte
	 * max_len. */
	slk_check(&c, want, 2, EMSGSIZE, 11 + 4, SLK_END_CLOSE);
	/* Strict CRLF: the limit is the same. */
	c.in = "abcd\r\nefgh\r\nijklm\r\n";
	c.len = 19;
	line_fx_init(&x, 4, true, false, SL_FRAMING_CLOSE);
	slk_check(&c, want, 2, EMSGSIZE, 12 + 4, SLK_END_CLOSE);
	/* Resync after a long line: the next line is delivered. */
	c.in = "abcd\nefgh\r\nijklm\nxy\n";
	c.len = 20;
	line_fx_init(&x, 4, false, false, SL_FRAMING_RESYNC);
	slk_run(&c, &tr);
	slk_expect(&tr, want, 3, EMSGSIZE, 15, SLK_END_EOF);
	slk_transcript_free(&tr);
}

/* A line too long to ever end well is refused as soon as that is certain, before its LF
 * arrives (no FIN, no LF: the stream just waits otherwise). */
static void
test_line_too_long_early(void **state)
{
	static struct line_fx x;
	struct slk_case c = { .name = "long, no LF", .fr = &x.fr, SLK_IN("abcdef") };

	(void)state;
	line_fx_init(&x, 4, false, false, SL_FRAMING_CLOSE);
	slk_check(&c, NULL, 0, EMSGSIZE, 4, SLK_END_CLOSE);
	/* 5 bytes could still be "abcd\r" + "\n": wait. */
	c.len = 5;
	slk_check(&c, NULL, 0, 0, 0, SLK_END_IDLE);
}

/* Resync over a long line whose LF comes much later, with good lines after it, and a
 * second long line cut by FIN while discarding. */
static void
test_line_resync_long(void **state)
{
	static struct line_fx x;
	const struct slk_emsg want[] = { { SLK_STR("ok"), 0 }, { SLK_STR("yes"), 0 } };
	struct slk_case c = { .name = "resync long", .fr = &x.fr,
			      SLK_IN("ok\nabcdefghijklmnop\nyes\nqrstuvwxyz"), .fin = true };
	struct slk_transcript tr;

	(void)state;
	line_fx_init(&x, 4, false, false, SL_FRAMING_RESYNC);
	slk_run(&c, &tr);
	assert_int_equal(tr.nerrs, 2);
	assert_int_equal(tr.errs[0].err, EMSGSIZE);
	assert_int_equal(tr.errs[0].off, 3 + 4);
	assert_int_equal(tr.errs[1].err, EMSGSIZE);
	assert_int_equal(tr.errs[1].off, 24 + 4);
	assert_int_equal(tr.nmsgs, 2);
	assert_memory_equal(slk_msg_data(&tr, 0), want[0].data, 2);
	assert_memory_equal(slk_msg_data(&tr, 1), want[1].data, 3);
	/* FIN while discarding the second long line: a clean end. */
	assert_int_equal(tr.end, SLK_END_EOF);
	slk_transcript_free(&tr);
}

static void
test_line_fin(void **state)
{
	static struct line_fx x;
	const struct slk_emsg want[] = { { SLK_STR("ab"), 0 }, { SLK_STR("cd"), 0 } };
	struct slk_case c = { .name = "fin mid-line", .fr = &x.fr, SLK_IN("ab\ncd"),
			      .fin = true };

	(void)state;
	/* FIN inside a line: EPIPE at the end of what arrived. */
	line_fx_init(&x, 16, false, false, SL_FRAMING_CLOSE);
	slk_check(&c, want, 1, EPIPE, 5, SLK_END_CLOSE);
	/* last_line_at_eof: it is a message. */
	line_fx_init(&x, 16, false, true, SL_FRAMING_CLOSE);
	slk_check(&c, want, 2, 0, 0, SLK_END_EOF);
	/* ... unless it is too long. */
	line_fx_init(&x, 1, false, true, SL_FRAMING_CLOSE);
	c.in = "a\nbcd";
	slk_check(&c, (const struct slk_emsg[]){ { SLK_STR("a"), 0 } }, 1, EMSGSIZE, 2 + 1,
		  SLK_END_CLOSE);
	/* Nothing after the last LF: a clean end either way. */
	c.in = "ab\n";
	c.len = 3;
	line_fx_init(&x, 16, false, false, SL_FRAMING_CLOSE);
	slk_check(&c, want, 1, 0, 0, SLK_END_EOF);
}

static void
test_line_many(void **state)
{
	static struct line_fx x;
	static char in[400 * 4 + 1];
	struct slk_case c = { .name = "400 lines", .fr = &x.fr, .in = in, .len = 400 * 4,
			      .fin = true, .flags = SLK_F_NO_PAIRS, .random_runs = 50 };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	for (i = 0; i < 400; i++)
		snprintf(in + 4 * i, 5, "%03u\n", i);
	line_fx_init(&x, 8, false, false, SL_FRAMING_CLOSE);
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 400);
	for (i = 0; i < 400; i++) {
		char want[4];

		snprintf(want, sizeof(want), "%03u", i);
		assert_int_equal(tr.msgs[i].len, 3);
		assert_memory_equal(slk_msg_data(&tr, i), want, 3);
	}
	assert_int_equal(tr.end, SLK_END_EOF);
	slk_transcript_free(&tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_init),
		cmocka_unit_test(test_line_lf),
		cmocka_unit_test(test_line_crlf_strict),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_line_too_long_early),
		cmocka_unit_test(test_line_resync_long),
		cmocka_unit_test(test_line_fin),
		cmocka_unit_test(test_line_many),
	};

	th_eal_init("test_framing_line");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
