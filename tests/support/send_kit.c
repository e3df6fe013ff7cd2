/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * send_kit.c -- see send_kit.h.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "send_kit.h"
#include "api/wmark.h"

static uint8_t sk_payload[SK_PATTERN_MAX];

const uint8_t *
sk_pattern(size_t n, unsigned int seed)
{
	size_t i;

	assert_true(n <= sizeof(sk_payload));
	for (i = 0; i < n; i++)
		sk_payload[i] = (uint8_t)(i * 13 + seed + (i >> 9));
	return sk_payload;
}

int
sk_fixture_setup_cfg(void **state, struct sl_config *cfg)
{
	struct sl_config def;

	if (cfg == NULL) {
		tp_config(&def);
		cfg = &def;
	}
	cfg->init_cwnd = 200;
	return tt_fixture_setup_cfg(state, cfg);
}

int
sk_fixture_setup(void **state)
{
	return sk_fixture_setup_cfg(state, NULL);
}

unsigned int
sk_recv_data(struct tpeer *p, const uint8_t *want, uint32_t *off, uint32_t mss,
	     unsigned int *full)
{
	struct tp_out o;
	unsigned int n = 0;

	while (tpeer_recv(p, &o)) {
		if (o.len == 0)
			continue;
		assert_true(o.len <= mss);
		assert_memory_equal(o.data, want + *off, o.len);
		*off += o.len;
		if (full != NULL && o.len == mss)
			(*full)++;
		n++;
	}
	return n;
}

uint32_t
sk_queued(const struct tt *x)
{
	const struct tcp_flow *f = tpeer_flow(&x->p);

	return (uint32_t)(x->t.w->tcp.slots[f->idx].word & WM_QUEUED);
}
