/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_framing_fixed.c -- fixed-size records (sl_fixed_init) through the framing kit.
 */

#include <errno.h>

#include "unit.h"

#include <sluice/framing.h>

#include "framing_kit.h"

struct fx_fx {
	struct sl_fixed_cfg cfg;
	struct sl_deserializer ds;
	struct sl_framing fr;
};

static void
fx_init(struct fx_fx *x, uint32_t size)
{
	memset(x, 0, sizeof(*x));
	x->cfg.size = size;
	assert_int_equal(sl_fixed_init(&x->ds, NULL, &x->cfg), 0);
	x->fr.ds = &x->ds;
}

static void
test_fixed_init(void **state)
{
	struct sl_fixed_cfg cfg = { .size = 0 };
	struct sl_deserializer ds;

	(void)state;
	assert_int_equal(sl_fixed_init(&ds, NULL, &cfg), -EINVAL);
	cfg.size = 8;
	assert_int_equal(sl_fixed_init(&ds, NULL, &cfg), 0);
	assert_int_equal(ds.max_msg, 8);
}

static void
test_fixed_records(void **state)
{
	static struct fx_fx x;
	const struct slk_emsg want[] = {
		{ SLK_STR("abcd"), 0 }, { SLK_STR("efgh"), 0 }, { SLK_STR("ij\0\xff"), 0 },
	};
	struct slk_case c = { .name = "records", .fr = &x.fr, SLK_IN("abcdefghij\0\xff"),
			      .fin = true };

	(void)state;
	fx_init(&x, 4);
	slk_check(&c, want, 3, 0, 0, SLK_END_EOF);
	/* FIN inside a record: EPIPE at its start. */
	c.len = 10;
	slk_check(&c, want, 2, EPIPE, 8, SLK_END_CLOSE);
	/* No FIN: the partial record waits. */
	c.fin = false;
	slk_check(&c, want, 2, 0, 0, SLK_END_IDLE);
	/* One-byte records. */
	fx_init(&x, 1);
	c.in = "xyz";
	c.len = 3;
	c.fin = true;
	slk_check(&c, (const struct slk_emsg[]){ { SLK_STR("x"), 0 }, { SLK_STR("y"), 0 },
						 { SLK_STR("z"), 0 } }, 3, 0, 0, SLK_END_EOF);
}

/* Records larger than an mbuf. */
static void
test_fixed_large(void **state)
{
	static struct fx_fx x;
	static uint8_t in[2 * 2500];
	struct slk_case c = { .name = "2500-byte records", .fr = &x.fr, .in = in,
			      .len = sizeof(in), .fin = true, .flags = SLK_F_NO_PAIRS,
			      .random_runs = 50 };
	struct slk_transcript tr;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i ^ (i >> 7));
	fx_init(&x, 2500);
	slk_run(&c, &tr);
	assert_int_equal(tr.nmsgs, 2);
	assert_memory_equal(slk_msg_data(&tr, 1), in + 2500, 2500);
	slk_transcript_free(&tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_init),
		cmocka_unit_test(test_fixed_records),
		cmocka_unit_test(test_fixed_large),
	};

	th_eal_init("test_framing_fixed");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
