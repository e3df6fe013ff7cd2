/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_SEND_KIT_H
#define SL_TEST_SEND_KIT_H

/*
 * What the send-path tests share: the send queue and output (tests/unit/tcp/test_txbuf.c),
 * the water marks, the writer and the producers (tests/unit/api/test_wmark.c,
 * test_writer.c, test_producer.c).
 *
 * Their fixture is the TCP helper's (tcp_helper.h) with windows wide open: the peer offers
 * 65535 << 7 and the initial congestion window is 200 segments, so only the flush policy,
 * the water marks or the test's own peer window decide what leaves.
 */

#include <stddef.h>
#include <stdint.h>

#include "tcp_helper.h"

/* Largest sk_pattern(). */
#define SK_PATTERN_MAX	200000

/* n bytes (n <= SK_PATTERN_MAX) of a pattern that differs by seed and has no short period,
 * in a static buffer that the next call overwrites. */
const uint8_t *
sk_pattern(size_t n, unsigned int seed);

/* tt_setup() with cfg (NULL: tp_config()) and init_cwnd 200, into *state. Returns 0. */
int
sk_fixture_setup_cfg(void **state, struct sl_config *cfg);

/* sk_fixture_setup_cfg(state, NULL): the cmocka setup of SK_TEST. */
int
sk_fixture_setup(void **state);

#define SK_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, sk_fixture_setup, tt_fixture_teardown)

/* Receive every data segment now on the wire (ACKs are skipped): each must be at most mss
 * bytes and equal want from *off on, which moves past it. Counts full-sized ones in *full
 * (unless NULL). Returns the number of data segments. */
unsigned int
sk_recv_data(struct tpeer *p, const uint8_t *want, uint32_t *off, uint32_t mss,
	     unsigned int *full);

/* Bytes counted against the water marks of the fixture peer's connection (its slot word:
 * unsent, unacknowledged, and what producers handed off and writers hold). */
uint32_t
sk_queued(const struct tt *x);

#endif /* SL_TEST_SEND_KIT_H */
