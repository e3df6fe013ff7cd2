/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_lenpfx.c -- the length-prefixed deserializer (sl_lenpfx_init) through the
 * framing kit: widths 1, 2 and 4, big and little endian, lengths that include the header
 * or not, limits, empty messages, headers split at every offset (1|3, 2|2, 3|1 ...), FIN
 * inside a header or a payload.
 */

#include <errno.h>

#include "unit.h"

#include <sluice/framing.h>

#include "framing_kit.h"

struct lp_fx {
	struct sl_lenpfx_cfg cfg;
	struct sl_deserializer ds;
	struct sl_framing fr;
};

static void
lp_fx_init(struct lp_fx *x, uint8_t width, bool le, bool incl, uint32_t max_len)
{
	memset(x, 0, sizeof(*x));
	x->cfg.width = width;
	x->cfg.little_endian = le;
	x->cfg.includes_header = incl;
	x->cfg.max_len = max_len;
	assert_int_equal(sl_lenpfx_init(&x->ds, NULL, &x->cfg), 0);
	x->fr.ds = &x->ds;
	x->fr.on_error = SL_FRAMING_CLOSE;
}

static const struct slk_emsg abc_z[] = {
	{ SLK_STR("abc"), 0 }, { SLK_STR(""), 0 }, { SLK_STR("z"), 0 },
};

static void
test_lenpfx_init(void **state)
{
	struct sl_lenpfx_cfg cfg = { .width = 3, .max_len = 10 };
	struct sl_deserializer ds;

	(void)state;
	assert_int_equal(sl_lenpfx_init(&ds, NULL, &cfg), -EINVAL);
	cfg.width = 0;
	assert_int_equal(sl_lenpfx_init(&ds, NULL, &cfg), -EINVAL);
	cfg.width = 1;
	cfg.max_len = 1000;
	assert_int_equal(sl_lenpfx_init(&ds, NULL, &cfg), 0);
	/* A 1-byte length cannot describe more than 255. */
	assert_int_equal(ds.max_msg, 1 + 255);
}

/* The same three messages ("abc", "", "z") in every encoding. */
static void
test_lenpfx_encodings(void **state)
{
	static const struct {
		uint8_t width;
		bool le, incl;
		const char *in;
		size_t len;
	} v[] = {
		{ 1, false, false, "\x03" "abc" "\x00" "\x01" "z", 7 },
		{ 1, true, true, "\x04" "abc" "\x01" "\x02" "z", 7 },
		{ 2, false, false, "\x00\x03" "abc" "\x00\x00" "\x00\x01" "z", 10 },
		{ 2, true, false, "\x03\x00" "abc" "\x00\x00" "\x01\x00" "z", 10 },
		{ 2, false, true, "\x00\x05" "abc" "\x00\x02" "\x00\x03" "z", 10 },
		{ 2, true, true, "\x05\x00" "abc" "\x02\x00" "\x03\x00" "z", 10 },
		{ 4, false, false, "\x00\x00\x00\x03" "abc" "\x00\x00\x00\x00"
				   "\x00\x00\x00\x01" "z", 16 },
		{ 4, true, false, "\x03\x00\x00\x00" "abc" "\x00\x00\x00\x00"
				  "\x01\x00\x00\x00" "z", 16 },
		{ 4, false, true, "\x00\x00\x00\x07" "abc" "\x00\x00\x00\x04"
				  "\x00\x00\x00\x05" "z", 16 },
		{ 4, true, true, "\x07\x00\x00\x00" "abc" "\x04\x00\x00\x00"
				 "\x05\x00\x00\x00" "z", 16 },
	};
	static struct lp_fx x;
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(v); i++) {
		struct slk_case c = { .name = "encoding", .fr = &x.fr, .in = v[i].in,
				      .len = v[i].len, .fin = true };

		lp_fx_init(&x, v[i].width, v[i].le, v[i].incl, 100);
		slk_run(&c, &tr);
		slk_expect(&tr, abc_z, RTE_DIM(abc_z), 0, 0, SLK_END_EOF);
		/* The message is the payload, after its header. */
		assert_int_equal(tr.msgs[0].stream_off, v[i].width);
		assert_int_equal(tr.msgs[2].stream_off, 3 * v[i].width + 3);
		slk_transcript_free(&tr);
	}
}

static void
test_lenpfx_limits(void **state)
{
	static struct lp_fx x;
	const struct slk_emsg want[] = { { SLK_STR("abcd"), 0 } };
	struct slk_case c = { .name = "limit", .fr = &x.fr,
			      SLK_IN("\x00\x04" "abcd" "\x00\x05" "abcde"), .fin = true };

	(void)state;
	/* max_len exactly, then max_len + 1: EMSGSIZE at its header, before its payload. */
	lp_fx_init(&x, 2, false, false, 4);
	slk_check(&c, want, 1, EMSGSIZE, 6, SLK_END_CLOSE);
	c.len = 8;	/* only the bad header: refused without waiting for the payload */
	c.fin = false;
	slk_check(&c, want, 1, EMSGSIZE, 6, SLK_END_CLOSE);
	/* Including the header: the same limit on the payload. */
	lp_fx_init(&x, 2, false, true, 4);
	c.in = "\x00\x06" "abcd" "\x00\x07" "abcde";
	c.len = 13;
	slk_check(&c, want, 1, EMSGSIZE, 6, SLK_END_CLOSE);
	/* A length smaller than the header it includes. */
	c.in = "\x00\x06" "abcd" "\x00\x01";
	c.len = 8;
	slk_check(&c, want, 1, EPROTO, 6, SLK_END_CLOSE);
	/* The 4-byte maximum the field allows, far above max_len. */
	lp_fx_init(&x, 4, true, false, 4);
	c.in = "\x04\x00\x00\x00" "abcd" "\xff\xff\xff\xff";
	c.len = 12;
	slk_check(&c, want, 1, EMSGSIZE, 8, SLK_END_CLOSE);
}

static void
test_lenpfx_fin(void **state)
{
	static struct lp_fx x;
	const struct slk_emsg want[] = { { SLK_STR("ab"), 0 } };
	struct slk_case c = { .name = "fin", .fr = &x.fr, .fin = true };

	(void)state;
	lp_fx_init(&x, 4, false, false, 100);
	/* Inside the header, then inside the payload: EPIPE at the message's start. */
	c.in = "\x00\x00\x00\x02" "ab" "\x00\x00";
	c.len = 8;
	slk_check(&c, want, 1, EPIPE, 6, SLK_END_CLOSE);
	c.in = "\x00\x00\x00\x02" "ab" "\x00\x00\x00\x05" "xyz";
	c.len = 13;
	slk_check(&c, want, 1, EPIPE, 6, SLK_END_CLOSE);
	/* Without FIN the partial message waits. */
	c.fin = false;
	slk_check(&c, want, 1, 0, 0, SLK_END_IDLE);
}

/* Payloads longer than an mbuf: spanning slices (copies or slice lists). */
static void
test_lenpfx_large(void **state)
{
	static struct lp_fx x;
	static uint8_t in[2 + 3000 + 2 + 5];
	struct slk_case c = { .name = "3000-byte payload", .fr = &x.fr, .in = in,
			      .len = sizeof(in), .fin = true, .flags = SLK_F_NO_PAIRS,
			      .random_runs = 50 };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	in[0] = 3000 >> 8;
	in[1] = 3000 & 0xff;
	for (i = 0; i < 3000; i++)
		in[2 + i] = (uint8_t)(i * 7);
	memcpy(in + 3002, "\x00\x05hello", 7);
	lp_fx_init(&x, 2, false, false, 4000);
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 2);
	assert_int_equal(tr.msgs[0].len, 3000);
	assert_memory_equal(slk_msg_data(&tr, 0), in + 2, 3000);
	assert_memory_equal(slk_msg_data(&tr, 1), "hello", 5);
	assert_int_equal(tr.end, SLK_END_EOF);
	slk_transcript_free(&tr);
}

static void
test_lenpfx_many(void **state)
{
	static struct lp_fx x;
	static uint8_t in[300 * 3];
	struct slk_case c = { .name = "300 messages", .fr = &x.fr, .in = in,
			      .len = sizeof(in), .fin = true, .flags = SLK_F_NO_PAIRS,
			      .random_runs = 50 };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		in[3 * i] = 2;		/* 1-byte LE length 2 */
		in[3 * i + 1] = (uint8_t)i;
		in[3 * i + 2] = (uint8_t)(i >> 8);
	}
	lp_fx_init(&x, 1, true, false, 10);
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 300);
	for (i = 0; i < 300; i++)
		assert_int_equal(slk_msg_data(&tr, i)[0], (uint8_t)i);
	slk_transcript_free(&tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lenpfx_init),
		cmocka_unit_test(test_lenpfx_encodings),
		cmocka_unit_test(test_lenpfx_limits),
		cmocka_unit_test(test_lenpfx_fin),
		cmocka_unit_test(test_lenpfx_large),
		cmocka_unit_test(test_lenpfx_many),
	};

	th_eal_init("test_framing_lenpfx");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
