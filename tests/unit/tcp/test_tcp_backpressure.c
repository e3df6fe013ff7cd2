/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_out.c, port.c and the output phase (stack.c worker_output): TX backpressure. When
 * the port and the worker's TX queue are full, TCP output waits for room instead of
 * dropping its own frames: nothing is dropped, every flow makes progress in fair order,
 * and ACKs do not wait behind data. The same for a neighbour being resolved: SYNs past
 * its ARP queue wait for the answer. */

#include <netinet/in.h>

#include <rte_arp.h>

#include "unit.h"

#include "tcp_helper.h"

#define NPEERS		8
#define SEGS		10		/* the initial window, in segments */
#define MSS		1448		/* the peer's MSS 1460, less the timestamp option */

static struct tpeer peers[NPEERS];
static uint8_t data[SEGS * MSS];

/* A "NIC" that takes 15 frames, and a worker TX queue of 64: output that can wait stops
 * at 32 frames queued, the other 32 are the reserve. */
static int
setup_full_port(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.tx_queue_max = 64;
	*state = tt_setup_ring(&cfg, NULL, NULL, 16);
	return 0;
}

/* NPEERS connections, each given SEGS full segments to send at once (one window). */
static void
open_and_fill(struct tt *x)
{
	struct sl_conn *c[NPEERS];
	unsigned int i;

	for (i = 0; i < NPEERS; i++) {
		tpeer_init(&peers[i], &x->t, &x->app, (uint16_t)(41000 + i), TP_PORT,
			   TP_PEER_ISS + i * 100000u);
		c[i] = tpeer_connect(&peers[i]);
		assert_non_null(c[i]);
		assert_true(tpeer_flow(&peers[i])->cwnd >= sizeof(data));
	}
	for (i = 0; i < NPEERS; i++)
		assert_int_equal(sl_conn_send(c[i], data, sizeof(data)), 0);
	assert_int_equal(x->t.w->txq.wait_at, 32);
}

static int
peer_of(const struct tp_out *o)
{
	unsigned int i;

	for (i = 0; i < NPEERS; i++)
		if (o->dport == peers[i].port)
			return (int)i;
	fail_msg("a segment to unknown port %u", o->dport);
	return -1;
}

/* Segments of new data each flow has sent (snd_nxt), after the polls so far. */
static unsigned int
segs_sent(unsigned int i)
{
	return (tpeer_flow(&peers[i])->snd_nxt - peers[i].irs - 1) / MSS;
}

static void
test_backpressure_full_port_drops_nothing_and_every_flow_progresses(void **state)
{
	struct tt *x = *state;
	unsigned int first_pos[NPEERS], kth_pos[NPEERS][SEGS], got[NPEERS] = { 0 };
	unsigned int before[NPEERS], pos = 0, rounds = 0, i, cut = NPEERS, waited = 0;
	struct tp_out o;

	open_and_fill(x);
	th_poll(&x->t);
	/* One pass: the wire took 15, the queue holds 32, the rest waits, nothing lost. */
	assert_int_equal(th_stats(&x->t)->tx_drop_full, 0);
	assert_int_equal(x->t.w->txq.n, 32);
	assert_true(th_stats(&x->t)->tcp_output_waits > 0);
	for (i = 0; i < NPEERS; i++) {
		before[i] = segs_sent(i);
		if (before[i] > 0 && before[i] < SEGS)
			cut = i;
		waited += before[i] == 0;
	}
	assert_true(cut < NPEERS);	/* one flow was stopped half-way */
	assert_true(waited > 0);	/* and some did not start */

	/* The wire drains a frame burst at a time; every window goes out, in full. */
	while (rounds++ < 64) {
		bool any = false;

		while (tp_pop(&x->t, &o)) {
			int k = peer_of(&o);

			assert_true(o.len > 0);
			assert_true(got[k] < SEGS);
			assert_int_equal(o.seq, tpeer_sseq(&peers[k], got[k] * MSS));
			if (got[k] == 0)
				first_pos[k] = pos;
			kth_pos[k][got[k]++] = pos++;
			any = true;
		}
		th_poll(&x->t);
		if (!any && tp_pending(&x->t) == 0)
			break;
	}
	for (i = 0; i < NPEERS; i++)
		assert_int_equal(got[i], SEGS);
	assert_int_equal(th_stats(&x->t)->tx_drop_full, 0);
	assert_int_equal(th_stats(&x->t)->tcp_tx_data_segs, NPEERS * SEGS);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 0);
	/* Fair order: the flows that waited began before the cut flow went on. */
	for (i = 0; i < NPEERS; i++)
		if (before[i] == 0)
			assert_true(first_pos[i] < kth_pos[cut][before[cut]]);
	/* No flow took persist for a wait: nothing but the data was sent. */
	for (i = 0; i < NPEERS; i++)
		assert_false(tpeer_flow(&peers[i])->flags & TF_PERSIST);
}

/* The same port, and one connection whose first window (BIG segments) is more than the
 * wire and the queue take: the output phase's pass for a list of one flow. */
#define BIG 64
static uint8_t big[BIG * MSS];

static int
setup_full_port_one_flow(void **state)
{
	struct sl_config cfg;

	tp_config(&cfg);
	cfg.tx_queue_max = 64;
	cfg.init_cwnd = BIG;
	*state = tt_setup_ring(&cfg, NULL, NULL, 16);
	return 0;
}

static void
test_backpressure_one_flow_cut_goes_on_in_order(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = &peers[0];
	unsigned int got = 0, rounds = 0, first;
	struct sl_conn *c;
	struct tp_out o;

	tpeer_init(p, &x->t, &x->app, 41000, TP_PORT, TP_PEER_ISS);
	c = tpeer_connect(p);
	assert_non_null(c);
	assert_true(tpeer_flow(p)->cwnd >= sizeof(big));
	assert_true(tpeer_flow(p)->snd_wnd >= sizeof(big));
	assert_int_equal(sl_conn_send(c, big, sizeof(big)), 0);
	th_poll(&x->t);
	/* The wire took 15 and the queue holds 32: the flow was cut, and stays on the dirty
	 * list for the next pass. */
	first = (tpeer_flow(p)->snd_nxt - p->irs - 1) / MSS;
	assert_true(first > 0 && first < BIG);
	assert_true(tpeer_flow(p)->flags & TF_DIRTY);
	assert_int_equal(th_stats(&x->t)->tx_drop_full, 0);
	while (rounds++ < 64 && got < BIG) {
		while (tp_pop(&x->t, &o)) {
			assert_int_equal(o.len, MSS);
			assert_int_equal(o.seq, tpeer_sseq(p, got * MSS));
			got++;
		}
		th_poll(&x->t);
	}
	assert_int_equal(got, BIG);
	assert_int_equal(th_stats(&x->t)->tx_drop_full, 0);
	assert_int_equal(th_stats(&x->t)->tcp_tx_data_segs, BIG);
	assert_int_equal(th_stats(&x->t)->tcp_retransmit_segs, 0);
	assert_false(tpeer_flow(p)->flags & TF_PERSIST);
}

static void
test_backpressure_ack_does_not_wait_behind_data(void **state)
{
	struct tt *x = *state;
	struct tpeer *p = NULL;
	bool acked = false, data_seen = false;
	unsigned int i, rounds = 0;
	struct tp_out o;
	const uint8_t b[100] = { 1 };

	open_and_fill(x);
	th_poll(&x->t);
	for (i = 0; i < NPEERS && p == NULL; i++)
		if (segs_sent(i) == 0)
			p = &peers[i];
	assert_non_null(p);
	/* Out-of-order data from a peer whose flow waits for TX room: the duplicate ACK
	 * with its SACK block leaves at once, ahead of the flow's own data. */
	tpeer_xmit(p, TH_ACK, tpeer_seq(p, 1000), p->rcv_nxt, b, sizeof(b));
	while (rounds++ < 64 && !data_seen) {
		while (tp_pop(&x->t, &o)) {
			if (o.dport != p->port)
				continue;
			if (o.len == 0) {
				assert_false(data_seen);
				assert_int_equal(o.ack, p->snd_nxt);
				assert_true(o.opts.has & TO_SACK);
				acked = true;
			} else {
				data_seen = true;
			}
		}
		th_poll(&x->t);
	}
	assert_true(acked);
	assert_true(data_seen);
	assert_int_equal(th_stats(&x->t)->tx_drop_full, 0);
}

/* Frames on the wire: ARP requests and SYNs (to TH_OTHER_IP); everything is freed. */
static void
count_wire(struct th *t, unsigned int *arp, unsigned int *syn)
{
	struct rte_mbuf *m;

	while ((m = th_tx_pop(t)) != NULL) {
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t type = (uint16_t)(b[12] << 8 | b[13]);

		if (type == RTE_ETHER_TYPE_ARP)
			(*arp)++;
		else if (type == RTE_ETHER_TYPE_IPV4 && b[14 + 9] == IPPROTO_TCP &&
			 (b[14 + 20 + 13] & TH_SYN))
			(*syn)++;
		rte_pktmbuf_free(m);
	}
}

static void
test_backpressure_syns_wait_for_the_arp_answer(void **state)
{
	struct tt *x = *state;
	unsigned int i, arp = 0, syn = 0;
	uint8_t f[60] = { 0 };
	size_t n;

	/* 20 connections at once to a neighbour not resolved yet: its ARP queue holds a
	 * few SYNs, the others wait (nothing dropped, no RTO), and all leave with the
	 * answer. */
	for (i = 0; i < 20; i++)
		assert_non_null(sl_worker_connect(x->t.w, TH_OTHER_IP, 80, &tapp_ops,
						  tapp_new_conn(&x->app)));
	th_poll(&x->t);
	th_poll(&x->t);
	count_wire(&x->t, &arp, &syn);
	assert_int_equal(arp, 1);
	assert_int_equal(syn, 0);
	n = fb_eth(f, &x->t.mac, &th_other_mac, RTE_ETHER_TYPE_ARP);
	fb_arp(f + n, RTE_ARP_OP_REPLY, &th_other_mac, TH_OTHER_IP, &x->t.mac, TH_STACK_IP);
	th_inject_bytes(&x->t, f, sizeof(f));
	th_poll(&x->t);
	count_wire(&x->t, &arp, &syn);
	assert_int_equal(syn, 20);
	assert_int_equal(th_stats(&x->t)->arp_pending_drop, 0);
	assert_true(th_stats(&x->t)->arp_pending_refused > 0);
	assert_int_equal(th_stats(&x->t)->tcp_active_opens, 20);
}

static const struct CMUnitTest tests[] = {
	TT_TEST_SETUP(test_backpressure_full_port_drops_nothing_and_every_flow_progresses,
		      setup_full_port),
	TT_TEST_SETUP(test_backpressure_one_flow_cut_goes_on_in_order, setup_full_port_one_flow),
	TT_TEST_SETUP(test_backpressure_ack_does_not_wait_behind_data, setup_full_port),
	TT_TEST(test_backpressure_syns_wait_for_the_arp_answer),
};

UNIT_MAIN("test_tcp_backpressure", tests)
