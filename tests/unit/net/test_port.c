/* SPDX-License-Identifier: BSD-3-Clause */
/* port.c: the worker TX queue. Frames the port refuses wait, in order, for the next
 * flush; only a full worker queue drops, and nothing leaks. */

#include "unit.h"

#include <rte_icmp.h>
#include <rte_ip.h>

static uint16_t
reply_seq(const struct rte_mbuf *m)
{
	const struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *,
								RTE_ETHER_HDR_LEN + 20);

	return rte_be_to_cpu_16(ic->icmp_seq_nb);
}

static void
put_pings(struct th *t, uint16_t first, uint16_t count)
{
	uint8_t f[128];
	uint16_t i;

	for (i = 0; i < count; i++)
		th_wire_put(t, th_frame(t, f, fb_ping(f, t, 1, (uint16_t)(first + i), "z", 1)));
}

/* A port whose "NIC" takes 7 frames at most. */
static int
setup_small_nic(void **state)
{
	return th_fixture_setup_cfg(state, NULL, 8);
}

/* The same, and a worker TX queue of 32 frames. */
static int
setup_small_nic_short_queue(void **state)
{
	struct sl_config cfg;

	th_config(&cfg);
	cfg.tx_queue_max = 32;
	return th_fixture_setup_cfg(state, &cfg, 8);
}

static void
test_port_refused_frames_kept_in_order(void **state)
{
	struct th *t = *state;
	struct rte_mbuf *m;
	uint16_t expect = 0;
	unsigned int rounds = 0;

	put_pings(t, 0, 20);
	th_poll(t);
	assert_int_equal(th_tx_count(t), 7);
	assert_int_equal(th_stats(t)->tx_packets, 7);
	assert_true(th_stats(t)->tx_deferred >= 13);
	/* Each time the wire drains, the next poll sends the next frames, in order. */
	while (expect < 20 && rounds++ < 10) {
		while ((m = th_tx_pop(t)) != NULL) {
			assert_int_equal(reply_seq(m), expect);
			expect++;
			rte_pktmbuf_free(m);
		}
		th_poll(t);
	}
	assert_int_equal(expect, 20);
	assert_int_equal(th_stats(t)->tx_packets, 20);
	assert_int_equal(th_stats(t)->tx_drop_full, 0);
}

static void
test_port_full_worker_queue_drops_newest(void **state)
{
	struct th *t = *state;

	put_pings(t, 0, 64);
	th_poll(t);		/* RX bursts are 32 frames: two polls take all 64 */
	th_poll(t);
	/* 7 on the wire, 32 waiting, the rest dropped and counted. */
	assert_int_equal(th_tx_count(t), 7);
	assert_int_equal(th_stats(t)->tx_drop_full, 64 - 7 - 32);
	assert_int_equal(t->w->txq.n, 32);
}

static void
test_port_one_flush_per_iteration_counts_bursts(void **state)
{
	struct th *t = *state;

	put_pings(t, 0, 10);
	th_poll(t);
	assert_int_equal(th_tx_count(t), 10);
	assert_int_equal(th_stats(t)->tx_bursts, 1);
	assert_int_equal(th_stats(t)->rx_bursts, 1);
}

/* port_flush's one-burst path (everything taken, or an empty queue) and its general loop
 * (port_flush_rest: the port takes part, or nothing) leave the counters and the queue as
 * the loop of bursts defines them, at each boundary: 10 frames to a "NIC" of 7. */
static void
test_port_flush_fast_and_general_paths_agree(void **state)
{
	struct th *t = *state;
	struct sl_worker *w = t->w;
	const struct sl_stats before = *th_stats(t);
	uint8_t f[60] = { 0 };
	unsigned int i;

	for (i = 0; i < 10; i++)
		port_txq_add(w, th_frame(t, f, sizeof(f)));
	assert_int_equal(w->txq.n, 10);
	/* Part taken: one burst of 7 counted, 3 kept (counted deferred once), in order. */
	port_flush(w);
	assert_int_equal(th_tx_count(t), 7);
	assert_int_equal(th_stats(t)->tx_bursts - before.tx_bursts, 1);
	assert_int_equal(th_stats(t)->tx_packets - before.tx_packets, 7);
	assert_int_equal(th_stats(t)->tx_bytes - before.tx_bytes, 7 * sizeof(f));
	assert_int_equal(th_stats(t)->tx_deferred - before.tx_deferred, 3);
	assert_int_equal(w->txq.n, 3);
	assert_int_equal(w->txq.bytes, 3 * sizeof(f));
	assert_int_equal(w->txq.refused, 3);
	assert_int_equal(w->txq.flush_at, RTE_MIN(3u + w->txq.burst, (unsigned)w->txq.cap));
	/* Nothing taken: no burst counted, nothing deferred twice. */
	port_flush(w);
	assert_int_equal(th_stats(t)->tx_bursts - before.tx_bursts, 1);
	assert_int_equal(th_stats(t)->tx_deferred - before.tx_deferred, 3);
	assert_int_equal(w->txq.n, 3);
	/* The wire drained: the rest in one burst, the queue reset. */
	assert_int_equal(th_tx_drain(t), 7);
	port_flush(w);
	assert_int_equal(th_tx_count(t), 3);
	assert_int_equal(th_stats(t)->tx_bursts - before.tx_bursts, 2);
	assert_int_equal(th_stats(t)->tx_packets - before.tx_packets, 10);
	assert_int_equal(th_stats(t)->tx_bytes - before.tx_bytes, 10 * sizeof(f));
	assert_int_equal(w->txq.n, 0);
	assert_int_equal(w->txq.bytes, 0);
	assert_int_equal(w->txq.refused, 0);
	assert_int_equal(w->txq.flush_at, w->txq.burst);
	assert_false(w->txq.shut);
	/* An empty queue: no burst, nothing counted. */
	port_flush(w);
	assert_int_equal(th_stats(t)->tx_bursts - before.tx_bursts, 2);
	assert_int_equal(th_stats(t)->tx_packets - before.tx_packets, 10);
	assert_int_equal(th_tx_drain(t), 3);
}

static const struct CMUnitTest tests[] = {
	TH_TEST_SETUP(test_port_refused_frames_kept_in_order, setup_small_nic),
	TH_TEST_SETUP(test_port_full_worker_queue_drops_newest, setup_small_nic_short_queue),
	TH_TEST(test_port_one_flush_per_iteration_counts_bursts),
	TH_TEST_SETUP(test_port_flush_fast_and_general_paths_agree, setup_small_nic),
};

UNIT_MAIN("test_port", tests)
