/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several workers on one port (steer.c): a multi-queue net_ring port whose queues the test
 * fills itself. The port has no RSS, so the stack owns flows in software: whichever queue
 * a segment arrives on, its flow lives on steer_owner()'s worker only; active opens pick
 * local ports their own worker owns; ARP reaches every worker's table.
 */

#include <errno.h>

#include "unit.h"

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include <sluice/producer.h>

#include "api/api_priv.h"
#include "core/steer.h"
#include "net/arp.h"
#include "tcp/flow.h"
#include "tcp/tcp_mem.h"
#include "tcp_helper.h"

#define NW 2

static const struct rte_ether_addr zero_mac;

struct wt {
	struct th t;
	struct tapp app;
};

/* Static: a failed assertion leaves by longjmp and the teardown still finds the stack. */
static struct wt wt_fixture;

static void
wt_listen(struct th *t, void *arg)
{
	struct wt *x = arg;

	assert_int_equal(sl_stack_listen(t->s, TP_PORT, &tapp_ops, &x->app), 0);
}

static struct wt *
wt_setup_cfg(const struct sl_config *cfg)
{
	struct sl_config def;
	struct wt *x = &wt_fixture;

	memset(x, 0, sizeof(*x));
	if (cfg == NULL) {
		tp_config(&def);
		cfg = &def;
	}
	th_setup_workers(&x->t, cfg, NW, wt_listen, x);
	return x;
}

static int
wt_setup(void **state)
{
	*state = wt_setup_cfg(NULL);
	return 0;
}

static int
wt_teardown(void **state)
{
	struct wt *x = *state;
	unsigned int i;

	for (i = 0; i < x->app.n; i++)
		if (x->app.conns[i].c != NULL)
			sl_conn_abort(x->app.conns[i].c);
	th_poll(&x->t);
	th_teardown(&x->t);
	return 0;
}

#define WT_TEST(fn) cmocka_unit_test_setup_teardown(fn, wt_setup, wt_teardown)

static struct sl_worker *
wk(struct wt *x, unsigned int i)
{
	return sl_stack_worker(x->t.s, i);
}

/* The flow key of the peer's port rport to our TP_PORT, as the flow table keys it. */
static struct flow_key
key_of(uint16_t rport, uint16_t lport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.raddr = TH_PEER_IP;
	k.laddr = TH_STACK_IP;
	k.rport = rte_cpu_to_be_16(rport);
	k.lport = rte_cpu_to_be_16(lport);
	return k;
}

/* Put the peer's segment on RX queue q. */
static void
put_seg(struct wt *x, unsigned int q, uint16_t sport, uint16_t dport, uint32_t seq,
	uint32_t ack, uint8_t flags, const void *data, size_t len)
{
	uint8_t frame[2048];
	struct tseg s = {
		.sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags,
		.wnd = 65535, .data = data, .len = len,
	};
	size_t n = tp_build(frame, &x->t, &s);

	th_wire_put_q(&x->t, q, th_frame(&x->t, frame, n));
}

static void
put_arp(struct wt *x, unsigned int q, const struct rte_ether_addr *dst, uint16_t op,
	const struct rte_ether_addr *sha, rte_be32_t sip, rte_be32_t tip)
{
	uint8_t f[60] = { 0 };
	size_t n = fb_eth(f, dst, sha, RTE_ETHER_TYPE_ARP);

	fb_arp(f + n, op, sha, sip, &zero_mac, tip);
	th_wire_put_q(&x->t, q, th_frame(&x->t, f, sizeof(f)));
}

static unsigned int
flows_on(struct wt *x, unsigned int i, const struct flow_key *k)
{
	return flow_lookup(wk(x, i), k) != NULL;
}

/* The owner is a function of the 4-tuple alone, the same on every worker, and spreads
 * flows over all of them. */
static void
test_owner_fixed_function_spreads(void **state)
{
	struct wt *x = *state;
	unsigned int count[NW] = { 0 };
	uint16_t p;

	assert_false(x->t.s->steer.rss);
	assert_true(x->t.s->steer.check);
	for (p = 1024; p < 3072; p++) {
		struct flow_key k = key_of(p, TP_PORT);
		unsigned int o = steer_owner(x->t.s, &k);

		assert_true(o < NW);
		assert_int_equal(steer_owner(x->t.s, &k), o);
		count[o]++;
	}
	assert_true(count[0] > 2048 / 4 && count[1] > 2048 / 4);
}

/* RSS steering (a port that took sluice's key and RETA): the owner comes from that table,
 * and workers no longer check segments (the port delivers each to its owner). */
static void
test_rss_table_decides_owner_and_skips_check(void **state)
{
	struct wt *x = *state;
	struct sl_stack *s = x->t.s;
	uint16_t table[64];
	unsigned int i;
	uint16_t p;

	for (i = 0; i < RTE_DIM(table); i++)
		table[i] = (uint16_t)(i < 32 ? 1 : 0);
	steer_setup(s, table, RTE_DIM(table), true);
	assert_true(s->steer.rss);
	assert_false(s->steer.check);
	for (p = 1024; p < 2048; p++) {
		struct flow_key k = key_of(p, TP_PORT);
		uint32_t h = steer_hash(&s->steer, k.raddr, k.laddr, k.rport, k.lport);

		assert_int_equal(steer_owner(s, &k), table[h % RTE_DIM(table)]);
	}
	/* A table that is not a power of two is not trusted: software ownership. */
	steer_setup(s, table, 48, true);
	assert_false(s->steer.rss);
	assert_true(s->steer.check);
	assert_int_equal(s->steer.reta_size, STEER_RETA_DEFAULT);
}

/* The table-driven hash is the Toeplitz hash a NIC with sluice's key computes (DPDK's
 * reference implementation, rte_softrss, on the same tuple). */
static void
test_hash_is_toeplitz(void **state)
{
	struct wt *x = *state;
	uint64_t r = 0x1234567;
	unsigned int i;

	for (i = 0; i < 4096; i++) {
		union rte_thash_tuple tu;
		uint32_t sip, dip;
		uint16_t sp, dp;

		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		sip = (uint32_t)(r >> 32);
		dip = (uint32_t)r;
		sp = (uint16_t)(r >> 17);
		dp = (uint16_t)(r >> 41);
		memset(&tu, 0, sizeof(tu));
		tu.v4.src_addr = sip;
		tu.v4.dst_addr = dip;
		tu.v4.sport = sp;
		tu.v4.dport = dp;
		assert_int_equal(steer_hash(&x->t.s->steer, rte_cpu_to_be_32(sip),
					    rte_cpu_to_be_32(dip), rte_cpu_to_be_16(sp),
					    rte_cpu_to_be_16(dp)),
				 rte_softrss((uint32_t *)&tu, RTE_THASH_V4_L4_LEN,
					     steer_rss_key()));
	}
	/* The Microsoft RSS verification suite's first IPv4/TCP vector for this key (source
	 * 0x420995bb port 2794, destination 0xa18e6450 port 1766; a hash input only, never
	 * traffic) hashes to 0x51ccc178. */
	assert_int_equal(steer_hash(&x->t.s->steer, RTE_BE32(0x420995bb), RTE_BE32(0xa18e6450),
				    RTE_BE16(2794), RTE_BE16(1766)), 0x51ccc178);
}

/* SYNs on the owner's queue and on the other one: the owner answers each, the flow exists
 * on the owner only, and the handshake, data and FIN arriving on the wrong queue reach it. */
static void
test_passive_open_any_queue_handled_by_owner(void **state)
{
	struct wt *x = *state;
	struct tp_out o;
	uint16_t p;
	unsigned int i;

	put_arp(x, 1, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, TH_STACK_IP);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	for (p = 41000; p < 41000 + 16; p++) {
		struct flow_key k = key_of(p, TP_PORT);
		unsigned int owner = steer_owner(x->t.s, &k);
		unsigned int q = p % 2 ? 1 - owner : owner;	/* half on the wrong queue */
		struct tconn *tc;
		uint32_t irs;

		put_seg(x, q, p, TP_PORT, TP_PEER_ISS, 0, TH_SYN, NULL, 0);
		th_poll(&x->t);
		assert_true(tp_pop(&x->t, &o));
		assert_int_equal(o.flags, TH_SYN | TH_ACK);
		assert_int_equal(o.dport, p);
		assert_int_equal(tp_pending(&x->t), 0);
		assert_int_equal(flows_on(x, owner, &k), 1);
		assert_int_equal(flows_on(x, 1 - owner, &k), 0);
		irs = o.seq;
		/* The rest of the flow on the queue the SYN did not use. */
		put_seg(x, 1 - q, p, TP_PORT, TP_PEER_ISS + 1, irs + 1, TH_ACK, NULL, 0);
		put_seg(x, 1 - q, p, TP_PORT, TP_PEER_ISS + 1, irs + 1, TH_ACK | TH_PSH,
			"hello", 5);
		put_seg(x, q, p, TP_PORT, TP_PEER_ISS + 6, irs + 1, TH_ACK | TH_FIN, NULL, 0);
		th_poll(&x->t);
		tc = tapp_find(&x->app, p);
		assert_non_null(tc);
		assert_int_equal(tc->rx_bytes, 5);
		assert_memory_equal(tc->rx, "hello", 5);
		assert_int_equal(tc->eofs, 1);
		assert_int_equal(conn_flow(tc->c)->w->id, owner);
		sl_conn_abort(tc->c);
		th_poll(&x->t);
		th_tx_drain(&x->t);
	}
	for (i = 0; i < NW; i++) {
		assert_int_equal(wk(x, i)->stats.tcp_rst_closed_port, 0);
		assert_int_equal(wk(x, i)->stats.handoff_drop_full, 0);
	}
	/* Every segment that reached the non-owner was handed over once: 2 per flow. */
	assert_int_equal(wk(x, 0)->stats.handoff_segs + wk(x, 1)->stats.handoff_segs,
			 2 * 16);
	assert_int_equal(wk(x, 0)->stats.handoff_in + wk(x, 1)->stats.handoff_in,
			 2 * 16 + (NW - 1));	/* + the ARP copy */
}

/* The peer learned, then a connection from its port p opened through queue `owner` (the
 * worker that owns it): returns our ISS. */
static uint32_t
open_on(struct wt *x, unsigned int owner, uint16_t p)
{
	struct tp_out o;

	put_arp(x, owner, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP,
		TH_STACK_IP);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	put_seg(x, owner, p, TP_PORT, TP_PEER_ISS, 0, TH_SYN, NULL, 0);
	th_poll(&x->t);
	assert_true(tp_pop(&x->t, &o));
	put_seg(x, owner, p, TP_PORT, TP_PEER_ISS + 1, o.seq + 1, TH_ACK, NULL, 0);
	th_poll(&x->t);
	return o.seq;
}

/* An ICMP "fragmentation needed" reaches whichever queue the port picks (a NIC hashes it
 * by the router's address): the worker that receives it hands it to the owner of the
 * connection it quotes, which shrinks that connection's segments. */
static void
test_icmp_frag_needed_reaches_owner(void **state)
{
	struct wt *x = *state;
	const uint16_t p = 41001;
	struct flow_key k = key_of(p, TP_PORT);
	unsigned int owner = steer_owner(x->t.s, &k), other = 1 - owner;
	static uint8_t data[3000];
	struct tcp_flow *f;
	struct tconn *tc;
	uint8_t frame[128];
	uint32_t irs;

	irs = open_on(x, owner, p);
	tc = tapp_find(&x->app, p);
	assert_non_null(tc);
	assert_int_equal(sl_conn_send(tc->c, data, sizeof(data)), 0);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	f = flow_lookup(wk(x, owner), &k);
	assert_non_null(f);
	assert_int_equal(f->mss, 536);	/* the SYN had no MSS option */
	th_wire_put_q(&x->t, other, th_frame(&x->t, frame, fb_frag_needed(frame, &x->t,
		      TP_PORT, p, irs + 1, 576, 400)));
	th_poll(&x->t);
	assert_int_equal(wk(x, other)->stats.icmp_rx_frag_needed, 1);
	assert_int_equal(wk(x, other)->stats.handoff_segs, 1);
	assert_int_equal(wk(x, owner)->stats.tcp_pmtu_shrinks, 1);
	assert_int_equal(wk(x, owner)->stats.icmp_err_invalid, 0);
	assert_int_equal(f->mss, 552 - 40);	/* min-pmtu's floor, no timestamps */
	th_tx_drain(&x->t);
}

/* Software steering: a segment stays in the pool of the worker that received it while its
 * owner holds it, and the owner cannot see that pool's pressure. Once the receiving
 * worker's pool is into its reserve (tcp_mem.h), the payload of a segment for a flow it
 * does not own is dropped there, counted, before the handoff; a pure ACK still goes, and
 * once the pool is back the payload is handed over again. */
static void
test_handoff_payload_dropped_when_pool_in_reserve(void **state)
{
	struct wt *x = *state;
	const uint16_t p = 41002;
	struct flow_key k = key_of(p, TP_PORT);
	unsigned int owner = steer_owner(x->t.s, &k), other = 1 - owner;
	struct sl_worker *wo = wk(x, other);
	static struct rte_mbuf *hold[4096];
	struct tcp_flow *f;
	uint32_t irs, n;

	irs = open_on(x, owner, p);
	th_tx_drain(&x->t);
	f = flow_lookup(wk(x, owner), &k);
	assert_non_null(f);

	n = tcp_mem_free(wo) - (wo->tcp.mem_reserve - 10);
	assert_true(n <= RTE_DIM(hold));
	assert_int_equal(rte_pktmbuf_alloc_bulk(wo->pool, hold, n), 0);
	th_poll(&x->t);
	assert_true(wo->tcp.mem_in_reserve);
	put_seg(x, other, p, TP_PORT, TP_PEER_ISS + 1, irs + 1, TH_ACK, "hello", 5);
	th_poll(&x->t);
	assert_int_equal(wo->stats.tcp_rx_drop_mempressure, 1);
	assert_int_equal(wo->stats.handoff_segs, 0);
	assert_int_equal(f->rcv_nxt, TP_PEER_ISS + 1);
	put_seg(x, other, p, TP_PORT, TP_PEER_ISS + 1, irs + 1, TH_ACK, NULL, 0);
	th_poll(&x->t);
	assert_int_equal(wo->stats.handoff_segs, 1);

	rte_pktmbuf_free_bulk(hold, n);
	th_poll(&x->t);
	assert_false(wo->tcp.mem_in_reserve);
	put_seg(x, other, p, TP_PORT, TP_PEER_ISS + 1, irs + 1, TH_ACK, "hello", 5);
	th_poll(&x->t);
	assert_int_equal(wo->stats.handoff_segs, 2);
	assert_int_equal(f->rcv_nxt, TP_PEER_ISS + 6);
	assert_int_equal(wo->stats.tcp_rx_drop_mempressure, 1);
	th_tx_drain(&x->t);
}

/* Active opens from every worker, over many remote ports: each local port hashes to the
 * opening worker, and a SYN-ACK on either queue completes the open there. */
static void
test_active_opens_land_on_owner(void **state)
{
	struct wt *x = *state;
	struct tp_out o;
	unsigned int i, n;

	put_arp(x, 0, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, TH_STACK_IP);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	for (n = 0; n < 24; n++) {
		unsigned int wi = n % NW, q = (n / NW) % NW;
		uint16_t rport = (uint16_t)(7 + n * 37);
		struct tconn *tc = tapp_new_conn(&x->app);
		struct tcp_flow *f;

		tc->c = sl_worker_connect(wk(x, wi), TH_PEER_IP, rport, &tapp_ops, tc);
		assert_non_null(tc->c);
		f = conn_flow(tc->c);
		assert_int_equal(f->w->id, wi);
		assert_int_equal(steer_owner(x->t.s, &f->key), wi);
		th_poll(&x->t);
		assert_true(tp_pop(&x->t, &o));
		assert_int_equal(o.flags, TH_SYN);
		put_seg(x, q, rport, o.sport, TP_PEER_ISS, o.seq + 1, TH_SYN | TH_ACK, NULL, 0);
		th_poll(&x->t);
		assert_int_equal(tc->connected, 1);
		assert_int_equal(f->state, SL_TCP_ESTABLISHED);
		assert_true(tp_pop(&x->t, &o));		/* the ACK of the SYN-ACK */
		assert_int_equal(o.flags, TH_ACK);
		sl_conn_abort(tc->c);
		th_poll(&x->t);
		th_tx_drain(&x->t);
		x->app.n = 0;		/* records are per test iteration */
	}
	for (i = 0; i < NW; i++)
		assert_int_equal(wk(x, i)->stats.tcp_rst_closed_port, 0);
}

/* A request for our address on either queue: answered once, learned by every worker. */
static void
test_arp_request_learned_by_all_workers(void **state)
{
	struct wt *x = *state;
	unsigned int q, i;

	for (q = 0; q < NW; q++) {
		uint64_t replies[NW] = {
			wk(x, 0)->stats.arp_tx_reply, wk(x, 1)->stats.arp_tx_reply,
		};
		rte_be32_t ip = q == 0 ? TH_PEER_IP : TH_OTHER_IP;
		const struct rte_ether_addr *mac = q == 0 ? &th_peer_mac : &th_other_mac;

		put_arp(x, q, &th_bcast_mac, RTE_ARP_OP_REQUEST, mac, ip, TH_STACK_IP);
		th_poll(&x->t);
		assert_int_equal(th_tx_drain(&x->t), 1);	/* one reply */
		for (i = 0; i < NW; i++) {
			const struct arp_entry *e = arp_lookup(wk(x, i), ip);

			assert_non_null(e);
			assert_int_equal(e->state, ARP_REACHABLE);
			assert_true(rte_is_same_ether_addr(&e->mac, mac));
		}
		assert_int_equal(wk(x, q)->stats.arp_tx_reply, replies[q] + 1);
		assert_int_equal(wk(x, 1 - q)->stats.arp_tx_reply, replies[1 - q]);
		assert_int_equal(wk(x, q)->stats.handoff_arp, NW - 1);
	}
}

/* The answer to worker 0's request reaches worker 1's queue: worker 0 still learns it and
 * releases the SYN that waited. */
static void
test_arp_reply_on_other_queue_resolves(void **state)
{
	struct wt *x = *state;
	struct tconn *tc = tapp_new_conn(&x->app);
	const struct arp_entry *e;
	struct tp_out o;

	tc->c = sl_worker_connect(wk(x, 0), TH_PEER_IP, 80, &tapp_ops, tc);
	assert_non_null(tc->c);
	th_poll(&x->t);
	assert_int_equal(th_tx_drain(&x->t), 1);	/* the ARP request */
	put_arp(x, 1, &x->t.mac, RTE_ARP_OP_REPLY, &th_peer_mac, TH_PEER_IP, TH_STACK_IP);
	th_poll(&x->t);
	e = arp_lookup(wk(x, 0), TH_PEER_IP);
	assert_non_null(e);
	assert_int_equal(e->state, ARP_REACHABLE);
	assert_true(tp_pop(&x->t, &o));
	assert_int_equal(o.flags, TH_SYN);
	assert_int_equal(wk(x, 1)->stats.handoff_arp, 1);
	assert_int_equal(wk(x, 0)->stats.arp_unsolicited + wk(x, 1)->stats.arp_unsolicited, 1);
}

/* Ping on either queue: answered there, nothing handed over. */
static void
test_icmp_echo_answered_by_any_worker(void **state)
{
	struct wt *x = *state;
	uint8_t f[128];
	unsigned int q;

	for (q = 0; q < NW; q++) {
		size_t n = fb_ping(f, &x->t, 7, (uint16_t)q, "ping", 4);

		th_wire_put_q(&x->t, q, th_frame(&x->t, f, n));
		th_poll(&x->t);
		assert_int_equal(rte_ring_count(x->t.txq[q]), 1);
		th_tx_drain(&x->t);
	}
	assert_int_equal(wk(x, 0)->stats.handoff_segs + wk(x, 1)->stats.handoff_segs, 0);
}

/* A producer thread reaches a connection on either worker through that worker's channel;
 * a reference to a worker the stack does not have is refused. */
static void
test_producer_reaches_both_workers(void **state)
{
	struct wt *x = *state;
	struct sl_producer *pr;
	unsigned int found = 0;
	struct tp_out o;
	uint16_t p;

	put_arp(x, 0, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, TH_STACK_IP);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	pr = sl_producer_create(x->t.s, 65536);
	assert_non_null(pr);
	for (p = 42000; found != 3; p++) {
		struct flow_key k = key_of(p, TP_PORT);
		unsigned int owner = steer_owner(x->t.s, &k);
		struct sl_conn_ref ref;
		struct tconn *tc;
		uint32_t irs;

		if (found & (1u << owner))
			continue;
		found |= 1u << owner;
		put_seg(x, 1 - owner, p, TP_PORT, TP_PEER_ISS, 0, TH_SYN, NULL, 0);
		th_poll(&x->t);
		assert_true(tp_pop(&x->t, &o));
		irs = o.seq;
		put_seg(x, 1 - owner, p, TP_PORT, TP_PEER_ISS + 1, irs + 1, TH_ACK, NULL, 0);
		th_poll(&x->t);
		tc = tapp_find(&x->app, p);
		assert_non_null(tc);
		ref = sl_conn_ref(tc->c);
		assert_int_equal(ref.worker, owner);
		assert_int_equal(sl_producer_send(pr, ref, "from a thread", 13, 0, 0), 0);
		th_poll(&x->t);
		assert_true(tp_pop(&x->t, &o));
		assert_int_equal(o.len, 13);
		assert_memory_equal(o.data, "from a thread", 13);
		ref.worker = NW;
		assert_int_equal(sl_producer_send(pr, ref, "x", 1, 0, 0), -EINVAL);
		sl_conn_abort(tc->c);
		th_poll(&x->t);
		th_tx_drain(&x->t);
	}
	sl_producer_destroy(pr);
	th_poll(&x->t);
}

/* More workers than the port has queues: refused, with the numbers in the log. */
static void
test_more_workers_than_queues_refused(void **state)
{
	struct rte_ring *rx, *tx;
	struct sl_config cfg;
	int port;

	(void)state;
	rx = rte_ring_create("wt_q1_rx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create("wt_q1_tx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(rx);
	assert_non_null(tx);
	port = rte_eth_from_rings("net_ring_wt_q1", &rx, 1, &tx, 1, SOCKET_ID_ANY);
	assert_true(port >= 0);
	tp_config(&cfg);
	cfg.port_id = (uint16_t)port;
	assert_null(sl_stack_create(&cfg, 2));
	assert_int_equal(rte_errno, ENOTSUP);
	rte_eth_dev_close((uint16_t)port);
	rte_ring_free(rx);
	rte_ring_free(tx);
}

/* A full handoff ring drops (counted) and frees; nothing leaks. */
static void
test_handoff_ring_full_drops_counted(void **state)
{
	struct sl_config cfg;
	struct wt *x = *state;
	unsigned int sent = 0, p;

	wt_teardown(state);
	tp_config(&cfg);
	cfg.handoff_ring = 64;
	x = wt_setup_cfg(&cfg);
	*state = x;
	put_arp(x, 0, &th_bcast_mac, RTE_ARP_OP_REQUEST, &th_peer_mac, TH_PEER_IP, TH_STACK_IP);
	th_poll(&x->t);
	th_tx_drain(&x->t);
	/* SYNs of flows worker 1 owns, all on queue 0; only worker 0 polls. */
	for (p = 1024; sent < 128; p++) {
		struct flow_key k = key_of((uint16_t)p, TP_PORT);

		if (steer_owner(x->t.s, &k) != 1)
			continue;
		put_seg(x, 0, (uint16_t)p, TP_PORT, TP_PEER_ISS, 0, TH_SYN, NULL, 0);
		sent++;
	}
	while (rte_ring_count(x->t.rxq[0]) > 0)
		sl_worker_poll(wk(x, 0));
	assert_int_equal(wk(x, 0)->stats.handoff_segs, 128);
	assert_int_equal(wk(x, 0)->stats.handoff_drop_full, 128 - 64);
	th_poll(&x->t);
	assert_int_equal(wk(x, 1)->stats.handoff_in, 1 + 64);	/* the ARP copy first */
	assert_int_equal(tp_pending(&x->t), 64);	/* a SYN-ACK per SYN that got through */
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		WT_TEST(test_owner_fixed_function_spreads),
		WT_TEST(test_hash_is_toeplitz),
		WT_TEST(test_rss_table_decides_owner_and_skips_check),
		WT_TEST(test_passive_open_any_queue_handled_by_owner),
	WT_TEST(test_icmp_frag_needed_reaches_owner),
		WT_TEST(test_handoff_payload_dropped_when_pool_in_reserve),
		WT_TEST(test_active_opens_land_on_owner),
		WT_TEST(test_arp_request_learned_by_all_workers),
		WT_TEST(test_arp_reply_on_other_queue_resolves),
		WT_TEST(test_icmp_echo_answered_by_any_worker),
		WT_TEST(test_producer_reaches_both_workers),
		WT_TEST(test_handoff_ring_full_drops_counted),
		WT_TEST(test_more_workers_than_queues_refused),
	};

	(void)argc;
	th_eal_init(argv[0]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
